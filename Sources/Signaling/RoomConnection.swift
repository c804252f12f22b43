import Foundation
import Relay
import Tracing
import RelayServer
import RoomMessages
import RoomToken

/// One WebSocket member's two relay connections (protocol v2): the publish connection, which the client
/// offers and renegotiates (a screen share added or removed), and the subscribe connection, which the
/// relay offers and re-offers whenever what the member should receive changes. An actor: the member's
/// own messages and the room's refresh requests arrive concurrently.
actor RoomConnection {
    let signaling: SignalingRoutes
    let directory: RoomDirectory
    let room: String
    let claims: RoomClaims
    let connection: UUID
    let outbox: AsyncStream<String>.Continuation

    /// The publish connection: its relay participant, what a renegotiation continues, and the DTLS
    /// fingerprint its offers carry (a new one means a new RTCPeerConnection, so a new relay connection).
    private var publisher: (participantID: String, continuation: RelayEngine.SessionContinuation, fingerprint: String?)?
    /// The subscribe connection's relay participant.
    private var subscriber: String?
    /// A `restart-ice` that arrived while an offer waited for its answer: it runs on that answer.
    private var restartAfterAnswer = false

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

    /// Message types an `error` may name in its `for` (never an unknown type quoted back).
    private static let knownTypes: Set<String> = [
        "publish", "unpublish", "subscribe", "answer", "mute", "restart-ice", "video-sizes", "leave",
    ]

    func handle(_ text: String) async -> Outcome {
        let type = RoomClientMessage.type(of: text).flatMap { Self.knownTypes.contains($0) ? $0 : nil }
        let message: RoomClientMessage
        switch RoomClientMessage.decode(text) {
        case .success(let decoded): message = decoded
        case .failure(let refusal):
            send(SignalingError.badRequest(refusal.reason).json(for: type))
            return .continue
        }
        do {
            switch message {
            // A room socket's joins are traced like WHIP and WHEP requests: the join's phases (`relay.join`)
            // go under these spans.
            case .publish(let sdp, let sources):
                try await withSpan("room_socket.publish", ofKind: .server) { span in
                    span.attributes["peerlearn.room.id"] = room
                    try await publish(offer: sdp, sources: sources)
                }
            case .unpublish:
                await endPublisher()
                await directory.setPublishing(room: room, connection: connection, sources: [])
            case .subscribe:
                try await withSpan("room_socket.subscribe", ofKind: .server) { span in
                    span.attributes["peerlearn.room.id"] = room
                    try await subscribe()
                }
            case .answer(let sdp):
                try await answer(sdp)
            case .mute(let kind, let muted):
                await directory.setMuted(room: room, connection: connection, kind: kind.rawValue, muted: muted)
            case .restartICE:
                try await restartICE()
            case .videoSizes(let sizes):
                // Before the subscribe connection exists there is nothing to size: ignored, not an error.
                if let subscriber {
                    await signaling.relay.setPreferredSizes(
                        roomID: room, participantID: subscriber, sizes: sizes.mapValues { ($0.width, $0.height) })
                }
            case .leave:
                return .leave
            }
        } catch let error as SignalingError {
            send(error.json(for: type))
        } catch {
            send(SignalingError(status: .internalServerError, code: "internal_error", reason: "\(error)").json(for: type))
        }
        return .continue
    }

    /// Joins the publish connection, or renegotiates it when the offer comes from the same peer connection
    /// (same DTLS fingerprint). Answers `answer` `for: publish`, then tells the room what is published.
    private func publish(offer: String, sources: [String: RoomClientMessage.Source]) async throws {
        let capacity = try await signaling.admit(claims)
        let request = RelayEngine.JoinRequest(
            roomID: room, userID: claims.subject.value, role: claims.role == .host ? .host : .participant,
            intent: .publish, offer: offer, roomCapacity: capacity, tokenID: claims.tokenID.value,
            sources: sources.compactMapValues { TrackSource(rawValue: $0.rawValue) })
        let fingerprint = Self.fingerprint(in: offer)
        let result: RelayEngine.JoinResult
        if let current = publisher, current.fingerprint == fingerprint {
            do {
                result = try await signaling.relay.renegotiate(
                    participantID: current.participantID, request: request, continuing: current.continuation)
            } catch .unknownParticipant {
                // The relay ended it (ICE consent lapsed): this peer connection cannot be continued.
                publisher = nil
                await directory.setPublishing(room: room, connection: connection, sources: [])
                throw SignalingError.notFound("the publish connection ended; publish again on a new connection")
            } catch {
                throw SignalingRoutes.map(error)
            }
        } else {
            let replacing = publisher != nil
            await endPublisher()
            let started = ContinuousClock.now
            do {
                result = try await signaling.relay.join(request)
                SignalingRoutes.countJoin("ws", status: .created, since: started)
            } catch {
                if replacing { await directory.setPublishing(room: room, connection: connection, sources: []) }
                let mapped = SignalingRoutes.map(error)
                SignalingRoutes.countJoin("ws", status: mapped.status, since: started)
                throw mapped
            }
        }
        publisher = (result.participantID, result.continuation, fingerprint)
        send(RoomDirectory.encode(["type": "answer", "for": "publish", "sdp": result.answer]))
        let published = await signaling.relay.publishedSources(roomID: room, participantID: result.participantID)
        await directory.setPublishing(room: room, connection: connection, sources: published.map(\.rawValue))
    }

    /// Opens the subscribe connection (replacing an earlier one): the relay offers as soon as someone else
    /// publishes, and again on every change.
    private func subscribe() async throws {
        if let old = subscriber {
            subscriber = nil
            try? await signaling.relay.leave(roomID: room, participantID: old)
        }
        let capacity = try await signaling.admit(claims)
        try await signaling.prepareCascade(roomID: room, watching: nil)
        let opened: (participantID: String, offer: SubscriptionOffer?)
        do {
            opened = try await signaling.relay.openSubscription(
                .init(
                    roomID: room, userID: claims.subject.value, role: claims.role == .host ? .host : .participant,
                    roomCapacity: capacity, tokenID: claims.tokenID.value))
        } catch {
            throw SignalingRoutes.map(error)
        }
        subscriber = opened.participantID
        if let offer = opened.offer {
            send(Self.encode(offer))
        } else {
            // Someone may have published while the connection was being opened, when a refresh found none.
            await refresh()
        }
    }

    /// Applies the client's answer to the relay's latest offer; sends the next offer if the room changed
    /// meanwhile. An answer with no offer outstanding is an `error`, nothing else.
    private func answer(_ sdp: String) async throws {
        guard let participantID = subscriber else {
            throw SignalingError.conflict("no_offer", "there is no offer to answer: send subscribe first")
        }
        let next: SubscriptionOffer?
        do {
            next = try await signaling.relay.answerSubscription(roomID: room, participantID: participantID, answer: sdp)
        } catch .invalidOffer(let reason) {
            throw SignalingError.badRequest("unusable SDP answer: \(reason)")
        } catch .unknownParticipant {
            if subscriber == participantID { subscriber = nil }
            throw SignalingError.notFound("the subscribe connection ended; subscribe again")
        } catch {
            throw SignalingRoutes.map(error)
        }
        guard subscriber == participantID else { return }
        if restartAfterAnswer {
            restartAfterAnswer = false
            // The restart's offer also carries whatever changed meanwhile, so it replaces `next`.
            if let restarted = try? await signaling.relay.restartSubscriptionICE(roomID: room, participantID: participantID) {
                send(Self.encode(restarted))
                return
            }
        }
        if let next { send(Self.encode(next)) }
    }

    /// Restarts ICE on the subscribe connection: the relay's next offer carries new credentials and the
    /// client's answer its own, on the same peer connection (RFC 8445 §9). While an offer waits for its
    /// answer the restart waits too, so there is never a second offer outstanding.
    private func restartICE() async throws {
        guard let participantID = subscriber else {
            throw SignalingError.conflict("no_subscription", "there is no subscribe connection to restart: send subscribe")
        }
        let offer: SubscriptionOffer?
        do {
            offer = try await signaling.relay.restartSubscriptionICE(roomID: room, participantID: participantID)
        } catch .invalidOffer {
            restartAfterAnswer = true
            return
        } catch .unknownParticipant {
            if subscriber == participantID { subscriber = nil }
            throw SignalingError.notFound("the subscribe connection ended; subscribe again")
        } catch {
            throw SignalingRoutes.map(error)
        }
        if let offer, subscriber == participantID { send(Self.encode(offer)) }
    }

    /// Brings the subscribe connection up to date with the room: an `offer` when what this member receives
    /// changed and it is not still answering an earlier one (the relay then offers on the answer).
    func refresh() async {
        guard let participantID = subscriber else { return }
        let offer = await signaling.relay.refreshSubscription(roomID: room, participantID: participantID)
        if let offer, subscriber == participantID { send(Self.encode(offer)) }
    }

    /// Ends both relay connections (the socket closed or the member left); the others' subscribe
    /// connections then drop this member's tracks.
    func close() async {
        let published = publisher != nil
        await endPublisher()
        if let subscriber {
            self.subscriber = nil
            try? await signaling.relay.leave(roomID: room, participantID: subscriber)
        }
        if published { await directory.refreshSubscriptions(room: room, except: connection) }
    }

    /// A relay event about one of this member's connections; events about others' are ignored.
    func relayEvent(_ event: RoomEvent) async {
        switch event {
        case .connectionEnded(_, let participantID, let reason):
            await relayEnded(participantID: participantID, reason: reason.rawValue)
        case .layersWanted(_, let participantID, let mid, let active):
            // Dynacast: the client pauses the simulcast encodings nobody watches (setParameters).
            guard publisher?.participantID == participantID else { return }
            send(RoomDirectory.encode(["type": "layers", "mid": mid, "active": active]))
        case .dominantSpeaker:
            return
        }
    }

    /// The relay ended one of this member's connections by itself (ICE consent lapsed: the browser went
    /// away without closing the socket, or its network died). The member hears `connection-ended`, so
    /// it can open that connection again; if it was the publish connection, the room hears `unpublished`
    /// and the others' subscribe connections are re-offered without its tracks.
    private func relayEnded(participantID: String, reason: String) async {
        if publisher?.participantID == participantID {
            publisher = nil
            send(RoomDirectory.encode(["type": "connection-ended", "connection": "publish", "reason": reason]))
            await directory.setPublishing(room: room, connection: connection, sources: [])
        } else if subscriber == participantID {
            subscriber = nil
            restartAfterAnswer = false
            send(RoomDirectory.encode(["type": "connection-ended", "connection": "subscribe", "reason": reason]))
        }
    }

    private func endPublisher() async {
        guard let participantID = publisher?.participantID else { return }
        publisher = nil
        try? await signaling.relay.leave(roomID: room, participantID: participantID)
    }

    /// The offer's first `a=fingerprint:` value: a browser's peer connection keeps one certificate.
    static func fingerprint(in sdp: String) -> String? {
        for line in sdp.split(whereSeparator: \.isNewline) where line.hasPrefix("a=fingerprint:") {
            return String(line.dropFirst("a=fingerprint:".count)).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// `{"type": "offer", "sdp", "tracks": {mid: {"userId", "kind", "source"}}}`: what each m-section carries.
    static func encode(_ offer: SubscriptionOffer) -> String {
        var tracks: [String: Any] = [:]
        for track in offer.tracks {
            tracks[track.mid] = ["userId": track.userID, "kind": track.kind.rawValue, "source": track.source.rawValue]
        }
        return RoomDirectory.encode(["type": "offer", "sdp": offer.sdp, "tracks": tracks])
    }

    /// Answers and offers go through the same bounded outbox as the room's broadcasts, so they count
    /// against the same limit: a full outbox makes this member a slow reader too.
    private func send(_ text: String) {
        if case .dropped = outbox.yield(text) {
            Task { [directory, room, connection] in await directory.dropSlowReader(room: room, connection: connection) }
        }
    }
}
