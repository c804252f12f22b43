import PeerClient
import RTP

/// Which RFC 8285 header extensions the peers offer and the publisher's packets carry.
///
/// `.midOnly`: only PeerClient's default `a=extmap:4 …sdes:mid` is offered and packets carry no block.
/// `.browserLike`: the publisher offers Chromium's ids (ssrc-audio-level 1, abs-send-time 2, mid 4)
/// and sends abs-send-time + mid on every packet (+ the audio level on audio); every viewer offers
/// ids of its own (mid 3, abs-send-time 5, transport-cc 6, ssrc-audio-level 7), so a relay that
/// negotiates extensions must renumber each one and write its own per hop.
enum ExtensionProfile: Sendable {
    case midOnly
    case browserLike

    enum Kind { case audio, video }

    static let midURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
    static let absoluteSendTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    static let transportWideCCURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    static let audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

    /// PeerClient always offers mid as id 4; a viewer's offer moves it to its own id.
    private static let peerClientMidLine = "a=extmap:4 \(midURI)"
    private static let viewerMidID: UInt8 = 3

    func offer(from peer: PeerClient, publishing: Bool, audio: PeerClient.Direction, video: PeerClient.Direction) -> String {
        switch self {
        case .midOnly:
            return peer.makeOffer(audio: audio, video: video)
        case .browserLike where publishing:
            return peer.makeOffer(
                audio: audio, video: video,
                headerExtensions: [Self.audioLevelURI: 1, Self.absoluteSendTimeURI: 2])
        case .browserLike:
            let offer = peer.makeOffer(
                audio: audio, video: video,
                headerExtensions: [Self.absoluteSendTimeURI: 5, Self.transportWideCCURI: 6, Self.audioLevelURI: 7])
            let moved = offer.replacingAll(Self.peerClientMidLine, with: "a=extmap:\(Self.viewerMidID) \(Self.midURI)")
            precondition(moved != offer, "PeerClient's offer no longer carries mid as id 4")
            return moved
        }
    }

    /// The elements the publisher writes on one packet, in its own ids.
    func publisherElements(kind: Kind, absoluteSendTime: UInt32) -> [RTPHeaderExtension] {
        guard case .browserLike = self else { return [] }
        let sendTime = RTPHeaderExtension(id: 2, value: [
            UInt8(truncatingIfNeeded: absoluteSendTime >> 16), UInt8(truncatingIfNeeded: absoluteSendTime >> 8),
            UInt8(truncatingIfNeeded: absoluteSendTime),
        ])
        switch kind {
        case .audio:
            // RFC 6464: voice activity set, -30 dBov. PeerClient's audio section is mid "0".
            return [RTPHeaderExtension(id: 1, value: [0x80 | 30]), sendTime, RTPHeaderExtension(id: 4, value: [0x30])]
        case .video:
            return [sendTime, RTPHeaderExtension(id: 4, value: [0x31])]
        }
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation in this target).
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
