@testable import ControlPlane
import FluentKit
import FluentSQL
import Foundation
import Logging
import Testing

/// A relay node's attendance spool: reports survive a restart of the node, reach the database once however
/// often they are replayed, and an earlier run's connections that never departed are closed.
@Suite struct AttendanceSpoolTests {
    static func report(seconds: Double, bytes: Int64) -> ParticipantStatisticsReport {
        ParticipantStatisticsReport(
            userID: 0, bytesIn: bytes, bytesOut: bytes, packetsIn: bytes / 1_000, packetsOut: bytes / 1_000, packetsLost: 0,
            lossFraction: 0, jitterMs: 1, secondsInRoom: seconds, audioOnly: false)
    }

    static func path() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)/attendance.jsonl").path
    }

    static func drain(_ spool: AttendanceSpool, _ h: TestHarness) async {
        let (wakeUps, wake) = AsyncStream.makeStream(of: Void.self)
        wake.finish()
        await AttendanceSpoolDrainer(spool: spool, ledger: AttendanceLedger(services: h.services), nodeID: "node-a", logger: Logger(label: "test"))
            .run(wakeUps: wakeUps)
    }

    /// A session starting in a minute, one learner booked: the learner and the session's room.
    static func bookedRoom(_ h: TestHarness) async throws -> (learner: Account, room: String) {
        let mentor = try await h.register("mira", role: "mentor")
        let learner = try await h.register("leo")
        let id = try await h.createSession(mentor: mentor, startsIn: 60)
        #expect(try await h.book(id, learner: learner).status == .created)
        let room = try #require(try await h.call(.get, "/api/sessions/\(id)", token: mentor.token)["meeting_room_id"] as? String)
        return (learner, room)
    }

    @Test func reportsSurviveARestartAndANewerSnapshotReplacesAWaitingOne() async throws {
        let path = Self.path()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        do {
            let spool = try AttendanceSpool(path: path, logger: Logger(label: "test"))
            try await spool.append(.joined, roomID: "r", userID: "7", connectionKey: "k1", at: t0)
            for second in 1...3 {
                try await spool.append(.statistics, roomID: "r", userID: "7", connectionKey: "k1", at: t0 + Double(5 * second),
                                       report: Self.report(seconds: Double(5 * second), bytes: 1_000))
            }
            try await spool.append(.joined, roomID: "r", userID: "8", connectionKey: "k2", at: t0 + 16)
            try await spool.append(.left, roomID: "r", userID: "7", connectionKey: "k1", at: t0 + 17, report: Self.report(seconds: 17, bytes: 2_000))
            #expect(await spool.waiting.map(\.sequence) == [1, 4, 5, 6], "the older snapshots were replaced")
        }
        // A crash tears the last line.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"sequence":7,"kind":"joi"#.utf8))
        try handle.close()

        let reopened = try AttendanceSpool(path: path, logger: Logger(label: "test"))
        let waiting = await reopened.waiting
        #expect(waiting.map(\.sequence) == [1, 4, 5, 6])
        #expect(waiting.map(\.kind) == [.joined, .statistics, .joined, .left])
        #expect(waiting[3].at == t0 + 17 && waiting[3].report?.secondsInRoom == 17)
        #expect(await reopened.unreadableLines == 1)
        #expect(reopened.firstLiveSequence == 7)
        try await reopened.applied(through: 6)
        #expect(await reopened.waiting.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty, "applied: the file is emptied")
    }

    @Test(arguments: TestBackend.all)
    func aReplayedSpoolWritesEachConnectionOnce(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let (learner, room) = try await Self.bookedRoom(h)
            let joined = h.clock.now
            let path = Self.path()
            let spool = try AttendanceSpool(path: path, logger: Logger(label: "test"))
            try await spool.append(.joined, roomID: room, userID: String(learner.id), connectionKey: "node-a/1/p1", at: joined)
            try await spool.append(.statistics, roomID: room, userID: String(learner.id), connectionKey: "node-a/1/p1",
                                   at: joined + 5, report: Self.report(seconds: 5, bytes: 50_000))
            try await spool.append(.left, roomID: room, userID: String(learner.id), connectionKey: "node-a/1/p1",
                                   at: joined + 9, report: Self.report(seconds: 9, bytes: 90_000))
            // The same reports again, as after a crash between the database's commit and the spool's truncation.
            let copy = path + ".copy"
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            await Self.drain(spool, h)
            #expect(await spool.waiting.isEmpty)
            await Self.drain(try AttendanceSpool(path: copy, logger: Logger(label: "test")), h)

            let rows = try await ParticipantStatistics.query(on: h.services.db).all()
            #expect(rows.count == 1, "one connection, one row, however often it is replayed")
            let row = try #require(rows.first)
            #expect(row.nodeID == "node-a" && row.connectionKey == "node-a/1/p1")
            #expect(row.bytesIn == 90_000)
            #expect(abs((row.leftAt ?? .distantPast).timeIntervalSince(joined + 9)) < 0.01, "left when the relay saw it")
            let booking = try #require(try await Booking.query(on: h.services.db).first())
            #expect(booking.joinedAt != nil && booking.leftAt != nil)
        }
    }

    @Test(arguments: TestBackend.all)
    func anEarlierRunsOpenConnectionsAreClosedBeforeThisRunsReports(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let other = try await h.register("lou")
            let id = try await h.createSession(mentor: mentor, startsIn: 60)
            #expect(try await h.book(id, learner: learner).status == .created)
            #expect(try await h.book(id, learner: other).status == .created)
            let room = try #require(try await h.call(.get, "/api/sessions/\(id)", token: mentor.token)["meeting_room_id"] as? String)
            let t0 = h.clock.now
            let path = Self.path()
            // The earlier run: a join and a snapshot applied, then the node died without a departure.
            let earlier = try AttendanceSpool(path: path, logger: Logger(label: "test"))
            try await earlier.append(.joined, roomID: room, userID: String(learner.id), connectionKey: "node-a/1/p1", at: t0)
            try await earlier.append(.statistics, roomID: room, userID: String(learner.id), connectionKey: "node-a/1/p1",
                                     at: t0 + 5, report: Self.report(seconds: 5, bytes: 5_000))
            // serve's own relay restarting meanwhile must not close a node's connection.
            try await AttendanceLedger(services: h.services).closeDangling()
            // The node restarts with one report unapplied (the database was away), then someone joins.
            let restarted = try AttendanceSpool(path: path, logger: Logger(label: "test"))
            try await restarted.append(.joined, roomID: room, userID: String(other.id), connectionKey: "node-a/2/p9", at: t0 + 30)
            await Self.drain(restarted, h)

            let rows = try await ParticipantStatistics.query(on: h.services.db).sort(\.$joinedAt).all()
            #expect(rows.count == 2)
            #expect(rows.first?.connectionKey == "node-a/1/p1")
            #expect(rows.first.flatMap(\.leftAt).map { abs($0.timeIntervalSince(t0 + 5)) < 0.01 } == true,
                    "the earlier run's connection ends where its last snapshot ended")
            #expect(rows.last?.connectionKey == "node-a/2/p9" && rows.last?.leftAt == nil, "this run's stays open")
        }
    }

    /// The usual crash: everything the node spooled had reached the database, so it restarts with an empty
    /// spool, and its open rows are closed all the same.
    @Test(arguments: TestBackend.all)
    func aNodeRestartingWithAnEmptySpoolClosesItsOpenRows(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let (learner, room) = try await Self.bookedRoom(h)
            let path = Self.path()
            let earlier = try AttendanceSpool(path: path, logger: Logger(label: "test"))
            try await earlier.append(.joined, roomID: room, userID: String(learner.id), connectionKey: "node-a/1/p1", at: h.clock.now)
            // The earlier run's drainer applies the join (and closes nothing of its own run), then the node dies.
            let (wakeUps, wake) = AsyncStream.makeStream(of: Void.self)
            let running = Task {
                await AttendanceSpoolDrainer(spool: earlier, ledger: AttendanceLedger(services: h.services), nodeID: "node-a",
                                             logger: Logger(label: "test")).run(wakeUps: wakeUps)
            }
            for _ in 0..<100 where await !earlier.waiting.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
            running.cancel()
            wake.finish()
            await running.value
            let open = { try await ParticipantStatistics.query(on: h.services.db).filter(\.$leftAt == nil).count() }
            #expect(try await open() == 1)
            await Self.drain(try AttendanceSpool(path: path, logger: Logger(label: "test")), h)
            #expect(try await open() == 0)
        }
    }
}
