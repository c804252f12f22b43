/// Arithmetic that clamps instead of trapping. Times and sizes that reach the estimator from the wire
/// (feedback deltas, unwrapped counters) are not trusted to stay in range; a saturated value is
/// absurd but harmless, a trap takes the relay down.
extension Int64 {
    @inline(__always)
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    @inline(__always)
    func saturatingSubtract(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other < 0 ? .max : .min) : difference
    }

    @inline(__always)
    func saturatingMultiply(_ other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self < 0) != (other < 0) ? .min : .max) : product
    }
}

extension UInt64 {
    /// `value` rounded and clamped into UInt64 (NaN and negatives become 0).
    @inline(__always)
    init(clamping value: Double) {
        if !(value > 0) {
            self = 0
        } else if value >= 18_446_744_073_709_549_568.0 {
            self = .max
        } else {
            self = UInt64(value.rounded())
        }
    }
}

/// Bits per second for `bytes` over `nanoseconds`; `nil` for an empty or negative interval.
@inline(__always)
func bitrate(bytes: Int64, over nanoseconds: Int64) -> UInt64? {
    guard nanoseconds > 0, bytes >= 0 else { return nil }
    return UInt64(clamping: Double(bytes) * 8e9 / Double(nanoseconds))
}
