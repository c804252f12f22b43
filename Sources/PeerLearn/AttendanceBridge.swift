import ControlPlane
import FluentKit
import Foundation
import Logging
import Relay

/// Turns the relay's events into the seed's attendance and statistics rows: `joined_at` and
/// present/late on join, `left_at` on leave, and one statistics row per connection, rewritten every
/// few seconds so a crash loses at most one interval. On start it closes what a crash left open.
struct AttendanceBridge: Sendable {
    let database: any Database
    let lateGrace: TimeInterval
    let logger: Logger

    /// Consumes events until the relay finishes (graceful shutdown emits a `left` for everyone first).
    func run(_ events: AsyncStream<RelayEvent>) async {
        var connections: [String: Connection] = [:]
        for await event in events {
            do {
                switch event {
                case .joined(let who):
                    let connection = try await joined(who)
                    connections[who.participantID] = connection
                case .statistics(let who, let statistics):
                    guard let connection = connections[who.participantID] else { continue }
                    try await persist(connection, statistics, leftAt: nil)
                case .left(let who, let statistics, _):
                    guard let connection = connections.removeValue(forKey: who.participantID) else { continue }
                    try await persist(connection, statistics, leftAt: Date())
                }
            } catch {
                logger.error("attendance: \(error)", metadata: ["event": "\(event)"])
            }
        }
    }

    struct Connection: Sendable {
        let sessionID: UUID
        let userID: Int64
        let joinedAt: Date
    }

    private func joined(_ who: ParticipantIdentity) async throws -> Connection? {
        guard let userID = Int64(who.userID),
            let session = try await LearningSession.query(on: database).filter(\.$meetingRoomID == who.roomID).first(),
            let sessionID = session.id
        else { return nil }
        let now = Date()
        if let booking = try await Booking.query(on: database).filter(\.$session.$id == sessionID)
            .filter(\.$learner.$id == userID).filter(\.$status == .confirmed).first()
        {
            if booking.joinedAt == nil {
                booking.joinedAt = now
                booking.attendanceStatus = now > session.schedule.addingTimeInterval(lateGrace) ? .late : .present
            }
            booking.leftAt = nil
            try await booking.save(on: database)
        }
        return Connection(sessionID: sessionID, userID: userID, joinedAt: now)
    }

    private func persist(_ connection: Connection?, _ statistics: Relay.ParticipantStatistics, leftAt: Date?) async throws {
        guard let connection else { return }
        try await database.transaction { tx in
            let row = try await ControlPlane.ParticipantStatistics.query(on: tx)
                .filter(\.$session.$id == connection.sessionID).filter(\.$user.$id == connection.userID)
                .filter(\.$joinedAt == connection.joinedAt).first() ?? ControlPlane.ParticipantStatistics()
            row.$session.id = connection.sessionID
            row.$user.id = connection.userID
            row.bytesIn = Int64(clamping: statistics.bytesIn)
            row.bytesOut = Int64(clamping: statistics.bytesOut)
            row.packetsIn = Int64(clamping: statistics.packetsIn)
            row.packetsOut = Int64(clamping: statistics.packetsOut)
            row.packetsLost = statistics.packetsLost
            let expected = Double(statistics.packetsIn) + Double(statistics.packetsLost)
            row.lossFraction = expected > 0 ? min(1, Double(statistics.packetsLost) / expected) : 0
            row.jitterMs = statistics.jitterMilliseconds
            row.secondsInRoom = statistics.secondsInRoom
            row.audioOnly = statistics.audioOnly
            row.joinedAt = connection.joinedAt
            row.leftAt = leftAt
            try await row.save(on: tx)
            if let leftAt {
                try await Booking.query(on: tx).filter(\.$session.$id == connection.sessionID)
                    .filter(\.$learner.$id == connection.userID).filter(\.$status == .confirmed)
                    .set(\.$leftAt, to: leftAt).update()
            }
            try await Self.aggregate(sessionID: connection.sessionID, on: tx)
        }
    }

    /// After a crash: connections with no `left_at` end where their last statistics snapshot ended.
    static func closeDangling(on database: any Database) async throws {
        let open = try await ControlPlane.ParticipantStatistics.query(on: database).filter(\.$leftAt == nil).all()
        for row in open {
            let end = (row.joinedAt ?? Date()).addingTimeInterval(row.secondsInRoom)
            row.leftAt = end
            try await row.save(on: database)
            try await Booking.query(on: database).filter(\.$session.$id == row.$session.id)
                .filter(\.$learner.$id == row.$user.id).filter(\.$leftAt == nil).filter(\.$joinedAt != nil)
                .set(\.$leftAt, to: end).update()
        }
    }

    /// Per-session totals, recomputed from the participant rows so the two always agree.
    static func aggregate(sessionID: UUID, on database: any Database) async throws {
        let rows = try await ControlPlane.ParticipantStatistics.query(on: database).filter(\.$session.$id == sessionID).all()
        guard !rows.isEmpty else { return }
        let totals = try await SessionStatistics.query(on: database).filter(\.$session.$id == sessionID).first()
            ?? SessionStatistics()
        totals.$session.id = sessionID
        totals.participantCount = Set(rows.map { $0.$user.id }).count
        totals.audioOnlyCount = Set(rows.filter(\.audioOnly).map { $0.$user.id }).count
        totals.bytesIn = rows.reduce(0) { $0 + $1.bytesIn }
        totals.bytesOut = rows.reduce(0) { $0 + $1.bytesOut }
        totals.packetsIn = rows.reduce(0) { $0 + $1.packetsIn }
        totals.packetsOut = rows.reduce(0) { $0 + $1.packetsOut }
        totals.packetsLost = rows.reduce(0) { $0 + $1.packetsLost }
        totals.averageLossFraction = rows.reduce(0) { $0 + $1.lossFraction } / Double(rows.count)
        totals.averageJitterMs = rows.reduce(0) { $0 + $1.jitterMs } / Double(rows.count)
        totals.totalSecondsInRoom = rows.reduce(0) { $0 + $1.secondsInRoom }
        try await totals.save(on: database)
    }
}
