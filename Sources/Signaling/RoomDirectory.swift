import Foundation

/// Who is in each room over the WebSocket, what they publish and whether they are muted, and how to
/// reach them. An actor: connections on many event loops join, leave and broadcast concurrently.
actor RoomDirectory {
    struct Member: Sendable {
        let userID: String
        let role: String
        var publishing: [String] = []
        var muted: [String: Bool] = ["audio": false, "video": false]
        let outbox: AsyncStream<String>.Continuation

        var summary: [String: Any] {
            ["userId": userID, "role": role, "publishing": publishing, "muted": muted]
        }
    }

    private var rooms: [String: [UUID: Member]] = [:]

    /// Adds a connection; it is told the room as it is, everyone else that it arrived.
    func join(room: String, connection: UUID, member: Member) {
        let others = rooms[room, default: [:]].values.map(\.summary)
        rooms[room, default: [:]][connection] = member
        member.outbox.yield(Self.encode(["type": "welcome", "you": member.summary, "participants": others]))
        broadcast(room: room, except: connection, ["type": "participant-joined", "participant": member.summary])
    }

    func leave(room: String, connection: UUID) {
        guard let member = rooms[room]?.removeValue(forKey: connection) else { return }
        if rooms[room]?.isEmpty == true { rooms[room] = nil }
        member.outbox.finish()
        broadcast(room: room, except: connection, ["type": "participant-left", "userId": member.userID])
    }

    func setPublishing(room: String, connection: UUID, kinds: [String]) {
        guard var member = rooms[room]?[connection] else { return }
        member.publishing = kinds
        rooms[room]?[connection] = member
        let type = kinds.isEmpty ? "unpublished" : "published"
        broadcast(room: room, except: connection, ["type": type, "userId": member.userID, "kinds": kinds])
    }

    func setMuted(room: String, connection: UUID, kind: String, muted: Bool) {
        guard var member = rooms[room]?[connection] else { return }
        member.muted[kind] = muted
        rooms[room]?[connection] = member
        broadcast(room: room, except: connection, ["type": "muted", "userId": member.userID, "kind": kind, "muted": muted])
    }

    func members(room: String) -> Int { rooms[room]?.count ?? 0 }

    private func broadcast(room: String, except connection: UUID, _ message: [String: Any]) {
        let text = Self.encode(message)
        for (id, member) in rooms[room] ?? [:] where id != connection { member.outbox.yield(text) }
    }

    static func encode(_ object: [String: Any]) -> String {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
