@testable import ControlPlane
import FluentSQL
import Foundation
import Synchronization
import Testing

/// The relay-node registry: nodes heartbeat into the shared database, a room goes to the least loaded live
/// node and stays there for its life, a silent or departed node's rooms move, and the room-token answer
/// names the node.
@Suite struct RelayRegistryTests {
    static func node(_ id: String, participants: Int = 0, capacity: Int = 100) -> RelayNode {
        RelayNode(
            id: id, signalingURL: "http://10.0.0.\(id.utf8.first.map { Int($0) % 200 } ?? 1):8081", udpAddresses: ["10.0.0.1:3478"],
            capacity: capacity, participants: participants)
    }

    @Test(arguments: TestBackend.all)
    func aRoomGoesToTheLeastLoadedLiveNodeAndStaysThere(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let registry = h.services.relays
            #expect(try await registry.place(roomID: "room-1") == nil, "no node: the control plane's own relay serves it")
            try await registry.heartbeat(Self.node("a", participants: 50))
            try await registry.heartbeat(Self.node("b", participants: 10))
            try await registry.heartbeat(Self.node("c", participants: 5, capacity: 10))
            #expect(try await registry.place(roomID: "room-1")?.id == "b", "10 of 100 is the lightest load")
            try await registry.heartbeat(Self.node("b", participants: 90))
            #expect(try await registry.place(roomID: "room-1")?.id == "b", "sticky: its participants are there")
            // a and c are both half full; a has no room yet either, so the id decides; then c, which has none.
            #expect(try await registry.place(roomID: "room-2")?.id == "a")
            #expect(try await registry.place(roomID: "room-3")?.id == "c", "equal load: the node with fewer rooms")
            #expect(try await registry.liveNodes().map(\.id) == ["a", "b", "c"])

            // b stops heartbeating: after the timeout its room moves to a live node; the others stay.
            h.clock.advance(by: RelayRegistry.defaultTimeout + 1)
            try await registry.heartbeat(Self.node("a", participants: 50))
            try await registry.heartbeat(Self.node("c", participants: 9, capacity: 10))
            #expect(try await registry.liveNodes().map(\.id) == ["a", "c"])
            #expect(try await registry.place(roomID: "room-1")?.id == "a", "off the silent node, to the lighter one")
            #expect(try await registry.place(roomID: "room-2")?.id == "a")
            #expect(try await registry.place(roomID: "room-3")?.id == "c")

            // c shuts down: its room is placed afresh at once.
            try await registry.leave(nodeID: "c")
            #expect(try await registry.place(roomID: "room-3")?.id == "a")
            let rows = try await h.sql.raw("SELECT COUNT(*) AS n FROM room_placements").first()?.decode(column: "n", as: Int.self)
            #expect(rows == 3)
        }
    }

    /// The origin takes the host and learners up to its capacity, counting tokens handed out since its last
    /// heartbeat; past it learners go to the least loaded other node with room (an edge); all full: the origin.
    @Test(arguments: TestBackend.all)
    func learnersPastTheOriginsCapacityGoToAnEdge(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let registry = h.services.relays
            try await registry.heartbeat(Self.node("a", capacity: 3))
            try await registry.heartbeat(Self.node("b", participants: 1, capacity: 3))
            try await registry.heartbeat(Self.node("c", participants: 2, capacity: 3))
            #expect(try await registry.admit(roomID: "lecture", host: true)?.id == "a")
            var sent: [String] = []
            for _ in 0..<5 { sent.append(try await registry.admit(roomID: "lecture", host: false)?.id ?? "-") }
            // a: the host and two learners; b had one, takes two; c had two, takes the last seat; then the origin.
            #expect(sent == ["a", "a", "b", "b", "c"])
            #expect(try await registry.admit(roomID: "lecture", host: false)?.id == "a", "every node full: the origin")
            #expect(try await registry.admit(roomID: "lecture", host: true)?.id == "a", "the host always goes to the origin")
            // A heartbeat replaces the guess with what the node holds: two learners never connected to a.
            try await registry.heartbeat(Self.node("a", participants: 1, capacity: 3))
            #expect(try await registry.admit(roomID: "lecture", host: false)?.id == "a")
            #expect(try await registry.origin(of: "lecture")?.id == "a")
            #expect(try await registry.origin(of: "elsewhere") == nil, "asking for the origin places nothing")
        }
    }

    /// Many control-plane requests placing the same new room at once agree on one node.
    @Test(arguments: TestBackend.all)
    func concurrentPlacementsOfOneRoomAgree(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let registry = h.services.relays
            for id in ["a", "b", "c", "d"] { try await registry.heartbeat(Self.node(id)) }
            let placed = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<24 {
                    group.addTask {
                        // Load changes between the placements would pick another node if they did not agree.
                        try await registry.heartbeat(Self.node(["a", "b", "c", "d"][index % 4], participants: index))
                        return try await registry.place(roomID: "contested")?.id
                    }
                }
                return try await group.reduce(into: Set<String?>()) { $0.insert($1) }
            }
            #expect(placed.count == 1 && placed.first! != nil, "\(placed)")
        }
    }

    @Test(arguments: TestBackend.all)
    func theRoomTokenNamesTheRoomsNode(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let id = try await h.createSession(mentor: mentor, startsIn: 600)
            let alone = try await h.call(.post, "/api/sessions/\(id)/room-token", token: mentor.token)
            #expect(alone.status == .ok)
            #expect(alone["relay"] == nil, "without relay nodes the answer names none")

            try await h.services.relays.heartbeat(RelayNode(
                id: "edge-1", signalingURL: "https://relay-1.example.org/", udpAddresses: ["203.0.113.5:3478"], capacity: 500))
            let placed = try await h.call(.post, "/api/sessions/\(id)/room-token", token: mentor.token)
            let room = try #require(placed["meeting_room_id"] as? String)
            let relay = try #require(placed["relay"] as? [String: Any])
            #expect(relay["node_id"] as? String == "edge-1")
            #expect(relay["url"] as? String == "https://relay-1.example.org")
            #expect(relay["whip_url"] as? String == "https://relay-1.example.org/whip/\(room)")
            #expect(relay["whep_url"] as? String == "https://relay-1.example.org/whep/\(room)")
            #expect(relay["websocket_url"] as? String == "wss://relay-1.example.org/ws/rooms/\(room)")

            // The session's end frees the room's placement with the transition.
            #expect(try await h.call(.post, "/api/sessions/\(id)/cancel", token: mentor.token).status == .ok)
            let rows = try await h.sql.raw("SELECT COUNT(*) AS n FROM room_placements").first()?.decode(column: "n", as: Int.self)
            #expect(rows == 0)
        }
    }

    /// On PostgreSQL a session's end reaches every listening node through NOTIFY, sent with the commit.
    @Test func aSessionsEndIsAnnouncedToListeningNodes() async throws {
        // Needs PostgreSQL (scripts/test starts one); without it this test has nothing to check.
        guard let postgres = TestBackend.all.first(where: { $0.postgresURL != nil }) else { return }
        try await TestHarness.run(postgres) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let id = try await h.createSession(mentor: mentor, startsIn: 600)
            let other = try await h.createSession(mentor: mentor, startsIn: 600)
            let room = try #require(try await h.call(.get, "/api/sessions/\(id)", token: mentor.token)["meeting_room_id"] as? String)
            let heard = Mutex<[RoomEvent]>([])
            let listening = Task { await h.services.database.listenForRoomEvents(logger: .init(label: "test")) { event in
                heard.withLock { $0.append(event) }
            } }
            defer { listening.cancel() }
            // The listener is up once a notification sent now arrives.
            let probe = RoomEvent(roomID: "probe", ended: "completed")
            for _ in 0..<100 where heard.withLock({ $0.isEmpty }) {
                try await h.services.database.publish(probe, on: h.services.database.db)
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await h.call(.post, "/api/sessions/\(other)/complete", token: mentor.token).status == .conflict)
            #expect(try await h.call(.post, "/api/sessions/\(id)/cancel", token: mentor.token).status == .ok)
            for _ in 0..<100 where !heard.withLock({ $0.contains { $0.roomID == room } }) {
                try await Task.sleep(for: .milliseconds(100))
            }
            let events = heard.withLock { $0.filter { $0.roomID != "probe" } }
            #expect(events == [RoomEvent(roomID: room, ended: "cancelled")], "only the committed transition is announced")
        }
    }

    /// A node that goes silent: its learners' connections end at its last heartbeat, its rooms are freed, and a
    /// learner resumes on another node with a new row (the booking open again).
    @Test(arguments: TestBackend.all)
    func aSilentNodesConnectionsEndAtItsLastHeartbeatAndItsRoomsMove(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor, startsIn: 60)
            #expect(try await h.book(id, learner: learner).status == .created)
            let registry = h.services.relays
            try await registry.heartbeat(Self.node("a"))
            let placed = try #require(try await h.call(.post, "/api/sessions/\(id)/room-token", token: learner.token)["relay"] as? [String: Any])
            #expect(placed["node_id"] as? String == "a")
            let room = try #require(try await h.call(.get, "/api/sessions/\(id)", token: mentor.token)["meeting_room_id"] as? String)
            let ledger = AttendanceLedger(services: h.services)
            _ = try await ledger.joined(roomID: room, userID: String(learner.id), node: ("a", "a/1/p1"))
            h.clock.advance(by: 3)
            try await registry.heartbeat(Self.node("a"))
            let lastHeartbeat = h.clock.now
            try await registry.heartbeat(Self.node("b"))
            let reaper = RelayNodeReaper(services: h.services, logger: .init(label: "test"))
            #expect(try await reaper.reap().isEmpty, "both heartbeat")

            // a goes silent; b keeps heartbeating.
            h.clock.advance(by: RelayRegistry.defaultTimeout + 1)
            try await registry.heartbeat(Self.node("b"))
            #expect(try await reaper.reap() == ["a"])
            #expect(try await reaper.reap().isEmpty, "settled once")
            let row = try #require(try await ParticipantStatistics.query(on: h.services.db).first())
            #expect(row.leftAt.map { abs($0.timeIntervalSince(lastHeartbeat)) < 0.01 } == true, "ended at the last heartbeat")
            let booking = try #require(try await Booking.query(on: h.services.db).first())
            #expect(booking.leftAt.map { abs($0.timeIntervalSince(lastHeartbeat)) < 0.01 } == true)
            #expect(try await registry.liveNodes().map(\.id) == ["b"])

            // The learner's page asks for a fresh token: the room is on b now, where attendance resumes.
            let moved = try #require(try await h.call(.post, "/api/sessions/\(id)/room-token", token: learner.token)["relay"] as? [String: Any])
            #expect(moved["node_id"] as? String == "b")
            _ = try await ledger.joined(roomID: room, userID: String(learner.id), node: ("b", "b/1/p7"))
            let rejoined = try #require(try await Booking.query(on: h.services.db).first())
            #expect(rejoined.leftAt == nil, "back in the room")
            #expect(try await ParticipantStatistics.query(on: h.services.db).count() == 2)
        }
    }

    @Test func aNodeMaySayOnlySaneThingsAboutItself() throws {
        let good = Self.node("node-1.eu_west")
        #expect(throws: Never.self) { try good.validated() }
        for bad in [
            RelayNode(id: "", signalingURL: "http://a:1", udpAddresses: [], capacity: 1),
            RelayNode(id: "a b", signalingURL: "http://a:1", udpAddresses: [], capacity: 1),
            RelayNode(id: String(repeating: "a", count: 101), signalingURL: "http://a:1", udpAddresses: [], capacity: 1),
            RelayNode(id: "a", signalingURL: "javascript:alert(1)", udpAddresses: [], capacity: 1),
            RelayNode(id: "a", signalingURL: "http://a:1/?x=1", udpAddresses: [], capacity: 1),
            RelayNode(id: "a", signalingURL: "http://a:1", udpAddresses: [], capacity: 0),
            RelayNode(id: "a", signalingURL: "http://a:1", udpAddresses: [], capacity: 10, participants: -1),
            RelayNode(id: "a", signalingURL: "http://a:1", udpAddresses: Array(repeating: "x", count: 17), capacity: 1),
        ] {
            #expect(throws: RelayRegistryError.self) { try bad.validated() }
        }
    }
}
