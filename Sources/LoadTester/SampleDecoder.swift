import MediaCodecs
import RTP
import VP8

/// Decodes everything one sampled viewer receives: VP8 frames reassembled and decoded by libvpx,
/// Opus by libopus. The other viewers only read headers, so the tester stays lighter than the relay
/// it measures; this one proves the forwarded media is really decodable. Frames are put together by
/// a `FrameLossTracker`, which waits for retransmissions like a jitter buffer and counts the frames
/// that never completed.
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
    private var frames: FrameLossTracker
    private var counts = Counts()
    /// Video is only counted from the first keyframe: a subscriber may join mid-GOP.
    private var sawKeyframe = false

    init(frameDeadline: Duration = FrameLossTracker.defaultDeadline) throws {
        frames = FrameLossTracker(deadline: frameDeadline)
        video = try VP8Decoder()
        audio = try OpusDecoder(channels: .mono)
    }

    var results: Counts {
        var result = counts
        result.videoFramesDropped = frames.counts.lost
        return result
    }

    /// Frames expected and lost so far (`FrameLossTracker`).
    var frameLoss: FrameLossTracker.Counts { frames.counts }

    /// Lets go of frames whose deadline passed without a packet arriving to trigger it.
    func advance(now: ContinuousClock.Instant) {
        for frame in frames.release(now: now) { decodeVideo(frame) }
    }

    /// One unprotected RTP packet (RTX already unwrapped), with the payload types the receiver negotiated.
    func decode(_ packet: [UInt8], videoPayloadType: UInt8, audioPayloadType: UInt8, now: ContinuousClock.Instant) {
        let payloadType = packet.count > 1 ? packet[1] & 0x7F : 0xFF
        if payloadType == videoPayloadType {
            for frame in frames.add(packet, now: now) { decodeVideo(frame) }
            return
        }
        packet.withUnsafeBytes { raw in
            guard let header = try? RTPHeader(parsing: raw), !header.payloadRange.isEmpty else { return }
            let payload = UnsafeRawBufferPointer(rebasing: raw[header.payloadRange])
            if header.payloadType == audioPayloadType {
                do {
                    _ = try audio.decode(Array(payload))
                    counts.audioFrames += 1
                } catch {
                    counts.audioFailures += 1
                }
            }
        }
    }

    private func decodeVideo(_ frame: [UInt8]) {
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
    }
}
