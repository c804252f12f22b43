import FluentKit
import Foundation
import Hummingbird
import JWTKit

/// Turns every error thrown below it into the API's JSON error shape, so no client ever sees a bare status
/// or an HTML page, and bad input never surfaces as a 500.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as RateLimitedError {
            throw error  // already JSON, and its Retry-After must survive
        } catch let error as PasswordHasher.Busy {
            throw error
        } catch let error as HTTPError {
            throw Self.translate(error)
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, Self.code(for: error.status), error.status.reasonPhrase)
        } catch let error as DecodingError {
            throw APIError.badRequest("malformed JSON: \(Self.describe(error))")
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // A constraint the handlers did not pre-check (a lost race): the request conflicts with current state.
            context.logger.info("constraint failure: \(String(reflecting: error))")
            throw APIError.conflict("conflict", "the request conflicts with the current state")
        } catch {
            context.logger.error("unhandled error: \(String(reflecting: error))")
            throw APIError(.internalServerError, "internal_error", "internal server error")
        }
    }

    static func translate(_ error: HTTPError) -> APIError {
        let reason = error.body ?? error.status.reasonPhrase
        switch error.status {
        case .notFound: return APIError(.notFound, "not_found", "no such endpoint")
        case .badRequest: return APIError.badRequest(reason)
        case .methodNotAllowed: return APIError(.methodNotAllowed, "method_not_allowed", reason)
        default: return APIError(error.status, code(for: error.status), reason)
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        if status == .contentTooLarge { return "payload_too_large" }
        return status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context): return context.debugDescription
        case .keyNotFound(let key, _): return "missing key `\(key.stringValue)`"
        case .valueNotFound(_, let context), .typeMismatch(_, let context):
            return "wrong or missing value at `\(context.codingPath.map(\.stringValue).joined(separator: "."))`"
        @unknown default: return "undecodable body"
        }
    }
}
