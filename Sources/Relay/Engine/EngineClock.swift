/// The engine's notion of time, injected: monotonic instants from the caller, mapped to the wall
/// clock's NTP timestamps (for sender reports) from one reference taken at start-up. The engine never
/// reads a clock itself, so tests drive it with any instants they like.
///
/// The hot path works in integer nanoseconds since `start`. `ContinuousClock.Instant` is not a frozen
/// type (the _Concurrency module keeps its layout private), so every copy of one is a value-witness call
/// and every conversion 128-bit arithmetic; a datagram's handling asks for the same instant once per
/// consumer, so the last conversion is kept.
final class EngineClock {
    let start: ContinuousClock.Instant
    /// The wall clock as a 64-bit NTP timestamp at `start`.
    let ntpAtStart: UInt64
    /// The memo, unchecked for exclusive access at run time: only `nanoseconds(since:)` touches it.
    @exclusivity(unchecked) private var lastInstant: ContinuousClock.Instant
    @exclusivity(unchecked) private var lastNanoseconds: Int64 = 0

    init(start: ContinuousClock.Instant, ntpAtStart: UInt64) {
        self.start = start
        self.ntpAtStart = ntpAtStart
        lastInstant = start
    }

    func nanoseconds(since now: ContinuousClock.Instant) -> Int64 {
        if now == lastInstant { return lastNanoseconds }
        lastNanoseconds = Self.nanoseconds(of: now - start)
        lastInstant = now
        return lastNanoseconds
    }

    static func nanoseconds(of duration: Duration) -> Int64 {
        duration.components.seconds &* 1_000_000_000 &+ duration.components.attoseconds / 1_000_000_000
    }

    /// The instant `nanoseconds` after start: the inverse of `nanoseconds(since:)`, for deadlines kept as
    /// integers by the feedback machines.
    func instant(_ nanoseconds: Int64) -> ContinuousClock.Instant {
        start + .nanoseconds(nanoseconds)
    }

    /// `instant` moved to the nearest multiple of `grid` after start (at most half a grid either way).
    /// Periodic work whose exact phase does not matter (reports, statistics) lands on shared instants this
    /// way, so one wake-up and one `sendmmsg` serve every participant due there instead of one each. The
    /// nearest rather than the next: a timer that fires a little late must not stretch the period by a grid.
    func aligned(_ instant: ContinuousClock.Instant, to grid: Duration) -> ContinuousClock.Instant {
        let step = Self.nanoseconds(of: grid)
        let nanoseconds = nanoseconds(since: instant)
        guard step > 0, nanoseconds > 0 else { return instant }
        let remainder = nanoseconds % step
        return self.instant(remainder < (step + 1) / 2 ? nanoseconds - remainder : nanoseconds - remainder + step)
    }

    func ntp(_ now: ContinuousClock.Instant) -> UInt64 {
        let nanos = UInt64(max(0, nanoseconds(since: now)))
        let seconds = nanos / 1_000_000_000
        let fraction = ((nanos % 1_000_000_000) << 32) / 1_000_000_000
        return ntpAtStart &+ (seconds << 32) &+ fraction
    }

    /// RFC 3550 §6.4.1: RTT = A - LSR - DLSR in 1/65536 s; nil when the report is not plausible.
    func roundTrip(lastSenderReport: UInt32, delay: UInt32, now: ContinuousClock.Instant) -> Duration? {
        let arrival = UInt32(truncatingIfNeeded: ntp(now) >> 16)
        let rtt = arrival &- lastSenderReport &- delay
        guard rtt < 10 * 65_536 else { return nil }
        return .nanoseconds(Int64(rtt) * 1_000_000_000 / 65_536)
    }
}
