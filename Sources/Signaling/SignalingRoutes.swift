import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import Relay
import RelayServer
import RoomToken

/// A WebSocket request context that can carry a rate-limit refusal made before the upgrade. Hummingbird
/// answers a refused upgrade with a bare 400, so a limiter on the WebSocket router lets the upgrade happen
/// and records the refusal here; the room socket then answers in-band, like its other refusals: an `error`
/// message `rate_limited` and close code 4429.
public protocol UpgradeRateLimitContext {
    /// Seconds until the client may try again; nil when it was not limited.
    var upgradeRetryAfter: Int? { get }
}

/// WHIP (RFC 9725) to publish and WHEP to watch, each authorized by a room token:
///
/// - `POST /whip/{roomId}` with `Authorization: Bearer <room token>` and an SDP offer →
///   `201 Created`, `Location: /whip/{roomId}/{participantId}`, the SDP answer. `DELETE` on the
///   Location leaves.
/// - `POST /whep/{roomId}[?participant=<userId>]` with a recvonly offer: watch that user (default: the
///   host). `DELETE` on the Location leaves.
///
/// Answers are complete (non-trickle): they carry the relay's host candidates.
public struct SignalingRoutes: Sendable {
    let relay: RelayService
    let verifier: RoomTokenVerifier
    let admission: any RoomAdmission
    let joinThrottle: JoinThrottle?
    /// Set on a relay node of a cluster: pulls a room's tracks from its origin node for viewers here.
    let cascade: (any RoomCascade)?
    static let maximumOfferSize = 64 * 1024

    /// A per-account rate limit on WHIP/WHEP joins: given the token's user id, nil to let the join through or
    /// the seconds to wait (answered 429 with `Retry-After`). Passed in by the command that owns the limiter
    /// (the control plane's buckets in `serve`), so Signaling needs no dependency on it.
    public typealias JoinThrottle = @Sendable (_ userID: String) -> Int?

    public init(
        relay: RelayService, verifier: RoomTokenVerifier, admission: any RoomAdmission = TokenOnlyAdmission(),
        joinThrottle: JoinThrottle? = nil, cascade: (any RoomCascade)? = nil
    ) {
        self.relay = relay
        self.verifier = verifier
        self.admission = admission
        self.joinThrottle = joinThrottle
        self.cascade = cascade
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        for kind in ["whip", "whep"] {
            router.post("\(kind)/:room") { request, context in
                let started = ContinuousClock.now
                let response = await respond { try await self.join(request, context: context, publish: kind == "whip") }
                Self.countJoin(kind, status: response.status, since: started)
                return response
            }
            router.delete("\(kind)/:room/:participant") { request, context in
                await respond { try await self.leave(request, context: context) }
            }
            // RFC 9725 §4.3: ICE restarts (and trickle, which an ice-lite relay does not need) use PATCH.
            router.patch("\(kind)/:room/:participant") { request, context in
                await respond { try await self.patch(request, context: context) }
            }
        }
    }

    /// Joins by way (`whip`, `whep`, `ws`) and outcome (`created`, or the refusing status code), and the
    /// signaling part of their time (`peerlearn_join_signaling_seconds`; the relay's own histograms follow
    /// the join to DTLS and first media).
    static func countJoin(_ kind: String, status: HTTPResponse.Status, since started: ContinuousClock.Instant) {
        let outcome = status.code < 300 ? "created" : String(status.code)
        Counter(label: "peerlearn_joins_total", dimensions: [("via", kind), ("outcome", outcome)]).increment()
        if status.code < 300 {
            Metrics.Timer(label: "peerlearn_join_signaling_seconds", dimensions: [("via", kind)], preferredDisplayUnit: .seconds)
                .record(duration: ContinuousClock.now - started)
        }
    }

    private func respond(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as SignalingError {
            return error.response
        } catch let error as any HTTPResponseError where error.status.code < 500 {
            return SignalingError(
                status: error.status, code: error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"),
                reason: error.status.reasonPhrase
            ).response
        } catch {
            return SignalingError(status: .internalServerError, code: "internal_error", reason: "internal error").response
        }
    }

