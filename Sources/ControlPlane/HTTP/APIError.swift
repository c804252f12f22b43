import Foundation
import Hummingbird

/// Every error the API answers with: `{"error": "<short code>", "reason": "<human sentence>"}`.
///
/// `error` is a stable machine-readable code (clients branch on it); `reason` is for people.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var error: String
    public var reason: String

    public init(_ status: HTTPResponse.Status, _ error: String, _ reason: String) {
        self.status = status
        self.error = error
        self.reason = reason
    }

    /// Sorted keys: the same error always serializes to the same bytes.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    struct Body: Codable, Equatable {
        var error: String
        var reason: String
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try Self.encoder.encode(Body(error: error, reason: reason))
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    public static func badRequest(_ reason: String) -> Self { .init(.badRequest, "bad_request", reason) }
    public static func unauthorized(_ reason: String = "authentication required") -> Self { .init(.unauthorized, "unauthorized", reason) }
    public static func paymentRequired(_ reason: String) -> Self { .init(.init(code: 402, reasonPhrase: "Payment Required"), "payment_failed", reason) }
    public static func forbidden(_ reason: String) -> Self { .init(.forbidden, "forbidden", reason) }
    public static func notFound(_ what: String) -> Self { .init(.notFound, "not_found", "\(what) not found") }
    public static func conflict(_ error: String, _ reason: String) -> Self { .init(.conflict, error, reason) }
    public static func unprocessable(_ reason: String) -> Self { .init(.unprocessableContent, "validation_failed", reason) }
}
