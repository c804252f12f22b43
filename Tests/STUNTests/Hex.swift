/// Reads hex dumps as RFCs print them ("00 01 00 58 …"), ignoring whitespace.
extension Array where Element == UInt8 {
    init(hex: String) {
        let digits = hex.filter(\.isHexDigit)
        precondition(digits.count.isMultiple(of: 2), "odd number of hex digits")
        var bytes: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            bytes.append(UInt8(digits[index..<next], radix: 16)!)
            index = next
        }
        self = bytes
    }

    var hex: String {
        map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
