/// Reassembles VP8 frames from RTP payloads, for receivers that decode (RFC 7741 §4.5): a frame
/// begins at a packet with S = 1 and partition index 0 and ends at the RTP marker bit, and is only
/// usable if no sequence number in between is missing. An incomplete frame is dropped, not
/// patched: a decoder fed a damaged frame corrupts every frame that references it.
public struct VP8FrameAssembler: Sendable {
    private var frame: [UInt8] = []
    private var assembling = false
    private var nextSequenceNumber: UInt16 = 0
    /// Frames abandoned because a packet was missing, malformed, or the marker never came.
    public private(set) var framesDropped = 0

    public init() {}

    /// Feeds one packet's RTP payload; returns the frame's VP8 bytes when this packet completes it.
    public mutating func append(payload: UnsafeRawBufferPointer, sequenceNumber: UInt16, marker: Bool) -> [UInt8]? {
        guard let parsed = try? VP8RTPPayload(parsing: payload) else {
            abandon()
            return nil
        }
        if parsed.descriptor.isStartOfFrame {
            abandon()
            frame.removeAll(keepingCapacity: true)
            assembling = true
        } else if !assembling || sequenceNumber != nextSequenceNumber {
            abandon()
            return nil
        }
        nextSequenceNumber = sequenceNumber &+ 1
        frame.append(contentsOf: payload[parsed.frameDataRange])
        guard marker else { return nil }
        assembling = false
        return frame
    }

    private mutating func abandon() {
        if assembling { framesDropped += 1 }
        assembling = false
    }
}
