/// The `c=` field (RFC 8866 §5.7).
///
/// WebRTC ignores it for routing (ICE candidates carry the real addresses, RFC 8839 §4.2.1.3) but it
/// must be present and well formed, typically `IN IP4 0.0.0.0`.
public struct Connection: Equatable, Hashable, Sendable {
    public var networkType: String
    public var addressType: String
    /// The connection address as written, including any `/ttl/count` suffix for multicast.
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String = "0.0.0.0") {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init?(fieldValue: Substring) {
        let fields = fieldValue.sdpFields()
        guard fields.count == 3, !fields.contains(where: \.isEmpty) else { return nil }
        self.init(networkType: String(fields[0]), addressType: String(fields[1]), address: String(fields[2]))
    }

    var fieldValue: String { "\(networkType) \(addressType) \(address)" }
}
