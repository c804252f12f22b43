import MediaCodecs
import RTP
import VP8

/// Decodes everything one sampled viewer receives: VP8 frames reassembled and decoded by libvpx,
/// Opus by libopus. The other viewers only read headers, so the tester stays lighter than the relay
/// it measures; this one proves the forwarded media is really decodable.
final class SampleDecoder {
    struct Counts: Sendable {
        var videoFrames = 0
        var videoFailures = 0
        var videoFramesDropped = 0
        var audioFrames = 0
        var audioFailures = 0

        mutating func add(_ other: Counts) {
            videoFrames += other.videoFrames
            videoFailures += other.videoFailures
            videoFramesDropped += other.videoFramesDropped
            audioFrames += other.audioFrames
            audioFailures += other.audioFailures
        }
    }

    private let video: VP8Decoder
    private let audio: OpusDecoder
    private var assembler = VP8FrameAssembler()
    private var counts = Counts()
    /// Video is only counted from the first keyframe: a subscriber may join mid-GOP.
    private var sawKeyframe = false

    init() throws {
        video = try VP8Decoder()
        audio = try OpusDecoder(channels: .mono)
    }

    var results: Counts {
        var result = counts
        result.videoFramesDropped = assembler.framesDropped
        return result
    }

    /// One unprotected RTP packet, with the payload types the receiver negotiated.
    func decode(_ packet: [UInt8], videoPayloadType: UInt8, audioPayloadType: UInt8) {
        packet.withUnsafeBytes { raw in
            guard let header = try? RTPHeader(parsing: raw), !header.payloadRange.isEmpty else { return }
            let payload = UnsafeRawBufferPointer(rebasing: raw[header.payloadRange])
            if header.payloadType == videoPayloadType {
                guard let frame = assembler.append(payload: payload, sequenceNumber: header.sequenceNumber,
                    marker: header.marker)
                else { return }
                // RFC 6386 §9.1: the frame tag's lowest bit is 0 for a keyframe.
                if !sawKeyframe {
                    guard frame.first.map({ $0 & 1 == 0 }) == true else { return }
                    sawKeyframe = true
                }
                do {
                    _ = try video.decode(frame)
                    counts.videoFrames += 1
                } catch {
                    counts.videoFailures += 1
                }
            } else if header.payloadType == audioPayloadType {
                do {
                    _ = try audio.decode(Array(payload))
                    counts.audioFrames += 1
                } catch {
                    counts.audioFailures += 1
                }
            }
        }
    }
}
