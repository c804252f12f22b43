import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Talks to PeerLearn's HTTP API as the web app would: accounts, a session, bookings, room tokens,
/// then WHIP/WHEP. Every simulated participant gets a real room token from the control plane.
struct ControlPlaneClient: Sendable {
    let baseURL: String
    /// Where WHIP/WHEP go: the control plane itself, or a standalone `peerlearn relay`.
    let relayURL: String
    let http: HTTPClient

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func call(_ method: HTTPMethod, _ path: String, token: String? = nil, json: [String: Any]? = nil)
        async throws -> [String: Any]
    {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Failure(description: "\(method) \(path): \(response.status.code) \(String(buffer: body))")
        }
        return (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }

    /// Registers an account and returns its access token and user id.
    func register(_ username: String, role: String) async throws -> (token: String, userID: String) {
        let result = try await call(.POST, "/api/auth/register", json: [
            "username": username, "email": "\(username)@load.example.org", "password": "load-Test-42x",
            "role": role,
        ])
        guard let token = result["access_token"] as? String, let user = result["user"] as? [String: Any],
            let id = user["id"] as? NSNumber
        else { throw Failure(description: "no access token") }
        return (token, id.stringValue)
    }

    struct LiveSession: Sendable {
        let id: String
        let roomID: String
    }

    /// A scheduled session with room for `seats` learners.
    func liveSession(mentorToken: String, seats: Int) async throws -> LiveSession {
        let schedule = ISO8601DateFormatter().string(from: Date().addingTimeInterval(60))
        let created = try await call(.POST, "/api/sessions", token: mentorToken, json: [
            "title": "Load test", "description": "peerlearn-load", "schedule": schedule, "duration": 120,
            "max_participants": max(1, seats), "price": 0,
        ])
        guard let id = created["id"] as? String, let room = created["meeting_room_id"] as? String else {
            throw Failure(description: "session without id")
        }
        _ = try await call(.POST, "/api/sessions/\(id)/schedule", token: mentorToken)
        return LiveSession(id: id, roomID: room)
    }

    /// Bookings close when a session starts, so this comes after them.
    func start(_ session: LiveSession, mentorToken: String) async throws {
        _ = try await call(.POST, "/api/sessions/\(session.id)/start", token: mentorToken)
    }

    func book(_ session: LiveSession, learnerToken: String) async throws {
        _ = try await call(.POST, "/api/sessions/\(session.id)/bookings", token: learnerToken, json: ["card_token": "tok_load"])
    }

    /// The relay's latest send-side estimate toward each participant of the session, bits/s by user id, from
    /// the statistics the relay writes every 5 s (`GET /api/sessions/{id}/statistics`, the mentor's view);
    /// participants without one (no transport-cc feedback, or a server that keeps none) are left out.
    func estimates(_ session: LiveSession, mentorToken: String) async throws -> [String: Double] {
        let result = try await call(.GET, "/api/sessions/\(session.id)/statistics", token: mentorToken)
        var estimates: [String: Double] = [:]
        for row in result["participants"] as? [[String: Any]] ?? [] {
            guard let user = (row["user_id"] as? NSNumber)?.int64Value,
                let estimate = (row["estimated_bitrate"] as? NSNumber)?.doubleValue
            else { continue }
            estimates[String(user)] = estimate
        }
        return estimates
    }

    /// A room token, and the relay to signal to with it: the node the control plane placed the room on when
    /// relays run as nodes (the answer's `relay.url`), else `relayURL`.
    struct RoomTicket: Sendable {
        var token: String
        var relayURL: String
    }

    func roomToken(_ session: LiveSession, accessToken: String) async throws -> RoomTicket {
        let result = try await call(.POST, "/api/sessions/\(session.id)/room-token", token: accessToken)
        guard let token = result["token"] as? String else { throw Failure(description: "no room token") }
        let node = (result["relay"] as? [String: Any])?["url"] as? String
        return RoomTicket(token: token, relayURL: node ?? relayURL)
    }

    /// POSTs an offer to WHIP (`publish`) or WHEP and returns the answer and the resource to DELETE.
    func exchange(kind: String, roomID: String, ticket: RoomTicket, offer: String, watching: String? = nil)
        async throws -> (answer: String, resource: String)
    {
        let relayURL = ticket.relayURL
        let roomToken = ticket.token
        var url = "\(relayURL)/\(kind)/\(roomID)"
        if let watching { url += "?participant=\(watching)" }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(roomToken)")
        request.headers.add(name: "Content-Type", value: "application/sdp")
        request.body = .bytes(ByteBuffer(string: offer))
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else {
            throw Failure(description: "\(kind) \(roomID): \(response.status.code) \(String(buffer: body))")
        }
        return (String(buffer: body), relayURL + (response.headers.first(name: "Location") ?? ""))
    }

    func delete(_ resource: String, roomToken: String) async throws {
        var request = HTTPClientRequest(url: resource)
        request.method = .DELETE
        request.headers.add(name: "Authorization", value: "Bearer \(roomToken)")
        _ = try await http.execute(request, timeout: .seconds(10))
    }
}
