/// Why an SRTP operation failed. Thrown as a typed error so a rejected packet costs no allocation.
public enum SRTPError: Error, Sendable, Equatable {
    /// The packet's authentication tag did not verify: tampered, corrupt or keyed differently.
    case authenticationFailed
    /// The packet index was already seen or lies behind the replay window (RFC 3711 §3.3.2).
    case replayed
    /// The buffer cannot hold the protected packet; `required` is the capacity that would.
    case bufferTooSmall(required: Int)
    /// The packet is shorter than a minimal RTP/RTCP header (plus tag, when unprotecting), its
    /// header does not parse, or the length exceeds the buffer.
    case malformedPacket
    /// Key, salt or replay window do not fit the profile, or libsrtp rejected a parameter.
    case badParameter
    /// `protect` was called on an inbound context or `unprotect` on an outbound one.
    case wrongDirection
    /// Any other libsrtp status, by its `srtp_err_status_t` value.
    case library(status: Int32)
}
