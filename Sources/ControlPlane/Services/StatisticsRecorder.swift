import FluentKit
import Foundation

/// One participant's media totals as the relay measured them.
public struct ParticipantStatisticsReport: Sendable, Equatable, Codable {
    public var userID: Int64
    public var bytesIn: Int64
    public var bytesOut: Int64
    public var packetsIn: Int64
    public var packetsOut: Int64
    public var packetsLost: Int64
    public var lossFraction: Double
    public var jitterMs: Double
    public var secondsInRoom: Double
    public var audioOnly: Bool
    /// The relay's send-side estimate toward this connection and its inputs (bits/s, 0...1, ms); nil when
    /// the connection gave no transport-cc feedback (it only published, or did not negotiate it).
    public var estimatedBitrate: Int64?
    public var acknowledgedBitrate: Int64?
    public var feedbackLossFraction: Double?
    public var roundTripMs: Double?
    public var joinedAt: Date?
    public var leftAt: Date?

    public init(userID: Int64, bytesIn: Int64, bytesOut: Int64, packetsIn: Int64, packetsOut: Int64,
                packetsLost: Int64, lossFraction: Double, jitterMs: Double, secondsInRoom: Double,
                audioOnly: Bool, estimatedBitrate: Int64? = nil, acknowledgedBitrate: Int64? = nil,
                feedbackLossFraction: Double? = nil, roundTripMs: Double? = nil, joinedAt: Date? = nil,
                leftAt: Date? = nil) {
        self.userID = userID
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.packetsIn = packetsIn
        self.packetsOut = packetsOut
        self.packetsLost = packetsLost
        self.lossFraction = lossFraction
        self.jitterMs = jitterMs
        self.secondsInRoom = secondsInRoom
        self.audioOnly = audioOnly
        self.estimatedBitrate = estimatedBitrate
        self.acknowledgedBitrate = acknowledgedBitrate
        self.feedbackLossFraction = feedbackLossFraction
        self.roundTripMs = roundTripMs
        self.joinedAt = joinedAt
        self.leftAt = leftAt
    }
}

/// Persists session statistics (the seed's "System saves session statistics"). The relay runs in the same
/// process and calls this directly when a participant leaves; the per-session totals are re-aggregated from
/// the participant rows in the same transaction, so they always agree.
public struct StatisticsRecorder: Sendable {
    let database: PeerLearnDatabase

    public init(database: PeerLearnDatabase) {
        self.database = database
    }

    public enum RecordError: Error, Equatable { case unknownSession, invalidReport(String) }

    /// Writes one connection's row: the row `rowID` when the join created it (`AttendanceLedger.joined`),
    /// else the row of the same user and `joinedAt`, else a new one.
    public func record(sessionID: UUID, _ report: ParticipantStatisticsReport, rowID: Int64? = nil) async throws {
        guard [report.bytesIn, report.bytesOut, report.packetsIn, report.packetsOut, report.packetsLost].allSatisfy({ $0 >= 0 }),
              (0...1).contains(report.lossFraction), report.jitterMs >= 0, report.secondsInRoom >= 0
        else { throw RecordError.invalidReport("counters must be >= 0 and loss within 0...1") }
        guard [report.estimatedBitrate, report.acknowledgedBitrate].allSatisfy({ ($0 ?? 0) >= 0 }),
              report.feedbackLossFraction.map({ (0...1).contains($0) }) ?? true,
              report.roundTripMs.map({ $0 >= 0 && $0.isFinite }) ?? true
        else { throw RecordError.invalidReport("bitrates and round trip must be >= 0 and feedback loss within 0...1") }
        let db = database.db
        guard try await LearningSession.find(sessionID, on: db) != nil else { throw RecordError.unknownSession }
        try await db.transaction { tx in
            // One row per connection: a periodic snapshot of the same connection (same joined_at) rewrites it.
            var existing: ParticipantStatistics?
            if let rowID {
                existing = try await ParticipantStatistics.query(on: tx).filter(\.$id == rowID)
                    .filter(\.$session.$id == sessionID).filter(\.$user.$id == report.userID).first()
            }
            if existing == nil, let joinedAt = report.joinedAt {
                existing = try await ParticipantStatistics.query(on: tx).filter(\.$session.$id == sessionID)
                    .filter(\.$user.$id == report.userID).filter(\.$joinedAt == joinedAt).first()
            }
            let row = existing ?? ParticipantStatistics()
            row.$session.id = sessionID
            row.$user.id = report.userID
            row.bytesIn = report.bytesIn
            row.bytesOut = report.bytesOut
            row.packetsIn = report.packetsIn
            row.packetsOut = report.packetsOut
            row.packetsLost = report.packetsLost
            row.lossFraction = report.lossFraction
            row.jitterMs = report.jitterMs
            row.secondsInRoom = report.secondsInRoom
            row.audioOnly = report.audioOnly
            row.estimatedBitrate = report.estimatedBitrate
            row.acknowledgedBitrate = report.acknowledgedBitrate
            row.feedbackLossFraction = report.feedbackLossFraction
            row.roundTripMs = report.roundTripMs
            row.joinedAt = report.joinedAt
            row.leftAt = report.leftAt
            try await row.save(on: tx)
            if let left = report.leftAt {
                try await Booking.query(on: tx).filter(\.$session.$id == sessionID).filter(\.$learner.$id == report.userID)
                    .filter(\.$status ~~ [.confirmed, .completed]).set(\.$leftAt, to: left).update()
            }

            // Totals re-read every row of the session, so periodic snapshots (no left_at) skip them:
            // with N participants that would be O(N²) work every interval. A departure, or crash
            // recovery, brings the totals up to date.
            if report.leftAt != nil { try await Self.aggregate(sessionID: sessionID, on: tx) }
        }
    }

    /// Per-session totals, recomputed from the participant rows so the two always agree.
    static func aggregate(sessionID: UUID, on db: any Database) async throws {
        let rows = try await ParticipantStatistics.query(on: db).filter(\.$session.$id == sessionID).all()
        guard !rows.isEmpty else { return }
        let totals = try await SessionStatistics.query(on: db).filter(\.$session.$id == sessionID).first() ?? {
            let fresh = SessionStatistics()
            fresh.$session.id = sessionID
            return fresh
        }()
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
        try await totals.save(on: db)
    }
}
