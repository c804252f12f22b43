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