    private func join(_ request: Request, context: some RequestContext, publish: Bool) async throws -> Response {
        let roomID = try room(context)
        let claims = try await authorize(request, roomID: roomID)
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/sdp") == true else {
            throw SignalingError.unsupportedMediaType("the body must be an SDP offer (Content-Type: application/sdp)")
        }
        let relayed = claims.role == .relay
        if relayed && publish { throw SignalingError.forbidden("a relay credential may only watch (WHEP)") }
        try throttleJoin(claims)
        let offer = String(buffer: try await Self.body(of: request, upTo: Self.maximumOfferSize, what: "the SDP offer"))
        guard !offer.isEmpty else { throw SignalingError.badRequest("empty SDP offer") }
        // Another relay's pipe is admitted by its credential alone: it is nobody's seat.
        let capacity = relayed ? nil : try await admit(claims)
        let watching = request.uri.queryParameters["participant"].map(String.init)
        if !publish && !relayed { try await prepareCascade(roomID: roomID, watching: watching) }
        let result = try await join(
            claims: claims, roomID: roomID, intent: publish ? .publish : .subscribe(userID: watching), offer: offer,
            capacity: capacity, relayed: relayed)
        var headers = HTTPFields()
        headers[.contentType] = "application/sdp"
        headers[.location] = "/\(publish ? "whip" : "whep")/\(roomID)/\(result.participantID)"
        headers[.eTag] = Self.entityTag(result.continuation.localUfrag)
        return Response(status: .created, headers: headers, body: .init(byteBuffer: ByteBuffer(string: result.answer)))
    }

    /// A request body up to `limit` bytes; more is the client's error (413 JSON), not the server's.
    static func body(of request: Request, upTo limit: Int, what: String) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw SignalingError(
                status: .contentTooLarge, code: "payload_too_large", reason: "\(what) is larger than \(limit) bytes")
        }
    }

    /// The per-account join limit (WHIP, WHEP and the room WebSocket): 429 with `Retry-After` when spent.
    func throttleJoin(_ claims: RoomClaims) throws {
        if let retryAfter = joinThrottle?(claims.subject.value) {
            throw SignalingError.tooManyRequests(
                "rate_limited", "too many joins for this user; retry in \(retryAfter) s", retryAfter: retryAfter)
        }
    }

    /// The room's capacity, or why the token's holder may not enter now (409 / 403).
    func admit(_ claims: RoomClaims) async throws -> Int? {
        guard claims.role != .relay else { throw SignalingError.forbidden("a relay credential may only watch (WHEP)") }
        do {
            return try await admission.admit(claims)
        } catch .notJoinable(let reason) {
            throw SignalingError.conflict("session_not_joinable", reason)
        } catch .forbidden(let reason) {
            throw SignalingError.forbidden(reason)
        }
    }

    /// On an edge node, the room's tracks piped from its origin before a viewer joins (503 when the origin
    /// cannot be reached: the client may ask the control plane again).
    func prepareCascade(roomID: String, watching: String?) async throws {
        guard let cascade else { return }
        do {
            try await cascade.prepare(roomID: roomID, watching: watching)
        } catch {
            throw SignalingError.unavailable("the room's origin relay could not be reached: \(error)")
        }
    }

    func join(
        claims: RoomClaims, roomID: String, intent: RelayEngine.JoinRequest.Intent, offer: String, capacity: Int?,
        relayed: Bool = false
    ) async throws -> RelayEngine.JoinResult {
        let request = RelayEngine.JoinRequest(
            roomID: roomID, userID: claims.subject.value, role: claims.role == .host ? .host : .participant,
            intent: intent, offer: offer, roomCapacity: capacity, tokenID: claims.tokenID.value, relayed: relayed)
        do {
            return try await relay.join(request)
        } catch {
            throw Self.map(error)
        }
    }

    private func leave(_ request: Request, context: some RequestContext) async throws -> Response {
        let roomID = try room(context)
        let claims = try await authorize(request, roomID: roomID)
        guard let participantID = context.parameters.get("participant") else {
            throw SignalingError.notFound("no such participant")
        }
        // A room token proves only that its holder may be in the room. Ending a connection is for its own
        // user or the room's host, and only in this room: a participant of another room reads as not found
        // here, so a token for room A can neither end nor probe connections in room B.
        guard let owner = await relay.identity(roomID: roomID, participantID: participantID) else {
            throw SignalingError.notFound("no such participant in this room")
        }
        guard owner.userID == claims.subject.value || claims.role == .host else {
            throw SignalingError.forbidden("only the participant's own user or the room's host may end it")
        }
        do {
            try await relay.leave(roomID: roomID, participantID: participantID)
        } catch {
            throw Self.map(error)
        }
        return Response(status: .ok)
    }

    func room(_ context: some RequestContext) throws -> String {
        guard let room = context.parameters.get("room"), !room.isEmpty, room.count <= 100 else {
            throw SignalingError.notFound("no such room")
        }
        return room
    }

    /// 401 for a missing, malformed, badly signed or expired token; 403 for a good token for another room.
    func authorize(_ request: Request, roomID: String) async throws -> RoomClaims {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw SignalingError.unauthorized("a room token is required: Authorization: Bearer <token>")
        }
        return try await authorize(token: String(header.dropFirst("bearer ".count)), roomID: roomID)
    }

    func authorize(token: String?, roomID: String) async throws -> RoomClaims {
        guard let token = token?.trimmingCharacters(in: .whitespaces), !token.isEmpty else {
            throw SignalingError.unauthorized("a room token is required")
        }
        do {
            return try await verifier.verify(token, forRoom: roomID)
        } catch .wrongRoom {
            throw SignalingError.forbidden("the room token is for another room")
        } catch {
            throw SignalingError.unauthorized("invalid or expired room token")
        }
    }

    static func map(_ error: RelayError) -> SignalingError {
        switch error {
        case .invalidOffer(let reason): .badRequest("unusable SDP offer: \(reason)")
        case .noUsableMedia:
            .badRequest("the offer has no Opus audio or VP8 video the relay can use in that direction")
        case .roomFull: .conflict("room_full", "the room is full")
        case .roomClosed: .conflict("session_ended", "the session has ended; its room is closed")
        case .tooManyConnections(let reason): .tooManyRequests("too_many_connections", reason, retryAfter: 10)
        case .relayFull(let reason): .conflict("relay_full", reason)
        case .unknownParticipant: .notFound("no such participant in this room")
        case .internalFailure(let reason): .unavailable(reason)
        }
    }
}
