/// Why the relay dropped a datagram. Each reason is its own counter so an operator can tell an
/// attack (unknown sources, failed authentication) from a bug (malformed after decryption).
public enum DropReason: String, CaseIterable, Sendable {
    case unknownProtocol = "unknown_protocol"
    case unknownSource = "unknown_source"
    case malformedSTUN = "malformed_stun"
    case rejectedSTUN = "rejected_stun"
    case notConnected = "not_connected"
    case srtpAuthentication = "srtp_auth"
    case srtpReplay = "srtp_replay"
    case malformedRTP = "malformed_rtp"
    case malformedRTCP = "malformed_rtcp"
    case unknownSSRC = "unknown_ssrc"
    /// A connectivity check from an address another participant already owns.
    case addressInUse = "address_in_use"
    /// RTP larger than the relay forwards (beyond any path MTU).
    case oversized
}

/// Why a NACKed packet was not resent.
public enum RetransmissionRefusal: String, CaseIterable, Sendable {
    /// The leg did not negotiate generic NACK.
    case notNegotiated = "not_negotiated"
    /// The packet was resent less than a window ago.
    case duplicate
    /// The leg's retransmission budget was spent.
    case overBudget = "over_budget"
    /// No longer (or never) in the history.
    case notBuffered = "not_buffered"
}

/// Per-engine counters. Plain integers: the engine is confined to one event loop, so no atomics.
public struct RelayCounters: Sendable, Equatable {
    public var datagramsIn: UInt64 = 0
    public var bytesIn: UInt64 = 0
    public var datagramsOut: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var rtpForwarded: UInt64 = 0
    public var retransmissions: UInt64 = 0
    /// NACKs the relay sent to publishers for gaps in their streams, the sequence numbers they named, and
    /// the repairs (RTX or plain) that came back in time to fill one.
    public var nacksSent: UInt64 = 0
    public var packetsNacked: UInt64 = 0
    public var repairsReceived: UInt64 = 0
    /// RTCP transport feedback packets sent to publishers (transport-wide congestion control).
    public var transportFeedback: UInt64 = 0
    public var keyframeRequests: UInt64 = 0
    public var dtlsFailures: UInt64 = 0
    /// DTLS associations freed at the peer's first SRTP or SRTCP (`DTLSConnection.retire()`).
    public var dtlsRetired: UInt64 = 0
    /// Padding packets sent to probe a subscriber leg's bandwidth.
    public var probePackets: UInt64 = 0
    /// Media packets a pacer could not hold (the engine's pool was full), sent at once instead.
    public var pacerOverflows: UInt64 = 0
    public var drops: [UInt64] = Array(repeating: 0, count: DropReason.allCases.count)
    public var retransmissionsRefused: [UInt64] = Array(repeating: 0, count: RetransmissionRefusal.allCases.count)

    /// Join call to DTLS, and to first media (`JoinTimes`).
    public var joinTimes = JoinTimes()

    public init() {}

    public func drops(_ reason: DropReason) -> UInt64 {
        drops[reason.index]
    }

    mutating func drop(_ reason: DropReason) {
        drops[reason.index] &+= 1
    }

    public func refused(_ reason: RetransmissionRefusal) -> UInt64 {
        retransmissionsRefused[reason.index]
    }

    mutating func refuse(_ reason: RetransmissionRefusal, count: UInt64 = 1) {
        retransmissionsRefused[reason.index] &+= count
    }

    /// Adds another engine's counters: the metrics endpoint sums over workers.
    public mutating func add(_ other: RelayCounters) {
        datagramsIn &+= other.datagramsIn
        bytesIn &+= other.bytesIn
        datagramsOut &+= other.datagramsOut
        bytesOut &+= other.bytesOut
        rtpForwarded &+= other.rtpForwarded
        retransmissions &+= other.retransmissions
        nacksSent &+= other.nacksSent
        packetsNacked &+= other.packetsNacked
        repairsReceived &+= other.repairsReceived
        transportFeedback &+= other.transportFeedback
        keyframeRequests &+= other.keyframeRequests
        dtlsFailures &+= other.dtlsFailures
        dtlsRetired &+= other.dtlsRetired
        probePackets &+= other.probePackets
        pacerOverflows &+= other.pacerOverflows
        for i in drops.indices { drops[i] &+= other.drops[i] }
        for i in retransmissionsRefused.indices { retransmissionsRefused[i] &+= other.retransmissionsRefused[i] }
        joinTimes.add(other.joinTimes)
    }
}

extension DropReason {
    var index: Int {
        switch self {
        case .unknownProtocol: 0
        case .unknownSource: 1
        case .malformedSTUN: 2
        case .rejectedSTUN: 3
        case .notConnected: 4
        case .srtpAuthentication: 5
        case .srtpReplay: 6
        case .malformedRTP: 7
        case .malformedRTCP: 8
        case .unknownSSRC: 9
        case .addressInUse: 10
        case .oversized: 11
        }
    }
}

extension RetransmissionRefusal {
    var index: Int {
        switch self {
        case .notNegotiated: 0
        case .duplicate: 1
        case .overBudget: 2
        case .notBuffered: 3
        }
    }
}
