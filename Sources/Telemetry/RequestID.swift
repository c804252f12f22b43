import HTTPTypes
import Hummingbird
import Logging
import Tracing

/// The id Hummingbird gives each request (`hb.request.id` in its request logger), carried in the request's
/// `ServiceContext`. A service's logger is made once at start-up and knows nothing of requests; the logging
/// metadata provider (`Telemetry.bootstrapLogging`) reads the id from the task, so the service's lines carry it.
public enum RequestIDKey: ServiceContextKey {
    public typealias Value = String
    public static var nameOverride: String? { Telemetry.requestIDMetadataKey }
}

extension ServiceContext {
    public var requestID: String? {
        get { self[RequestIDKey.self] }
        set { self[RequestIDKey.self] = newValue }
    }
}

extension HTTPField.Name {
    public static let requestID = Self("X-Request-Id")!
}

/// Puts the request id into the task's `ServiceContext` for everything the request runs, spans included, and
/// answers it in `X-Request-Id`, so a user's report names the log lines and the trace of their request.
/// Outermost but for the security headers: every later middleware's lines carry the id.
public struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let id = context.id
        var serviceContext = ServiceContext.current ?? .topLevel
        serviceContext.requestID = id
        var response = try await ServiceContext.withValue(serviceContext) { try await next(request, context) }
        response.headers[.requestID] = id
        return response
    }
}
