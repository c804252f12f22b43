/// The delay-based detector's verdict on the path's queue (draft-ietf-rmcat-gcc §5.4).
public enum BandwidthUsage: String, Sendable, Equatable {
    /// Queue stable: the rate may grow.
    case normal
    /// Queue growing: we send more than the bottleneck drains.
    case overusing
    /// Queue draining: hold so it can empty before growing again.
    case underusing
}
