internal import COpenSSL

/// A DTLS 1.2 association with one peer for DTLS-SRTP key agreement (RFC 5764), sans-IO.
///
/// Feed it received datagrams and the time; take datagrams to send with `pollTransmit()`, the next
/// wake-up with `pollTimeout()` and results with `pollEvent()`. The relay is the DTLS server
/// (SDP `a=setup:passive`, RFC 8842 §5); a load-testing peer is the client.
///
/// The peer is authenticated only by the fingerprint from SDP: its self-signed certificate is
/// accepted exactly when its hash matches (RFC 8122 §5, RFC 8827 §6.5).
///
/// Thread safety: the OpenSSL `SSL` object inside is not thread-safe, so a connection must be
/// used by one thread at a time; it is deliberately not `Sendable`.
public final class DTLSConnection {
    public enum Role: Sendable, Equatable {
        /// Sends the ClientHello (SDP `a=setup:active`).
        case client
        /// Answers a ClientHello (SDP `a=setup:passive`).
        case server
    }

    public enum State: Sendable, Equatable {
        case idle, handshaking, connected, failed, closed
    }

    public struct Configuration: Sendable {
        public var role: Role
        public var certificate: DTLSCertificate
        /// The peer's `a=fingerprint` from SDP.
        public var remoteFingerprint: DTLSFingerprint
        /// Profiles offered (client) or accepted in order of preference (server; OpenSSL's server
        /// picks by its own order). GCM first: it is cheaper per packet than AES-CM + HMAC-SHA1.
        public var srtpProfiles: [DTLSSRTPProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80]
        /// Largest datagram produced. 1200 bytes fits the IPv6 minimum MTU with headroom for
        /// TURN framing, as browsers assume.
        public var maximumDatagramSize = 1200
        /// First retransmission timeout (at least 50 ms); doubled on each expiry up to
        /// `maximumRetransmitTimeout` (RFC 6347 §4.2.4.1). Shorter than the RFC's 1 s because ICE
        /// has already shown the path works and a lost flight otherwise delays media by a second.
        ///
        /// OpenSSL times retransmissions with its own wall clock; `now` values passed in are used to
        /// express its timer as a `ContinuousClock.Instant`, so pass the real current time.
        public var initialRetransmitTimeout: Duration = .milliseconds(200)
        public var maximumRetransmitTimeout: Duration = .seconds(8)
        /// Whole-handshake budget from `start(now:)`, after which the connection fails.
        public var handshakeTimeout: Duration = .seconds(30)
        /// An OpenSSL cipher list replacing the shared one for this connection (tests pin a suite with it).
        public var cipherList: String?

        public init(role: Role, certificate: DTLSCertificate, remoteFingerprint: DTLSFingerprint) {
            self.role = role
            self.certificate = certificate
            self.remoteFingerprint = remoteFingerprint
        }
    }

    public let role: Role
    public private(set) var state: State = .idle
    public let remoteFingerprint: DTLSFingerprint

    private let certificate: DTLSCertificate // Keeps the shared SSL_CTX alive.
    private let channel: DatagramChannel
    /// Nil once retired: what is left of the association is `retired`.
    private var ssl: OpaquePointer?
    private(set) var retired: DTLSRecordProtection?
    private let initialTimeoutMicroseconds: UInt32
    private let maximumTimeoutMicroseconds: UInt32
    private let handshakeTimeout: Duration
    private var handshakeDeadline: ContinuousClock.Instant?
    private var retransmitDeadline: ContinuousClock.Instant?
    private var events: [DTLSEvent] = []
    private var eventHead = 0
    /// Set from OpenSSL's verify callback while a handshake step runs.
    private var peerCertificateMatched = false
    private var peerCertificateMismatched = false

