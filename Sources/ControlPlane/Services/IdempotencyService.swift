import FluentKit
import Foundation
import Hummingbird

/// Makes a POST safe to retry with an `Idempotency-Key` header (the semantics of
/// draft-ietf-httpapi-idempotency-key-header): the first request with a key runs and its response — success
/// or client error — is stored; later requests with the same key get that response replayed. A second request
/// while the first is still running gets 409; the same key on another endpoint gets 422.
struct IdempotencyService: Sendable {
    let services: ControlPlaneServices

    struct StoredResponse: Sendable {
        var status: HTTPResponse.Status
        var body: String
        var replayed: Bool
    }

    /// Seconds after which an unanswered claim on a key is taken to be abandoned.
    static let abandonedAfter: TimeInterval = 120

    func perform(
        key: String?, userID: Int64, fingerprint: String, retried: Bool = false,
        _ operation: () async throws -> (HTTPResponse.Status, String)
    ) async throws -> StoredResponse {
        guard let key else {
            let (status, body) = try await operation()
            return StoredResponse(status: status, body: body, replayed: false)
        }
        guard (1...255).contains(key.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw APIError.badRequest("Idempotency-Key must be 1-255 visible ASCII characters")
        }
        let db = services.db
        let record = IdempotencyRecord()
        record.userID = userID
        record.key = key
        record.requestFingerprint = fingerprint
        do {
            try await record.create(on: db)
        } catch {
            guard let dbError = error as? any DatabaseError, dbError.isConstraintFailure else { throw error }
            guard let existing = try await IdempotencyRecord.query(on: db)
                .filter(\.$userID == userID).filter(\.$key == key).first() else { throw error }
            guard existing.requestFingerprint == fingerprint else {
                throw APIError.unprocessable("Idempotency-Key was already used for another request")
            }
            guard let status = existing.responseStatus, let body = existing.responseBody else {
                // A claim older than any request can take was left by a crashed process: release it once.
                if let created = existing.createdAt, services.now().timeIntervalSince(created) > Self.abandonedAfter, !retried {
                    try await existing.delete(on: db)
                    return try await perform(key: key, userID: userID, fingerprint: fingerprint, retried: true, operation)
                }
                throw APIError.conflict("request_in_progress", "a request with this Idempotency-Key is still being processed")
            }
            return StoredResponse(status: .init(code: status), body: body, replayed: true)
        }
        let result: (HTTPResponse.Status, String)
        do {
            result = try await operation()
        } catch let error as APIError where (400..<500).contains(error.status.code) {
            let body = String(decoding: try APIError.encoder.encode(APIError.Body(error: error.error, reason: error.reason)), as: UTF8.self)
            result = (error.status, body)
        } catch {
            // Not a definitive answer (a server fault): forget the key so the client may retry.
            try? await record.delete(on: db)
            throw error
        }
        record.responseStatus = result.0.code
        record.responseBody = result.1
        try await record.save(on: db)
        return StoredResponse(status: result.0, body: result.1, replayed: false)
    }
}
