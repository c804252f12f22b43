import RTP
import SDP
import STUN
import Testing

@testable import Relay

/// The engine tells the edge when it next needs the clock, instead of being swept every few milliseconds.
@Suite struct TimerTests {
    @Test func anIdleEngineNeedsNoTimer() throws {
        let harness = try RelayHarness()
        #expect(harness.engine.pollTimeout() == nil)
    }

    @Test func aConnectedRoomWakesForReportsAndNothingRunsBeforeIt() throws {
        let harness = try RelayHarness()
        _ = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        _ = try harness.join(user: "learner", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        harness.pump()
        let start = ContinuousClock.now
        let deadline = try #require(harness.engine.pollTimeout())
        #expect(deadline <= start + .seconds(1) + .milliseconds(600))
        var output = CollectingOutput()
        // Before the deadline, nothing is due and nothing is sent.
        harness.engine.handleTimeout(now: deadline - .milliseconds(1), output: &output)
        #expect(output.datagrams.isEmpty)
        // Over the next seconds the host gets its receiver report once a second (no media flowed, so the
        // learner has no sender report due, and its keyframe request went out when it connected).
        for second in 1...3 {
            harness.engine.handleTimeout(now: start + .seconds(second) + .milliseconds(500), output: &output)
        }
        #expect(output.datagrams.count >= 3)
        #expect(try #require(harness.engine.pollTimeout()) > start + .seconds(3))
    }

    /// Reports fall due on a shared 100 ms grid, so a room's participants share the timer's wake-ups
    /// (and one `sendmmsg`), and a timer that fires late does not stretch the report interval.
    @Test func reportsFallDueTogetherOnAGrid() throws {
        let harness = try RelayHarness()
        _ = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        for index in 0..<3 {
            _ = try harness.join(user: "learner-\(index)", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        }
        harness.pump()
        let participants = Array(harness.engine.router.participants.values)
        #expect(participants.count == 4)
        // Four phases 10 ms apart, from a whole second of the engine's clock on.
        let clock = harness.engine.clock
        let origin = clock.aligned(ContinuousClock.now + .seconds(2), to: .seconds(1))
        for (index, participant) in participants.enumerated() {
            participant.nextReportAt = origin + .milliseconds(10 * index)
            harness.engine.schedule(participant)
        }
        var output = CollectingOutput()
        var wakeUps: [ContinuousClock.Instant] = []
        var lastReport: [ObjectIdentifier: ContinuousClock.Instant] = [:]
        var intervals: [Duration] = []
        // A timer that fires up to 7 ms late, for two and a half report intervals.
        var now = origin - .milliseconds(100)
        while now < origin + .milliseconds(2_500) {
            now += .milliseconds(7)
            let before = participants.map(\.nextReportAt)
            harness.engine.handleTimeout(now: now, output: &output)
            let reported = zip(participants, before).filter { $0.nextReportAt != $1 }.map(\.0)
            if !reported.isEmpty { wakeUps.append(now) }
            for participant in reported {
                if let last = lastReport[ObjectIdentifier(participant)] { intervals.append(now - last) }
                lastReport[ObjectIdentifier(participant)] = now
            }
        }
        // The first round wakes once per phase; after it, one wake-up serves all four.
        #expect(wakeUps.filter { $0 < origin + .milliseconds(500) }.count == 4)
        #expect(wakeUps.filter { $0 >= origin + .milliseconds(500) }.count == 2)
        for participant in participants {
            #expect(clock.nanoseconds(since: participant.nextReportAt) % 100_000_000 == 0, "on the grid")
        }
        #expect(intervals.count == 8)
        for interval in intervals { #expect(interval > .milliseconds(950) && interval < .milliseconds(1_050)) }
    }

    /// Two publishers whose packets arrive 7 ms apart in phase get their transport-wide feedback in the
    /// same wake-ups, on the 50 ms grid, instead of one wake-up each.
    @Test func publishersShareTheirFeedbackWakeUps() throws {
        let harness = try RelayHarness { $0.transportFeedbackToPublishers = true }
        let transportCC = HeaderExtensionIDs.transportWideCCURI
        let first = try harness.join(
            user: "mentor", role: .host, intent: .publish, audio: .sendonly, offerExtensions: [transportCC: 3])
        let second = try harness.join(
            user: "learner", intent: .publish, audio: .sendonly, offerExtensions: [transportCC: 3])
        harness.pump()
        try #require(first.peer.isConnected && second.peer.isConnected)
        let clock = harness.engine.clock
        let origin = clock.aligned(ContinuousClock.now + .seconds(1), to: .seconds(1))
        // Only feedback goes to the publishers in these 800 ms: their reports are put off.
        for publisher in [first, second] {
            try #require(harness.engine.router.participant(id: publisher.participantID)).nextReportAt = origin + .seconds(10)
        }
        var feedbackAt: [TransportAddress: [Int]] = [:]
        var sequence: UInt16 = 0
        for millisecond in 0..<800 {
            let now = origin + .milliseconds(millisecond)
            for (publisher, phase) in [(first, 0), (second, 7)] where millisecond % 20 == phase {
                let packet = try RTPHeaderBuilder(
                    payloadType: 111, sequenceNumber: sequence, timestamp: UInt32(sequence) * 960,
                    ssrc: publisher.peer.audioSSRC, extensions: [RTPHeaderExtension(id: 3, value: [0, UInt8(truncatingIfNeeded: sequence)])]
                ).packet(payload: [1])
                harness.deliverToRelay(try publisher.peer.protectRTP(packet), from: publisher.address, at: now)
            }
            if millisecond % 20 == 7 { sequence &+= 1 }
            var output = CollectingOutput()
            harness.engine.handleTimeout(now: now, output: &output)
            for (_, destination) in output.datagrams { feedbackAt[destination, default: []].append(millisecond) }
        }
        let toFirst = (feedbackAt[first.address] ?? []).filter { $0 >= 200 }
        let toSecond = (feedbackAt[second.address] ?? []).filter { $0 >= 200 }
        #expect(toFirst.count >= 5, "every 100 ms")
        #expect(toFirst == toSecond, "the same wake-ups")
        #expect(toFirst.allSatisfy { $0 % 50 == 0 }, "on the grid: \(toFirst)")
    }

    @Test func alignmentRoundsToTheNearestGridInstant() {
        let start = ContinuousClock.now
        let clock = EngineClock(start: start, ntpAtStart: 0)
        let grid = Duration.milliseconds(100)
        #expect(clock.aligned(start + .milliseconds(1_049), to: grid) == start + .milliseconds(1_000))
        #expect(clock.aligned(start + .milliseconds(1_050), to: grid) == start + .milliseconds(1_100))
        #expect(clock.aligned(start + .milliseconds(1_200), to: grid) == start + .milliseconds(1_200))
        #expect(clock.aligned(start + .milliseconds(1_234), to: .zero) == start + .milliseconds(1_234))
        #expect(clock.aligned(start - .seconds(1), to: grid) == start - .seconds(1))
    }

    @Test func theQueueOrdersDeadlinesAndSkipsNothingDue() {
        var queue = DeadlineQueue()
        let now = ContinuousClock.now
        for offset in [5, 1, 4, 2, 3] { queue.push(now + .seconds(offset), id: "p\(offset)") }
        #expect(queue.popDue(now: now) == nil)
        var order: [String] = []
        while let due = queue.popDue(now: now + .seconds(10)) { order.append(due.id) }
        #expect(order == ["p1", "p2", "p3", "p4", "p5"])
    }
}

/// A deadline that stays due (here a keyframe request for a publisher without a nominated pair) must not
/// make `handleTimeout` spin: that would stall the worker's event loop and every room on it.
@Suite struct TimerSpinTests {
    @Test func aDeadlineThatStaysDueDoesNotSpin() throws {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        harness.pump()
        let publisher = try #require(harness.engine.router.participant(id: host.participantID))
        publisher.transport.forgetNomination()
        _ = try harness.join(user: "learner", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        var output = CollectingOutput()
        let start = ContinuousClock.now
        for step in 1...20 { harness.engine.handleTimeout(now: start + .milliseconds(100 * step), output: &output) }
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(harness.engine.timers.count < 1_000)
    }
}
