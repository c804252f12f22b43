import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A decoded API answer: status, headers and the JSON body as plain dictionaries/arrays.
struct APIResult: @unchecked Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var raw: String
    var json: Any?

    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var array: [[String: Any]] { json as? [[String: Any]] ?? [] }
    subscript(key: String) -> Any? { object[key] }
    var error: String? { object["error"] as? String }
}

struct Account: Sendable {
    var id: Int64
    var token: String
    var username: String
}

extension TestHarness {
    /// Sends a request; `body` is JSON-serialized unless it is already a String or bytes.
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, body: Any? = nil,
              headers extra: [String: String] = [:]) async throws -> APIResult {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        var buffer: ByteBuffer?
        switch body {
        case nil: buffer = nil
        case let text as String: buffer = ByteBuffer(string: text)
        case let bytes as [UInt8]: buffer = ByteBuffer(bytes: bytes)
        case let value?:
            headers[.contentType] = "application/json"
            buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: value))
        }
        let response = try await client.executeRequest(uri: path, method: method, headers: headers, body: buffer)
        let raw = String(buffer: response.body)
        let json = raw.isEmpty ? nil : try? JSONSerialization.jsonObject(with: Data(raw.utf8), options: [.fragmentsAllowed])
        return APIResult(status: response.status, headers: response.headers, raw: raw, json: json)
    }

    func register(_ username: String, role: String = "learner", extra: [String: Any] = [:]) async throws -> Account {
        var body: [String: Any] = [
            "username": username, "email": "\(username)@example.com", "password": "Passw0rd!x", "role": role,
        ]
        body.merge(extra) { _, new in new }
        let result = try await call(.post, "/api/auth/register", body: body)
        try #require(result.status == .created, "register \(username): \(result.raw)")
        let user = try #require(result["user"] as? [String: Any])
        return Account(
            id: try #require((user["id"] as? NSNumber)?.int64Value), token: try #require(result["access_token"] as? String),
            username: username)
    }

    static let iso: Date.ISO8601FormatStyle = .iso8601

    /// Creates a session (draft) and, unless `schedule` is false, schedules it. Returns its id.
    func createSession(
        mentor: Account, startsIn: TimeInterval = 3600, duration: Int = 60, maxParticipants: Int = 10,
        price: Double = 0, skills: [String] = ["swift"], title: String = "Swift concurrency", isPublic: Bool = true,
        schedule: Bool = true
    ) async throws -> String {
        let result = try await call(.post, "/api/sessions", token: mentor.token, body: [
            "title": title, "description": "Structured concurrency in practice",
            "schedule": clock.now.addingTimeInterval(startsIn).formatted(Self.iso),
            "duration": duration, "max_participants": maxParticipants, "price": price,
            "skills_required": skills, "is_public": isPublic,
        ])
        try #require(result.status == .created, "create session: \(result.raw)")
        let id = try #require(result["id"] as? String)
        if schedule {
            let scheduled = try await call(.post, "/api/sessions/\(id)/schedule", token: mentor.token)
            try #require(scheduled.status == .ok, "schedule: \(scheduled.raw)")
        }
        return id
    }

    func book(_ sessionID: String, learner: Account, card: String? = nil, key: String? = nil) async throws -> APIResult {
        try await call(.post, "/api/sessions/\(sessionID)/bookings", token: learner.token,
                       body: card.map { ["card_token": $0] }, headers: key.map { ["Idempotency-Key": $0] } ?? [:])
    }

    func session(_ id: String) async throws -> [String: Any] {
        let rows = try await sql.raw("SELECT current_participants, max_participants, status FROM sessions WHERE id = \(bind: UUID(uuidString: id)!)").all()
        let row = try #require(rows.first)
        return [
            "current_participants": try row.decode(column: "current_participants", as: Int.self),
            "max_participants": try row.decode(column: "max_participants", as: Int.self),
            "status": try row.decode(column: "status", as: String.self),
        ]
    }

    func count(_ table: String, where condition: String = "1 = 1") async throws -> Int {
        let row = try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE \(unsafeRaw: condition)").first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }
}

import FluentSQL
