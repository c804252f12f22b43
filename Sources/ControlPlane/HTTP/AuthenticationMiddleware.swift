import Hummingbird

/// Reads `Authorization: Bearer <token>` and records the caller. Absent header: anonymous (each route decides
/// whether that is allowed). A present but bad token is always 401, so a client learns its token has expired.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let tokens: AccessTokenService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        let prefix = "Bearer "
        guard header.hasPrefix(prefix) else { throw APIError.unauthorized("expected a Bearer token") }
        guard let caller = await tokens.verify(String(header.dropFirst(prefix.count))) else {
            throw APIError.unauthorized("invalid or expired token")
        }
        var context = context
        context.caller = caller
        return try await next(request, context)
    }
}
