import RTP
import VP8

/// Counts the VP8 frames a viewer lost, the way a player with a jitter buffer would see them.
///
/// Definition. Frames are numbered by their VP8 picture ID (RFC 7741 §4.2), which a sender
/// increments by one per frame, so a frame whose packets all vanished still leaves a gap in the
/// numbering. A frame is *complete* when its first packet (S = 1, partition 0), its last packet
/// (RTP marker) and every sequence number in between arrived; retransmissions count, whether
/// they come as the same packet again or as RTX already unwrapped by the caller. A frame is
/// *lost* when it is still not complete `deadline` after the viewer first knew of it (when a
/// packet of it, or of any later frame, first arrived) and packets of as many later frames as a
/// 30 fps sender makes in that time have arrived too. That deadline is the jitter buffer's
/// patience: a NACK-repaired packet normally lands within one or two round trips, and a player
/// that waited much longer than ~200 ms would freeze visibly anyway. The frame count keeps a stall
/// of the tester itself from counting: packets it reads late are still read in arrival order, so
/// a frame's own packets come before those of the frames after it. Frames are released in picture
/// order (a decoder needs them so), each counted once as expected and, if it timed out, lost.
/// Counting starts at the first packet that begins a frame, so a viewer joining mid-frame does
/// not count the frame it joined in. A complete frame whose reference frame was lost is *not*
/// counted lost here (VP8 would still show it damaged until the next keyframe): the figure is
/// packet-level completeness, what NACK/RTX can repair.
struct FrameLossTracker {
    struct Counts: Sendable, Equatable {
        /// Frames released, complete or not.
        var expected = 0
        /// Frames released incomplete at their deadline.
        var lost = 0
        /// Frames that became complete only after a packet arrived out of order (a retransmission).
        var repaired = 0
        /// Packets for frames already released (repairs that came too late, or duplicates).
        var latePackets = 0

        mutating func add(_ other: Counts) {
            expected += other.expected
            lost += other.lost
            repaired += other.repaired
            latePackets += other.latePackets
        }

        func subtracting(_ other: Counts) -> Counts {
            Counts(
                expected: expected - other.expected, lost: lost - other.lost, repaired: repaired - other.repaired,
                latePackets: latePackets - other.latePackets)
        }
    }

    static let defaultDeadline: Duration = .milliseconds(200)
    /// A jump in picture IDs larger than this is a new stream (a publisher that restarted), not loss.
    static let maximumGap: Int64 = 1_000

    private struct Frame {
        /// When the viewer first knew the frame should exist.
        let known: ContinuousClock.Instant
        var first: Int64?
        var last: Int64?
        /// VP8 data after each packet's payload descriptor, by extended sequence number.
        var data: [Int64: [UInt8]] = [:]
        /// A packet of it arrived after a later-numbered packet of the stream: a retransmission.
        var repaired = false

        var isComplete: Bool {
            guard let first, let last, last >= first else { return false }
            return Int64(data.count) == last - first + 1
        }
    }

    let deadline: Duration
    /// Later frames that must have begun arriving before a frame counts as lost: `deadline` at 30 fps.
    let laterFrames: Int64
    private(set) var counts = Counts()
    private var frames: [Int64: Frame] = [:]
    /// The picture released next; nil until the first packet that starts a frame.
    private var next: Int64?
    private var highest: Int64 = 0
    private var sequence = SequenceNumberUnwrapper()

    init(deadline: Duration = Self.defaultDeadline) {
        self.deadline = deadline
        let milliseconds = deadline.components.seconds * 1_000 + deadline.components.attoseconds / 1_000_000_000_000_000
        laterFrames = max(1, milliseconds * 30 / 1_000)
    }

    /// One video packet (plain RTP, RTX already unwrapped); returns the frames it let go of in
    /// picture order, complete ones as their VP8 bytes.
    mutating func add(_ packet: [UInt8], now: ContinuousClock.Instant) -> [[UInt8]] {
        let parsed = packet.withUnsafeBytes { raw -> (RTPHeader, VP8RTPPayload, [UInt8])? in
            guard let header = try? RTPHeader(parsing: raw), !header.payloadRange.isEmpty else { return nil }
            let payload = UnsafeRawBufferPointer(rebasing: raw[header.payloadRange])
            guard let vp8 = try? VP8RTPPayload(parsing: payload) else { return nil }
            return (header, vp8, Array(payload[vp8.frameDataRange]))
        }
        guard let (header, vp8, data) = parsed, let pictureID = vp8.descriptor.pictureID else { return release(now: now) }
        let picture: Int64
        switch pictureID {
        case .sevenBit(let id): picture = extend(Int64(id), modulus: 0x80)
        case .fifteenBit(let id): picture = extend(Int64(id), modulus: 0x8000)
        }
        if next == nil {
            guard vp8.descriptor.isStartOfFrame else { return [] }
            next = picture
            highest = picture - 1
        }
        guard let next, picture >= next else {
            counts.latePackets += 1
            return release(now: now)
        }
        if picture - highest > Self.maximumGap {
            // A new stream: start over from this frame, counting nothing across the jump.
            frames.removeAll()
            self.next = nil
            return add(packet, now: now)
        }
        if picture > highest {
            for upcoming in (highest + 1)...picture { frames[upcoming] = Frame(known: now) }
            highest = picture
        }
        let newest = sequence.highest
        let extended = sequence.unwrap(header.sequenceNumber)
        if var frame = frames[picture] {
            if frame.data[extended] == nil {
                frame.data[extended] = data
                if let newest, extended < newest { frame.repaired = true }
                if vp8.descriptor.isStartOfFrame { frame.first = extended }
                if header.marker { frame.last = extended }
            } else {
                counts.latePackets += 1
            }
            frames[picture] = frame
        }
        return release(now: now)
    }

    /// Lets go of frames in order: complete ones at once, incomplete ones once their deadline passed.
    mutating func release(now: ContinuousClock.Instant) -> [[UInt8]] {
        var released: [[UInt8]] = []
        while let head = next, head <= highest, let frame = frames[head] {
            if frame.isComplete {
                counts.expected += 1
                if frame.repaired { counts.repaired += 1 }
                released.append(frame.data.sorted { $0.key < $1.key }.flatMap(\.value))
            } else if now - frame.known >= deadline && highest - head >= laterFrames {
                counts.expected += 1
                counts.lost += 1
            } else {
                break
            }
            frames[head] = nil
            next = head + 1
        }
        return released
    }

    /// The picture ID nearest the highest seen so far (picture IDs wrap at 7 or 15 bits).
    private mutating func extend(_ id: Int64, modulus: Int64) -> Int64 {
        guard next != nil else { return id }
        let reference = ((highest % modulus) + modulus) % modulus
        var step = (id - reference) % modulus
        if step < 0 { step += modulus }
        if step > modulus / 2 { step -= modulus }
        return highest + step
    }
}
