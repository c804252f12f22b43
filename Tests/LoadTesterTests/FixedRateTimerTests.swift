import NIOCore
import Testing

@testable import LoadTester

/// A camera's clock ticks at a fixed rate whatever each frame takes to encode.
struct FixedRateTimerTests {
    let interval = TimeAmount.milliseconds(33)
    let due = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test func aRunThatTookPartOfAnIntervalDoesNotDelayTheNext() {
        // Encoding took 3 ms: the next frame is still one interval after this one was due, not 33 ms after it ended.
        let next = FixedRateTimer.next(after: due, interval: interval, now: due + .milliseconds(3))
        #expect(next == due + interval)
    }

    @Test func aLoopThatCannotKeepUpWaitsAWholeIntervalAfterTheLateRun() {
        // The run ended after the next was due: the tester is overloaded, and runs back to back would starve
        // the loop's handshakes. It slows down instead.
        let now = due + .milliseconds(40)
        #expect(FixedRateTimer.next(after: due, interval: interval, now: now) == now + interval)
    }
}
