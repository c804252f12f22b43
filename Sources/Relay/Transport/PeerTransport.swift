import DTLS
import ICE
import SRTP
import STUN

/// One peer connection's transport: the ice-lite agent, DTLS and the SRTP contexts DTLS keys. It is the
/// only owner of where the peer is: the nominated address media goes to, and the checked addresses
/// stray packets may come from (the router indexes those, but learns them only from here).
final class PeerTransport {
    private(set) var ice: ICELiteAgent
    /// Made once the peer's fingerprint is known: at once for a peer that offered, at its answer for a
    /// peer the relay offered to.
    private(set) var dtls: DTLSConnection?
    private(set) var inbound: SRTPContext?
    private(set) var outbound: SRTPContext?
    /// Where media goes: the nominated ICE pair's remote address.
    private(set) var remote: TransportAddress?
    /// When the peer's first valid connectivity check arrived: its address is proven, and DTLS may start
    /// (a join's trace: `JoinTimeline`). Nomination may come later than DTLS and even media.
    private(set) var firstCheckAt: ContinuousClock.Instant?
    /// Every address that passed a connectivity check, kept to the ICE agent's bounded pair list.
    private(set) var knownAddresses: Set<TransportAddress> = []
    /// SSRCs the peer sends RTCP from besides its published tracks' (a receive-only browser uses a local
    /// one). Bounded, so SRTCP never keeps stream state for arbitrary SSRCs.
    private(set) var rtcpSenders: [UInt32] = []
    /// STUN error responses sent in the current second (see `RelayLimits.stunErrorResponsesPerSecond`).
    private var errorResponses: (second: Int64, count: Int) = (0, 0)

    init(ice: ICELiteAgent) {
        self.ice = ice
    }

    var localUfrag: String { ice.configuration.localUfrag }
    var isConnected: Bool { outbound != nil }
    /// Where DTLS flights go before a pair is nominated: any checked address.
    var handshakeDestination: TransportAddress? { remote ?? knownAddresses.first }

    /// Starts DTLS as the server (`setup:passive`); the peer's certificate must match `fingerprint`.
    func startDTLS(
        certificate: DTLSCertificate, remoteFingerprint: DTLSFingerprint, handshakeTimeout: Duration
    ) throws(RelayError) {
        do {
            var configuration = DTLSConnection.Configuration(
                role: .server, certificate: certificate, remoteFingerprint: remoteFingerprint)
            configuration.handshakeTimeout = handshakeTimeout
            dtls = try DTLSConnection(configuration: configuration)
        } catch {
            throw .internalFailure("DTLS: \(error)")
        }
    }

    /// As if DTLS had finished over a checked address that was never nominated (tests of that timeout).
    func forgetNomination() {
        remote = nil
    }

    /// New ICE credentials on both sides (RFC 8445 §9); DTLS and SRTP carry on over the new pair.
    func restartICE(_ agent: ICELiteAgent) {
        ice = agent
    }

    func setRemoteUfrag(_ ufrag: String) {
        ice.setRemoteUfrag(ufrag)
    }

    enum CheckResult {
        /// Answer the check; `learned` is a new address for the router's index, `forgotten` ones leave it.
        case answer([UInt8], learned: TransportAddress?, forgotten: [TransportAddress])
        /// A rejected check whose error response fits this second's ration.
        case refuse([UInt8])
        case drop
    }

    /// A connectivity check from `source`. Error responses are rationed: forged checks carry a ufrag
    /// seen on the wire and any source address, and answering each would make the relay a reflector.
    func handleCheck(
        _ bytes: UnsafeRawBufferPointer, from source: TransportAddress, now: ContinuousClock.Instant,
        second: Int64, errorResponsesPerSecond: Int
    ) -> CheckResult {
        switch ice.handle(bytes, from: source, now: now) {
        case .accepted(let response, let event):
            if firstCheckAt == nil { firstCheckAt = now }
            switch event {
            case .pairSelected(let nominated)?, .selectedPairChanged(_, let nominated)?:
                remote = nominated
            default:
                break
            }
            let address = source.canonicalized
            guard knownAddresses.insert(address).inserted else { return .answer(response, learned: nil, forgotten: []) }
            return .answer(response, learned: address, forgotten: forgetStaleAddresses())
        case .rejected(let response, _):
            if errorResponses.second != second { errorResponses = (second, 0) }
            guard errorResponses.count < errorResponsesPerSecond else { return .drop }
            errorResponses.count += 1
            return .refuse(response)
        case .dropped:
            return .drop
        }
    }

    /// Keeps the known addresses to the ICE agent's bounded pairs, so a peer checking from ever new
    /// ports cannot grow the router's address index.
    private func forgetStaleAddresses() -> [TransportAddress] {
        guard knownAddresses.count > ice.pairs.count else { return [] }
        let stale = knownAddresses.filter { address in !ice.pairs.contains { $0.remote == address } }
        knownAddresses.subtract(stale)
        return Array(stale)
    }

    /// Consent freshness (RFC 7675): true when the nominated pair went silent for too long.
    func consentExpired(now: ContinuousClock.Instant) -> Bool {
        while let event = ice.poll(now: now) {
            if case .consentExpired = event { return true }
        }
        return false
    }

    enum KeyingOutcome { case keyed, failed }

    /// Makes the SRTP contexts from DTLS's exported keys (RFC 5764 §4.2).
    func key(with keys: DTLSSRTPKeyingMaterial, backend: SRTPContext.Backend? = nil) -> KeyingOutcome {
        guard let profile = SRTPProfile(rawValue: keys.profileID) else { return .failed }
        // OpenSSL implements only AES-GCM: an AES-CM peer stays on libsrtp whatever was asked for.
        let backend = backend == .openSSL && profile != .aeadAes128Gcm ? nil : backend
        guard let inbound = try? SRTPContext(
                profile: profile, direction: .inbound, masterKey: keys.remoteMasterKey,
                masterSalt: keys.remoteMasterSalt, backend: backend),
            let outbound = try? SRTPContext(
                profile: profile, direction: .outbound, masterKey: keys.localMasterKey,
                masterSalt: keys.localMasterSalt, allowRepeatTransmission: true, backend: backend)
        else { return .failed }
        self.inbound = inbound
        self.outbound = outbound
        return .keyed
    }

    /// Set at the peer's first authenticated SRTP or SRTCP: it holds the keys, so it has DTLS's last flight.
    private(set) var peerIsKeyed = false

    /// From then on nothing will need retransmitting, and the OpenSSL association can go
    /// (`DTLSConnection.retire()`), which is most of a learner's memory in the relay.
    /// True when the association was retired.
    func notePeerKeyed(retiringDTLS: Bool) -> Bool {
        peerIsKeyed = true
        return retiringDTLS && dtls?.retire() == true
    }

    /// Whether SRTCP from this sender SSRC is accepted: a known sender, or a new one while there is room.
    func mayReport(from ssrc: UInt32, limit: Int) -> Bool {
        rtcpSenders.contains(ssrc) || rtcpSenders.count < limit
    }

    func recordReporter(_ ssrc: UInt32) {
        if !rtcpSenders.contains(ssrc) { rtcpSenders.append(ssrc) }
    }

    /// When DTLS or consent next needs the clock.
    var nextDeadline: ContinuousClock.Instant? {
        [dtls?.pollTimeout(), isConnected ? ice.nextDeadline : nil].compactMap { $0 }.min()
    }
}
