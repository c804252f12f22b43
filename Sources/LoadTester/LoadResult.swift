import Foundation

/// One measured run (or one step of a ramp), as printed and written to JSON.
public struct LoadResult: Codable, Sendable {
    public var scenario: String
    public var participants: Int
    public var windowSeconds: Double
    public var forwardedPacketsPerSecond: Double
    public var forwardedMegabitsPerSecond: Double
    public var lossPercent: Double
    public var latencyP50Milliseconds: Double
    public var latencyP95Milliseconds: Double
    public var latencyP99Milliseconds: Double
    /// p99.9, from the same HdrHistogram (every sample of the window counts).
    public var latencyP999Milliseconds: Double? = nil
    public var joinP50Milliseconds: Double
    public var joinP99Milliseconds: Double
    public var joined: Int
    /// The relay process's CPU seconds per 1,000 packets it forwarded in the window (needs --server-pid).
    public var serverCPUSecondsPer1000Packets: Double?
    public var serverCPUPercent: Double?
    public var serverResidentMegabytes: Double?
    /// Sampled packets fully unprotected by receivers: failures mean corrupted or misrouted media.
    public var sampledUnprotectOK: Int
    public var sampledUnprotectFailed: Int
    /// What the decoding viewers made of the media, over the whole run.
    public var decoded: Decoded
    /// Packet loss of the viewers' video and audio streams alone, in the window. Audio is never
    /// retransmitted, so on a lossy publisher uplink it shows the uplink's loss; video shows what
    /// NACKs left unrepaired.
    public var videoLossPercent: Double? = nil
    public var audioLossPercent: Double? = nil
    /// VP8 frames the decoding viewers lost in the window (`FrameLossTracker`); nil without any.
    public var frameLoss: FrameLoss? = nil
    /// What the publishers were asked to retransmit and sent again, in the window.
    public var publisherRepair: PublisherRepair? = nil
    /// Every viewer present at the end of the window, in join order (`LoadResult+Viewers.swift`).
    public var viewers: [Viewer]? = nil
    /// How many followed viewers were last sent each picture size ("1280x720": 9), the room's layer mix.
    public var layerMix: [String: Int]? = nil
    /// Every publisher present at the end of the window: what it sent and its estimate (`LoadResult+Publishers.swift`).
    public var publishers: [Publisher]? = nil
    /// With `--rejoin-after-ms`: for each viewer that went silent and rejoined, seconds from its last packet
    /// to its first on the new connection (a killed relay node's learners, say).
    public var recoverySeconds: [Double]? = nil
    /// Each relay worker's busy share of the window, in %, from the relay's `/metrics`
    /// (`peerlearn_relay_worker_busy_seconds_total`); nil when it has none (Janus, an older relay).
    public var relayWorkerBusyPercent: [Double]? = nil

    public struct Decoded: Codable, Sendable {
        public var videoFrames: Int
        public var videoFailures: Int
        /// Frames still incomplete at the jitter buffer's deadline (`FrameLossTracker`), so never decoded.
        public var videoFramesDropped: Int
        public var audioFrames: Int
        public var audioFailures: Int

        init(_ counts: SampleDecoder.Counts) {
            videoFrames = counts.videoFrames
            videoFailures = counts.videoFailures
            videoFramesDropped = counts.videoFramesDropped
            audioFrames = counts.audioFrames
            audioFailures = counts.audioFailures
        }
    }

    /// Frame loss as the decoding viewers saw it: a frame counts as lost when it is not complete
    /// `deadlineMilliseconds` after the viewer first knew of it (`FrameLossTracker`).
    public struct FrameLoss: Codable, Sendable {
        public var framesExpected: Int
        public var framesLost: Int
        public var frameLossPercent: Double
        /// Frames complete only thanks to a packet that came out of order: a retransmission.
        public var framesRepaired: Int
        /// Packets for frames already given up on (repairs too late) or received twice.
        public var latePackets: Int
        public var deadlineMilliseconds: Double
        public var viewers: [Viewer]

        public struct Viewer: Codable, Sendable {
            public var viewer: Int
            public var framesExpected: Int
            public var framesLost: Int
            public var frameLossPercent: Double
            public var framesRepaired: Int
        }

        init?(before: [Int: FrameLossTracker.Counts], after: [Int: FrameLossTracker.Counts], deadline: Duration) {
            guard !after.isEmpty else { return nil }
            var total = FrameLossTracker.Counts()
            viewers = after.keys.sorted().map { index in
                let counts = after[index, default: .init()].subtracting(before[index] ?? .init())
                total.add(counts)
                return Viewer(
                    viewer: index, framesExpected: counts.expected, framesLost: counts.lost,
                    frameLossPercent: Self.percent(counts.lost, of: counts.expected), framesRepaired: counts.repaired)
            }
            framesExpected = total.expected
            framesLost = total.lost
            frameLossPercent = Self.percent(total.lost, of: total.expected)
            framesRepaired = total.repaired
            latePackets = total.latePackets
            deadlineMilliseconds = Double(deadline.components.seconds) * 1_000 + Double(deadline.components.attoseconds) / 1e15
        }

        /// 100% when frames were expected and none arrived is right; nothing expected is 100% too,
        /// so a viewer that saw no video never passes for a lossless one.
        static func percent(_ lost: Int, of expected: Int) -> Double {
            expected > 0 ? 100 * Double(lost) / Double(expected) : 100
        }
    }

