/// Byte-level scanning helpers shared by every field parser.
///
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
    /// Splits on an ASCII separator, keeping empty pieces so doubled separators surface as empty
    /// fields that the strict grammar rejects. Scans UTF-8 bytes: SDP separators are all ASCII, and
    /// byte scanning avoids grapheme breaking, which dominated parse time.
    func sdpSplit(_ separator: Unicode.Scalar) -> [Substring] {
        let byte = UInt8(ascii: separator)
        var pieces: [Substring] = []
        var start = startIndex
        var index = utf8.startIndex
        while index < utf8.endIndex {
            if utf8[index] == byte {
                pieces.append(self[start..<index])
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        pieces.append(self[start...])
        return pieces
    }

    /// Space-separated fields (RFC 8866 §9 uses single `SP` between fields).
    func sdpFields() -> [Substring] { sdpSplit(" ") }

    /// Splits at the first ASCII `separator`; `nil` second half when absent.
    func splitOnce(_ separator: Unicode.Scalar) -> (Substring, Substring?) {
        let byte = UInt8(ascii: separator)
        var index = utf8.startIndex
        while index < utf8.endIndex {
            if utf8[index] == byte { return (self[..<index], self[utf8.index(after: index)...]) }
            index = utf8.index(after: index)
        }
        return (self, nil)
    }

    /// Whether the ASCII `scalar` occurs, without grapheme breaking.
    func containsByte(_ scalar: Unicode.Scalar) -> Bool {
        utf8.contains(UInt8(ascii: scalar))
    }
}
