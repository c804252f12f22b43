import ControlPlane
import Foundation
import Testing

/// Session statistics written by the relay (the seed's "System saves session statistics").
@Suite struct StatisticsTests {
    @Test(arguments: TestBackend.all)
    func participantRecordsAggregateIntoSessionTotals(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor)
            _ = try await h.book(id, learner: learner)
            let recorder = StatisticsRecorder(database: h.services.database)
            let sessionID = try #require(UUID(uuidString: id))
            let left = h.clock.now
            try await recorder.record(sessionID: sessionID, ParticipantStatisticsReport(
                userID: mentor.id, bytesIn: 1000, bytesOut: 5000, packetsIn: 10, packetsOut: 50, packetsLost: 1,
                lossFraction: 0.1, jitterMs: 4, secondsInRoom: 600, audioOnly: false))
            try await recorder.record(sessionID: sessionID, ParticipantStatisticsReport(
                userID: learner.id, bytesIn: 3000, bytesOut: 500, packetsIn: 30, packetsOut: 5, packetsLost: 0,
                lossFraction: 0.0, jitterMs: 8, secondsInRoom: 300, audioOnly: true, estimatedBitrate: 480_000,
                acknowledgedBitrate: 455_000, feedbackLossFraction: 0.02, roundTripMs: 41.5, leftAt: left))

            let stats = try await h.call(.get, "/api/sessions/\(id)/statistics", token: mentor.token)
            #expect(stats.status == .ok)
            #expect(stats["participant_count"] as? Int == 2)
            #expect(stats["audio_only_count"] as? Int == 1)
            #expect((stats["bytes_in"] as? NSNumber)?.int64Value == 4000)
            #expect((stats["bytes_out"] as? NSNumber)?.int64Value == 5500)
            #expect((stats["packets_lost"] as? NSNumber)?.int64Value == 1)
            #expect(abs(((stats["average_loss_fraction"] as? NSNumber)?.doubleValue ?? 0) - 0.05) < 1e-9)
            #expect((stats["average_jitter_ms"] as? NSNumber)?.doubleValue == 6)
            #expect((stats["total_seconds_in_room"] as? NSNumber)?.doubleValue == 900)
            #expect((stats["participants"] as? [Any])?.count == 2)
            // The relay's bandwidth estimate toward the learner and its inputs are kept; the mentor had none.
            let rows = (stats["participants"] as? [[String: Any]]) ?? []
            let learnerRow = rows.first { ($0["user_id"] as? NSNumber)?.int64Value == learner.id }
            let mentorRow = rows.first { ($0["user_id"] as? NSNumber)?.int64Value == mentor.id }
            #expect((learnerRow?["estimated_bitrate"] as? NSNumber)?.int64Value == 480_000)
            #expect((learnerRow?["acknowledged_bitrate"] as? NSNumber)?.int64Value == 455_000)
            #expect((learnerRow?["feedback_loss_fraction"] as? NSNumber)?.doubleValue == 0.02)
            #expect((learnerRow?["round_trip_ms"] as? NSNumber)?.doubleValue == 41.5)
            #expect(mentorRow?["estimated_bitrate"] == nil || mentorRow?["estimated_bitrate"] is NSNull)
            #expect(try await h.call(.get, "/api/sessions/\(id)/statistics", token: learner.token).status == .forbidden)
            let booking = try await h.call(.get, "/api/bookings", token: learner.token).array.first
            #expect(booking?["left_at"] is String, "leaving is recorded on the booking")

            await #expect(throws: StatisticsRecorder.RecordError.self) {
                try await recorder.record(sessionID: sessionID, ParticipantStatisticsReport(
                    userID: learner.id, bytesIn: -1, bytesOut: 0, packetsIn: 0, packetsOut: 0, packetsLost: 0,
                    lossFraction: 0, jitterMs: 0, secondsInRoom: 0, audioOnly: false))
            }
            await #expect(throws: StatisticsRecorder.RecordError.self) {
                try await recorder.record(sessionID: sessionID, ParticipantStatisticsReport(
                    userID: learner.id, bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0, packetsLost: 0,
                    lossFraction: 0, jitterMs: 0, secondsInRoom: 0, audioOnly: false, feedbackLossFraction: 1.5))
            }
            await #expect(throws: StatisticsRecorder.RecordError.unknownSession) {
                try await recorder.record(sessionID: UUID(), ParticipantStatisticsReport(
                    userID: learner.id, bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0, packetsLost: 0,
                    lossFraction: 0, jitterMs: 0, secondsInRoom: 0, audioOnly: false))
            }
        }
    }
}
