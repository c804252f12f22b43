import Foundation
import HTTPTypes
import Hummingbird

/// Signaling errors, rendered in the API's JSON error shape (`{"error", "reason"}`). Rendered by the
/// routes themselves so the shape does not depend on which middleware the router has.
struct SignalingError: HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let reason: String
    /// Seconds, for 429 and 503 (RFC 9110 §10.2.3).
    var retryAfter: Int? = nil

    static func badRequest(_ reason: String) -> Self { .init(status: .badRequest, code: "bad_request", reason: reason) }
    static func unauthorized(_ reason: String) -> Self { .init(status: .unauthorized, code: "unauthorized", reason: reason) }
    static func forbidden(_ reason: String) -> Self { .init(status: .forbidden, code: "forbidden", reason: reason) }
    static func notFound(_ reason: String) -> Self { .init(status: .notFound, code: "not_found", reason: reason) }
    static func conflict(_ code: String, _ reason: String) -> Self { .init(status: .conflict, code: code, reason: reason) }
    static func unsupportedMediaType(_ reason: String) -> Self {
        .init(status: .unsupportedMediaType, code: "unsupported_media_type", reason: reason)
    }
    static func tooManyRequests(_ code: String, _ reason: String, retryAfter: Int? = nil) -> Self {
        .init(status: .tooManyRequests, code: code, reason: reason, retryAfter: retryAfter)
    }
    static func unavailable(_ reason: String) -> Self {
        .init(status: .serviceUnavailable, code: "service_unavailable", reason: reason)
    }

    var response: Response {
        let body = (try? JSONSerialization.data(withJSONObject: ["error": code, "reason": reason])) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension SignalingError {
    /// Thrown before a WebSocket upgrade, the error still answers in the JSON shape.
    func response(from request: Request, context: some RequestContext) throws -> Response { response }

    var json: String { json(for: nil) }

    /// The room socket's `error` message; `for` names the message type it refuses, so a client waiting on
    /// one exchange (its publish) is not failed by another's refusal (an answer).
    func json(for type: String?) -> String {
        var object = ["type": "error", "error": code, "reason": reason]
        if let type { object["for"] = type }
        return (try? JSONSerialization.data(withJSONObject: object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
