import Foundation

/// Who is in each room over the WebSocket, what they publish and whether they are muted, and how to
/// reach them. An actor: connections on many event loops join, leave and broadcast concurrently.
///
/// Nothing a member sends is multiplied without bound: a mute is broadcast only when it changes the
/// member's state (a repeated `mute` would otherwise be an N× amplifier, one frame in and N out), and
/// every member's outbox holds at most `Member.outboxLimit` messages. A member that does not read fast
/// enough to stay under that is removed from the room and told to disconnect (`Disconnect.slowReader`)
/// instead of having its backlog grow in server memory.
actor RoomDirectory {
    /// Why the server ends a member's socket.
    enum Disconnect: Sendable, Equatable {
        /// Its outbox reached `outboxLimit`: it reads slower than the room talks.
        case slowReader
        /// The room's session was completed or cancelled; `session-ended` is its last message (close code 4410).
        case sessionEnded
    }

    struct Member: Sendable {
        /// Messages a member may have queued and unwritten before it counts as a slow reader (the default
        /// of `RoomWebSocketRoutes.Limits.outboxMessages`). The room's traffic is signaling (a few messages
        /// per participant event), so a healthy reader's backlog stays far below this even in a full room
        /// joining at once.
        static let outboxLimit = 256

        let userID: String
        let role: String
        var publishing: [String] = []
        var muted: [String: Bool] = ["audio": false, "video": false]
        /// Bounded: made with `Member.makeOutbox()`; a yield that finds it full returns `.dropped`.
        let outbox: AsyncStream<String>.Continuation
        /// Told once why the server ends this member's socket.
        let disconnect: AsyncStream<Disconnect>.Continuation

        var summary: [String: Any] {
            ["userId": userID, "role": role, "publishing": publishing, "muted": muted]
        }

        /// A member's outbox: `bufferingOldest` keeps what is already queued and refuses the overflow,
        /// which is how the directory notices a slow reader.
        static func makeOutbox(limit: Int = outboxLimit) -> (AsyncStream<String>, AsyncStream<String>.Continuation) {
            AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(limit))
        }

        static func makeDisconnect() -> (AsyncStream<Disconnect>, AsyncStream<Disconnect>.Continuation) {
            AsyncStream.makeStream(of: Disconnect.self, bufferingPolicy: .bufferingNewest(1))
        }
    }

    private var rooms: [String: [UUID: Member]] = [:]

    /// Adds a connection; it is told the room as it is, everyone else that it arrived.
    func join(room: String, connection: UUID, member: Member) {
        let others = rooms[room, default: [:]].values.map(\.summary)
        rooms[room, default: [:]][connection] = member
        send(Self.encode(["type": "welcome", "you": member.summary, "participants": others]), to: connection, in: room)
        broadcast(room: room, except: connection, ["type": "participant-joined", "participant": member.summary])
    }

    func leave(room: String, connection: UUID) {
        guard let member = rooms[room]?.removeValue(forKey: connection) else { return }
        if rooms[room]?.isEmpty == true { rooms[room] = nil }
        member.outbox.finish()
        member.disconnect.finish()
        broadcast(room: room, except: connection, ["type": "participant-left", "userId": member.userID])
    }

    func setPublishing(room: String, connection: UUID, kinds: [String]) {
        guard var member = rooms[room]?[connection] else { return }
        member.publishing = kinds
        rooms[room]?[connection] = member
        let type = kinds.isEmpty ? "unpublished" : "published"
        broadcast(room: room, except: connection, ["type": type, "userId": member.userID, "kinds": kinds])
    }

    /// Records a mute state; the room hears of it only when it differs from the member's current one.
    func setMuted(room: String, connection: UUID, kind: String, muted: Bool) {
        guard var member = rooms[room]?[connection], member.muted[kind] != muted else { return }
        member.muted[kind] = muted
        rooms[room]?[connection] = member
        broadcast(room: room, except: connection, ["type": "muted", "userId": member.userID, "kind": kind, "muted": muted])
    }

    func members(room: String) -> Int { rooms[room]?.count ?? 0 }

    /// The connections in a room, and whose they are (for tests).
    func connections(room: String) -> [UUID: String] { (rooms[room] ?? [:]).mapValues(\.userID) }

    /// False once the connection left or was dropped: what it still sends is ignored.
    func isMember(room: String, connection: UUID) -> Bool { rooms[room]?[connection] != nil }

    private func broadcast(room: String, except connection: UUID, _ message: [String: Any]) {
        let text = Self.encode(message)
        for id in Array((rooms[room] ?? [:]).keys) where id != connection { send(text, to: id, in: room) }
    }

    /// Queues one message; a member whose outbox is full is dropped from the room (everyone else is
    /// told it left) and its connection is told to close as a slow reader.
    private func send(_ text: String, to connection: UUID, in room: String) {
        guard let member = rooms[room]?[connection] else { return }
        switch member.outbox.yield(text) {
        case .enqueued, .terminated: return
        case .dropped: dropSlowReader(room: room, connection: connection)
        @unknown default: return
        }
    }

    /// Removes a member whose outbox overflowed and tells its connection to close (close code 4408).
    func dropSlowReader(room: String, connection: UUID) {
        guard let member = rooms[room]?[connection] else { return }
        member.disconnect.yield(.slowReader)
        leave(room: room, connection: connection)
    }

    /// Ends the room because its session was completed or cancelled: every member gets `session-ended` as
    /// its last message (the outbox is finished behind it, so the socket writes it before closing) and is
    /// told to disconnect. Nobody is told anyone left: everyone goes at once. Later joins are refused by
    /// admission (the session is no longer joinable), not here. Returns how many members it ended.
    @discardableResult
    func endSession(room: String, reason: SessionEndReason) -> Int {
        guard let members = rooms.removeValue(forKey: room) else { return 0 }
        let text = Self.encode(["type": "session-ended", "reason": reason.rawValue])
        for member in members.values {
            // A full outbox (a slow reader) loses the message; the close code still says why.
            _ = member.outbox.yield(text)
            member.outbox.finish()
            member.disconnect.yield(.sessionEnded)
            member.disconnect.finish()
        }
        return members.count
    }

    static func encode(_ object: [String: Any]) -> String {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
