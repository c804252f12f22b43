import SDP

/// RTX (RFC 4588) in the SDP: what the offer declares and what the answer accepted. Retransmissions
/// themselves are built by whoever keeps the sent packets (the load tester's publishers).
extension PeerClient {
    /// `a=rtpmap`/`a=fmtp` for RTX of VP8, as Chromium offers them.
    var rtxCodecLines: [String] {
        let pt = Self.rtxPayloadType
        return ["a=rtpmap:\(pt) rtx/90000", "a=fmtp:\(pt) apt=\(Self.vp8PayloadType)"]
    }

    /// RFC 5576 §4.2 / RFC 4588 §8.3: the media SSRC first, then its retransmission SSRC.
    var rtxGroupLine: String { "a=ssrc-group:FID \(videoSSRC) \(videoRTXSSRC)" }

    func rtxSSRCLines(msid: String) -> [String] {
        ["a=ssrc:\(videoRTXSSRC) cname:peerclient", "a=ssrc:\(videoRTXSSRC) msid:\(msid)"]
    }

    /// Reads the answer's video section: an `rtx/90000` payload type whose `apt` is the codec the
    /// answer put first, and the FID group of the SSRCs it will send (a subscriber's answer has one
    /// when the server sends RTX). Nothing is set when the answerer ignored RTX.
    func readRTX(answer section: MediaDescription) {
        guard let codec = section.payloadTypes.first else { return }
        remoteRTXPayloadType = section.codecs.first {
            $0.rtpMap.encodingName.lowercased() == "rtx" && $0.rtpMap.clockRate == 90_000
                && $0.parameter("apt").flatMap { UInt8($0) } == codec
        }?.payloadType
        if let group = section.ssrcGroups.first(where: { $0.semantics == SSRCGroup.fid }), group.ssrcs.count >= 2 {
            remoteRTXSSRC = group.ssrcs[1]
        }
    }
}
