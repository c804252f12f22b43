#if canImport(Glibc)
    import Glibc
#endif

/// When a datagram reached a viewer's socket, as the kernel stamped it, rather than when the tester got
/// round to reading it.
///
/// A viewer's transport-wide feedback tells the relay's delay-based estimator when each packet arrived.
/// All viewers share one event loop, so when that loop or the machine is busy a read comes milliseconds
/// after the arrival; read times would report the tester's own stalls as queueing on every link at once,
/// and the relay would back every learner off together (a CI run saw all 18 free learners of the
/// impairment lecture drop a layer in the same second). libwebrtc takes the kernel's stamp too (SO_TIMESTAMP
/// in its PhysicalSocket). NIO passes no timestamp control message on, so the stamp is asked for with
/// SIOCGSTAMPNS after each read: exact, because a viewer's channel reads one datagram per wakeup.
struct ArrivalStamp {
    /// SIOCGSTAMPNS (SIOCGSTAMPNS_OLD, which is the 64-bit `timespec` one on 64-bit Linux).
    private static let request: UInt = 0x8907
    /// An age beyond this is no queueing delay but a clock step: the read time stands.
    private static let maximumAge: Int64 = 1_000_000_000

    let descriptor: CInt

    /// Asking once turns stamping on for the socket (the kernel stamps from then on).
    init(descriptor: CInt) {
        self.descriptor = descriptor
        var stamp = timespec()
        _ = withUnsafeMutablePointer(to: &stamp) { ioctl(descriptor, Self.request, $0) }
    }

    /// Now, and the arrival of the datagram just read on the tester's clock (now when there is no stamp).
    func read() -> (now: ContinuousClock.Instant, arrival: ContinuousClock.Instant) {
        var stamp = timespec()
        let asked = withUnsafeMutablePointer(to: &stamp) { ioctl(descriptor, Self.request, $0) }
        let now = ContinuousClock.now
        return (now, asked == 0 ? Self.arrival(stamp: stamp, now: now) : now)
    }

    private static func arrival(stamp: timespec, now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        var wall = timespec()
        guard clock_gettime(CLOCK_REALTIME, &wall) == 0 else { return now }
        // The stamp is wall-clock time: its age now, taken next to `now`, places it on the tester's clock.
        let seconds = Int64(wall.tv_sec).subtractingReportingOverflow(Int64(stamp.tv_sec))
        guard !seconds.overflow, (0...1).contains(seconds.partialValue) else { return now }
        let age = seconds.partialValue * 1_000_000_000 + Int64(wall.tv_nsec) - Int64(stamp.tv_nsec)
        guard age > 0, age < maximumAge else { return now }
        return now - .nanoseconds(age)
    }
}
