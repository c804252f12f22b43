import RTCP
import SRTP

/// The relay's own NACKs toward a publisher: a packet lost on the uplink is asked for once, here, and
/// its retransmission (RTX or plain) reaches every subscriber, instead of each subscriber NACKing a
/// packet the relay never had.
extension RelayEngine {
    func sendNacks(for producer: Producer, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        let publisher = producer.publisher
        guard let decision = producer.nacks?.poll(now: clock.nanoseconds(since: now), rtt: nil, into: &producer.nackPairs)
        else { return }
        if decision.requestKeyframe { requestKeyframe(producer, now: now, output: &output) }
        guard !producer.nackPairs.isEmpty, let ssrc = producer.ssrc, let outbound = publisher.transport.outbound,
            let remote = publisher.transport.remote,
            let length = try? GenericNack.write(
                senderSSRC: publisher.relaySSRC, mediaSSRC: ssrc, pairs: producer.nackPairs, into: scratch),
            let protected = try? outbound.protectRTCP(scratch, length: length)
        else { return }
        counters.nacksSent &+= 1
        counters.packetsNacked &+= UInt64(decision.sequenceNumberCount)
        send(UnsafeRawBufferPointer(rebasing: scratch[0..<protected]), to: remote, output: &output)
    }

    /// After a packet reached the generator: its deadline may now be earlier than the publisher's.
    func scheduleNacks(of producer: Producer) {
        guard let due = producer.nacks?.pollTimeout() else { return }
        let publisher = producer.publisher
        if let scheduled = publisher.scheduledAt, scheduled <= clock.instant(due) { return }
        schedule(publisher)
    }
}
