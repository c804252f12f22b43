import STUN

/// The responder half of ICE as a lite implementation (RFC 8445 §2.5): the relay has one host
/// candidate, never sends checks, always takes the controlled role, and learns where the browser
/// is from the checks it answers (§7.3).
///
/// Sans-IO: feed it datagrams with their source address and the current time; it returns the
/// bytes to send back and selection events. `poll(now:)` drives consent expiry.
public struct ICELiteAgent: Sendable {
    public private(set) var configuration: ICELiteConfiguration
    /// Pairs that passed at least one check, in order of first appearance.
    public private(set) var pairs: [ICECandidatePair] = []
    /// Remote address of the pair media should use, if the peer has nominated one.
    public private(set) var selectedRemote: TransportAddress?

    private var key: STUNIntegrityKey
    /// "localUfrag:" — USERNAME must start with it.
    private var usernamePrefix: [UInt8]
    private var remoteUfragBytes: [UInt8]?

    public init(configuration: ICELiteConfiguration) {
        self.configuration = configuration
        key = STUNIntegrityKey(shortTermPassword: configuration.localPassword)
        usernamePrefix = Array(configuration.localUfrag.utf8) + [UInt8(ascii: ":")]
        remoteUfragBytes = configuration.remoteUfrag.map { Array($0.utf8) }
    }

    public var selectedPair: ICECandidatePair? {
        selectedRemote.flatMap { remote in pairs.first { $0.remote == remote } }
    }

    /// Records the peer's ufrag once its SDP arrives; from then on USERNAME must match it fully.
    public mutating func setRemoteUfrag(_ ufrag: String?) {
        configuration.remoteUfrag = ufrag
        remoteUfragBytes = ufrag.map { Array($0.utf8) }
    }

    /// When `poll(now:)` next has something to do, for the caller's timer.
    public var nextDeadline: ContinuousClock.Instant? {
        pairs.map { $0.lastValidCheck }.min().map { $0 + configuration.consentTimeout }
    }

    public mutating func handle(_ datagram: [UInt8], from source: TransportAddress,
                                now: ContinuousClock.Instant) -> ICECheckOutcome {
        datagram.withUnsafeBytes { handle($0, from: source, now: now) }
    }

    /// Processes one datagram believed to be STUN (RFC 7983 demultiplexing happens before this).
    /// IPv4-mapped sources are canonicalized to IPv4, so pairs, events and XOR-MAPPED-ADDRESS
    /// carry the peer's real family; a dual-stack socket must map them back when sending.
    public mutating func handle(_ datagram: UnsafeRawBufferPointer, from source: TransportAddress,
                                now: ContinuousClock.Instant) -> ICECheckOutcome {
        let source = source.canonicalized
        guard let header = STUNMessage.peekHeader(datagram) else { return .dropped(.notSTUN) }
        switch header.type.messageClass {
        case .indication: return .dropped(.indication)
        case .successResponse, .errorResponse: return .dropped(.unexpectedResponse)
        case .request: break
        }
        let message: STUNMessage
        do {
            message = try STUNMessage(parsing: datagram)
        } catch {
            switch error {
            case .malformedAttribute, .attributeAfterFingerprint:
                // The header is sound, so the sender can be told its request is bad (RFC 8489 §6.3.1).
                return reject(header.type, header.transactionID, .badRequest, authenticated: false)
            case .truncated, .invalidLength, .notSTUN:
                return .dropped(.malformed)
            }
        }

        // RFC 8489 §7.3 / RFC 8445 §7.2.2: FINGERPRINT first, it is what makes this STUN at all.
        guard message.fingerprint != nil else { return .dropped(.missingFingerprint) }
        guard message.verifyFingerprint(in: datagram) else { return .dropped(.badFingerprint) }
        guard message.type.method == .binding else {
            return reject(message.type, message.transactionID, .badRequest, authenticated: false)
        }

        // RFC 8489 §9.1.3, in the order given there. Failed authentication gets no MESSAGE-INTEGRITY.
        guard let username = message.usernameBytes(in: datagram), message.messageIntegrity != nil else {
            return reject(message.type, message.transactionID, .badRequest, authenticated: false)
        }
        guard isValidUsername(username) else {
            return reject(message.type, message.transactionID, .unauthorized, authenticated: false)
        }
        guard message.verifyIntegrity(key: key, in: datagram) else {
            return reject(message.type, message.transactionID, .unauthorized, authenticated: false)
        }

        // RFC 8489 §6.3.1.1: after authentication, refuse comprehension-required attributes we lack.
        if message.unknownComprehensionRequiredCount > 0 {
            return reject(message.type, message.transactionID, .unknownAttribute, authenticated: true,
                          unknown: message.unknownComprehensionRequired(in: datagram))
        }
        // RFC 8445 §6.1.1: against a lite agent the full agent MUST be controlling. A lite agent
        // cannot switch roles, so a peer that also claims controlled is told to switch
        // (RFC 8445 §7.3.1.1, 487), whatever the tie-breakers.
        if message.iceControlled != nil && message.iceControlling == nil {
            return reject(message.type, message.transactionID, .roleConflict, authenticated: true)
        }

        let event = recordValidCheck(from: source, priority: message.priority ?? 0,
                                     useCandidate: message.useCandidate, now: now)
        var builder = STUNMessageBuilder(type: .bindingSuccess, transactionID: message.transactionID)
        builder.append(.xorMappedAddress(source))
        if let software = configuration.software { builder.append(.software(software)) }
        return .accepted(response: builder.finish(integrity: key, fingerprint: true), event: event)
    }

