import Foundation
import Relay

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
        /// What the member publishes: `microphone`, `camera`, `screen` (the relay's track sources).
        var sources: [String] = []
        var muted: [String: Bool] = ["audio": false, "video": false]
        /// Bounded: made with `Member.makeOutbox()`; a yield that finds it full returns `.dropped`.
        let outbox: AsyncStream<String>.Continuation
        /// Told once why the server ends this member's socket.
        let disconnect: AsyncStream<Disconnect>.Continuation
        /// Asks the member's connection to bring its subscribe connection up to date (a new offer if what
        /// it receives changed). Called when someone else's published set changes or someone leaves; it
        /// only schedules the work, so the directory never waits on the relay.
        var refresh: @Sendable () -> Void = {}
        /// Hands the member's connection a relay event about one relay connection (one it ended, or a
        /// publisher's layers to pause); the connection ignores events about connections not its own.
        var relayEvent: @Sendable (RoomEvent) -> Void = { _ in }

        /// The media kinds the sources carry, in the v1 `publishing` field's terms.
        var publishing: [String] { Self.kinds(of: sources) }

        var summary: [String: Any] {
            ["userId": userID, "role": role, "publishing": publishing, "sources": sources, "muted": muted]
        }

        static func kinds(of sources: [String]) -> [String] {
            var kinds: [String] = []
            if sources.contains("microphone") { kinds.append("audio") }
            if sources.contains(where: { $0 == "camera" || $0 == "screen" }) { kinds.append("video") }
            return kinds
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
    /// Each room's dominant speaker as the relay last said, for the welcome of later joiners. Kept only
    /// for rooms with members, so a relay's events for socket-less rooms cost nothing here.
    private var dominantSpeakers: [String: String] = [:]

    /// Adds a connection; it is told the room as it is, everyone else that it arrived.
    func join(room: String, connection: UUID, member: Member) {
        let others = rooms[room, default: [:]].values.map(\.summary)
        rooms[room, default: [:]][connection] = member
        var welcome: [String: Any] = ["type": "welcome", "you": member.summary, "participants": others]
        if let speaker = dominantSpeakers[room] { welcome["dominantSpeaker"] = speaker }
        send(Self.encode(welcome), to: connection, in: room)
        broadcast(room: room, except: connection, ["type": "participant-joined", "participant": member.summary])
    }

    func leave(room: String, connection: UUID) {
        guard let member = rooms[room]?.removeValue(forKey: connection) else { return }
        if rooms[room]?.isEmpty == true {
            rooms[room] = nil
            dominantSpeakers[room] = nil
        }
        member.outbox.finish()
        member.disconnect.finish()
        broadcast(room: room, except: connection, ["type": "participant-left", "userId": member.userID])
    }

    /// Records what a member publishes now. The room hears `published` (or `unpublished` for nothing) when
    /// the set changed; every other member's subscribe connection is refreshed either way, since the
    /// tracks behind an unchanged set may be new (a publish connection replaced by another).
    func setPublishing(room: String, connection: UUID, sources: [String]) {
        guard var member = rooms[room]?[connection] else { return }
        let changed = member.sources != sources
        member.sources = sources
        rooms[room]?[connection] = member
        if changed {
            broadcast(
                room: room, except: connection,
                [
                    "type": sources.isEmpty ? "unpublished" : "published", "userId": member.userID,
                    "kinds": member.publishing, "sources": sources,
                ])
        }
        refreshSubscriptions(room: room, except: connection)
    }

    /// Asks every member but `connection` to refresh its subscribe connection: someone's tracks changed
    /// or they left. Works for a connection no longer in the room (it has just been removed).
    func refreshSubscriptions(room: String, except connection: UUID) {
        for (id, member) in rooms[room] ?? [:] where id != connection { member.refresh() }
    }

    /// A relay event about one member's connection (the relay ended it, or dynacast paused a layer): every
    /// member's connection is asked and only the owner acts. Rare (changes, not packets), so that is cheap.
    func deliverToOwner(room: String, _ event: RoomEvent) {
        for member in (rooms[room] ?? [:]).values { member.relayEvent(event) }
    }

    /// The relay's dominant-speaker change, told to the room's members when it is news. Nil: nobody speaks.
    func setDominantSpeaker(room: String, userID: String?) {
        guard rooms[room] != nil, dominantSpeakers[room] != userID else { return }
        dominantSpeakers[room] = userID
        let text = Self.encode(["type": "dominant-speaker", "userId": userID.map { $0 as Any } ?? NSNull()])
        for id in Array((rooms[room] ?? [:]).keys) { send(text, to: id, in: room) }
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
        dominantSpeakers[room] = nil
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
