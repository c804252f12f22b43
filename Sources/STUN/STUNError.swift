/// Why bytes could not be read as a STUN message. A plain enum so parsing can use typed throws
/// and a malformed datagram never allocates an error box.
public enum STUNError: Error, Sendable, Hashable {
    /// Fewer bytes than the 20-byte header or than the header's length field promises.
    case truncated
    /// Leading bits not zero or magic cookie absent (RFC 8489 §6): not a STUN message at all.
    case notSTUN
    /// Message length not a multiple of 4 or not matching the datagram (RFC 8489 §6).
    case invalidLength
    /// An attribute overruns the message or has the wrong size for its type.
    case malformedAttribute(STUNAttributeType)
    /// An attribute follows FINGERPRINT, which must be last (RFC 8489 §14.7).
    case attributeAfterFingerprint
}
