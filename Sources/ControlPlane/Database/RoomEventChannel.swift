import FluentKit
import Foundation
import Logging
import NIOPosix
import PostgresNIO
import SQLKit

/// What one node tells the others about a room, over PostgreSQL's LISTEN/NOTIFY: today, that its session
/// ended, so the relay holding the room closes it (`serve` does this in-process through `SessionEndHook`).
///
/// The NOTIFY is sent in the transaction that ends the session, and PostgreSQL delivers it only when that
/// commits: a rolled-back transition tells nobody, a committed one tells every node listening then. A node
/// that was not listening at that moment (restarting, cut off) misses it; the room's tokens still expire.
public struct RoomEvent: Codable, Sendable, Equatable {
    public var roomID: String
    /// `SessionEndHook.Reason`'s raw value.
    public var ended: String

    public init(roomID: String, ended: String) {
        self.roomID = roomID
        self.ended = ended
    }
}

extension PeerLearnDatabase {
    /// The channel's name: one per schema, so deployments (and tests) sharing a database do not hear each
    /// other.
    var roomEventChannel: String { postgresSchema.isEmpty ? "peerlearn_rooms" : "peerlearn_rooms_\(postgresSchema)" }

    /// Sends `event` when `db`'s transaction commits (PostgreSQL); nothing on SQLite, whose one process
    /// uses `SessionEndHook` instead.
    func publish(_ event: RoomEvent, on db: any Database) async throws {
        guard backend == .postgres else { return }
        let payload = String(decoding: try JSONEncoder().encode(event), as: UTF8.self)
        try await db.sql.raw("SELECT pg_notify(\(bind: roomEventChannel), \(bind: payload))").run()
    }

    /// Hands every room event to `handle` until cancelled, on a connection of its own, reconnecting after a
    /// lost connection (a database restart) with a pause that doubles to 30 s. Returns at once on SQLite.
    public func listenForRoomEvents(logger: Logger, _ handle: @escaping @Sendable (RoomEvent) async -> Void) async {
        guard let configuration = postgresConnection else { return }
        var pause: Duration = .seconds(1)
        var connectionID = 0
        while !Task.isCancelled {
            connectionID += 1
            do {
                let connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: connectionID, logger: logger
                ).get()
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: roomEventChannel) { notifications in
                    pause = .seconds(1)
                    for try await notification in notifications {
                        guard let event = try? JSONDecoder().decode(RoomEvent.self, from: Data(notification.payload.utf8)) else {
                            logger.warning("room events: an unreadable notification", metadata: ["payload": "\(notification.payload.prefix(200))"])
                            continue
                        }
                        await handle(event)
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("room events: listening failed, retrying in \(pause)", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(30))
        }
    }
}
