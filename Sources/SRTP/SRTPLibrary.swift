internal import CSRTP

/// libsrtp must be initialised once per process before any session is created (srtp.h:
/// "srtp_init() must be called before any other srtp functions"). A global `let` is initialised
/// lazily and exactly once under Swift's thread-safe global initialisation, so no lock is needed.
private let libraryStatus: Int32 = Int32(bitPattern: srtp_init().rawValue)

enum SRTPLibrary {
    /// Runs `srtp_init` on first use; returns its status (0 when ready).
    static func ensureInitialized() -> Int32 { libraryStatus }
}
