import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import RoomToken
import Testing

@testable import Signaling

/// RFC 9725 §4.3 on WHIP/WHEP: PATCH restarts ICE on the same session, so a client that changed
/// networks keeps its place; a trickle-only PATCH has nothing to do for an ice-lite relay.
@Suite struct ICERestartPatchTests {
    typealias Hardening = SignalingHardeningTests

    static func fragment(ufrag: String, password: String) -> ByteBuffer {
        ByteBuffer(string: "a=ice-options:trickle ice2\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=ice-ufrag:\(ufrag)\r\na=ice-pwd:\(password)\r\n")
    }

    @Test(arguments: ["whip", "whep"])
    func patchRestartsICEAndTrickleIsANoOp(kind: String) async throws {
        try await Hardening.withServer { client in
            let token = try await Hardening.token(user: 5, role: kind == "whip" ? .host : .participant)
            let offer = try Hardening.offer(kind == "whip" ? "chromium-sendrecv-offer.sdp" : "chromium-recvonly-offer.sdp")
            let created = try await client.execute(
                uri: "/\(kind)/\(Hardening.room)", method: .post,
                headers: [.authorization: "Bearer \(token)", .contentType: "application/sdp"], body: ByteBuffer(string: offer))
            try #require(created.status == .created)
            let location = try #require(created.headers[.location])
            let etag = try #require(created.headers[.eTag])
            let fragmentType = "application/trickle-ice-sdpfrag"
            // Trickle candidates only: nothing to do (204); a stale entity tag is refused (412).
            let trickle = ByteBuffer(string: "a=mid:0\r\na=candidate:1 1 udp 2130706431 10.0.0.9 50000 typ host\r\n")
            var response = try await client.execute(
                uri: location, method: .patch,
                headers: [.authorization: "Bearer \(token)", .contentType: fragmentType, .ifMatch: etag], body: trickle)
            #expect(response.status == .noContent)
            response = try await client.execute(
                uri: location, method: .patch,
                headers: [.authorization: "Bearer \(token)", .contentType: fragmentType, .ifMatch: "\"stale\""], body: trickle)
            #expect(response.status == .preconditionFailed)
            // New credentials: a restart, answered with the relay's new ones and a new entity tag.
            response = try await client.execute(
                uri: location, method: .patch,
                headers: [.authorization: "Bearer \(token)", .contentType: fragmentType, .ifMatch: "*"],
                body: Self.fragment(ufrag: "wxyz", password: "abcdefghijklmnopqrstuvwx"))
            #expect(response.status == .ok)
            let body = String(buffer: response.body)
            let ufrag = try #require(body.split(whereSeparator: \.isNewline).first { $0.hasPrefix("a=ice-ufrag:") })
            #expect("\"\(ufrag.dropFirst(12))\"" == response.headers[.eTag])
            #expect(response.headers[.eTag] != etag)
            #expect(body.contains("a=ice-pwd:") && body.contains("typ host") && body.contains("a=end-of-candidates"))
            // The same credentials again are no restart.
            response = try await client.execute(
                uri: location, method: .patch,
                headers: [.authorization: "Bearer \(token)", .contentType: fragmentType],
                body: Self.fragment(ufrag: "wxyz", password: "abcdefghijklmnopqrstuvwx"))
            #expect(response.status == .noContent)
            // Only its own user may restart it, with an SDP fragment.
            let stranger = try await Hardening.token(user: 6)
            response = try await client.execute(
                uri: location, method: .patch,
                headers: [.authorization: "Bearer \(stranger)", .contentType: fragmentType],
                body: Self.fragment(ufrag: "qqqq", password: "abcdefghijklmnopqrstuvwx"))
            #expect(response.status == .forbidden)
            response = try await client.execute(
                uri: location, method: .patch,
                headers: [.authorization: "Bearer \(token)", .contentType: "application/sdp"],
                body: Self.fragment(ufrag: "qqqq", password: "abcdefghijklmnopqrstuvwx"))
            #expect(response.status == .unsupportedMediaType)
        }
    }
}
