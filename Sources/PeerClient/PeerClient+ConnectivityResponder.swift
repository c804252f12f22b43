import STUN

/// Answers the remote side's connectivity checks. Our relay (ICE-lite) never sends any, but
/// libnice, even as Janus's ICE-lite agent, sends a triggered check back on the pair we checked
/// (RFC 8445 §7.3.1.4) and will not complete ICE until it succeeds, as a browser would answer it.
extension PeerClient {
    /// The Binding success response for a valid request (RFC 8445 §7.3: USERNAME is
    /// "ourUfrag:theirUfrag", MESSAGE-INTEGRITY keyed with our ice-pwd), or nil to drop it.
    /// XOR-MAPPED-ADDRESS reflects `source`, the address the request came from.
    func respondToCheck(_ datagram: [UInt8], from source: TransportAddress) -> [UInt8]? {
        datagram.withUnsafeBytes { bytes -> [UInt8]? in
            guard let message = try? STUNMessage(parsing: bytes), message.type == .bindingRequest,
                message.verifyFingerprint(in: bytes), let username = message.username(in: bytes),
                username.hasPrefix(localUfrag + ":"), message.verifyIntegrity(key: localIntegrityKey, in: bytes)
            else { return nil }
            var builder = STUNMessageBuilder(type: .bindingSuccess, transactionID: message.transactionID)
            builder.append(.xorMappedAddress(source))
            return builder.finish(integrity: localIntegrityKey, fingerprint: true)
        }
    }
}
