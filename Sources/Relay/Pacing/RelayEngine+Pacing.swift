import Congestion
import STUN

/// Media toward a subscriber leaves through its leg's pacer, and every packet carrying a transport-wide
/// sequence number is recorded, when it actually leaves, for the leg's bandwidth estimate.
extension RelayEngine {
    /// Sends one protected media packet to a subscriber: at once while its pacer allows, else queued in
    /// the engine's pool for `drainPacer` (or at once, when the pool is full: pacing never drops).
    /// `reserved`: `bytes` are in the space `output.reserve` lent, which only needs committing.
    func sendMedia(
        _ bytes: UnsafeRawBufferPointer, to subscriber: Participant, remote: TransportAddress, transportSequence: UInt16?,
        now: ContinuousClock.Instant, reserved: Bool = false, output: inout some DatagramOutput
    ) {
        let nanoseconds = clock.nanoseconds(since: now)
        if transportSequence != nil, subscriber.bandwidth == nil {
            subscriber.bandwidth = SendSideBandwidthEstimator(configuration: configuration.bandwidthEstimation)
        }
        if subscriber.pacer.admit(size: bytes.count, now: nanoseconds) {
            if let transportSequence { subscriber.bandwidth?.onPacketSent(sequenceNumber: transportSequence, size: bytes.count, at: nanoseconds) }
            if subscriber.isRelayed {
                // A cascade pipe: the worker behind it fans this packet out again, and starts as soon as it
                // arrives instead of after this worker's whole read batch (README, issue 14's latency).
                counters.datagramsOut &+= 1
                counters.bytesOut &+= UInt64(bytes.count)
                return output.sendNow(bytes, to: remote)
            }
            guard reserved else { return send(bytes, to: remote, output: &output) }
            counters.datagramsOut &+= 1
            counters.bytesOut &+= UInt64(bytes.count)
            return output.commitReserved(bytes.count, to: remote)
        }
        var bytes = bytes
        if reserved, subscriber.pacer.isFull {
            // The releases below send into the lent space: the packet moves to scratch first.
            scratch.copyMemory(from: bytes)
            bytes = UnsafeRawBufferPointer(rebasing: scratch[0..<bytes.count])
        }
        while subscriber.pacer.isFull, let slot = subscriber.pacer.dequeue(now: nanoseconds, pool: packetPool, force: true) {
            release(slot, of: subscriber, to: remote, at: nanoseconds, output: &output)
        }
        guard let slot = packetPool.store(bytes, tag: transportSequence.map { Int32($0) } ?? -1) else {
            counters.pacerOverflows &+= 1
            if let transportSequence { subscriber.bandwidth?.onPacketSent(sequenceNumber: transportSequence, size: bytes.count, at: nanoseconds) }
            return send(bytes, to: remote, output: &output)
        }
        let wasIdle = subscriber.pacer.isEmpty
        subscriber.pacer.enqueue(slot, pool: packetPool)
        if wasIdle { schedule(subscriber) }
    }

    /// Sends what the leg's pacer lets go by `now`.
    func drainPacer(of participant: Participant, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        guard !participant.pacer.isEmpty else { return }
        let nanoseconds = clock.nanoseconds(since: now)
        guard let remote = participant.transport.remote else {
            return participant.pacer.drop(pool: packetPool)
        }
        while let slot = participant.pacer.dequeue(now: nanoseconds, pool: packetPool) {
            release(slot, of: participant, to: remote, at: nanoseconds, output: &output)
        }
    }

    private func release(
        _ slot: Int32, of participant: Participant, to remote: TransportAddress, at nanoseconds: Int64,
        output: inout some DatagramOutput
    ) {
        let tag = packetPool.tag(slot)
        if tag >= 0 {
            participant.bandwidth?.onPacketSent(
                sequenceNumber: UInt16(truncatingIfNeeded: tag), size: packetPool.length(slot), at: nanoseconds)
        }
        send(packetPool.bytes(slot), to: remote, output: &output)
        packetPool.release(slot)
    }
}
