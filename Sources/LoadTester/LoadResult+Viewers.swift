import Foundation

/// One viewer's counters at one moment; two of them make its figures over the measured window.
struct ViewerSample: Sendable {
    var capped: Bool
    var bytes: Int64
    var lost: Int64
    var expected: Int64
    var videoLost: Int64
    var videoExpected: Int64
    /// Nil for a viewer not followed frame by frame (`ViewerQuality`).
    var quality: ViewerQuality.Counts?
    var width: Int?
    var height: Int?
    /// Nil when the relay did not take the transport-wide-cc extension.
    var feedbackSent: Int?
    var layerChanges: [LoadResult.LayerChange]? = nil
    /// Its account, to find the relay's estimate for it.
    var userID: String? = nil
    /// Packets it failed to decrypt, among those it read whole (a decoding viewer reads all of them).
    var unprotectFailed: Int = 0
    var readInBatches = false
}

extension LoadResult {
    /// What one viewer got in the window.
    public struct Viewer: Codable, Sendable {
        public var viewer: Int
        /// Its socket sat behind the capped link (`--capped-viewers`).
        public var capped: Bool
        /// RTP bytes (headers included) received per second, in kbit/s.
        public var receivedKbps: Double
        public var lossPercent: Double?
        public var videoLossPercent: Double?
        /// Video packets the relay sent it in the window, by their sequence numbers (lost ones included).
        public var videoPacketsExpected: Int64
        /// Packets it could not decrypt in the window, among those it read whole (all, for a decoding viewer;
        /// a sample otherwise). More than a handful means its SRTP state and the relay's disagree.
        public var unprotectFailed: Int
        /// The picture size of the last keyframe: the layer the relay sends it. Nil unless followed.
        public var width: Int?
        public var height: Int?
        /// Freezes (no frame shown for > max(3 × median frame gap, 150 ms)) in the window, one still going on at
        /// its end included, and the time frozen within it.
        public var freezes: Int?
        public var frozenSeconds: Double?
        public var framesShown: Int?
        public var framesLost: Int?
        /// Times the picture size changed (a layer switch).
        public var layerSwitches: Int?
        public var nacksSent: Int?
        public var plisSent: Int?
        /// Transport feedback packets it sent the relay in the window; nil when not negotiated.
        public var transportFeedbackSent: Int?
        /// Every picture size it was sent since it joined, and when.
        public var layerChanges: [LayerChange]?
        /// The relay's send-side estimate toward this viewer at the end of the window, as the relay last wrote
        /// it to the session's statistics (every 5 s); nil when it has none.
        public var relayEstimateKbps: Double?
        /// Its socket was read in batches (`--batched-reads`): it counted, unprotected a sample, and gave no
        /// latency samples.
        public var readInBatches = false

        /// Viewers present at both ends of the window (a churned one is left out).
        static func window(before: [Int: ViewerSample], after: [Int: ViewerSample], seconds: Double) -> [Viewer]? {
            guard !after.isEmpty else { return nil }
            return after.keys.sorted().compactMap { index in
                guard let last = after[index] else { return nil }
                let first = before[index] ?? ViewerSample(
                    capped: last.capped, bytes: 0, lost: 0, expected: 0, videoLost: 0, videoExpected: 0,
                    quality: last.quality.map { _ in ViewerQuality.Counts() }, width: nil, height: nil,
                    feedbackSent: last.feedbackSent.map { _ in 0 })
                var viewer = Viewer(
                    viewer: index, capped: last.capped,
                    receivedKbps: seconds > 0 ? Double(last.bytes - first.bytes) * 8 / seconds / 1_000 : 0,
                    lossPercent: percent(last.lost - first.lost, of: last.expected - first.expected),
                    videoLossPercent: percent(last.videoLost - first.videoLost, of: last.videoExpected - first.videoExpected),
                    videoPacketsExpected: last.videoExpected - first.videoExpected,
                    unprotectFailed: last.unprotectFailed - first.unprotectFailed, width: last.width, height: last.height,
                    layerChanges: last.layerChanges, readInBatches: last.readInBatches)
                if let end = last.quality {
                    let start = first.quality ?? .init()
                    // Those that ended in the window, and one still going on at its end.
                    viewer.freezes = end.freezes - start.freezes + (end.freezeOngoing ? 1 : 0)
                    viewer.frozenSeconds = Double(end.frozenNanoseconds - start.frozenNanoseconds) / 1e9
                    viewer.framesShown = end.framesShown - start.framesShown
                    viewer.framesLost = end.framesLost - start.framesLost
                    viewer.layerSwitches = end.layerSwitches - start.layerSwitches
                    viewer.nacksSent = end.nacksSent - start.nacksSent
                    viewer.plisSent = end.plisSent - start.plisSent
                }
                if let end = last.feedbackSent { viewer.transportFeedbackSent = end - (first.feedbackSent ?? 0) }
                return viewer
            }
        }

