import FluentKit
import Foundation
import Hummingbird

/// `GET /api/sessions/{id}/statistics`: the relay's measurements, for the session's mentor.
struct StatisticsRoutes: Sendable {
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

    func register(on api: RouterGroup<AppRequestContext>) {
        api.get("sessions/:id/statistics") { _, context in
            let caller = try context.requireCaller()
            let sessionID = try SessionRoutes.sessionID(context)
            let db = self.services.db
            guard let session = try await LearningSession.find(sessionID, on: db) else { throw APIError.notFound("session") }
            guard session.$mentor.id == caller.id else { throw APIError.forbidden("only the session's mentor sees its statistics") }
            let rows = try await ParticipantStatistics.query(on: db).filter(\.$session.$id == sessionID).all()
            let totals = try await SessionStatistics.query(on: db).filter(\.$session.$id == sessionID).first()
            return try BookingRoutes.jsonResponse(View(
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
                }))
        }
    }
}
