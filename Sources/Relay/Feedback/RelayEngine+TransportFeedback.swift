import RTP
import SRTP

/// Transport-wide congestion control toward a publisher: every packet's transport-wide sequence number
/// and arrival time go back in RTCP transport feedback, which its send-side estimate (GoogCC) reads.
extension RelayEngine {
    /// Records a packet's transport-wide sequence number, when the publisher negotiated them.
    func recordTransportSequence(
        _ packet: UnsafeRawBufferPointer, header: RTPHeader, id: UInt8, of publisher: Participant,
        now: ContinuousClock.Instant
    ) {
        for element in header.extensions(in: packet) where element.id == id {
            guard element.range.count == 2 else { return }
            let sequence = UInt16(packet[element.range.lowerBound]) << 8 | UInt16(packet[element.range.lowerBound + 1])
            if publisher.transportFeedback == nil { publisher.transportFeedback = TransportFeedbackGenerator() }
            publisher.transportFeedback?.received(transportSequenceNumber: sequence, arrival: clock.nanoseconds(since: now))
            if let due = publisher.transportFeedback?.pollTimeout(),
                publisher.scheduledAt.map({ clock.instant(due) < $0 }) ?? true
            {
                schedule(publisher)
            }
            return
        }
    }

    /// Sends the transport feedback that is due (a burst after a gap may take several packets).
    func sendTransportFeedback(to publisher: Participant, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        guard let outbound = publisher.transport.outbound, let remote = publisher.transport.remote,
            let mediaSSRC = publisher.producers.lazy.compactMap(\.ssrc).first
        else { return }
        let elapsed = clock.nanoseconds(since: now)
        // Up to half a feedback grid early: see `feedbackAlignment`.
        let early = Self.halfGrid(configuration.feedbackAlignment)
        while let due = publisher.transportFeedback?.pollTimeout(), due <= elapsed &+ early {
            guard let length = publisher.transportFeedback?.poll(
                now: elapsed, senderSSRC: publisher.relaySSRC, mediaSSRC: mediaSSRC, into: scratch, early: early)
            else { return }
            guard let protected = try? outbound.protectRTCP(scratch, length: length) else { return }
            counters.transportFeedback &+= 1
            send(UnsafeRawBufferPointer(rebasing: scratch[0..<protected]), to: remote, output: &output)
        }
    }
}
