import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import HummingbirdWebSocket
import RelayServer
import RoomToken
import Testing

@testable import Signaling

/// Completing or cancelling a session ends its room: every member's socket gets `session-ended` as its last
/// message and close code 4410, and every relay connection in the room goes, the members' (as their
/// sockets end) and plain WHIP ones (`RelayService.closeRoom`).
@Suite struct SessionEndedTests {
    typealias H = RoomWebSocketTests
    static let room = H.room

    /// A live server with WHIP/WHEP and the room WebSocket over one relay (built, not started: joins and
    /// leaves run on its worker, no media flows).
    static func withServer(
        _ body: @Sendable @escaping (any TestClientProtocol, RoomWebSocketRoutes, RelayService) async throws -> Void
    ) async throws {
        let relay = try RelayService(configuration: .init(port: 0))
        let signaling = SignalingRoutes(relay: relay, verifier: try await RoomTokenVerifier(secret: H.secret))
        let router = Router()
        signaling.register(on: router)
        let routes = RoomWebSocketRoutes(signaling: signaling)
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        routes.register(on: webSocketRouter)
        let app = Application(
            router: router, server: .http1WebSocketUpgrade(webSocketRouter: webSocketRouter),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await body(client, routes, relay) }
    }

    /// What one member's socket saw: the message types in order, the `session-ended` reason, the close.
    struct Seen: Sendable {
        var types: [String] = []
        var reason: String?
        var close: WebSocketCloseFrame?
    }

    /// Connects `user`, signals `welcomed` once in the room, optionally publishes (waiting for the answer),
    /// and records everything until the server closes.
    static func member(
        _ client: any TestClientProtocol, user: Int64, publish: Bool = false,
        welcomed: AsyncStream<Void>.Continuation
    ) async throws -> Seen {
        let log = Log<Seen>()
        let close = try await client.ws(try await H.path(user: user)) { inbound, outbound, _ in
            var seen = Seen()
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else { continue }
                let object = H.object(text)
                let type = object["type"] as? String ?? "?"
                seen.types.append(type)
                if type == "session-ended" { seen.reason = object["reason"] as? String }
                if type == "welcome" {
                    if publish {
                        let offer = try SignalingHardeningTests.offer("chromium-sendrecv-offer.sdp")
                        let request = try JSONSerialization.data(withJSONObject: ["type": "publish", "sdp": offer])
                        try await outbound.write(.text(String(decoding: request, as: UTF8.self)))
                    } else {
                        welcomed.yield()
                    }
                }
                if type == "answer" { welcomed.yield() }
            }
            await log.append(seen)
        }
        var seen = await log.values.first ?? Seen()
        seen.close = close
        return seen
    }

    @Test(arguments: SessionEndReason.allCases)
    func everyMemberIsToldAndClosedWith4410(reason: SessionEndReason) async throws {
        try await Self.withServer { client, routes, _ in
            let (welcomes, welcomed) = AsyncStream.makeStream(of: Void.self)
            let first = Task { try await Self.member(client, user: 1, welcomed: welcomed) }
            let second = Task { try await Self.member(client, user: 2, welcomed: welcomed) }
            var count = 0
            for await _ in welcomes {
                count += 1
                if count == 2 { break }
            }
            #expect(await routes.directory.members(room: Self.room) == 2)
            // A backlog for user 1 (user 2's mute toggling): `session-ended` still arrives, after all of it.
            let talker = try #require(await routes.directory.connections(room: Self.room).first { $0.value == "2" }?.key)
            for index in 0..<200 {
                await routes.directory.setMuted(room: Self.room, connection: talker, kind: "audio", muted: index % 2 == 0)
            }
            await routes.endSession(room: Self.room, reason: reason)
            let (one, two) = (try await first.value, try await second.value)
            #expect(one.types.filter { $0 == "muted" }.count == 200)
            for seen in [one, two] {
                #expect(seen.types.last == "session-ended", "the last message: \(seen.types.suffix(3))")
                #expect(seen.reason == reason.rawValue)
                #expect(seen.close?.closeCode == .unknown(4410))
                #expect(seen.close?.reason == "session_ended")
                #expect(!seen.types.contains("participant-left"), "everyone goes at once: \(seen.types)")
            }
            #expect(await routes.directory.members(room: Self.room) == 0)
        }
    }

    @Test func anotherRoomIsUntouched() async throws {
        try await Self.withServer { client, routes, _ in
            let (welcomes, welcomed) = AsyncStream.makeStream(of: Void.self)
            let member = Task { try await Self.member(client, user: 1, welcomed: welcomed) }
            for await _ in welcomes { break }
            await routes.endSession(room: "another-room", reason: .completed)
            try await Task.sleep(for: .milliseconds(300))
            #expect(await routes.directory.members(room: Self.room) == 1, "a different room's end leaves this one be")
            await routes.endSession(room: Self.room, reason: .completed)
            let seen = try await member.value
            #expect(seen.types == ["welcome", "session-ended"])
        }
    }

    /// A member publishing over the socket and a plain WHIP publisher: the member's connection goes when its
    /// socket ends, the WHIP one only when the relay closes the room.
    @Test func theMembersAndTheWhipParticipantsRelayConnectionsClose() async throws {
        try await Self.withServer { client, routes, relay in
            let (welcomes, welcomed) = AsyncStream.makeStream(of: Void.self)
            let member = Task { try await Self.member(client, user: 1, publish: true, welcomed: welcomed) }
            for await _ in welcomes { break }
            let whip = try await client.execute(
                uri: "/whip/\(Self.room)", method: .post,
                headers: [
                    .authorization: "Bearer \(try await SignalingHardeningTests.token(user: 2, room: Self.room))",
                    .contentType: "application/sdp",
                ],
                body: ByteBuffer(string: try SignalingHardeningTests.offer("chromium-sendrecv-offer.sdp")))
            #expect(whip.status == .created, "\(String(buffer: whip.body))")
            #expect(await relay.snapshot().participants == 2)

            await routes.endSession(room: Self.room, reason: .completed)
            let seen = try await member.value
            #expect(seen.close?.closeCode == .unknown(4410))
            #expect(try await relay.participants(reach: 1) == 1, "the member's connection closed with its socket")
            await relay.closeRoom(roomID: Self.room)
            #expect(await relay.snapshot().participants == 0, "the WHIP publisher's too")
            #expect(await relay.snapshot().rooms == 0)
        }
    }
}
