import Foundation

/// One publisher's counters at one moment (`PublisherRateControl`); two make its figures over a span.
struct PublisherSample: Sendable {
    var unixSeconds: Double
    var sentVideoBytes: Int64
    var sentFrames: Int
    /// Nil for a publisher that does not adapt (fixed rate, or the relay did not take transport-wide-cc).
    var estimate: UInt64?
    var videoTarget: UInt64?
    var layerTargets: [UInt64]?
    var feedbackReceived: Int?
    var probePackets: Int?

    /// The sample at `unix` of a participant (on its event loop).
    init(_ participant: SimulatedParticipant, unixSeconds: Double) {
        self.unixSeconds = unixSeconds
        sentVideoBytes = participant.sentVideoBytes
        sentFrames = participant.publisher?.framesSent ?? 0
        estimate = participant.rateControl?.estimate
        videoTarget = participant.rateControl?.videoTarget
        let layers = participant.rateControl?.applied ?? []
        layerTargets = layers.count > 1 ? layers : nil
        feedbackReceived = participant.rateControl?.feedbackReceived
        probePackets = participant.rateControl?.probePackets
    }
}

extension LoadResult {
    /// What one publisher sent in the window, and where its congestion control stood at the end.
    public struct Publisher: Codable, Sendable {
        public var publisher: Int
        /// It followed the relay's transport-cc feedback (`--no-publisher-adaptation` off, and the relay took it).
        public var adapts: Bool
        /// Video it sent (RTP after SRTP, retransmissions included) per second, in kbit/s.
        public var sentVideoKbps: Double
        /// Video frames it sent per second (`--frame-rate`, when its loop keeps up).
        public var sentFramesPerSecond: Double
        /// Its send-side estimate (audio included) and the video encoders' target, at the end of the window.
        public var estimateKbps: Double?
        public var targetKbps: Double?
        /// Each simulcast layer's target, lowest first; 0 for a layer paused because the estimate cannot carry it.
        public var layerTargetsKbps: [Double]?
        /// Transport feedback packets it read in the window.
        public var feedbackReceived: Int?
        /// Padding-only packets it sent in the window to probe for a paused layer's bitrate (or after a large drop).
        public var probePacketsSent: Int?
        public var windowStartUnixSeconds: Double
        public var windowEndUnixSeconds: Double
        /// Every second from its first media until the end of the window: what it sent in that second, and its
        /// estimate and target at its end. Shows how long it took to settle.
        public var seconds: [Second]

        public struct Second: Codable, Sendable {
            public var unixSeconds: Double
            public var sentVideoKbps: Double
            public var estimateKbps: Double?
            public var targetKbps: Double?
        }

        /// Publishers present at both ends of the window; `series`: their per-second samples, by index.
        static func window(
            before: [Int: PublisherSample], after: [Int: PublisherSample], series: [Int: [PublisherSample]]
        ) -> [Publisher]? {
            guard !after.isEmpty else { return nil }
            return after.keys.sorted().compactMap { index in
                guard let first = before[index], let last = after[index] else { return nil }
                let seconds = max(last.unixSeconds - first.unixSeconds, 0.001)
                let samples = (series[index] ?? []) + [last]
                var perSecond: [Second] = []
                for (earlier, later) in zip(samples, samples.dropFirst()) where later.unixSeconds > earlier.unixSeconds {
                    perSecond.append(Second(
                        unixSeconds: later.unixSeconds,
                        sentVideoKbps: kbps(later.sentVideoBytes - earlier.sentVideoBytes, over: later.unixSeconds - earlier.unixSeconds),
                        estimateKbps: later.estimate.map { Double($0) / 1_000 }, targetKbps: later.videoTarget.map { Double($0) / 1_000 }))
                }
                return Publisher(
                    publisher: index, adapts: last.estimate != nil,
                    sentVideoKbps: kbps(last.sentVideoBytes - first.sentVideoBytes, over: seconds),
                    sentFramesPerSecond: Double(last.sentFrames - first.sentFrames) / seconds,
                    estimateKbps: last.estimate.map { Double($0) / 1_000 }, targetKbps: last.videoTarget.map { Double($0) / 1_000 },
                    layerTargetsKbps: last.layerTargets?.map { Double($0) / 1_000 },
                    feedbackReceived: last.feedbackReceived.map { $0 - (first.feedbackReceived ?? 0) },
                    probePacketsSent: last.probePackets.map { $0 - (first.probePackets ?? 0) },
                    windowStartUnixSeconds: first.unixSeconds, windowEndUnixSeconds: last.unixSeconds,
                    seconds: Array(perSecond.drop { $0.sentVideoKbps == 0 }))
            }
        }

        private static func kbps(_ bytes: Int64, over seconds: Double) -> Double {
            Double(bytes) * 8 / seconds / 1_000
        }
    }

    /// One line per publisher for the text report.
    var publisherLines: [String] {
        (publishers ?? []).map { publisher in
            var line = "\(scenario) publisher \(publisher.publisher): sent \(String(format: "%.0f", publisher.sentVideoKbps)) "
                + "kbit/s of video in \(String(format: "%.1f", publisher.sentFramesPerSecond)) frames/s"
            guard publisher.adapts else { return line + " at a fixed rate (no transport-cc adaptation)" }
            line += "; estimate \(publisher.estimateKbps.map { String(format: "%.0f", $0) } ?? "-") kbit/s, "
                + "video target \(publisher.targetKbps.map { String(format: "%.0f", $0) } ?? "-") kbit/s"
            if let layers = publisher.layerTargetsKbps {
                line += " (layers " + layers.map { $0 == 0 ? "paused" : String(format: "%.0f", $0) }.joined(separator: "/") + ")"
            }
            return line + ", \(publisher.feedbackReceived ?? 0) feedbacks, \(publisher.probePacketsSent ?? 0) probe packets"
        }
    }
}
