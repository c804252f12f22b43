/// Why a certificate or connection could not be set up. Failures during a handshake are reported
/// as `DTLSEvent.failed` instead, because they arrive with packets, not with calls.
public enum DTLSError: Error, Sendable, Equatable {
    /// An OpenSSL call failed; `reason` is the first entry of OpenSSL's error queue, if any.
    case openSSL(operation: String, reason: String)
    /// A configuration value is out of range; the text names it.
    case invalidConfiguration(String)
}
