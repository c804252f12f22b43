/// The `o=` field: who created the description and which version of it this is (RFC 8866 §5.2).
///
/// An answerer bumps `sessionVersion` on every renegotiation so peers can tell changed descriptions apart.
public struct Origin: Equatable, Hashable, Sendable {
    public var username: String
    public var sessionID: UInt64
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(
        username: String = "-", sessionID: UInt64, sessionVersion: UInt64,
        networkType: String = "IN", addressType: String = "IP4", address: String = "0.0.0.0"
    ) {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init?(fieldValue: Substring) {
        let fields = fieldValue.sdpFields()
        guard fields.count == 6, !fields[0].isEmpty, !fields[3].isEmpty, !fields[4].isEmpty, !fields[5].isEmpty,
            let id = UInt64(sdpDecimal: fields[1]), let version = UInt64(sdpDecimal: fields[2])
        else { return nil }
        self.init(
            username: String(fields[0]), sessionID: id, sessionVersion: version,
            networkType: String(fields[3]), addressType: String(fields[4]), address: String(fields[5]))
    }

    var fieldValue: String {
        "\(username) \(sessionID) \(sessionVersion) \(networkType) \(addressType) \(address)"
    }
}
