import FluentKit
import Foundation

/// What is measured about a session, for reading: the relay's media statistics (its mentor's alone;
/// written by `StatisticsRecorder`) and the public popularity metrics (kept by `MetricsService`).
struct StatisticsService: Sendable {
    let services: ControlPlaneServices

    struct ParticipantView: Codable {
        var userId: Int64
        var bytesIn: Int64
        var bytesOut: Int64
        var packetsIn: Int64
        var packetsOut: Int64
        var packetsLost: Int64
        var lossFraction: Double
        var jitterMs: Double
        var secondsInRoom: Double
        var audioOnly: Bool
        var estimatedBitrate: Int64?
        var acknowledgedBitrate: Int64?
        var feedbackLossFraction: Double?
        var roundTripMs: Double?
    }

    struct View: Codable {
        var sessionId: UUID
        var participantCount: Int
        var audioOnlyCount: Int
        var bytesIn: Int64
        var bytesOut: Int64
        var packetsIn: Int64
        var packetsOut: Int64
        var packetsLost: Int64
        var averageLossFraction: Double
        var averageJitterMs: Double
        var totalSecondsInRoom: Double
        var participants: [ParticipantView]
    }

    /// The session's totals and one entry per connection; zeros before anyone connected.
    func statistics(sessionID: UUID, mentorID: Int64) async throws -> View {
        let db = services.db
        guard let session = try await LearningSession.find(sessionID, on: db) else { throw APIError.notFound("session") }
        guard session.$mentor.id == mentorID else { throw APIError.forbidden("only the session's mentor sees its statistics") }
        let rows = try await ParticipantStatistics.query(on: db).filter(\.$session.$id == sessionID).all()
        let totals = try await SessionStatistics.query(on: db).filter(\.$session.$id == sessionID).first()
        return View(
            sessionId: sessionID, participantCount: totals?.participantCount ?? 0,
            audioOnlyCount: totals?.audioOnlyCount ?? 0, bytesIn: totals?.bytesIn ?? 0,
            bytesOut: totals?.bytesOut ?? 0, packetsIn: totals?.packetsIn ?? 0, packetsOut: totals?.packetsOut ?? 0,
            packetsLost: totals?.packetsLost ?? 0, averageLossFraction: totals?.averageLossFraction ?? 0,
            averageJitterMs: totals?.averageJitterMs ?? 0, totalSecondsInRoom: totals?.totalSecondsInRoom ?? 0,
            participants: rows.map {
                ParticipantView(
                    userId: $0.$user.id, bytesIn: $0.bytesIn, bytesOut: $0.bytesOut, packetsIn: $0.packetsIn,
                    packetsOut: $0.packetsOut, packetsLost: $0.packetsLost, lossFraction: $0.lossFraction,
                    jitterMs: $0.jitterMs, secondsInRoom: $0.secondsInRoom, audioOnly: $0.audioOnly,
                    estimatedBitrate: $0.estimatedBitrate, acknowledgedBitrate: $0.acknowledgedBitrate,
                    feedbackLossFraction: $0.feedbackLossFraction, roundTripMs: $0.roundTripMs)
            })
    }

    /// The session's popularity metrics (every session has its row from birth).
    func popularity(sessionID: UUID) async throws -> PopularityMetrics {
        guard let metrics = try await PopularityMetrics.query(on: services.db)
            .filter(\.$session.$id == sessionID).first() else { throw APIError.notFound("session") }
        return metrics
    }
}
