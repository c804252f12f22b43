import FluentKit

/// The relay-node registry (`RelayRegistry`): the nodes that heartbeat, and which node each live room is on.
/// Times are integer milliseconds since 1970, compared in SQL the same way on SQLite and PostgreSQL.
struct CreateRelayNodes: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("relay_nodes")
            .field("id", .string, .identifier(auto: false))
            .field("signaling_url", .string, .required)
            .field("udp_addresses", .string, .required)
            .field("capacity", .int64, .required)
            .field("participants", .int64, .required)
            .field("rooms", .int64, .required)
            .field("started_ms", .int64, .required)
            .field("heartbeat_ms", .int64, .required)
            .create()
        // A room's node goes with it: a node that leaves frees its rooms for re-placement.
        try await database.schema("room_placements")
            .field("meeting_room_id", .string, .identifier(auto: false))
            .field("node_id", .string, .required, .references("relay_nodes", "id", onDelete: .cascade))
            .field("placed_ms", .int64, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("room_placements").delete()
        try await database.schema("relay_nodes").delete()
    }
}
