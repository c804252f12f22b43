import SDP

/// The RFC 8285 header extensions the relay negotiates, and their ids on one m-section. Ids are per
/// m-section and per peer: a publisher's mean nothing to a subscriber, so each consumer rewrites.
public struct HeaderExtensionIDs: Sendable, Equatable {
    public static let midURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
    public static let absoluteSendTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    public static let transportWideCCURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    public static let audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
    public static let videoOrientationURI = "urn:3gpp:video-orientation"
    /// The load tester's send time (8 bytes of its clock), forwarded unchanged so latency through the
    /// relay can be measured per packet.
    public static let sendTimeURI = "urn:peerlearn:rtp-hdrext:send-time"
    /// RFC 8852: which simulcast layer (rid) a packet belongs to, and which one an RTX packet repairs.
    public static let rtpStreamIDURI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
    public static let repairedRTPStreamIDURI = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"

    public var mid: UInt8?
    public var absoluteSendTime: UInt8?
    /// Written by the relay per subscriber transport; its feedback feeds congestion control.
    public var transportWideSequence: UInt8?
    /// RFC 6464: forwarded to subscribers, and what the dominant-speaker detector listens to.
    public var audioLevel: UInt8?
    /// Forwarded unchanged, so a rotated phone camera shows upright.
    public var videoOrientation: UInt8?
    /// Forwarded unchanged: the load tester's per-packet send time.
    public var sendTime: UInt8?
    /// A simulcast publisher's rid on each layer's packets (read, never forwarded: the subscriber gets one
    /// stream), and on its RTX packets the rid they repair.
    public var rtpStreamID: UInt8?
    public var repairedStreamID: UInt8?
    /// `a=extmap-allow-mixed` (RFC 8285 §6): the two-byte form may be sent.
    public var allowsMixed = false

    public init() {}

    /// The ids the relay uses in its own offers (one-byte form, ids 1...14).
    static func relayOffer(kind: NegotiatedMedia.Kind) -> HeaderExtensionIDs {
        var ids = HeaderExtensionIDs()
        ids.mid = 1
        ids.absoluteSendTime = 2
        ids.transportWideSequence = 3
        if kind == .audio { ids.audioLevel = 4 } else { ids.videoOrientation = 5 }
        return ids
    }

    /// What the relay accepts of an offered (or answered) section. On a subscriber's leg the relay writes
    /// its own transport-wide sequence numbers. A publisher's are taken only with `publisherTransportCC`
    /// (they are answered with transport feedback for its send-side estimate, REMB still capping it).
    static func accepted(
        in section: MediaDescription, kind: NegotiatedMedia.Kind, publishing: Bool, allowsMixed: Bool,
        publisherTransportCC: Bool = false
    ) -> HeaderExtensionIDs {
        var ids = HeaderExtensionIDs()
        ids.allowsMixed = allowsMixed
        for map in section.extensionMaps where map.id >= 1 && map.id <= (allowsMixed ? 255 : 14) {
            let id = UInt8(map.id)
            switch map.uri {
            case midURI: ids.mid = id
            case absoluteSendTimeURI: ids.absoluteSendTime = id
            case transportWideCCURI where !publishing || publisherTransportCC: ids.transportWideSequence = id
            case audioLevelURI where kind == .audio: ids.audioLevel = id
            case videoOrientationURI where kind == .video: ids.videoOrientation = id
            case sendTimeURI: ids.sendTime = id
            case rtpStreamIDURI where publishing && kind == .video: ids.rtpStreamID = id
            case repairedRTPStreamIDURI where publishing && kind == .video: ids.repairedStreamID = id
            default: break
            }
        }
        return ids
    }

    /// `a=extmap` lines for these ids.
    var maps: [ExtensionMap] {
        [(mid, Self.midURI), (absoluteSendTime, Self.absoluteSendTimeURI),
            (transportWideSequence, Self.transportWideCCURI), (audioLevel, Self.audioLevelURI),
            (videoOrientation, Self.videoOrientationURI), (sendTime, Self.sendTimeURI),
            (rtpStreamID, Self.rtpStreamIDURI), (repairedStreamID, Self.repairedRTPStreamIDURI)]
            .compactMap { id, uri in id.map { ExtensionMap(id: UInt16($0), uri: uri) } }
            .sorted { $0.id < $1.id }
    }
}
