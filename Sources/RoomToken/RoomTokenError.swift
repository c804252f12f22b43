/// Why a room token was refused. The relay maps every case to "access denied" (the seed's video flow).
public enum RoomTokenError: Error, Sendable, Equatable {
    /// The HMAC key is shorter than 32 bytes (RFC 7518 §3.2 requires a key at least as long as the hash output).
    case keyTooShort
    /// Malformed, wrongly signed, expired or meant for another audience.
    case invalidToken(String)
    /// Well-signed but naming a different room than the one being joined.
    case wrongRoom
}
