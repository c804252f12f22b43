/// Where a PLI or FIR ends up: every subscriber's request for a keyframe of one producer is merged
/// into at most one PLI to the publisher per interval. A request inside the interval is remembered and
/// sent when it ends, so a late joiner still gets its keyframe without the publisher being flooded.
struct KeyFrameRequests {
    private(set) var lastSent: ContinuousClock.Instant?
    /// Since when a remembered request waits.
    private(set) var pendingSince: ContinuousClock.Instant?

    enum Decision: Equatable { case send, wait }

    var pending: Bool { pendingSince != nil }

    /// A subscriber (or the relay itself, for a new consumer) wants a keyframe.
    mutating func request(now: ContinuousClock.Instant, interval: Duration) -> Decision {
        if let lastSent, now - lastSent < interval {
            postpone(now: now)
            return .wait
        }
        return .send
    }

    /// Remembers a request to send at the deadline (or when the publisher connects).
    mutating func postpone(now: ContinuousClock.Instant) {
        if pendingSince == nil { pendingSince = now }
    }

    mutating func sent(now: ContinuousClock.Instant) {
        lastSent = now
        pendingSince = nil
    }

    /// When a remembered request may go out.
    func deadline(interval: Duration) -> ContinuousClock.Instant? {
        guard let pendingSince else { return nil }
        guard let lastSent else { return pendingSince }
        return max(pendingSince, lastSent + interval)
    }
}
