import RTP

/// Spreads a publisher's video frames over time the way a browser's pacer does (libwebrtc's
/// `PacingController`): packets queue and leave in bursts every 5 ms, at 2.5× the video bitrate, so
/// a frame's packets reach the server a few at a time instead of all at once. Audio is not queued,
/// as libwebrtc gives it priority. Each packet's send time is rewritten when it really leaves. A
/// publisher that adapts to the relay's feedback paces at 2.5× its estimate instead (`setRate`).
struct VideoPacer {
    static let interval: Duration = .milliseconds(5)
    static let pacingFactor = 2.5

    private var queue: [[UInt8]] = []
    private var head = 0
    /// Bytes the pacer may still send; negative after a packet larger than the remaining budget.
    private var budget = 0.0
    private var bytesPerInterval: Double

    init(videoKbps: Int) {
        bytesPerInterval = Double(videoKbps) * 1_000 / 8 * Self.pacingFactor * 0.005
    }

    /// Paces at 2.5× `bitsPerSecond` from the next tick on (libwebrtc's pacing rate for its target).
    mutating func setRate(bitsPerSecond: UInt64) {
        bytesPerInterval = Double(bitsPerSecond) / 8 * Self.pacingFactor * 0.005
    }

    var isEmpty: Bool { head == queue.count }

    mutating func enqueue(_ packets: [[UInt8]]) {
        if head > 0 && head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
        queue += packets
    }

    /// The packets due in this 5 ms tick; budget left unused does not carry over (no bursts after idling).
    mutating func due() -> ArraySlice<[UInt8]> {
        budget = min(budget, 0) + bytesPerInterval
        let start = head
        while head < queue.count, budget > 0 {
            budget -= Double(queue[head].count)
            head += 1
        }
        return queue[start..<head]
    }
}
