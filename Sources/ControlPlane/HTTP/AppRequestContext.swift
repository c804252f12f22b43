import Foundation
import Hummingbird
import Logging
import NIOCore

/// Who is calling, as proven by a verified access token.
public struct AuthenticatedUser: Sendable, Equatable {
    public var id: Int64
    public var role: UserRole
}

/// The request context: Hummingbird's core storage plus the authenticated caller, if any, and the TCP peer
/// (per-address rate limits key on it; nil in in-process tests).
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: AuthenticatedUser?
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.caller = nil
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Image uploads are the largest bodies; everything else is small JSON.
    public var maxUploadSize: Int { 4 * 1024 * 1024 }

    /// The caller, or 401.
    func requireCaller() throws -> AuthenticatedUser {
        guard let caller else { throw APIError.unauthorized() }
        return caller
    }

    /// The caller if they have `role`, else 401/403.
    func requireCaller(role: UserRole) throws -> AuthenticatedUser {
        let caller = try requireCaller()
        guard caller.role == role else { throw APIError.forbidden("only \(role.rawValue)s may do this") }
        return caller
    }
}

extension AppRequestContext {
    public var requestDecoder: JSONDecoder { JSONCoding.decoder() }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder() }
}
