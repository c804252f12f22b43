/// An IP address and UDP/TCP port (RFC 8489 §3 "transport address"), stored inline so it can be
/// hashed, compared and used as a dictionary key on the packet path without heap traffic.
///
/// Deliberately free of Foundation and NIO: every protocol module can share it.
public struct TransportAddress: Sendable, Hashable {
    public enum IP: Sendable, Hashable {
        /// Address in host order (`0xC0000201` is 192.0.2.1).
        case v4(UInt32)
        /// The 16 bytes as two host-order halves, most significant first.
        case v6(high: UInt64, low: UInt64)
    }

    public var ip: IP
    public var port: UInt16

    public init(ip: IP, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    public init(ipv4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16) {
        self.init(ip: .v4(UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)), port: port)
    }

    /// Builds an address from 4 (IPv4) or 16 (IPv6) network-order bytes; `nil` for any other length.
    public init?(addressBytes bytes: some Collection<UInt8>, port: UInt16) {
        switch bytes.count {
        case 4:
            self.init(ip: .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) }), port: port)
        case 16:
            let high = bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = bytes.dropFirst(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self.init(ip: .v6(high: high, low: low), port: port)
        default:
            return nil
        }
    }

    public var isIPv4: Bool {
        if case .v4 = ip { return true }
        return false
    }

    /// IPv4-mapped IPv6 (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2) rewritten as plain IPv4, anything
    /// else unchanged. Dual-stack sockets report IPv4 peers in mapped form; canonicalizing keeps one
    /// peer from looking like two (e.g. two ICE pairs).
    public var canonicalized: TransportAddress {
        guard case .v6(0, let low) = ip, low >> 32 == 0xFFFF else { return self }
        return TransportAddress(ip: .v4(UInt32(truncatingIfNeeded: low)), port: port)
    }

    /// The address in network order: 4 or 16 bytes.
    public var addressBytes: [UInt8] {
        var bytes: [UInt8] = []
        withAddressBytes { bytes = Array($0) }
        return bytes
    }

    /// Calls `body` with the network-order address bytes without allocating.
    public func withAddressBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch ip {
        case .v4(let value):
            var be = value.bigEndian
            return try withUnsafeBytes(of: &be, body)
        case .v6(let high, let low):
            var be = (high.bigEndian, low.bigEndian)
            return try withUnsafeBytes(of: &be, body)
        }
    }
}

extension TransportAddress: CustomStringConvertible {
    /// `192.0.2.1:32853` or `[2001:db8::1]:32853` (RFC 5952 §4 canonical IPv6 text, RFC 3986 brackets).
    public var description: String {
        switch ip {
        case .v4: return "\(ipDescription):\(port)"
        case .v6: return "[\(ipDescription)]:\(port)"
        }
    }

    /// The address alone, without port or brackets.
    public var ipDescription: String {
        switch ip {
        case .v4(let value):
            return "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
        case .v6(let high, let low):
            let groups = (0..<8).map { i -> UInt16 in
                let half = i < 4 ? high : low
                return UInt16(truncatingIfNeeded: half >> (UInt64(3 - i % 4) * 16))
            }
            // RFC 5952 §4.2: compress the longest run (length >= 2, first on ties) of zero groups.
            var bestStart = -1, bestLength = 0, runStart = -1
            for i in 0...8 {
                if i < 8 && groups[i] == 0 {
                    if runStart < 0 { runStart = i }
                } else if runStart >= 0 {
                    if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                    runStart = -1
                }
            }
            let hex = { (g: UInt16) in String(g, radix: 16) }
            guard bestLength >= 2 else { return groups.map(hex).joined(separator: ":") }
            let head = groups[..<bestStart].map(hex).joined(separator: ":")
            let tail = groups[(bestStart + bestLength)...].map(hex).joined(separator: ":")
            return head + "::" + tail
        }
    }
}

extension TransportAddress {
    /// Parses a textual IP (dotted IPv4 or RFC 4291 §2.2 IPv6, including `::` and an embedded
    /// IPv4 tail) plus a port, as found in SDP candidates and configuration files.
    public init?(ip text: some StringProtocol, port: UInt16) {
        if let v4 = Self.parseIPv4(Substring(text)) {
            self.init(ip: .v4(v4), port: port)
        } else if let v6 = Self.parseIPv6(Substring(text)) {
            self.init(ip: .v6(high: v6.high, low: v6.low), port: port)
        } else {
            return nil
        }
    }

    private static func parseIPv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }

    private static func parseIPv6(_ text: Substring) -> (high: UInt64, low: UInt64)? {
        // Strip a zone index ("fe80::1%eth0"): it does not belong in the 128-bit address.
        let text = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }

        func groups(_ part: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var result: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, field) in fields.enumerated() {
                if allowIPv4Tail, index == fields.count - 1, field.contains("."),
                   let v4 = parseIPv4(field) {
                    result.append(UInt16(v4 >> 16))
                    result.append(UInt16(v4 & 0xFFFF))
                } else {
                    guard (1...4).contains(field.count), field.allSatisfy(\.isHexDigit),
                          let group = UInt16(field, radix: 16) else { return nil }
                    result.append(group)
                }
            }
            return result
        }

        var all: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0], allowIPv4Tail: false),
                  let tail = groups(halves[1], allowIPv4Tail: true),
                  head.count + tail.count <= 7 else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let only = groups(halves[0], allowIPv4Tail: true), only.count == 8 else { return nil }
            all = only
        }
        let high = all[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = all[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }
}

private extension Substring {
    /// Splits on a multi-character separator without Foundation.
    func components(separatedBy separator: String) -> [Substring] {
        var result: [Substring] = []
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            result.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        result.append(rest)
        return result
    }
}
