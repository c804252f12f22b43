/// Spreads one leg's sends over time, so a keyframe's 40–80 packets do not leave the relay in one burst
/// and overflow the subscriber's bottleneck queue (GCC assumes a paced sender; libwebrtc paces at 2.5×
/// its estimate, which only bites on bursts, never on the average). A token bucket: a packet goes at once
/// while tokens last and nothing waits; otherwise it queues (in the engine's `PacketPool`) and leaves
/// when the bucket has refilled. Time is integer nanoseconds on the engine's clock.
struct Pacer {
    /// Bytes that may leave now. Refilled at the pacing rate up to `burstBytes`; a packet may take it
    /// below zero (it is never split), and the next waits until it is positive again.
    private var tokens = 0
    private var refilledAt: Int64 = 0
    /// Bytes per second; 0: not paced (no estimate yet), every packet goes at once.
    private(set) var bytesPerSecond: Int64 = 0
    private var burstBytes = 0
    /// The leg's FIFO, as slots of the pool linked head to tail.
    private var head: Int32 = -1
    private var tail: Int32 = -1
    private(set) var queued = 0

    /// libwebrtc's pacing factor: room for the encoder's overshoot and for retransmissions.
    static let pacingFactor: Int64 = 5  // in halves: 2.5×
    /// How much may leave back to back once the bucket is full: 40 ms at the pacing rate, libwebrtc's
    /// default burst interval since 2023. A keyframe after a quiet spell then leaves with no added delay
    /// (at 5 ms, every keyframe's tail waited ~its size / the pacing rate, tens of ms, for nothing: a
    /// bottleneck queue absorbs 40 ms of 2.5× the estimate); only a burst larger than that is spread.
    static let burstNanoseconds: Int64 = 40_000_000
    /// libwebrtc's cap on a burst, whatever the rate: more could overflow a socket buffer or a
    /// bottleneck queue at once.
    static let maximumBurstBytes = 63_000
    /// Whatever the rate, a couple of full packets may go back to back.
    static let minimumBurstBytes = 2 * 1_200
    /// A leg's queue holds at most this many packets; past it the oldest leave at once (pacing never drops).
    static let maximumQueued = 512

    var isPaced: Bool { bytesPerSecond > 0 }
    var isEmpty: Bool { queued == 0 }

    /// Paces at 2.5× `estimate` bits per second; nil stops pacing (what waits then leaves at once).
    mutating func setEstimate(_ estimate: UInt64?, now: Int64) {
        refill(now: now)
        guard let estimate, estimate > 0 else {
            bytesPerSecond = 0
            return
        }
        // At most 10 Gbit/s: the estimate can follow what a subscriber's feedback claims, and a second of
        // bytes at this rate times 10^9 (the refill) must stay inside Int64.
        let bits = min(estimate, 10_000_000_000) / 2 * UInt64(Self.pacingFactor)
        bytesPerSecond = Int64(bits / 8)
        burstBytes = min(
            Self.maximumBurstBytes,
            max(Self.minimumBurstBytes, Int(bytesPerSecond * Self.burstNanoseconds / 1_000_000_000)))
        tokens = min(tokens, burstBytes)
    }

    /// Whether a packet of `size` bytes may leave now, charging it if so. False: queue it (or, when not
    /// paced, this is always true).
    mutating func admit(size: Int, now: Int64) -> Bool {
        guard isPaced else { return true }
        refill(now: now)
        guard queued == 0, tokens > 0 else { return false }
        tokens -= size
        return true
    }

    /// Puts a stored packet at the tail of the leg's queue. The caller made room first if `isFull`.
    mutating func enqueue(_ slot: Int32, pool: PacketPool) {
        pool.link(slot, to: -1)
        if tail >= 0 { pool.link(tail, to: slot) } else { head = slot }
        tail = slot
        queued += 1
    }

    var isFull: Bool { queued >= Self.maximumQueued }

    /// When the head of the queue may leave (possibly already past): nil when nothing waits. Exact,
    /// because the bucket's clock only ever advances by the time its whole bytes took.
    func nextSendTime() -> Int64? {
        guard queued > 0 else { return nil }
        guard isPaced, tokens <= 0 else { return refilledAt }
        let deficit = Int64(1 - tokens)
        return refilledAt + deficit * 1_000_000_000 / bytesPerSecond + 1
    }

    /// Takes the head of the queue if it may leave at `now` (or at once, with `force`), charging it.
    mutating func dequeue(now: Int64, pool: PacketPool, force: Bool = false) -> Int32? {
        guard head >= 0 else { return nil }
        if isPaced && !force {
            refill(now: now)
            guard tokens > 0 else { return nil }
        }
        let slot = head
        head = pool.next(after: slot)
        if head < 0 { tail = -1 }
        queued -= 1
        if isPaced { tokens -= pool.length(slot) }
        return slot
    }

    /// Returns every waiting slot to the pool (the leg is gone).
    mutating func drop(pool: PacketPool) {
        while let slot = dequeue(now: 0, pool: pool, force: true) { pool.release(slot) }
    }

    private func available(now: Int64) -> Int64 {
        let elapsed = min(max(0, now - refilledAt), 1_000_000_000)
        return elapsed * bytesPerSecond / 1_000_000_000
    }

    /// Adds the bytes earned since the last refill. The clock advances only by the time those whole bytes
    /// took, so frequent refills at a low rate lose no fractions; a full bucket earns nothing more.
    private mutating func refill(now: Int64) {
        guard now > refilledAt else { return }
        guard isPaced else {
            refilledAt = now
            return
        }
        if now - refilledAt > 1_000_000_000 { refilledAt = now - 1_000_000_000 }
        let added = available(now: now)
        guard added > 0 else { return }
        let total = Int64(tokens) + added
        if total >= Int64(burstBytes) {
            tokens = burstBytes
            refilledAt = now
        } else {
            tokens = Int(total)
            refilledAt += added * 1_000_000_000 / bytesPerSecond
        }
    }
}
