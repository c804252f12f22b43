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

    public struct Decoded: Codable, Sendable {
        public var videoFrames: Int
        public var videoFailures: Int
        /// Frames incomplete on arrival (a packet lost), so never given to the decoder.
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
        return (table + decoding).joined(separator: "\n")
    }
}
