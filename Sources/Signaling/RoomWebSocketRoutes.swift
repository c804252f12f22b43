import Foundation
import Hummingbird
import HummingbirdWebSocket
import Relay
import RelayServer
import RoomMessages
import RoomToken

/// `GET /ws/rooms/{roomId}?token=<room token>`: the group experience over one WebSocket. Media
/// still flows over WebRTC: each publish or subscribe is its own peer connection, negotiated by an
/// offer/answer exchanged here, so "renegotiation" is adding or closing a connection when the server
/// says someone started or stopped publishing. The message format is in `README.md` beside this file.
public struct RoomWebSocketRoutes: Sendable {
    let signaling: SignalingRoutes
    let directory = RoomDirectory()
    static let maximumMessageSize = 256 * 1024

    public init(signaling: SignalingRoutes) {
        self.signaling = signaling
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

    public func register(on router: Router<BasicWebSocketRequestContext>) {
        router.ws("ws/rooms/:room") { _, _ in
            // Hummingbird answers any refused upgrade with a bare 400, so the checks run after it:
            // a refusal is an error message and close code 4000 + the HTTP status (4401, 4403, 4409).
            .upgrade()
        } onUpgrade: { inbound, outbound, context in
            let claims: RoomClaims
            let room: String
            do {
                room = try signaling.room(context.requestContext)
                claims = try await signaling.authorize(
                    token: context.request.uri.queryParameters["token"].map(String.init), roomID: room)
                _ = try await signaling.admit(claims)
            } catch {
                let refusal = error as? SignalingError ?? .badRequest("\(error)")
                try? await outbound.write(.text(refusal.json))
                try? await outbound.close(.unknown(UInt16(4_000 + refusal.status.code)), reason: refusal.code)
                return
            }
            let connection = UUID()
            let (outbox, continuation) = AsyncStream.makeStream(of: String.self)
            let session = RoomConnection(
                signaling: signaling, directory: directory, room: room, claims: claims, connection: connection,
                outbox: continuation)
            await directory.join(
                room: room, connection: connection,
                member: .init(userID: claims.subject.value, role: claims.role.rawValue, outbox: continuation))
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await text in outbox { try? await outbound.write(.text(text)) }
                }
                do {
                    for try await message in inbound.messages(maxSize: Self.maximumMessageSize) {
                        guard case .text(let text) = message else { continue }
                        if await session.handle(text) == .leave { break }
                    }
                } catch {
                    context.logger.debug("room socket closed: \(error)")
                }
                await session.close()
                await directory.leave(room: room, connection: connection)
            }
        }
    }
}

/// One WebSocket member's peer connections in the relay, keyed "publish" or "watch:<userId>".
actor RoomConnection {
    let signaling: SignalingRoutes
    let directory: RoomDirectory
    let room: String
    let claims: RoomClaims
    let connection: UUID
    let outbox: AsyncStream<String>.Continuation
    private var participants: [String: String] = [:]

    init(
        signaling: SignalingRoutes, directory: RoomDirectory, room: String, claims: RoomClaims, connection: UUID,
        outbox: AsyncStream<String>.Continuation
    ) {
        self.signaling = signaling
        self.directory = directory
        self.room = room
        self.claims = claims
        self.connection = connection
        self.outbox = outbox
    }

    enum Outcome { case `continue`, leave }

    func handle(_ text: String) async -> Outcome {
        let message: RoomClientMessage
        switch RoomClientMessage.decode(text) {
        case .success(let decoded): message = decoded
        case .failure(let refusal):
            send(SignalingError.badRequest(refusal.reason).json)
            return .continue
        }
        do {
            switch message {
            case .publish(let sdp):
                let answer = try await replace("publish", intent: .publish, offer: sdp)
                let kinds = RoomClientMessage.publishedKinds(in: sdp)
                send(RoomDirectory.encode(["type": "answer", "for": "publish", "sdp": answer]))
                await directory.setPublishing(room: room, connection: connection, kinds: kinds)
            case .subscribe(let user, let sdp):
                let answer = try await replace("watch:\(user)", intent: .subscribe(userID: user), offer: sdp)
                send(RoomDirectory.encode(["type": "answer", "for": "subscribe", "participant": user, "sdp": answer]))
            case .unsubscribe(let user):
                await end("watch:\(user)")
            case .unpublish:
                await end("publish")
                await directory.setPublishing(room: room, connection: connection, kinds: [])
            case .mute(let kind, let muted):
                await directory.setMuted(room: room, connection: connection, kind: kind.rawValue, muted: muted)
            case .leave:
                return .leave
            }
        } catch let error as SignalingError {
            send(error.json)
        } catch {
            send(SignalingError(status: .internalServerError, code: "internal_error", reason: "\(error)").json)
        }
        return .continue
    }

    /// Ends every peer connection this member had (the socket closed or they left).
    func close() async {
        for key in Array(participants.keys) { await end(key) }
    }

    private func replace(_ key: String, intent: RelayEngine.JoinRequest.Intent, offer: String) async throws -> String {
        await end(key)
        let capacity = try await signaling.admit(claims)
        let result = try await signaling.join(claims: claims, roomID: room, intent: intent, offer: offer, capacity: capacity)
        participants[key] = result.participantID
        return result.answer
    }

    private func end(_ key: String) async {
        guard let participantID = participants.removeValue(forKey: key) else { return }
        try? await signaling.relay.leave(roomID: room, participantID: participantID)
    }

    private func send(_ text: String) {
        outbox.yield(text)
    }
}
