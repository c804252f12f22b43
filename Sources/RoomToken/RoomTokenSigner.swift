import JWTKit

/// Signs room tokens. Lives beside the verifier so both ends agree on claims and algorithm.
public struct RoomTokenSigner: Sendable {
    private let keys: JWTKeyCollection

    public init(secret: [UInt8]) async throws(RoomTokenError) {
        self.keys = try await RoomTokenKeys.make(secret: secret)
    }

    public func sign(_ claims: RoomClaims) async throws -> String {
        try await keys.sign(claims)
    }
}
