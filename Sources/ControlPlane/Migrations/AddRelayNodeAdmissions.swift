import FluentKit
import SQLKit

/// Room tokens a node was handed since its last heartbeat: placement counts them with the heartbeat's
/// participants, so a burst of joins between two heartbeats overflows to edges instead of piling onto one node.
struct AddRelayNodeAdmissions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("relay_nodes").field("pending", .int64, .required, .sql(.default(0))).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("relay_nodes").deleteField("pending").update()
    }
}
