import FluentKit
import FluentSQL
import Hummingbird

/// Reads `Authorization: Bearer <token>` and records the caller. Absent header: anonymous (each route decides
/// whether that is allowed). A present but bad token is always 401, so a client learns its token has expired.
///
/// A signed token alone is not enough: it outlives a deactivation by up to its lifetime (an hour). So every
/// authenticated request also reads the account's `is_active` (one primary-key lookup, no cache: accounts are
/// deactivated directly in the database, where no in-process cache would hear of it), and a deactivated
/// account's token is refused at once.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let tokens: AccessTokenService
    let database: any Database

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        let prefix = "Bearer "
        guard header.hasPrefix(prefix) else { throw APIError.unauthorized("expected a Bearer token") }
        guard let caller = await tokens.verify(String(header.dropFirst(prefix.count))) else {
            throw APIError.unauthorized("invalid or expired token")
        }
        let row = try await database.sql.raw("SELECT is_active FROM users WHERE id = \(bind: caller.id)").first()
        guard let row, try row.decode(column: "is_active", as: Bool.self) else {
            throw APIError.unauthorized("the account is deactivated or no longer exists")
        }
        var context = context
        context.caller = caller
        return try await next(request, context)
    }
}
