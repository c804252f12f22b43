import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import HummingbirdWebSocket
import RelayServer
import RoomToken
import Synchronization
import Testing

@testable import Signaling

/// Issue 10 on WHIP/WHEP: an oversized offer is a 413 JSON error (it was a 500), and a per-account join
/// limit answers 429 with `Retry-After`.
@Suite struct SignalingHardeningTests {
    static let secret = Array("0123456789abcdef0123456789abcdef".utf8)
    static let room = "room-hardening"

    static func token(user: Int64, room: String = room, role: RoomRole = .participant) async throws -> String {
        let now = Date()
        let claims = RoomClaims(
            userID: user, sessionID: "s", roomID: room, role: role, issuedAt: now,
            expiresAt: now.addingTimeInterval(600), tokenID: "t\(user)-\(UUID().uuidString)")
        return try await RoomTokenSigner(secret: secret).sign(claims)
    }

    static func withServer(
        joinThrottle: SignalingRoutes.JoinThrottle? = nil,
        _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void
    ) async throws {
        let relay = try RelayService(configuration: .init(port: 0))
        let signaling = SignalingRoutes(
            relay: relay, verifier: try await RoomTokenVerifier(secret: secret), joinThrottle: joinThrottle)
        let router = Router()
        signaling.register(on: router)
        try await Application(router: router).test(.router) { client in try await body(client) }
    }

    static func offer(_ name: String) throws -> String {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../SDPTests/Fixtures/\(name)")
        return try String(contentsOf: file, encoding: .utf8)
    }

    @Test(arguments: ["whip", "whep"])
    func anOversizedOfferIs413JSON(kind: String) async throws {
        try await Self.withServer { client in
            // 92 KB: a real offer padded with attribute lines, as in the report.
            var offer = try Self.offer("chromium-sendrecv-offer.sdp")
            while offer.utf8.count < 92 * 1024 { offer += "a=x-padding:" + String(repeating: "p", count: 1000) + "\r\n" }
            let response = try await client.execute(
                uri: "/\(kind)/\(Self.room)", method: .post,
                headers: [.authorization: "Bearer \(try await Self.token(user: 1))", .contentType: "application/sdp"],
                body: ByteBuffer(string: offer))
            #expect(response.status == .contentTooLarge)
            let body = String(buffer: response.body)
            #expect(body.contains(#""error":"payload_too_large""#), "\(body)")
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
        }
    }

    @Test func joinsAreLimitedPerAccount() async throws {
        let asked = Mutex<[String]>([])
        try await Self.withServer(joinThrottle: { user in
            asked.withLock { $0.append(user) }
            return 7
        }) { client in
            let response = try await client.execute(
                uri: "/whip/\(Self.room)", method: .post,
                headers: [.authorization: "Bearer \(try await Self.token(user: 42))", .contentType: "application/sdp"],
                body: ByteBuffer(string: try Self.offer("chromium-sendrecv-offer.sdp")))
            #expect(response.status == .tooManyRequests)
            #expect(response.headers[.retryAfter] == "7")
            #expect(String(buffer: response.body).contains(#""error":"rate_limited""#))
        }
        #expect(asked.withLock { $0 } == ["42"])
    }
}

/// The room WebSocket meets the same per-account join limit, refused in-band (close 4429).
@Suite struct RoomSocketJoinLimitTests {
    @Test func aThrottledUserIsRefusedInBand() async throws {
        let relay = try RelayService(configuration: .init(port: 0))
        let asked = Mutex<[String]>([])
        let signaling = SignalingRoutes(
            relay: relay, verifier: try await RoomTokenVerifier(secret: SignalingHardeningTests.secret),
            joinThrottle: { user in
                asked.withLock { $0.append(user) }
                return 9
            })
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        RoomWebSocketRoutes(signaling: signaling).register(on: webSocketRouter)
        let app = Application(
            router: Router(), server: .http1WebSocketUpgrade(webSocketRouter: webSocketRouter),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let token = try await SignalingHardeningTests.token(user: 77)
            let errors = Mutex<[String]>([])
            let close = try await client.ws("/ws/rooms/\(SignalingHardeningTests.room)?token=\(token)") { inbound, _, _ in
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { errors.withLock { $0.append(text) } }
                }
            }
            #expect(close?.closeCode == .unknown(4429))
            #expect(close?.reason == "rate_limited")
            #expect(errors.withLock { $0 }.first?.contains("retry in 9 s") == true, "\(errors.withLock { $0 })")
        }
        #expect(asked.withLock { $0 } == ["77"])
    }
}

/// Issue 10 point 5: `DELETE /whip|whep/{room}/{participant}` only by the participant's own user or the
/// room's host, and only in the participant's room.
@Suite struct SignalingDeleteAuthorizationTests {
    typealias H = SignalingHardeningTests

    /// Publishes `user`'s Chromium offer into `room` and returns the Location path.
    static func publish(_ client: any TestClientProtocol, user: Int64, room: String = H.room) async throws -> String {
        let response = try await client.execute(
            uri: "/whip/\(room)", method: .post,
            headers: [.authorization: "Bearer \(try await H.token(user: user, room: room))", .contentType: "application/sdp"],
            body: ByteBuffer(string: try H.offer("chromium-sendrecv-offer.sdp")))
        try #require(response.status == .created, "\(String(buffer: response.body))")
        return try #require(response.headers[.location])
    }

    static func delete(_ client: any TestClientProtocol, _ location: String, token: String) async throws -> TestResponse {
        try await client.execute(uri: location, method: .delete, headers: [.authorization: "Bearer \(token)"])
    }

    @Test func onlyTheOwnerOrTheHostEndsAParticipant() async throws {
        try await H.withServer { client in
            let location = try await Self.publish(client, user: 1)
            let participantID = try #require(location.split(separator: "/").last.map(String.init))

            // Another learner in the same room: refused, and the participant is still there.
            let stranger = try await Self.delete(client, location, token: try await H.token(user: 2))
            #expect(stranger.status == .forbidden, "\(String(buffer: stranger.body))")
            #expect(String(buffer: stranger.body).contains(#""error":"forbidden""#))

            // The owner's token for another room, aimed at this participant through that room: not found.
            let otherRoom = "room-elsewhere"
            let crossRoom = try await Self.delete(
                client, "/whip/\(otherRoom)/\(participantID)", token: try await H.token(user: 1, room: otherRoom))
            #expect(crossRoom.status == .notFound, "\(String(buffer: crossRoom.body))")
            // Through this room's path with the other room's token: that token is not for this room.
            let wrongToken = try await Self.delete(client, location, token: try await H.token(user: 1, room: otherRoom))
            #expect(wrongToken.status == .forbidden)

            // The owner ends it; a second DELETE finds nothing.
            #expect(try await Self.delete(client, location, token: try await H.token(user: 1)).status == .ok)
            #expect(try await Self.delete(client, location, token: try await H.token(user: 1)).status == .notFound)

            // The room's host may end anyone's connection in the room.
            let second = try await Self.publish(client, user: 3)
            let host = try await H.token(user: 9, role: .host)
            #expect(try await Self.delete(client, second, token: host).status == .ok)
        }
    }
}
