/// One time description: a `t=` field with the `r=` and `z=` fields that follow it (RFC 8866 §5.9–§5.11).
///
/// WebRTC always sends `t=0 0` (an unbounded session); repeat and zone fields are kept verbatim for
/// round trips. RFC 8866 §9 places `z=` inside the time description (RFC 4566 had it after all of
/// them); both layouts parse, and `z=` attaches to the `t=` before it.
public struct Timing: Equatable, Hashable, Sendable {
    /// NTP seconds; 0 means unbounded.
    public var start: UInt64
    public var stop: UInt64
    /// `r=` values, verbatim.
    public var repeats: [String]
    /// `z=` value, verbatim.
    public var zoneAdjustments: String?

    public init(start: UInt64 = 0, stop: UInt64 = 0, repeats: [String] = [], zoneAdjustments: String? = nil) {
        self.start = start
        self.stop = stop
        self.repeats = repeats
        self.zoneAdjustments = zoneAdjustments
    }

    init?(fieldValue: Substring) {
        let fields = fieldValue.sdpFields()
        guard fields.count == 2, let start = UInt64(sdpDecimal: fields[0]), let stop = UInt64(sdpDecimal: fields[1])
        else { return nil }
        self.init(start: start, stop: stop)
    }

    var fieldValue: String { "\(start) \(stop)" }
}