    /// Reports consent expiry of the selected pair (RFC 7675 §5.1) and forgets stale pairs.
    /// Call at `nextDeadline` or periodically; returns at most one event per call.
    public mutating func poll(now: ContinuousClock.Instant) -> ICEEvent? {
        let timeout = configuration.consentTimeout
        var expired: TransportAddress?
        if let selected = selectedPair, now - selected.lastValidCheck >= timeout {
            expired = selected.remote
            selectedRemote = nil
        }
        // The selected pair leaves only through expiry above, so `selectedRemote` never dangles.
        pairs.removeAll { $0.remote != selectedRemote && now - $0.lastValidCheck >= timeout }
        return expired.map { .consentExpired(remote: $0) }
    }

    // MARK: - Private

    /// USERNAME is "LFRAG:RFRAG" from the receiver's view (RFC 8445 §7.2.2), compared bytewise
    /// so the hot path allocates nothing.
    private func isValidUsername(_ username: UnsafeRawBufferPointer) -> Bool {
        guard username.count > usernamePrefix.count,
              username.prefix(usernamePrefix.count).elementsEqual(usernamePrefix) else { return false }
        guard let remote = remoteUfragBytes else { return true }
        return username.dropFirst(usernamePrefix.count).elementsEqual(remote)
    }

    private mutating func recordValidCheck(from source: TransportAddress, priority: UInt32,
                                           useCandidate: Bool, now: ContinuousClock.Instant) -> ICEEvent? {
        let index: Int
        if let existing = pairs.firstIndex(where: { $0.remote == source }) {
            index = existing
            pairs[index].lastValidCheck = now
            pairs[index].priority = priority
        } else {
            if pairs.count >= configuration.maximumPairs { evictOldestUnselectedPair() }
            pairs.append(ICECandidatePair(remote: source, priority: priority, isNominated: false, lastValidCheck: now))
            index = pairs.count - 1
        }
        guard useCandidate else { return nil }
        // RFC 8445 §7.3.1.5: a successful check with USE-CANDIDATE nominates the pair. With regular
        // nomination the controlling agent nominates one pair, so a nomination of another pair means
        // it moved (e.g. a network change) and the most recent nomination is followed.
        pairs[index].isNominated = true
        switch selectedRemote {
        case nil:
            selectedRemote = source
            return .pairSelected(remote: source)
        case let previous? where previous != source:
            selectedRemote = source
            return .selectedPairChanged(from: previous, to: source)
        default:
            return nil
        }
    }

    private mutating func evictOldestUnselectedPair() {
        let candidates = pairs.indices.filter { pairs[$0].remote != selectedRemote }
        if let oldest = candidates.min(by: { pairs[$0].lastValidCheck < pairs[$1].lastValidCheck }) {
            pairs.remove(at: oldest)
        }
    }

    private func reject(_ type: STUNMessageType, _ transactionID: STUNTransactionID, _ error: STUNErrorCode,
                        authenticated: Bool, unknown: [STUNAttributeType] = []) -> ICECheckOutcome {
        var builder = STUNMessageBuilder(
            type: STUNMessageType(method: type.method, class: .errorResponse), transactionID: transactionID)
        builder.append(.errorCode(error))
        if !unknown.isEmpty { builder.append(.unknownAttributes(unknown)) }
        if let software = configuration.software { builder.append(.software(software)) }
        let response = builder.finish(integrity: authenticated ? key : nil, fingerprint: true)
        return .rejected(response: response, error: error)
    }
}
