/// A certificate fingerprint as carried in SDP `a=fingerprint` (RFC 8122 §5), binding the DTLS
/// handshake to the signalled session: the peer's certificate must hash to this value.
public struct DTLSFingerprint: Sendable, Equatable, CustomStringConvertible {
    /// Hash functions from the IANA "Hash Function Textual Names" registry that RFC 8122 §5 allows.
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha1 = "sha-1"
        case sha224 = "sha-224"
        case sha256 = "sha-256"
        case sha384 = "sha-384"
        case sha512 = "sha-512"

        public var digestLength: Int {
            switch self {
            case .sha1: 20
            case .sha224: 28
            case .sha256: 32
            case .sha384: 48
            case .sha512: 64
            }
        }
    }

    public let algorithm: Algorithm
    public let digest: [UInt8]

    /// Returns nil when the digest length does not match the algorithm.
    public init?(algorithm: Algorithm, digest: [UInt8]) {
        guard digest.count == algorithm.digestLength else { return nil }
        self.algorithm = algorithm
        self.digest = digest
    }

    /// Parses the attribute value, e.g. `sha-256 AB:CD:…`. The hash name is case-insensitive
    /// (RFC 8122 §5); the grammar asks for upper-case hex, but lower case is accepted because
    /// some implementations emit it and the bytes are unambiguous.
    public init?(sdpValue: String) {
        let trimmed = sdpValue.utf8.drop { $0 == 0x20 || $0 == 0x09 }
        guard let space = trimmed.firstIndex(where: { $0 == 0x20 || $0 == 0x09 }) else { return nil }
        let name = String(decoding: trimmed[..<space], as: UTF8.self).lowercased()
        guard let algorithm = Algorithm(rawValue: name) else { return nil }
        var hex = trimmed[space...].drop { $0 == 0x20 || $0 == 0x09 }
        while let last = hex.last, last == 0x20 || last == 0x09 || last == 0x0D || last == 0x0A {
            hex = hex.dropLast()
        }

        var digest: [UInt8] = []
        digest.reserveCapacity(algorithm.digestLength)
        var iterator = hex.makeIterator()
        while true {
            guard let high = iterator.next().flatMap(Self.nibble), let low = iterator.next().flatMap(Self.nibble)
            else { return nil }
            digest.append(high << 4 | low)
            guard let separator = iterator.next() else { break }
            guard separator == UInt8(ascii: ":") else { return nil }
        }
        self.init(algorithm: algorithm, digest: digest)
    }

    /// The attribute value in the canonical form of RFC 8122 §5: lower-case hash name, upper-case
    /// hex pairs joined by colons.
    public var sdpValue: String {
        let digits: [UInt8] = Array("0123456789ABCDEF".utf8)
        var text = Array(algorithm.rawValue.utf8)
        text.append(0x20)
        for (index, byte) in digest.enumerated() {
            if index > 0 { text.append(UInt8(ascii: ":")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public var description: String { sdpValue }

    /// Compares digests in time independent of where they differ, so a peer probing with forged
    /// certificates learns nothing from timing.
    public static func == (lhs: DTLSFingerprint, rhs: DTLSFingerprint) -> Bool {
        guard lhs.algorithm == rhs.algorithm, lhs.digest.count == rhs.digest.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.digest.indices { difference |= lhs.digest[index] ^ rhs.digest[index] }
        return difference == 0
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
