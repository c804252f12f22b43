import RTP
import Testing
import VP8

@testable import LoadTester

/// Fixed-rate publishers send one encoder's pictures, each under its own numbers.
struct SharedVideoEncoderTests {
    let ids = SendTimeExtensionIDs(sendTime: 5, audioLevel: 1, videoOrientation: 3)

    func publisher(ssrc: UInt32, sharing encoder: SharedVideoEncoder) throws -> MediaPublisher {
        let publisher = try MediaPublisher(
            videoSSRC: ssrc, audioSSRC: ssrc + 1, width: 320, height: 180, frameRate: 30, videoKbps: 300,
            extensionIDs: ids, sharedEncoder: encoder)
        return publisher
    }

    /// The frame's VP8 bytes (after each packet's descriptor), whether it is a keyframe, and its SSRCs.
    func frame(_ packets: [[UInt8]]) throws -> (bytes: [UInt8], keyframe: Bool, ssrcs: Set<UInt32>) {
        var bytes: [UInt8] = []
        var keyframe = false
        var ssrcs: Set<UInt32> = []
        for (index, packet) in packets.enumerated() {
            try packet.withUnsafeBytes { raw in
                let header = try RTPHeader(parsing: raw)
                let payload = UnsafeRawBufferPointer(rebasing: raw[header.payloadRange])
                let vp8 = try VP8RTPPayload(parsing: payload)
                if index == 0 { keyframe = vp8.isKeyframe }
                bytes += payload[vp8.descriptorLength...]
                ssrcs.insert(header.ssrc)
            }
        }
        return (bytes, keyframe, ssrcs)
    }

    @Test func twoPublishersSendOnePictureEachTickUnderTheirOwnSSRCs() throws {
        let shared = try SharedVideoEncoder(width: 320, height: 180, frameRate: 30, videoKbps: 300)
        let a = try publisher(ssrc: 100, sharing: shared)
        let b = try publisher(ssrc: 200, sharing: shared)
        var previous: [UInt8] = []
        for tick in 0..<6 {
            shared.advance()
            let fromA = try frame(a.nextVideoPackets { 0 })
            let fromB = try frame(b.nextVideoPackets { 0 })
            #expect(!fromA.bytes.isEmpty && fromA.bytes == fromB.bytes, "tick \(tick)")
            #expect(fromA.ssrcs == [100] && fromB.ssrcs == [200])
            #expect(fromA.keyframe == (tick == 0), "only the first picture is a keyframe, tick \(tick)")
            // The picture moves: a new frame each tick, not the last one again.
            #expect(fromA.bytes != previous)
            previous = fromA.bytes
        }
        #expect(shared.framesEncoded == 6)
    }

    @Test func oneReceiversKeyframeRequestMakesTheNextPictureAKeyframeForEveryone() throws {
        let shared = try SharedVideoEncoder(width: 320, height: 180, frameRate: 30, videoKbps: 300)
        let a = try publisher(ssrc: 100, sharing: shared)
        let b = try publisher(ssrc: 200, sharing: shared)
        for _ in 0..<3 {
            shared.advance()
            _ = a.nextVideoPackets { 0 }
            _ = b.nextVideoPackets { 0 }
        }
        // B's viewer lost its decoder state; A asks first on the next tick, and still gets the keyframe.
        b.requestKeyframe()
        shared.advance()
        let fromA = try frame(a.nextVideoPackets { 0 })
        let fromB = try frame(b.nextVideoPackets { 0 })
        #expect(fromA.keyframe && fromB.keyframe && fromA.bytes == fromB.bytes)
        shared.advance()
        #expect(try frame(a.nextVideoPackets { 0 }).keyframe == false)
    }
}
