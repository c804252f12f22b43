import AsyncHTTPClient
import ControlPlane
import Foundation
import Logging
import NIOCore
import RelayServer
import RoomToken
import STUN
import Signaling

/// A relay node's side of a room spread over nodes: a viewer here of a room placed on another node (its
/// origin, from the registry) is served through a cascade pipe that pulls the watched tracks from the
/// origin's WHEP endpoint, with a relay credential this node mints (the nodes share the room-token key).
struct NodeCascade: RoomCascade {
    let nodeID: String
    let registry: RelayRegistry
    let relay: RelayService
    let signer: RoomTokenSigner
    let logger: Logger

    func prepare(roomID: String, watching userID: String?) async throws {
        guard let origin = try await registry.origin(of: roomID), origin.id != nodeID else { return }
        let upstream = WHEPUpstream(
            endpoint: origin.signalingURL, roomID: roomID, watching: userID,
            credential: { [signer, nodeID] in try await signer.sign(.relay(nodeID: nodeID, roomID: roomID)) })
        try await relay.pipeFromOrigin(roomID: roomID, watching: userID, upstream: upstream)
        logger.debug("room piped from its origin", metadata: ["room": "\(roomID)", "origin": "\(origin.id)"])
    }
}

/// The origin's WHEP endpoint (RFC 9725 §4.2 shape, as a browser would use it) as a pipe's upstream.
final class WHEPUpstream: CascadeUpstream, @unchecked Sendable {
    let endpoint: String
    let roomID: String
    let watching: String?
    let credential: @Sendable () async throws -> String
    /// The media comes from the answer's candidate: the origin's announced address.
    let reachAt: TransportAddress? = nil
    /// Set by `open` before `close` can run (the pipe awaits `open` first).
    private var resource: String?

    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    init(endpoint: String, roomID: String, watching: String?, credential: @escaping @Sendable () async throws -> String) {
        self.endpoint = endpoint
        self.roomID = roomID
        self.watching = watching
        self.credential = credential
    }

    func open(offer: String) async throws -> String {
        var url = "\(endpoint)/whep/\(roomID)"
        if let watching, let escaped = watching.addingPercentEncoding(withAllowedCharacters: .alphanumerics) {
            url += "?participant=\(escaped)"
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(try await credential())")
        request.headers.add(name: "Content-Type", value: "application/sdp")
        request.body = .bytes(ByteBuffer(string: offer))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 256 << 10)
        guard response.status == .created else {
            throw Refused(description: "origin answered \(response.status.code): \(String(buffer: body).prefix(300))")
        }
        resource = response.headers.first(name: "Location").map { endpoint + $0 }
        return String(buffer: body)
    }

    func close() async {
        guard let resource, let token = try? await credential() else { return }
        var request = HTTPClientRequest(url: resource)
        request.method = .DELETE
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        _ = try? await HTTPClient.shared.execute(request, timeout: .seconds(5))
    }
}
