/// A `t=` field with the `r=` repeat fields that follow it (RFC 8866 §5.9, §5.10).
///
/// WebRTC always sends `t=0 0` (an unbounded session); repeats are kept verbatim for round trips.
public struct Timing: Equatable, Hashable, Sendable {
    /// NTP seconds; 0 means unbounded.
    public var start: UInt64
    public var stop: UInt64
    /// `r=` values, verbatim.
    public var repeats: [String]

    public init(start: UInt64 = 0, stop: UInt64 = 0, repeats: [String] = []) {
        self.start = start
        self.stop = stop
        self.repeats = repeats
    }

    init?(fieldValue: Substring) {
        let fields = fieldValue.sdpFields()
        guard fields.count == 2, let start = UInt64(sdpDecimal: fields[0]), let stop = UInt64(sdpDecimal: fields[1])
        else { return nil }
        self.init(start: start, stop: stop)
    }

    var fieldValue: String { "\(start) \(stop)" }
}
