import Foundation
import Hummingbird
import HummingbirdWebSocket
import Relay
import RelayServer
import RoomMessages
import RoomToken

/// `GET /ws/rooms/{roomId}?token=<room token>`: the group experience over one WebSocket. Media
/// still flows over WebRTC, on at most two peer connections per member whatever the room's size: a
/// publish connection the client offers (and renegotiates for a screen share) and a subscribe
/// connection the relay offers and re-offers as publishers come and go (`RoomConnection`). The
/// message format is in `README.md` beside this file.
public struct RoomWebSocketRoutes: Sendable {
    let signaling: SignalingRoutes
    let directory = RoomDirectory()
    let limits: Limits
    static let maximumMessageSize = 256 * 1024

    /// What one member's socket may cost the server. Over `messagesPerSecond` (with `burst`), the member
    /// gets an `error` message `rate_limited` and close code 4429; an outbox over `outboxMessages`
    /// (it reads slower than the room talks) closes with 4408 `slow_reader`.
    public struct Limits: Sendable {
        public var outboxMessages: Int
        public var messagesPerSecond: Double
        /// A joining member publishes, subscribes and answers a few offers at once, so a burst well above the
        /// rate is normal.
        public var burst: Double

        public init(outboxMessages: Int = 256, messagesPerSecond: Double = 20, burst: Double = 100) {
            self.outboxMessages = max(1, outboxMessages)
            self.messagesPerSecond = max(0.001, messagesPerSecond)
            self.burst = max(1, burst)
        }
    }

    /// Close codes beyond the 4000 + HTTP status refusals of the upgrade.
    static let slowReaderCloseCode: UInt16 = 4408
    static let rateLimitedCloseCode: UInt16 = 4429

    public init(signaling: SignalingRoutes, limits: Limits = Limits()) {
        self.signaling = signaling
        self.limits = limits
    }

    /// A plain GET (no upgrade, or a refused one) gets the reason: 401, 403, 409, else 426.
    public func registerRefusals<Context: RequestContext>(on router: Router<Context>) {
        router.get("ws/rooms/:room") { request, context in
            do {
                let room = try signaling.room(context)
                let claims = try await signaling.authorize(
                    token: request.uri.queryParameters["token"].map(String.init), roomID: room)
                _ = try await signaling.admit(claims)
                return SignalingError(
                    status: .upgradeRequired, code: "upgrade_required", reason: "connect with a WebSocket upgrade"
                ).response
            } catch let error as SignalingError {
                return error.response
            }
        }
    }