    /// The publishers' side of NACK repair (`NackResponder`).
    public struct PublisherRepair: Codable, Sendable {
        /// RTCP Generic NACKs for the publishers' video.
        public var nacksReceived: Int
        /// Sequence numbers they listed.
        public var packetsRequested: Int
        public var retransmissionsSent: Int
        public var notInHistory: Int
        public var requestedAgain: Int
        /// Video packets sent the first time.
        public var videoPacketsSent: Int
        /// Retransmissions went as RTX (the answer accepted it), else as the same packets again.
        public var rtx: Bool?

        init(_ counts: NackResponder.Counts, rtx: Bool?) {
            nacksReceived = counts.nacks
            packetsRequested = counts.requested
            retransmissionsSent = counts.retransmitted
            notInHistory = counts.notInHistory
            requestedAgain = counts.requestedAgain
            videoPacketsSent = counts.videoPackets
            self.rtx = rtx
        }
    }

    static let header = [
        "scenario", "N", "joined", "fwd pkt/s", "Mbit/s", "loss %", "lat p50", "p95", "p99 ms", "join p50", "p99 ms",
        "cpu s/1k pkt", "cpu %", "RSS MB",
    ]

    var row: [String] {
        [
            scenario, "\(participants)", "\(joined)", String(format: "%.0f", forwardedPacketsPerSecond),
            String(format: "%.1f", forwardedMegabitsPerSecond), String(format: "%.2f", lossPercent),
            String(format: "%.2f", latencyP50Milliseconds), String(format: "%.2f", latencyP95Milliseconds),
            String(format: "%.2f", latencyP99Milliseconds), String(format: "%.0f", joinP50Milliseconds),
            String(format: "%.0f", joinP99Milliseconds),
            serverCPUSecondsPer1000Packets.map { String(format: "%.4f", $0) } ?? "-",
            serverCPUPercent.map { String(format: "%.1f", $0) } ?? "-",
            serverResidentMegabytes.map { String(format: "%.0f", $0) } ?? "-",
        ]
    }

    /// A plain-text table, columns aligned.
    public static func table(_ results: [LoadResult]) -> String {
        let rows = [header] + results.map(\.row)
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        let table = rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        let decoding = results.map {
            "\($0.scenario) N=\($0.participants): decoded \($0.decoded.videoFrames) VP8 frames "
                + "(\($0.decoded.videoFailures) failed, \($0.decoded.videoFramesDropped) incomplete) and "
                + "\($0.decoded.audioFrames) Opus frames (\($0.decoded.audioFailures) failed); "
                + "sampled unprotect \($0.sampledUnprotectOK) ok, \($0.sampledUnprotectFailed) failed"
        }
        let repair = results.compactMap { result -> String? in
            guard let frames = result.frameLoss else { return nil }
            let loss = [("video", result.videoLossPercent), ("audio", result.audioLossPercent)].map { kind, value in
                "\(kind) \(value.map { String(format: "%.2f", $0) } ?? "-")%"
            }.joined(separator: ", ")
            var line = "\(result.scenario) N=\(result.participants): frames lost \(frames.framesLost) of "
                + "\(frames.framesExpected) (\(String(format: "%.2f", frames.frameLossPercent))%, deadline "
                + "\(String(format: "%.0f", frames.deadlineMilliseconds)) ms, \(frames.framesRepaired) repaired); "
                + "packet loss at viewers \(loss)"
            if let repair = result.publisherRepair {
                line += "; publishers got \(repair.nacksReceived) NACKs for \(repair.packetsRequested) packets, "
                    + "resent \(repair.retransmissionsSent) (\(repair.rtx == true ? "RTX" : "plain")) of "
                    + "\(repair.videoPacketsSent) video packets"
            }
            return line
        }
        return (table + decoding + repair + results.compactMap(\.busyLine) + results.flatMap(\.publisherLines)
            + results.flatMap(\.viewerLines) + results.compactMap(\.recoveryLine))
            .joined(separator: "\n")
    }

    /// The relay workers' busy shares, and the relay-added p99 they imply for a lecture's 30 fps frame bursts:
    /// the busiest worker's share of the 33 ms frame interval (README, "Why no relay can meet p99 < 2 ms").
    var busyLine: String? {
        guard let busy = relayWorkerBusyPercent, let busiest = busy.max() else { return nil }
        let shares = busy.enumerated().map { String(format: "worker %d %.1f%%", $0.offset, $0.element) }
        return "\(scenario) N=\(participants): relay workers busy \(shares.joined(separator: ", ")); "
            + String(format: "a 30 fps lecture's frame bursts imply a relay-added p99 near %.1f ms", busiest / 100 * 1_000 / 30)
    }

    /// The rejoins' line: how many viewers lost their media and how long until it was back.
    var recoveryLine: String? {
        guard let gaps = recoverySeconds?.sorted() else { return nil }
        guard !gaps.isEmpty else { return "\(scenario) N=\(participants): no viewer went silent and rejoined" }
        return "\(scenario) N=\(participants): \(gaps.count) viewers went silent and rejoined; media back after "
            + String(format: "p50 %.2f s, max %.2f s", gaps[gaps.count / 2], gaps[gaps.count - 1])
    }
}
