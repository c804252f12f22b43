import RTCP
import RTP

/// What a browser's receiver does for transport-wide congestion control (draft-holmer-rmcat-transport-wide-
/// cc-extensions-01 §3.1): it notes when each packet carrying a transport-wide sequence number arrived and
/// reports them to the sender as RTPFB FMT 15 feedback every 100 ms (every 50 ms above 100 packets/s), as
/// libwebrtc's receiver does. The relay stamps every packet it forwards to a subscriber, and its send-side
/// estimator for that subscriber has nothing to work with unless the subscriber answers like this.
///
/// Each feedback covers the sequence numbers after the previous one's last up to the newest received; gaps
/// are reported "not received". A packet arriving after its number was reported is dropped (the sender
/// has already counted it lost). A jump of more than `maximumGap` starts over at the new number instead
/// of reporting thousands of losses. The relay has its own, allocation-free generator for publishers'
/// uplinks (`Relay/Feedback/TransportFeedbackGenerator`); the tester's viewers are few enough that this
/// one favours brevity.
struct ViewerTransportFeedback {
    static let uri = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    /// The id viewers offer it under (Chromium's).
    static let offeredID: UInt8 = 3
    static let interval: Duration = .milliseconds(100)
    static let fastInterval: Duration = .milliseconds(50)
    static let fastPacketRate = 100.0
    static let maximumGap: Int64 = 1_000

    private var unwrapper = SequenceNumberUnwrapper()
    /// Arrivals not yet reported: unwrapped sequence number and microseconds on the tester's clock.
    private var pending: [(sequence: Int64, microseconds: Int64)] = []
    /// The first sequence number the next feedback covers; nil before the first.
    private var nextToReport: Int64?
    private var lastSent: ContinuousClock.Instant?
    private var packetsSinceLast = 0
    private var feedbackPacketCount: UInt8 = 0
    /// Feedback packets written, and polls whose arrivals could not be encoded (dropped).
    private(set) var sent = 0
    private(set) var failures = 0

    mutating func received(sequenceNumber: UInt16, microseconds: Int64) {
        let sequence = unwrapper.unwrap(sequenceNumber)
        if let nextToReport, sequence < nextToReport { return }
        pending.append((sequence, microseconds))
        packetsSinceLast += 1
    }

    /// The feedback packet due at `now`, if any (plain RTCP, to be protected by the caller).
    mutating func poll(now: ContinuousClock.Instant, senderSSRC: UInt32, mediaSSRC: UInt32) -> [UInt8]? {
        guard !pending.isEmpty else { return nil }
        if let lastSent {
            let elapsed = now - lastSent
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let fast = seconds > 0 && Double(packetsSinceLast) / seconds > Self.fastPacketRate
            guard elapsed >= (fast ? Self.fastInterval : Self.interval) else { return nil }
        }
        pending.sort { $0.sequence < $1.sequence }
        var base = nextToReport ?? pending[0].sequence
        if pending[0].sequence - base > Self.maximumGap { base = pending[0].sequence }
        var arrivals: [TransportWideFeedback.Arrival] = []
        arrivals.reserveCapacity(pending.count + 1)
        if base < pending[0].sequence {
            arrivals.append(.init(sequenceNumber: UInt16(truncatingIfNeeded: base), time: nil))
        }
        var last = base - 1
        for entry in pending where entry.sequence > last {
            arrivals.append(.init(sequenceNumber: UInt16(truncatingIfNeeded: entry.sequence), time: entry.microseconds))
            last = entry.sequence
        }
        let packet = try? TransportWideFeedback.build(
            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, feedbackPacketCount: feedbackPacketCount, arrivals: arrivals)
        nextToReport = last + 1
        pending.removeAll(keepingCapacity: true)
        lastSent = now
        packetsSinceLast = 0
        guard let packet else {
            failures += 1
            return nil
        }
        feedbackPacketCount &+= 1
        sent += 1
        return packet
    }
}