    public func register<Context: WebSocketRequestContext>(on router: Router<Context>) {
        router.ws("ws/rooms/:room") { _, _ in
            // Hummingbird answers any refused upgrade with a bare 400, so the checks run after it:
            // a refusal is an error message and close code 4000 + the HTTP status (4401, 4403, 4409).
            .upgrade()
        } onUpgrade: { inbound, outbound, context in
            let claims: RoomClaims
            let room: String
            do {
                if let retryAfter = (context.requestContext as? any UpgradeRateLimitContext)?.upgradeRetryAfter {
                    throw SignalingError.tooManyRequests(
                        "rate_limited", "too many joins from this address; retry in \(retryAfter) s", retryAfter: retryAfter)
                }
                room = try signaling.room(context.requestContext)
                claims = try await signaling.authorize(
                    token: context.request.uri.queryParameters["token"].map(String.init), roomID: room)
                try signaling.throttleJoin(claims)
                _ = try await signaling.admit(claims)
            } catch {
                let refusal = error as? SignalingError ?? .badRequest("\(error)")
                try? await outbound.write(.text(refusal.json))
                try? await outbound.close(.unknown(UInt16(4_000 + refusal.status.code)), reason: refusal.code)
                return
            }
            let connection = UUID()
            let (outbox, continuation) = RoomDirectory.Member.makeOutbox(limit: limits.outboxMessages)
            let (disconnects, disconnect) = RoomDirectory.Member.makeDisconnect()
            let session = RoomConnection(
                signaling: signaling, directory: directory, room: room, claims: claims, connection: connection,
                outbox: continuation)
            await directory.join(
                room: room, connection: connection,
                member: .init(
                    userID: claims.subject.value, role: claims.role.rawValue, outbox: continuation, disconnect: disconnect,
                    refresh: { Task { await session.refresh() } },
                    relayEvent: { event in Task { await session.relayEvent(event) } }))
            let limits = self.limits
            let refusal = SignalingError.tooManyRequests(
                "rate_limited",
                "more than \(Int(limits.messagesPerSecond)) messages/s (burst \(Int(limits.burst))) on one room socket")
            // The writer on its own, so it alone can be cancelled (it may be stuck on a socket the peer does
            // not read) while the reader goes on draining the socket.
            let writer = Task {
                for await text in outbox {
                    do { try await outbound.write(.text(text)) } catch { return }
                }
            }
            // The first reason to end wins: the member left or closed, sent too fast, or read too slowly.
            let (endings, ending) = AsyncStream.makeStream(of: Ending.self, bufferingPolicy: .bufferingOldest(1))
            await withTaskGroup(of: Child.self) { group in
                group.addTask {
                    var rate = MessageRate(perSecond: limits.messagesPerSecond, burst: limits.burst)
                    var refused = false
                    do {
                        for try await message in inbound.messages(maxSize: Self.maximumMessageSize) {
                            // Once refused (or dropped as a slow reader), messages are read and ignored until
                            // the peer answers the close: closing on unread data would reset the connection
                            // and lose the close frame that says why.
                            if refused { continue }
                            guard rate.admit(now: .now) else {
                                refused = true
                                ending.yield(.rateLimited)
                                continue
                            }
                            guard await directory.isMember(room: room, connection: connection) else { continue }
                            guard case .text(let text) = message else { continue }
                            if await session.handle(text) == .leave {
                                ending.yield(.left)
                                return .reader
                            }
                        }
                    } catch {
                        context.logger.debug("room socket closed: \(error)")
                    }
                    ending.yield(.closed)
                    return .reader
                }
                group.addTask {
                    for await reason in disconnects {
                        switch reason {
                        case .slowReader: ending.yield(.slowReader)
                        case .sessionEnded: ending.yield(.sessionEnded)
                        }
                    }
                    return .watcher
                }
                var how = Ending.closed
                for await first in endings {
                    how = first
                    break
                }
                if how == .sessionEnded {
                    // `session-ended` is the last message of a finished outbox: the writer sends it, then ends.
                    await Self.finish(writer, within: .seconds(2))
                } else {
                    writer.cancel()
                    _ = await writer.value
                }
                if how == .slowReader || how == .rateLimited || how == .sessionEnded {
                    await directory.leave(room: room, connection: connection)
                    switch how {
                    case .slowReader:
                        await Self.close(outbound, code: Self.slowReaderCloseCode, reason: "slow_reader")
                    case .sessionEnded:
                        await Self.close(outbound, code: Self.sessionEndedCloseCode, reason: "session_ended")
                    default:
                        await Self.close(
                            outbound, code: Self.rateLimitedCloseCode, reason: "rate_limited", message: refusal.json)
                    }
                    // The reader drains until the peer answers the close; one that never does is cut off.
                    group.addTask {
                        try? await Task.sleep(for: .seconds(5))
                        return .timer
                    }
                    while let child = await group.next(), child == .watcher {}
                }
                group.cancelAll()
            }
            await session.close()
            await directory.leave(room: room, connection: connection)
        }
    }

    /// The tasks of one member's socket.
    enum Child: Sendable, Equatable { case reader, watcher, timer }

    /// How a member's socket ended.
    enum Ending: Sendable, Equatable { case left, closed, rateLimited, slowReader, sessionEnded }

    /// Sends an optional last message and a close frame, giving up after two seconds: a peer that does not
    /// read may leave the socket unwritable, and Hummingbird's close timeout then drops the connection.
    static func close(
        _ outbound: WebSocketOutboundWriter, code: UInt16, reason: String, message: String? = nil
    ) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                if let message { try? await outbound.write(.text(message)) }
                try? await outbound.close(.unknown(code), reason: reason)
            }
            group.addTask { try? await Task.sleep(for: .seconds(2)) }
            await group.next()
            group.cancelAll()
        }
    }
}

/// A token bucket over one socket's inbound messages: `burst` at once, then `perSecond`.
struct MessageRate: Sendable {
    let perSecond: Double
    let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant?

    init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
        self.tokens = burst
    }

    mutating func admit(now: ContinuousClock.Instant) -> Bool {
        if let last {
            let elapsed = last.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(burst, tokens + max(0, seconds) * perSecond)
        }
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
