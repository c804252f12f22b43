import FluentKit
import FluentSQL
import Foundation

/// Attendance as the relay observes it (the seed's BOOKINGS `joined_at`, `left_at`,
/// `attendance_status`): a learner has joined when their media connection is up, not when they ask
/// for a token. Statistics go through `StatisticsRecorder`, one row per connection.
public struct AttendanceLedger: Sendable {
    let services: ControlPlaneServices

    public init(services: ControlPlaneServices) {
        self.services = services
    }

    /// One media connection of one user in one session.
    public struct Connection: Sendable, Hashable {
        public let sessionID: UUID
        public let userID: Int64
        public let joinedAt: Date
        /// Its `participant_statistics` row, written with the join.
        public let rowID: Int64?
    }

    /// Records a join: the first one sets `joined_at` and `present`, or `late` after `lateGraceSeconds`
    /// past the start; a rejoin clears `left_at`. Nil for a room or user the control plane doesn't know.
    ///
    /// The connection's statistics row (zero counters, no `left_at`) is inserted in the same transaction,
    /// so from the moment the join is committed there is an open row for crash recovery to close: a
    /// process killed before the first 5-s snapshot no longer leaves the booking's `left_at` NULL forever.
    ///
    /// A relay node passes `at` (when it saw the join) and `node`: its id and its key for the connection. A
    /// join whose key is already recorded (a node replaying its spool after a restart) returns that row.
    public func joined(
        roomID: String, userID: String, at: Date? = nil, node: (id: String, connectionKey: String)? = nil
    ) async throws -> Connection? {
        let db = services.database.db
        guard let userID = Int64(userID),
            let session = try await LearningSession.query(on: db).filter(\.$meetingRoomID == roomID).first(),
            let sessionID = session.id
        else { return nil }
        if let node, let row = try await ParticipantStatistics.query(on: db).filter(\.$connectionKey == node.connectionKey).first() {
            return Connection(sessionID: sessionID, userID: userID, joinedAt: row.joinedAt ?? at ?? services.now(), rowID: row.id)
        }
        // The mentor's first connection opens a scheduled session (the room is open from the join window;
        // the session is active once its host is there). Learners are told it started.
        if session.status == .scheduled, session.$mentor.id == userID {
            try await SessionLifecycle(services: services).applyAutomatically(.start, sessionID: sessionID, because: "the mentor connected")
        }
        let now = at ?? services.now()
        let lateAfter = session.schedule.addingTimeInterval(TimeInterval(services.configuration.lateGraceSeconds))
        let rowID = try await db.transaction { tx -> Int64? in
            if let booking = try await Booking.query(on: tx).filter(\.$session.$id == sessionID)
                .filter(\.$learner.$id == userID).filter(\.$status == .confirmed).first()
            {
                if booking.joinedAt == nil {
                    booking.joinedAt = now
                    booking.attendanceStatus = now > lateAfter ? .late : .present
                }
                booking.leftAt = nil
                try await booking.save(on: tx)
            }
            guard try await User.find(userID, on: tx) != nil else { return nil }
            let row = ParticipantStatistics()
            row.$session.id = sessionID
            row.$user.id = userID
            row.bytesIn = 0
            row.bytesOut = 0
            row.packetsIn = 0
            row.packetsOut = 0
            row.packetsLost = 0
            row.lossFraction = 0
            row.jitterMs = 0
            row.secondsInRoom = 0
            row.audioOnly = false
            row.joinedAt = now
            row.leftAt = nil
            row.nodeID = node?.id
            row.connectionKey = node?.connectionKey
            try await row.create(on: tx)
            return row.id
        }
        return Connection(sessionID: sessionID, userID: userID, joinedAt: now, rowID: rowID)
    }

    /// Whether the database answers a trivial query now (an outage, as opposed to a refused write).
    public func databaseAnswers() async -> Bool {
        (try? await services.database.db.sql.raw("SELECT 1 AS one").first()) != nil
    }

    /// Saves a connection's statistics; with `left`, also its departure (`left_at`: `at`, or now).
    public func record(_ connection: Connection, _ report: ParticipantStatisticsReport, left: Bool, at: Date? = nil) async throws {
        var report = report
        report.userID = connection.userID
        report.joinedAt = connection.joinedAt
        report.leftAt = left ? at ?? services.now() : nil
        try await StatisticsRecorder(database: services.database)
            .record(sessionID: connection.sessionID, report, rowID: connection.rowID)
    }

    /// After a crash of the relay `nodeID` (nil: `serve`'s own), at its start-up before it admits anyone, so
    /// every open row of that relay is dangling:
    /// - a connection's statistics row ends where its last snapshot ended (`joined_at + seconds_in_room`).
    ///   A row that never got a snapshot has `seconds_in_room` 0 and so closes at its join time: the
    ///   relay's 5-s snapshot is the only heartbeat there is, and nothing later than the join is known;
    /// - every booking joined and not left whose learner has no open row left (on another node) is closed
    ///   too, at the latest end among that learner's rows in the session, or at its join time when it has
    ///   none (a join recorded by an older version).
    ///
    /// With `endingAt` (a relay node that went silent: its last heartbeat), rows close then instead, or at
    /// their join if that was later.
    public func closeDangling(nodeID: String? = nil, endingAt: Date? = nil) async throws {
        let db = services.database.db
        var query = ParticipantStatistics.query(on: db).filter(\.$leftAt == nil)
        query = nodeID.map { query.filter(\.$nodeID == $0) } ?? query.filter(\.$nodeID == nil)
        let open = try await query.all()
        for row in open {
            let joinedAt = row.joinedAt ?? services.now()
            row.leftAt = endingAt.map { max($0, joinedAt) } ?? joinedAt.addingTimeInterval(row.secondsInRoom)
            try await row.save(on: db)
        }
        let bookings = try await Booking.query(on: db).filter(\.$joinedAt != nil).filter(\.$leftAt == nil).all()
        var closedSessions = Set(open.map { $0.$session.id })
        for booking in bookings {
            guard let joinedAt = booking.joinedAt else { continue }
            let rows = try await ParticipantStatistics.query(on: db).filter(\.$session.$id == booking.$session.id)
                .filter(\.$user.$id == booking.$learner.id).all()
            guard rows.allSatisfy({ $0.leftAt != nil }) else { continue }  // still connected through a live relay
            booking.leftAt = max(joinedAt, rows.compactMap(\.leftAt).max() ?? joinedAt)
            try await booking.save(on: db)
            closedSessions.insert(booking.$session.id)
        }
        for sessionID in closedSessions {
            try await StatisticsRecorder.aggregate(sessionID: sessionID, on: db)
        }
    }
}
