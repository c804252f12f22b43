import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Adds the browser-hardening headers to every answer, pages, API and errors alike:
///
/// - `Content-Security-Policy`: scripts, styles, images and media from this origin only, no inline script
///   (so an injected `<script>` or `onclick=` does nothing), no plugins, no framing, no `<base>` tricks.
///   `connect-src` (fetch, WebSocket) allows this host on any port, over http(s) and ws(s): a standalone
///   `peerlearn relay` serves WHIP/WHEP on its own port of the same host (by default `httpPort + 1`), and
///   browsers older than CSP 3 do not count a WebSocket to the same host as `'self'`. Other hosts stay
///   unreachable, so injected code could not send anything elsewhere.
/// - `X-Content-Type-Options: nosniff`: a JSON or uploaded-image answer is never run as script or HTML.
/// - `X-Frame-Options: DENY` (and `frame-ancestors 'none'`): no clickjacking of the booking page.
/// - `Referrer-Policy: no-referrer`: room and session ids in our URLs never leak to other sites.
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        Self.apply(to: &response.headers, host: request.head.authority)
        return response
    }

    /// `example.org` from `example.org:8080`, `[::1]` from `[::1]:8080`; nil for anything unusual.
    static func hostName(_ authority: String) -> String? {
        guard !authority.isEmpty, authority.count <= 255,
              authority.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:[]".contains($0)) }) else { return nil }
        if authority.hasPrefix("[") {
            guard let end = authority.firstIndex(of: "]") else { return nil }
            return String(authority[...end])
        }
        let name = authority.split(separator: ":", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return name.isEmpty || authority.filter({ $0 == ":" }).count > 1 ? nil : name
    }

    static func apply(to headers: inout HTTPFields, host: String?) {
        var connect = "'self'"
        // Only a plain host name or address goes into the policy (the Host header is the client's to choose).
        if let name = host.flatMap(Self.hostName) {
            connect += ["http", "https", "ws", "wss"].map { " \($0)://\(name):*" }.joined()
        }
        headers[.contentSecurityPolicy] = [
            "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:",
            "media-src 'self' blob:", "connect-src \(connect)", "font-src 'self'", "object-src 'none'",
            "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
        ].joined(separator: "; ")
        headers[.xContentTypeOptions] = "nosniff"
        headers[.xFrameOptions] = "DENY"
        headers[.referrerPolicy] = "no-referrer"
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}

/// Logs each request like Hummingbird's `LogRequestsMiddleware`, but with query values that carry secrets
/// replaced by `***`: the room WebSocket takes its room token as `?token=` (browsers cannot set headers on a
/// WebSocket), and a log line must never let its reader join a room.
public struct RedactingLogRequestsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Query parameters whose values are never logged.
    public static var secretParameters: Set<String> { ["token", "access_token", "room_token", "password", "key"] }
    let level: Logger.Level

    public init(_ level: Logger.Level) {
        self.level = level
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.logger.log(
            level: level, "Request",
            metadata: [
                "hb.request.path": .string(Self.redacted(path: request.uri.path, query: request.uri.query)),
                "hb.request.method": .string(request.method.rawValue),
            ])
        return try await next(request, context)
    }

    /// The URI with secret query values replaced (names kept, so the log still says a token was sent).
    public static func redacted(path: String, query: String?) -> String {
        guard let query, !query.isEmpty else { return path }
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { part -> String in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pieces[0]).removingPercentEncoding?.lowercased() ?? String(pieces[0]).lowercased()
            return secretParameters.contains(name) ? "\(pieces[0])=***" : String(part)
        }
        return path + "?" + parts.joined(separator: "&")
    }
}
