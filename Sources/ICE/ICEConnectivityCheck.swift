import STUN

/// The controlling (full-agent) side of a connectivity check, as a browser performs it
/// (RFC 8445 §7.2.2 sending, §7.2.5 processing the response). The load tester uses it to act
/// as many browsers against the relay.
public enum ICEConnectivityCheck {
    /// Builds a Binding request. `username` is "remoteUfrag:localUfrag" from the sender's view and
    /// `password` is the *remote* agent's ice-pwd (RFC 8445 §7.2.2).
    public static func makeBindingRequest(
        username: String, password: String, priority: UInt32, useCandidate: Bool,
        tieBreaker: UInt64, transactionID: STUNTransactionID = .random()
    ) -> [UInt8] {
        makeBindingRequest(username: username, key: STUNIntegrityKey(shortTermPassword: password),
                           priority: priority, useCandidate: useCandidate, tieBreaker: tieBreaker,
                           transactionID: transactionID)
    }

    /// Same, with the key prepared once for many checks.
    public static func makeBindingRequest(
        username: String, key: STUNIntegrityKey, priority: UInt32, useCandidate: Bool,
        tieBreaker: UInt64, transactionID: STUNTransactionID = .random()
    ) -> [UInt8] {
        var builder = STUNMessageBuilder(type: .bindingRequest, transactionID: transactionID)
        builder.append(.username(username))
        builder.append(.priority(priority))
        builder.append(.iceControlling(tieBreaker: tieBreaker))
        if useCandidate { builder.append(.useCandidate) }
        return builder.finish(integrity: key, fingerprint: true)
    }

    public static func parseBindingResponse(
        _ bytes: [UInt8], transactionID: STUNTransactionID, password: String
    ) throws(ICEResponseError) -> ICEBindingResponse {
        let key = STUNIntegrityKey(shortTermPassword: password)
        let result = bytes.withUnsafeBytes { raw -> Result<ICEBindingResponse, ICEResponseError> in
            do throws(ICEResponseError) {
                return .success(try parseBindingResponse(raw, transactionID: transactionID, key: key))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Validates a response to a check sent with `transactionID` (RFC 8489 §6.3.3, §9.1.4):
    /// FINGERPRINT must be right; success responses must carry a valid MESSAGE-INTEGRITY and
    /// XOR-MAPPED-ADDRESS. Error responses are returned even without MESSAGE-INTEGRITY, because
    /// the responder omits it when our own credentials failed (RFC 8489 §9.1.3) — treat them as
    /// advisory.
    public static func parseBindingResponse(
        _ bytes: UnsafeRawBufferPointer, transactionID: STUNTransactionID, key: STUNIntegrityKey
    ) throws(ICEResponseError) -> ICEBindingResponse {
        let message: STUNMessage
        do { message = try STUNMessage(parsing: bytes) } catch { throw .malformed(error) }
        guard message.type.method == .binding, message.type.messageClass == .successResponse
              || message.type.messageClass == .errorResponse else { throw .notABindingResponse }
        guard message.transactionID == transactionID else { throw .transactionMismatch }
        guard message.verifyFingerprint(in: bytes) else { throw .badFingerprint }
        if message.messageIntegrity != nil, !message.verifyIntegrity(key: key, in: bytes) {
            throw .badIntegrity
        }
        if message.type.messageClass == .errorResponse {
            guard let error = message.errorCode(in: bytes) else { throw .malformed(.malformedAttribute(.errorCode)) }
            return .failure(error, authenticated: message.messageIntegrity != nil)
        }
        guard message.messageIntegrity != nil else { throw .badIntegrity }
        guard let mapped = message.xorMappedAddress(in: bytes) else { throw .missingMappedAddress }
        return .success(mappedAddress: mapped)
    }
}

/// A validated answer to a connectivity check.
public enum ICEBindingResponse: Sendable, Hashable {
    /// The check succeeded; `mappedAddress` is our address as the responder saw it (a potential
    /// peer-reflexive candidate, RFC 8445 §7.2.5.3.1).
    case success(mappedAddress: TransportAddress)
    /// The check was refused, e.g. 401 (credentials) or 487 (role conflict, RFC 8445 §7.2.5.1).
    case failure(STUNErrorCode, authenticated: Bool)
}

/// Why bytes are not an acceptable response to our check.
public enum ICEResponseError: Error, Sendable, Hashable {
    case malformed(STUNError)
    case notABindingResponse
    case transactionMismatch
    case badFingerprint
    /// MESSAGE-INTEGRITY missing from a success response, or wrong.
    case badIntegrity
    case missingMappedAddress
}
