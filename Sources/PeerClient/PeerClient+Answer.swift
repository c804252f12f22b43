import DTLS
import SDP

/// The answerer side, for servers that offer to their subscribers (Janus's VideoRoom does): the
/// remote offer fixes mids, payload types and extension ids, and we answer receive-only.
extension PeerClient {
    /// Codecs this endpoint can receive, by media kind, matched case-insensitively against the
    /// offer's rtpmap encoding names (RFC 8866 §6.6).
    static let receivableCodecs: [String: String] = ["audio": "opus", "video": "vp8"]

    /// Applies a remote offer and returns our answer: `recvonly` for every audio/video section
    /// with a codec we can take, everything else rejected with port 0 (RFC 3264 §6). We answer
    /// `a=setup:active` so we stay the DTLS client (RFC 8842 §5.3 lets the answerer pick) and
    /// keep the ICE controlling role, as a browser answering an ICE-lite server does (RFC 8445 §6.1.1).
    ///
    /// `acceptingExtensions` lists header-extension URIs to accept with the offer's ids (RFC 8285
    /// §5: the answer may only echo offered ids); the mid extension is always accepted.
    public func answer(offer text: String, acceptingExtensions: Set<String> = []) throws -> String {
        let offer = try SessionDescription(parsing: text)
        let accepted = acceptingExtensions.union([Self.midExtensionURI])
        var acceptedMids: [String] = []
        var sections: [[String]] = []
        var first: MediaDescription?
        for section in offer.media {
            let kind = section.type.token
            guard !section.isRejected, let mid = section.mid, let wanted = Self.receivableCodecs[kind],
                let codec = section.codecs.first(where: { $0.rtpMap.encodingName.lowercased() == wanted })
            else {
                // RFC 8843 §7.3.3: a rejected bundled section keeps its m= line with port 0.
                var lines = ["m=\(kind) 0 \(section.proto.rawValue) \(section.formats.joined(separator: " "))"]
                lines += ["c=IN IP4 0.0.0.0"] + (section.mid.map { ["a=mid:\($0)"] } ?? []) + ["a=inactive"]
                sections.append(lines)
                continue
            }
            first = first ?? section
            acceptedMids.append(mid)
            if let ssrc = section.ssrcs.first { remoteSSRCs[kind] = ssrc }
            remotePayloadTypes[kind] = codec.payloadType
            let pt = codec.payloadType
            var lines = [
                "m=\(kind) 9 UDP/TLS/RTP/SAVPF \(pt)", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
                "a=ice-ufrag:\(localUfrag)", "a=ice-pwd:\(localPassword)", "a=ice-options:trickle",
                "a=fingerprint:\(certificate.fingerprint.sdpValue)", "a=setup:active", "a=mid:\(mid)",
            ]
            for map in section.extensionMaps where accepted.contains(map.uri) && map.id <= 14 {
                extensionIDs[map.uri] = UInt8(map.id)
                lines.append("a=extmap:\(map.id) \(map.uri)")
            }
            lines += ["a=recvonly", "a=rtcp-mux", "a=rtcp-rsize", "a=rtpmap:\(codec.rtpMap.attributeValue)"]
            // Echo only the feedback we act on: NACK/PLI for video (RFC 4585 §4.2).
            for feedback in codec.feedback where kind == "video" && feedback.type == "nack" {
                lines.append("a=rtcp-fb:\(pt) nack" + (feedback.parameter.map { " \($0)" } ?? ""))
            }
            if let parameters = codec.parameters { lines.append("a=fmtp:\(pt) \(parameters)") }
            sections.append(lines)
        }
        guard let first else { throw AnswerError.invalid("offer has no audio/video we can receive") }
        try configureTransport(offer, first: first, role: .client)
        var lines = [
            "v=0", "o=- \(UInt32.random(in: 1...UInt32.max)) 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
            "a=group:BUNDLE \(acceptedMids.joined(separator: " "))", "a=msid-semantic: WMS",
        ]
        for section in sections { lines += section }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static let midExtensionURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
}