    public init(configuration: Configuration) throws(DTLSError) {
        guard configuration.maximumDatagramSize >= 256, configuration.maximumDatagramSize <= 65_507 else {
            throw .invalidConfiguration("maximumDatagramSize must be within 256...65507")
        }
        guard !configuration.srtpProfiles.isEmpty else {
            throw .invalidConfiguration("srtpProfiles must not be empty")
        }
        let initial = Self.microseconds(configuration.initialRetransmitTimeout)
        let maximum = Self.microseconds(configuration.maximumRetransmitTimeout)
        // OpenSSL treats a timer with under 15 ms left as expired and checks it on every read, so a
        // shorter timeout would retransmit on each received datagram.
        guard let initial, let maximum, initial >= Self.minimumRetransmitMicroseconds, maximum >= initial else {
            throw .invalidConfiguration("retransmit timeouts must be 50 ms...71 min with initial <= maximum")
        }
        guard configuration.handshakeTimeout > .zero else {
            throw .invalidConfiguration("handshakeTimeout must be positive")
        }

        OpenSSLErrorQueue.clear()
        let channel = DatagramChannel(maximumDatagramSize: configuration.maximumDatagramSize)
        guard let ssl = SSL_new(configuration.certificate.sslContext) else { throw OpenSSLErrorQueue.error("SSL_new") }
        guard let bio = channel.makeBIO() else {
            SSL_free(ssl)
            throw OpenSSLErrorQueue.error("BIO_new")
        }
        SSL_set_bio(ssl, bio, bio) // The SSL now owns the BIO.

        self.role = configuration.role
        self.remoteFingerprint = configuration.remoteFingerprint
        self.certificate = configuration.certificate
        self.channel = channel
        self.ssl = ssl
        self.initialTimeoutMicroseconds = initial
        self.maximumTimeoutMicroseconds = maximum
        self.handshakeTimeout = configuration.handshakeTimeout

        // Unretained: the SSL never outlives self (freed in deinit).
        _ = peerlearn_ssl_set_app_data(ssl, Unmanaged.passUnretained(self).toOpaque())
        let profiles = configuration.srtpProfiles.map(\.openSSLName).joined(separator: ":")
        // Unlike most OpenSSL calls, SSL_set_tlsext_use_srtp returns 0 on success.
        guard SSL_set_tlsext_use_srtp(ssl, profiles) == 0 else { throw OpenSSLErrorQueue.error("SSL_set_tlsext_use_srtp") }
        if let list = configuration.cipherList, SSL_set_cipher_list(ssl, list) != 1 {
            throw OpenSSLErrorQueue.error("SSL_set_cipher_list")
        }
        // Our BIO has no socket to ask for a path MTU; the configured size is authoritative.
        _ = peerlearn_ssl_set_options(ssl, peerlearn_ssl_op_no_query_mtu())
        guard peerlearn_dtls_set_link_mtu(ssl, configuration.maximumDatagramSize) == 1 else {
            throw OpenSSLErrorQueue.error("DTLS_set_link_mtu")
        }
        SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT) { preverified, store in
            DTLSConnection.verifyPeerCertificate(preverified: preverified, store: store)
        }
        DTLS_set_timer_cb(ssl) { ssl, previous in
            DTLSConnection.nextRetransmitTimeout(ssl: ssl, previousMicroseconds: previous)
        }
        switch configuration.role {
        case .client: SSL_set_connect_state(ssl)
        case .server: SSL_set_accept_state(ssl)
        }
        _ = OpenSSLErrorQueue.drain()
    }

    deinit {
        // Also frees the BIO; the channel is released afterwards with self's properties.
        if let ssl { SSL_free(ssl) }
    }

    /// Whether `retire()` has freed the OpenSSL association.
    public var isRetired: Bool { retired != nil }

    // MARK: Retiring

    /// Frees the OpenSSL association of a connected peer that has shown it holds the keys (its first
    /// authenticated SRTP or SRTCP), keeping only the epoch-1 record keys. Memory per subscriber: the `SSL`
    /// costs ~40 KB for its whole life, 22 KB of it the handshake buffer that DTLS never releases "in case
    /// of retransmits". Such a peer has our last flight, so nothing will need retransmitting; what can still
    /// come is an alert, which the kept keys read (close_notify gives `.closed`, a fatal alert `.failed`), and
    /// `close()` writes our close_notify with them. False, changing nothing, for a suite it cannot continue.
    @discardableResult
    public func retire() -> Bool {
        guard state == .connected, retired == nil, let ssl, let session = SSL_get_session(ssl),
            let suite = SSL_get_current_cipher(ssl),
            let cipher = DTLSRecordProtection.Cipher(suite: SSL_CIPHER_get_protocol_id(suite))
        else { return false }
        var master = [UInt8](repeating: 0, count: 48)
        var clientRandom = [UInt8](repeating: 0, count: 32), serverRandom = [UInt8](repeating: 0, count: 32)
        defer { for index in master.indices { master[index] = 0 } }
        guard SSL_SESSION_get_master_key(session, &master, master.count) == master.count,
            SSL_get_client_random(ssl, &clientRandom, clientRandom.count) == clientRandom.count,
            SSL_get_server_random(ssl, &serverRandom, serverRandom.count) == serverRandom.count,
            let protection = DTLSRecordProtection(
                cipher: cipher, masterSecret: master, clientRandom: clientRandom, serverRandom: serverRandom,
                isClient: role == .client, nextWriteSequence: channel.nextWriteSequence)
        else { return false }
        retired = protection
        SSL_free(ssl)
        self.ssl = nil
        retransmitDeadline = nil
        return true
    }

    /// Records a retired association looks at per datagram. Each costs a cipher context and a decryption,
    /// and one datagram can pack ~40 alert-sized records; a peer has one alert to send, two at most.
    static let recordsReadPerDatagram = 4

    /// A retired association reads only alerts; anything else (a late handshake record, application data)
    /// has no reader.
    private func readAlerts(_ datagram: UnsafeRawBufferPointer) {
        let records = DTLSRecord.records(in: datagram, limit: Self.recordsReadPerDatagram)
        for record in records where record.contentType == DTLSRecord.alert {
            guard state == .connected, let alert = retired?.open(record), alert.count == 2 else { continue }
            if alert[1] == 0 {
                // Answered with ours, as OpenSSL would (RFC 5246 §7.2.1).
                if let answer = retired?.seal(contentType: DTLSRecord.alert, [1, 0]) { channel.enqueue(answer) }
                state = .closed
                events.append(.closed)
            } else if alert[0] == 2 {
                fail(.protocolError(reason: "peer sent fatal alert \(alert[1])"))
            }
        }
    }

    // MARK: Inputs

    /// Begins the handshake: a client emits its ClientHello, a server starts waiting for one.
    public func start(now: ContinuousClock.Instant) {
        guard state == .idle else { return }
        state = .handshaking
        handshakeDeadline = now + handshakeTimeout
        if role == .client { advance(now: now) }
    }

    /// Processes one received datagram (demultiplexed as DTLS per RFC 7983 §7). Malformed or
    /// unexpected records are dropped by OpenSSL, as RFC 6347 §4.1.2.7 asks, without failing.
    public func handleDatagram(_ datagram: UnsafeRawBufferPointer, now: ContinuousClock.Instant) {
        if state == .idle, role == .server { start(now: now) }
        guard state == .handshaking || state == .connected, !datagram.isEmpty else { return }
        guard retired == nil else { return readAlerts(datagram) }
        channel.incoming = datagram
        advance(now: now)
        channel.incoming = nil
    }

    public func handleDatagram(_ datagram: [UInt8], now: ContinuousClock.Instant) {
        datagram.withUnsafeBytes { handleDatagram($0, now: now) }
    }

    /// Retransmits the last flight if its timer has expired, or fails a handshake past its budget.
    public func handleTimeout(now: ContinuousClock.Instant) {
        guard state == .handshaking || state == .connected else { return }
        if state == .handshaking, let handshakeDeadline, now >= handshakeDeadline {
            fail(.timedOut)
            return
        }
        guard let retransmitDeadline, now >= retransmitDeadline, let ssl else { return }
        guard takeRecordBuffers() else { return }
        defer { returnRecordBuffers() }
        OpenSSLErrorQueue.clear()
        // OpenSSL checks expiry against its own clock; if that lags ours it declines, and the
        // deadline is recomputed from what it reports as remaining.
        if peerlearn_dtls_handle_timeout(ssl) < 0 {
            let reason = OpenSSLErrorQueue.drain()
            fail(state == .handshaking ? .timedOut : .protocolError(reason: reason ?? "retransmission failed"))
            return
        }
        _ = OpenSSLErrorQueue.drain()
        updateTimer(now: now)
    }

    /// Sends close_notify (RFC 5246 §7.2.1) and stops processing.
    public func close() {
        guard state == .handshaking || state == .connected else { return }
        if state == .connected, retired != nil {
            // A warning-level close_notify (RFC 5246 §7.2.1).
            if let record = retired?.seal(contentType: DTLSRecord.alert, [1, 0]) { channel.enqueue(record) }
        } else if state == .connected, let ssl, takeRecordBuffers() {
            OpenSSLErrorQueue.clear()
            _ = SSL_shutdown(ssl)
            _ = OpenSSLErrorQueue.drain()
        }
        state = .closed
        returnRecordBuffers()
        retransmitDeadline = nil
        handshakeDeadline = nil
    }

    // MARK: Outputs

    /// The next datagram to send, one DTLS record per datagram as OpenSSL wrote them.
    public func pollTransmit() -> [UInt8]? { channel.dequeue() }

    public func pollEvent() -> DTLSEvent? {
        guard eventHead < events.count else { return nil }
        let event = events[eventHead]
        eventHead += 1
        if eventHead == events.count {
            events.removeAll(keepingCapacity: true)
            eventHead = 0
        }
        return event
    }

    /// When `handleTimeout(now:)` should next be called, or nil when no timer runs.
    public func pollTimeout() -> ContinuousClock.Instant? {
        switch (retransmitDeadline, state == .handshaking ? handshakeDeadline : nil) {
        case let (retransmit?, handshake?): min(retransmit, handshake)
        case let (retransmit?, nil): retransmit
        case let (nil, handshake?): handshake
        case (nil, nil): nil
        }
    }

    // MARK: Driving OpenSSL

    private func advance(now: ContinuousClock.Instant) {
        guard let ssl, takeRecordBuffers() else { return }
        defer { returnRecordBuffers() }
        if state == .handshaking {
            OpenSSLErrorQueue.clear()
            let result = SSL_do_handshake(ssl)
            if result == 1 {
                _ = OpenSSLErrorQueue.drain()
                completeHandshake()
            } else {
                handleFailure(result, duringHandshake: true)
            }
        }
        if state == .connected { readRecords() }
        updateTimer(now: now)
    }

    /// Memory per subscriber: OpenSSL never releases a DTLS association's 16-KiB read and write record
    /// buffers (SSL_MODE_RELEASE_BUFFERS applies to TLS only), 33 KB of each learner's ~100. After the
    /// handshake they serve only the odd alert or retransmitted Finished, so a connected association holds
    /// none: each call that touches its records takes them first (DTLS's record layer, unlike TLS's,
    /// does not allocate them itself) and gives them back after. False: out of memory, and failed.
    private func takeRecordBuffers() -> Bool {
        guard state == .connected, let ssl else { return true }
        if SSL_alloc_buffers(ssl) == 1 { return true }
        fail(.protocolError(reason: "no memory for DTLS record buffers"))
        return false
    }

    /// A no-op while the handshake runs or a record is still pending in them.
    private func returnRecordBuffers() {
        if state != .handshaking, let ssl { _ = SSL_free_buffers(ssl) }
    }

    /// After the handshake, records still arrive: alerts such as close_notify, and a retransmitted
    /// client Finished that OpenSSL answers by resending its last flight (RFC 6347 §4.2.4).
    /// Application data has no consumer here (no data channels) and is discarded.
    private func readRecords() {
        guard let ssl else { return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2048) { scratch in
            while state == .connected {
                OpenSSLErrorQueue.clear()
                let result = SSL_read(ssl, scratch.baseAddress, Int32(scratch.count))
                if result > 0 { continue }
                handleFailure(result, duringHandshake: false)
                break
            }
        }
    }

    private func handleFailure(_ result: Int32, duringHandshake: Bool) {
        guard let ssl else { return }
        let code = SSL_get_error(ssl, result)
        let reason = OpenSSLErrorQueue.drain()
        switch code {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return
        case SSL_ERROR_ZERO_RETURN:
            // The peer's close_notify; answering with ours completes the closure.
            OpenSSLErrorQueue.clear()
            _ = SSL_shutdown(ssl)
            _ = OpenSSLErrorQueue.drain()
            state = .closed
            retransmitDeadline = nil
            events.append(.closed)
        default:
            if peerCertificateMismatched {
                fail(.fingerprintMismatch)
            } else {
                let what = duringHandshake ? "handshake failed" : "connection failed"
                fail(.protocolError(reason: reason ?? "\(what) (SSL_get_error \(code))"))
            }
        }
    }

    private func completeHandshake() {
        guard let ssl else { return }
        // FAIL_IF_NO_PEER_CERT makes OpenSSL enforce this for a server; check for both roles so no
        // path yields keys without a verified fingerprint.
        guard peerCertificateMatched, !peerCertificateMismatched else {
            fail(.fingerprintMismatch)
            return
        }
        guard let selected = SSL_get_selected_srtp_profile(ssl),
              let profile = DTLSSRTPProfile(rawValue: UInt16(truncatingIfNeeded: selected.pointee.id))
        else {
            fail(.noSRTPProfile)
            return
        }
        var exported = [UInt8](repeating: 0, count: DTLSSRTPKeyingMaterial.exportLength(for: profile))
        let label = DTLSSRTPKeyingMaterial.exporterLabel
        OpenSSLErrorQueue.clear()
        let status = SSL_export_keying_material(ssl, &exported, exported.count, label, label.utf8.count, nil, 0, 0)
        let reason = OpenSSLErrorQueue.drain()
        guard status == 1 else {
            fail(.protocolError(reason: reason ?? "SSL_export_keying_material failed"))
            return
        }
        let material = DTLSSRTPKeyingMaterial(profile: profile, exported: exported, role: role)
        for index in exported.indices { exported[index] = 0 }
        state = .connected
        handshakeDeadline = nil
        events.append(.connected(material))
    }

    private func fail(_ failure: DTLSFailure) {
        state = .failed
        retransmitDeadline = nil
        handshakeDeadline = nil
        events.append(.failed(failure))
    }

    /// Mirrors OpenSSL's retransmission timer into our clock domain.
    private func updateTimer(now: ContinuousClock.Instant) {
        guard state == .handshaking || state == .connected, let ssl else {
            retransmitDeadline = nil
            return
        }
        var remaining = timeval()
        if peerlearn_dtls_get_timeout(ssl, &remaining) == 1 {
            retransmitDeadline = now + .seconds(remaining.tv_sec) + .microseconds(remaining.tv_usec)
        } else {
            retransmitDeadline = nil
        }
    }

    // MARK: OpenSSL callbacks

    private static func connection(for ssl: OpaquePointer?) -> DTLSConnection? {
        guard let ssl, let pointer = peerlearn_ssl_get_app_data(ssl) else { return nil }
        return Unmanaged<DTLSConnection>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Accepts the peer's self-signed certificate if and only if it hashes to the fingerprint
    /// from SDP. Only the leaf (depth 0) matters; RFC 8122 §5 binds the end-entity certificate.
    private static func verifyPeerCertificate(preverified _: Int32, store: OpaquePointer?) -> Int32 {
        guard let store,
              let sslPointer = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
              let connection = connection(for: OpaquePointer(sslPointer))
        else { return 0 }
        guard X509_STORE_CTX_get_error_depth(store) == 0 else { return 1 }
        let expected = connection.remoteFingerprint
        guard let certificate = X509_STORE_CTX_get_current_cert(store),
              let digest = DTLSCertificate.digest(of: certificate, algorithm: expected.algorithm),
              let actual = DTLSFingerprint(algorithm: expected.algorithm, digest: digest),
              actual == expected
        else {
            connection.peerCertificateMismatched = true
            X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION)
            return 0
        }
        connection.peerCertificateMatched = true
        X509_STORE_CTX_set_error(store, X509_V_OK)
        return 1
    }

    /// OpenSSL passes 0 when a flight's timer starts and the last timeout after each expiry.
    private static func nextRetransmitTimeout(ssl: OpaquePointer?, previousMicroseconds: UInt32) -> UInt32 {
        guard let connection = connection(for: ssl) else { return 1_000_000 }
        guard previousMicroseconds > 0 else { return connection.initialTimeoutMicroseconds }
        let doubled = previousMicroseconds.multipliedReportingOverflow(by: 2)
        return doubled.overflow ? connection.maximumTimeoutMicroseconds
            : min(doubled.partialValue, connection.maximumTimeoutMicroseconds)
    }

    private static let minimumRetransmitMicroseconds: UInt32 = 50_000

    private static func microseconds(_ duration: Duration) -> UInt32? {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        guard seconds >= 0, seconds < 4_000, micros <= Int64(UInt32.max) else { return nil }
        return UInt32(micros)
    }
}

@available(*, unavailable, message: "DTLSConnection wraps a non-thread-safe OpenSSL SSL object")
extension DTLSConnection: Sendable {}
