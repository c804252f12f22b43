import NIOCore

/// Runs a task every `interval` on one event loop at a fixed rate, as a browser's capturer and audio
/// device tick. NIO's repeated tasks wait their delay after each run ends, so a frame that takes 3 ms to
/// encode stretched a 30 fps clock to 28 (and 60 fps to 50). Confined to its loop: made, run and
/// cancelled there. Each publisher's result says the rate it reached (`sentFramesPerSecond`).
final class FixedRateTimer: @unchecked Sendable {
    private let loop: any EventLoop
    private let interval: TimeAmount
    private let body: () -> Void
    private var due: NIODeadline
    private var scheduled: Scheduled<Void>?
    private var cancelled = false

    init(on loop: any EventLoop, interval: TimeAmount, _ body: @escaping () -> Void) {
        self.loop = loop
        self.interval = interval
        self.body = body
        due = .now() + interval
        schedule()
    }

    func cancel() {
        cancelled = true
        scheduled?.cancel()
    }

    /// The next run after one due at `due` that ended at `now`: one interval on while the loop keeps up. A run
    /// that ended after its successor was due means the loop cannot keep up (16 publishers encoding on one
    /// core): the next waits a whole interval from now, as NIO's repeat did, so the loop keeps time for
    /// handshakes and the rate drops instead of the runs going back to back.
    static func next(after due: NIODeadline, interval: TimeAmount, now: NIODeadline) -> NIODeadline {
        let next = due + interval
        return next < now ? now + interval : next
    }

    private func schedule() {
        scheduled = loop.scheduleTask(deadline: due) { [self] in
            guard !cancelled else { return }
            body()
            due = Self.next(after: due, interval: interval, now: .now())
            schedule()
        }
    }
}
