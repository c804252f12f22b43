import Foundation
import PeerClient
import Testing

@testable import Relay

/// The relay tells signaling when it ends a connection by itself, so a room member whose browser went
/// quiet is not left looking published; ends that signaling asked for are not echoed back.
@Suite struct ConnectionEndedTests {
    static func roomEvents(_ engine: RelayEngine) -> [RoomEvent] {
        var events: [RoomEvent] = []
        while let event = engine.pollRoomEvent() { events.append(event) }
        return events.filter { if case .connectionEnded = $0 { true } else { false } }
    }

    @Test func aConnectionThatNeverConnectsIsReportedAsConnectFailed() throws {
        let harness = try RelayHarness { $0.connectTimeout = .seconds(2) }
        let host = try harness.engine.join(
            .init(roomID: "room-1", userID: "mentor", role: .host, intent: .publish,
                  offer: try PeerClient().makeOffer(audio: .sendonly, video: .sendonly)), now: .now)
        var output = CollectingOutput()
        harness.engine.handleTimeout(now: .now + .seconds(3), output: &output)
        #expect(Self.roomEvents(harness.engine) == [
            .connectionEnded(roomID: "room-1", participantID: host.participantID, reason: .connectFailed)
        ])
    }

    @Test func aSubscribeConnectionWhoseOfferIsNeverAnsweredEndsAtTheConnectTimeout() throws {
        let harness = try RelayHarness { $0.connectTimeout = .seconds(2) }
        let start = ContinuousClock.now
        let opened = try harness.engine.openSubscription(.init(roomID: "room-1", userID: "learner", role: .participant), now: start)
        _ = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly)
        #expect(harness.engine.refreshSubscription(participantID: opened.participantID, now: start) != nil)
        var output = CollectingOutput()
        harness.engine.handleTimeout(now: start + .seconds(1), output: &output)
        #expect(Self.roomEvents(harness.engine).isEmpty, "still within the connect timeout")
        harness.engine.handleTimeout(now: start + .seconds(3), output: &output)
        #expect(Self.roomEvents(harness.engine).contains(
            .connectionEnded(roomID: "room-1", participantID: opened.participantID, reason: .connectFailed)))
    }

    @Test func aConnectedPeerThatGoesQuietIsReportedAsConsentExpired() throws {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        let viewer = try harness.join(user: "learner", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        harness.pump()
        #expect(host.peer.isConnected && viewer.peer.isConnected)
        #expect(Self.roomEvents(harness.engine).isEmpty)

        // Signaling's own leave is not reported back; the viewer's silence past consent is.
        var output = CollectingOutput()
        try harness.engine.leave(participantID: host.participantID, now: .now, output: &output)
        #expect(Self.roomEvents(harness.engine).isEmpty)
        harness.engine.handleTimeout(now: .now + harness.engine.configuration.consentTimeout + .seconds(1), output: &output)
        #expect(Self.roomEvents(harness.engine) == [
            .connectionEnded(roomID: "room-1", participantID: viewer.participantID, reason: .consentExpired)
        ])
    }
}

/// A join signaling admitted just before the session ended must not land in the closed room.
@Suite struct ClosedRoomTests {
    @Test func aJoinReachingTheWorkerAfterTheRoomClosedIsRefused() throws {
        let harness = try RelayHarness()
        _ = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly)
        var output = CollectingOutput()
        harness.engine.closeRoom("room-1", now: .now, output: &output)
        harness.engine.closeRoom("room-never-held", now: .now, output: &output)
        #expect(throws: RelayError.roomClosed) {
            _ = try harness.join(user: "learner", intent: .subscribe(userID: nil), audio: .recvonly)
        }
        #expect(throws: RelayError.roomClosed) {
            _ = try harness.join(user: "late", intent: .publish, audio: .sendonly, room: "room-never-held")
        }
        #expect(throws: RelayError.roomClosed) {
            _ = try harness.engine.openSubscription(.init(roomID: "room-1", userID: "l", role: .participant), now: .now)
        }
        // Other rooms are untouched.
        _ = try harness.join(user: "other", intent: .publish, audio: .sendonly, room: "room-2")
    }
}
