import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RelayServer
import RoomToken
import Synchronization
import Testing

@testable import Signaling

/// The relays' own credential (a cascade pipe at a room's origin): it may watch over WHEP, admitted by the
/// credential alone, and nothing else; and an edge asks its cascade to pipe a room before a viewer joins.
@Suite struct RelayCredentialTests {
    typealias H = SignalingHardeningTests

    /// Records what the signaling asked to pipe, refusing when told to.
    final class RecordingCascade: RoomCascade {
        let asked = Mutex<[String]>([])
        let failing: Bool
        init(failing: Bool = false) { self.failing = failing }

        struct Unreachable: Error {}

        func prepare(roomID: String, watching userID: String?) async throws {
            asked.withLock { $0.append("\(roomID)/\(userID ?? "host")") }
            if failing { throw Unreachable() }
        }
    }

    /// Admission that refuses everyone: a relay credential must not need it.
    struct Closed: RoomAdmission {
        func admit(_ claims: RoomClaims) async throws(AdmissionRefusal) -> Int? { throw .forbidden("closed") }
    }

    static func withServer(
        admission: any RoomAdmission = TokenOnlyAdmission(), cascade: RecordingCascade? = nil,
        _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void
    ) async throws {
        let relay = try RelayService(configuration: .init(port: 0))
        let signaling = SignalingRoutes(
            relay: relay, verifier: try await RoomTokenVerifier(secret: H.secret), admission: admission, cascade: cascade)
        let router = Router()
        signaling.register(on: router)
        try await Application(router: router).test(.router) { client in try await body(client) }
    }

    static func relayToken(room: String = H.room) async throws -> String {
        try await RoomTokenSigner(secret: H.secret).sign(.relay(nodeID: "edge-1", roomID: room))
    }

    static func post(_ client: any TestClientProtocol, _ kind: String, token: String, query: String = "") async throws
        -> TestResponse
    {
        let fixture = kind == "whep" ? "chromium-recvonly-offer.sdp" : "chromium-sendrecv-offer.sdp"
        return try await client.execute(
            uri: "/\(kind)/\(H.room)\(query)", method: .post,
            headers: [.authorization: "Bearer \(token)", .contentType: "application/sdp"],
            body: ByteBuffer(string: try H.offer(fixture)))
    }

    @Test func aRelayCredentialWatchesOverWHEPWithoutAdmissionAndMayNotPublish() async throws {
        try await Self.withServer(admission: Closed()) { client in
            let watched = try await Self.post(client, "whep", token: try await Self.relayToken())
            #expect(watched.status == .created, "\(String(buffer: watched.body))")
            let published = try await Self.post(client, "whip", token: try await Self.relayToken())
            #expect(published.status == .forbidden)
            #expect(String(buffer: published.body).contains("may only watch"))
            // A person's token still meets admission.
            let person = try await Self.post(client, "whep", token: try await H.token(user: 5))
            #expect(person.status == .forbidden)
        }
    }

    @Test func anEdgePipesTheRoomBeforeAViewerJoinsAndSaysSoWhenTheOriginIsUnreachable() async throws {
        let cascade = RecordingCascade()
        try await Self.withServer(cascade: cascade) { client in
            let statuses = [
                try await Self.post(client, "whep", token: try await H.token(user: 5)).status,
                try await Self.post(client, "whep", token: try await H.token(user: 6), query: "?participant=9").status,
                // Publishers and other relays' pipes are not piped for.
                try await Self.post(client, "whip", token: try await H.token(user: 7)).status,
                try await Self.post(client, "whep", token: try await Self.relayToken()).status,
            ]
            #expect(statuses == [.created, .created, .created, .created])
        }
        #expect(cascade.asked.withLock { $0 } == ["\(H.room)/host", "\(H.room)/9"])

        try await Self.withServer(cascade: RecordingCascade(failing: true)) { client in
            let response = try await Self.post(client, "whep", token: try await H.token(user: 5))
            #expect(response.status == .serviceUnavailable)
            #expect(String(buffer: response.body).contains("origin relay could not be reached"))
        }
    }
}
