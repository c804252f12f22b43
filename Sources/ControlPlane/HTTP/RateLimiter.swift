import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// A token bucket's shape: `burst` requests at once, refilled at `perMinute` per minute.
public struct RateLimit: Sendable, Equatable {
    public var burst: Int
    public var perMinute: Int

    public init(burst: Int, perMinute: Int) {
        self.burst = max(1, burst)
        self.perMinute = max(1, perMinute)
    }

    /// A bucket as deep as a minute's allowance.
    public static func perMinute(_ count: Int) -> Self { .init(burst: count, perMinute: count) }
}

/// Token buckets keyed by a string (`"<class>|ip|<address>"`, `"<class>|user|<id>"`), shared by every route
/// that limits, so one table bounds the memory whatever the traffic.
///
/// Why this shape: Hummingbird 2 has no limiter, a bucket per key is the standard answer to bursts, and the
/// table is capped (`maximumKeys`) because the keys come from strangers: a full table first drops buckets that
/// have refilled (they hold nothing a fresh bucket would not), then the least recently used half. Eviction can
/// hand an attacker a fresh bucket, but never unbounded memory.
public final class RateLimiter: Sendable {
    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        /// Whole seconds until a token is back (≥ 1 when refused).
        public var retryAfter: Int
    }

    struct Bucket {
        var tokens: Double
        var updated: UInt64
        var capacity: Double
        var perNanosecond: Double

        func tokens(at now: UInt64) -> Double {
            let elapsed = Double(now &- updated)
            return Swift.min(capacity, tokens + elapsed * perNanosecond)
        }
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    public let maximumKeys: Int
    let clock: @Sendable () -> UInt64

    /// `clock` is monotonic nanoseconds (tests pass their own).
    public init(maximumKeys: Int = 100_000, clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        self.maximumKeys = max(16, maximumKeys)
        self.clock = clock
    }

    /// Takes one token from `key`'s bucket.
    public func take(_ key: String, limit: RateLimit) -> Decision {
        let now = clock()
        let capacity = Double(limit.burst)
        let perNanosecond = Double(limit.perMinute) / 60e9
        return buckets.withLock { table in
            var bucket = table[key] ?? Bucket(tokens: capacity, updated: now, capacity: capacity, perNanosecond: perNanosecond)
            bucket.tokens = bucket.tokens(at: now)
            bucket.updated = now
            bucket.capacity = capacity
            bucket.perNanosecond = perNanosecond
            let decision: Decision
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                decision = Decision(allowed: true, retryAfter: 0)
            } else {
                let seconds = ((1 - bucket.tokens) / perNanosecond / 1e9).rounded(.up)
                decision = Decision(allowed: false, retryAfter: Int(Swift.min(Swift.max(seconds, 1), 3600)))
            }
            if table[key] == nil, table.count >= maximumKeys { Self.evict(&table, now: now, keep: maximumKeys / 2) }
            table[key] = bucket
            return decision
        }
    }

    /// Buckets currently remembered.
    public var count: Int { buckets.withLock { $0.count } }

    static func evict(_ table: inout [String: Bucket], now: UInt64, keep: Int) {
        table = table.filter { $0.value.tokens(at: now) < $0.value.capacity }
        guard table.count > keep else { return }
        let newest = table.sorted { $0.value.updated > $1.value.updated }.prefix(keep)
        table = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
    }

    /// The refusal every limited route answers: 429, JSON, `Retry-After`.
    public static func refusal(retryAfter: Int, what: String = "requests") -> Response {
        let body = #"{"error":"rate_limited","reason":"too many \#(what); retry in \#(retryAfter) s"}"#
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.retryAfter] = String(retryAfter)
        return Response(status: .tooManyRequests, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Thrown by a handler that refuses on a per-account bucket; renders as `RateLimiter.refusal`.
public struct RateLimitedError: HTTPResponseError {
    public var retryAfter: Int
    public var status: HTTPResponse.Status { .tooManyRequests }
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        RateLimiter.refusal(retryAfter: retryAfter)
    }
}

