/// A request to send a short burst at `bitrate` (padding or RTX, tagged with `id` when reported to
/// `onPacketSent`), whose arrival rate tells whether the path carries that much.
public struct ProbeCluster: Sendable, Equatable {
    public var id: Int
    /// Rate to send the burst at, bits per second.
    public var bitrate: UInt64
    /// Send at least this many packets (libwebrtc: 5, so one lost packet does not void the probe)...
    public var minPackets: Int
    /// ...and at least this many bytes: `bitrate` for `duration` (libwebrtc: 15 ms).
    public var minBytes: Int

    /// Packets per cluster (libwebrtc `min_probe_packets_sent`).
    public static let defaultMinPackets = 5
    /// Burst duration, ns (libwebrtc `min_probe_duration`).
    public static let duration: Int64 = 15_000_000

    /// `duration` (ns) sets `minBytes` when that is not given.
    public init(
        id: Int, bitrate: UInt64, minPackets: Int = ProbeCluster.defaultMinPackets, minBytes: Int? = nil,
        duration: Int64 = ProbeCluster.duration
    ) {
        self.id = id
        self.bitrate = bitrate
        self.minPackets = minPackets
        self.minBytes = minBytes ?? Int(clamping: UInt64(clamping: Double(bitrate) * Double(duration) / 8e9))
    }
}
