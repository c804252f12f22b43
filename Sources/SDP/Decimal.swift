/// Strict decimal parsing for SDP numeric fields.
///
/// The standard library's `init?(_: String)` also accepts a leading `+` or `-`, which the SDP grammar
/// (RFC 8866 §9, `1*DIGIT`) does not; accepting it would also break byte-identical round trips.
extension FixedWidthInteger where Self: UnsignedInteger {
    init?(sdpDecimal text: Substring) {
        guard !text.isEmpty else { return nil }
        var result: Self = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflow1) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(Self(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            result = sum
        }
        self = result
    }
}

extension Substring {
    /// Splits on single spaces keeping empty tokens, so doubled spaces surface as empty fields
    /// that the strict grammar rejects.
    func sdpFields() -> [Substring] {
        split(separator: " ", omittingEmptySubsequences: false)
    }

    /// Splits at the first occurrence of `separator`; `nil` second half when absent.
    func splitOnce(_ separator: Character) -> (Substring, Substring?) {
        guard let index = firstIndex(of: separator) else { return (self, nil) }
        return (self[..<index], self[self.index(after: index)...])
    }
}