/// Who the client is, for per-address buckets: the TCP peer (Hummingbird's `RemoteAddressRequestContext`),
/// or, only when configured behind a proxy, the last `X-Forwarded-For` entry that proxy appended.
public struct ClientAddressPolicy: Sendable {
    /// Loopback peers are not limited per address: the load tester, the browser tests and an operator's own
    /// scripts all come from 127.0.0.1. (Per-account buckets still apply to them.)
    public var exemptLoopback: Bool
    /// Use `X-Forwarded-For` (its last entry) when the peer is loopback, i.e. a proxy on this machine.
    public var trustForwardedFor: Bool

    public init(exemptLoopback: Bool, trustForwardedFor: Bool) {
        self.exemptLoopback = exemptLoopback
        self.trustForwardedFor = trustForwardedFor
    }

    /// The bucket key for the client, or nil when it is exempt or unknown (no peer: in-process tests).
    public func key(request: Request, context: some RequestContext) -> String? {
        guard let peer = (context as? any RemoteAddressRequestContext)?.remoteAddress else { return nil }
        let peerIsLoopback = Self.isLoopback(peer)
        if trustForwardedFor, peerIsLoopback, let forwarded = request.headers[values: .init("X-Forwarded-For")!].last {
            if let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty {
                if let address = try? SocketAddress(ipAddress: last, port: 0) {
                    if exemptLoopback, Self.isLoopback(address) { return nil }
                    return Self.key(address)
                }
            }
        }
        if exemptLoopback, peerIsLoopback { return nil }
        return Self.key(peer)
    }

    static func isLoopback(_ address: SocketAddress) -> Bool {
        switch address {
        case .v4(let v4): return (UInt32(bigEndian: v4.address.sin_addr.s_addr) >> 24) == 127
        case .v6:
            let text = address.ipAddress ?? ""
            return text == "::1" || text.hasPrefix("::ffff:127.")
        default: return false
        }
    }

    /// IPv4: the address. IPv6: its /64, since one host commonly holds a whole /64.
    static func key(_ address: SocketAddress) -> String? {
        switch address {
        case .v4: return address.ipAddress
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            let bytes = withUnsafeBytes(of: &raw) { Array($0.prefix(8)) }
            return bytes.map { String(format: "%02x", $0) }.joined() + "::/64"
        default: return nil
        }
    }
}

/// A limited route (the middleware's rule, usable without naming a context).
public typealias RateLimitRule = RateLimitRules.Rule

public enum RateLimitRules {
    /// A limited route: method, path prefix and optional suffix (`/api/sessions/` … `/room-token`).
    public struct Rule: Sendable {
        public var method: HTTPRequest.Method
        public var prefix: String
        public var suffix: String?
        /// The bucket class: rules sharing it share the client's bucket.
        public var bucket: String
        public var limit: RateLimit

        public init(_ method: HTTPRequest.Method, _ prefix: String, suffix: String? = nil, bucket: String, limit: RateLimit) {
            self.method = method
            self.prefix = prefix
            self.suffix = suffix
            self.bucket = bucket
            self.limit = limit
        }

        func matches(_ request: Request) -> Bool {
            let path = request.uri.path
            return request.method == method && path.hasPrefix(prefix) && (suffix.map { path.hasSuffix($0) } ?? true)
        }
    }
}

/// Per-address token buckets on chosen routes, before any handler work (bcrypt, database, SDP): login and
/// registration, room-token issuance, WHIP/WHEP joins and the room WebSocket upgrade.
public struct RateLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limiter: RateLimiter
    let rules: [RateLimitRule]
    let clients: ClientAddressPolicy

    public init(limiter: RateLimiter, rules: [RateLimitRule], clients: ClientAddressPolicy) {
        self.limiter = limiter
        self.rules = rules
        self.clients = clients
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let retryAfter = refusal(request, context: context) { return RateLimiter.refusal(retryAfter: retryAfter) }
        return try await next(request, context)
    }

    /// Takes a token for `request` if a rule covers it: nil to proceed, else the seconds to wait.
    public func refusal(_ request: Request, context: Context) -> Int? {
        guard let rule = rules.first(where: { $0.matches(request) }),
              let client = clients.key(request: request, context: context) else { return nil }
        let decision = limiter.take("\(rule.bucket)|ip|\(client)", limit: rule.limit)
        return decision.allowed ? nil : decision.retryAfter
    }
}
