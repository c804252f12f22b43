import RTCP
import RTP

/// A publisher's answer to the relay's Generic NACKs (RFC 4585 §6.2.1) for its video: every listed
/// packet still in its history is sent again, as RTX (RFC 4588) when the answer accepted it, else
/// as the same packet (SSRC and sequence number unchanged), as a browser does without RTX.
struct NackResponder {
    enum Mode: Equatable {
        case plain
        case rtx(payloadType: UInt8, ssrc: UInt32)
    }

    /// What the publisher was asked for and what it sent, over the whole run.
    struct Counts: Sendable, Equatable {
        /// RTCP Generic NACK packets for the video SSRC.
        var nacks = 0
        /// Sequence numbers those NACKs listed.
        var requested = 0
        /// Packets sent again (RTX or plain).
        var retransmitted = 0
        /// Listed packets no longer (or never) in the history.
        var notInHistory = 0
        /// Listed packets that had been sent again before (a lost retransmission, or a NACK repeated early).
        var requestedAgain = 0
        /// Video packets sent the first time; with `retransmitted` the publisher's whole video output.
        var videoPackets = 0

        mutating func add(_ other: Counts) {
            nacks += other.nacks
            requested += other.requested
            retransmitted += other.retransmitted
            notInHistory += other.notInHistory
            requestedAgain += other.requestedAgain
            videoPackets += other.videoPackets
        }

        func subtracting(_ other: Counts) -> Counts {
            Counts(
                nacks: nacks - other.nacks, requested: requested - other.requested,
                retransmitted: retransmitted - other.retransmitted, notInHistory: notInHistory - other.notInHistory,
                requestedAgain: requestedAgain - other.requestedAgain, videoPackets: videoPackets - other.videoPackets)
        }
    }

    /// A NACK lists at most this many packets worth answering: the history holds no more.
    static let maximumPerNack = RTPPacketHistory.capacity

    let mediaSSRC: UInt32
    let mode: Mode
    private var history = RTPPacketHistory()
    private var rtxSequenceNumber = UInt16.random(in: 0...0x7FFF)
    private(set) var counts = Counts()

    init(mediaSSRC: UInt32, mode: Mode) {
        self.mediaSSRC = mediaSSRC
        self.mode = mode
    }

    /// A video packet as it leaves (after any pacer restamp), before SRTP.
    mutating func sent(_ packet: [UInt8]) {
        history.record(packet)
        counts.videoPackets += 1
    }

    /// The retransmissions (plain RTP, to protect and send) for every NACK of our video in an RTCP
    /// compound packet; empty when it holds none.
    mutating func answer(rtcp packet: [UInt8]) -> [[UInt8]] {
        let lost = packet.withUnsafeBytes { raw -> [UInt16] in
            guard let compound = try? RTCPCompoundPacket(validating: raw) else { return [] }
            var lost: [UInt16] = []
            for item in compound {
                guard case .genericNack(let nack) = item.view, nack.mediaSSRC == mediaSSRC else { continue }
                counts.nacks += 1
                for sequenceNumber in nack.lostSequenceNumbers.prefix(Self.maximumPerNack) { lost.append(sequenceNumber) }
            }
            return lost
        }
        var packets: [[UInt8]] = []
        for sequenceNumber in lost {
            counts.requested += 1
            guard let (original, resendsBefore) = history.resend(sequenceNumber) else {
                counts.notInHistory += 1
                continue
            }
            if resendsBefore > 0 { counts.requestedAgain += 1 }
            switch mode {
            case .plain:
                packets.append(original)
            case .rtx(let payloadType, let ssrc):
                rtxSequenceNumber &+= 1
                guard let rtx = RTXPacket.wrap(original, payloadType: payloadType, sequenceNumber: rtxSequenceNumber, ssrc: ssrc)
                else { continue }
                packets.append(rtx)
            }
            counts.retransmitted += 1
        }
        return packets
    }
}