        private static func percent(_ part: Int64, of whole: Int64) -> Double? {
            whole > 0 ? 100 * Double(max(0, part)) / Double(whole) : nil
        }
    }

    /// A picture size a viewer was sent from `unixSeconds` on (the first keyframe of that size).
    public struct LayerChange: Codable, Sendable {
        public var unixSeconds: Double
        public var width: Int
        public var height: Int
    }

    /// Picture sizes counted ("1280x720": 9).
    static func layerMix(_ sizes: [String]) -> [String: Int]? {
        sizes.isEmpty ? nil : sizes.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }

    /// The text report's viewer lines: the layer mix, capped and uncapped viewers in aggregate, and each
    /// followed viewer.
    var viewerLines: [String] {
        guard let viewers, !viewers.isEmpty else { return [] }
        var lines: [String] = []
        if let layerMix {
            lines.append("\(scenario) N=\(participants): layer mix " + layerMix.sorted { $0.value > $1.value }
                .map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        }
        for capped in [true, false] {
            let group = viewers.filter { $0.capped == capped }
            guard !group.isEmpty, viewers.contains(where: \.capped) || !capped else { continue }
            let rate = group.map(\.receivedKbps).reduce(0, +) / Double(group.count)
            let losses = group.compactMap(\.lossPercent)
            let loss = losses.isEmpty ? "-" : String(format: "%.2f%%", losses.reduce(0, +) / Double(losses.count))
            let frozen = group.compactMap(\.frozenSeconds)
            lines.append(
                "\(capped ? "capped" : "uncapped") viewers (\(group.count)): mean \(String(format: "%.0f", rate)) kbit/s, "
                    + "loss \(loss)"
                    + (frozen.isEmpty ? "" : String(format: ", frozen %.2f s on average", frozen.reduce(0, +) / Double(frozen.count))))
        }
        for viewer in viewers where viewer.framesShown != nil {
            let size = viewer.width.map { width in "\(width)x\(viewer.height ?? 0)" } ?? "no keyframe"
            lines.append(
                "  viewer \(viewer.viewer)\(viewer.capped ? " [capped]" : ""): "
                    + String(format: "%.0f kbit/s, loss %@, ", viewer.receivedKbps, viewer.lossPercent.map { String(format: "%.2f%%", $0) } ?? "-")
                    + "\(size), \(viewer.framesShown ?? 0) frames shown, \(viewer.freezes ?? 0) freezes "
                    + String(format: "(%.2f s)", viewer.frozenSeconds ?? 0)
                    + ", \(viewer.layerSwitches ?? 0) layer switches, \(viewer.nacksSent ?? 0) NACKs, \(viewer.plisSent ?? 0) PLIs"
                    + ", transport feedback \(viewer.transportFeedbackSent.map(String.init) ?? "not negotiated")"
                    + ", relay estimate \(viewer.relayEstimateKbps.map { String(format: "%.0f kbit/s", $0) } ?? "n/a")")
        }
        return lines
    }
}
