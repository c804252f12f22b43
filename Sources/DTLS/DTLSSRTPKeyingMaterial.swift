/// SRTP master keys exported from a finished handshake, already assigned to directions: "local"
/// protects what this endpoint sends, "remote" unprotects what the peer sends.
public struct DTLSSRTPKeyingMaterial: Sendable, Equatable, CustomStringConvertible {
    /// The exporter label of RFC 5764 §4.2.
    static let exporterLabel = "EXTRACTOR-dtls_srtp"

    public let profile: DTLSSRTPProfile
    public let localMasterKey: [UInt8]
    public let localMasterSalt: [UInt8]
    public let remoteMasterKey: [UInt8]
    public let remoteMasterSalt: [UInt8]

    /// The negotiated profile's wire identifier, for the SRTP module to map.
    public var profileID: UInt16 { profile.rawValue }

    public init(profile: DTLSSRTPProfile, localMasterKey: [UInt8], localMasterSalt: [UInt8],
                remoteMasterKey: [UInt8], remoteMasterSalt: [UInt8]) {
        self.profile = profile
        self.localMasterKey = localMasterKey
        self.localMasterSalt = localMasterSalt
        self.remoteMasterKey = remoteMasterKey
        self.remoteMasterSalt = remoteMasterSalt
    }

    /// Bytes to export for `profile`: two keys and two salts.
    static func exportLength(for profile: DTLSSRTPProfile) -> Int {
        2 * (profile.masterKeyLength + profile.masterSaltLength)
    }

    /// Splits exporter output laid out client key, server key, client salt, server salt
    /// (RFC 5764 §4.2) according to which side of the handshake we were.
    init(profile: DTLSSRTPProfile, exported: [UInt8], role: DTLSConnection.Role) {
        precondition(exported.count == Self.exportLength(for: profile))
        let keyLength = profile.masterKeyLength, saltLength = profile.masterSaltLength
        let clientKey = Array(exported[0..<keyLength])
        let serverKey = Array(exported[keyLength..<2 * keyLength])
        let clientSalt = Array(exported[2 * keyLength..<2 * keyLength + saltLength])
        let serverSalt = Array(exported[(2 * keyLength + saltLength)...])
        switch role {
        case .client:
            self.init(profile: profile, localMasterKey: clientKey, localMasterSalt: clientSalt,
                      remoteMasterKey: serverKey, remoteMasterSalt: serverSalt)
        case .server:
            self.init(profile: profile, localMasterKey: serverKey, localMasterSalt: serverSalt,
                      remoteMasterKey: clientKey, remoteMasterSalt: clientSalt)
        }
    }

    /// Never prints key bytes, so logging an event cannot leak media keys.
    public var description: String { "DTLSSRTPKeyingMaterial(\(profile), keys redacted)" }
}
