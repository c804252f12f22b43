import AsyncHTTPClient
import Foundation
import NIOCore
import PeerClient

/// Replays one connected viewer's room token at WHEP and WHIP, many times at once, as someone
/// holding a leaked token would: the same offer, the same token, `rate` requests launched together
/// every second. What the relay answers (201, 409, 429, …) is counted, not assumed; resources it
/// created are deleted after the phase, so a later run starts from the same room.
///
/// It has its own HTTP client with as many connections as one second's burst, so the requests are
/// really concurrent (AsyncHTTPClient's default keeps 8 per host and queues the rest).
final class AttackReplay: @unchecked Sendable {
    struct Result: Codable, Sendable {
        var attempts = 0
        /// "whep 201", "whip 429", "error" …: how each attempt ended.
        var statuses: [String: Int] = [:]
        /// Refusals that said when to come back (`Retry-After`, RFC 9110 §10.2.3).
        var retryAfter = 0
        /// The first refusal body of each status, to show the relay's reason.
        var reasons: [String: String] = [:]
        var created = 0
    }

    private let http: HTTPClient
    private let relayURL: String
    private let roomID: String
    private let token: String
    private let whepOffer: String
    private let whipOffer: String
    private let lock = NSLock()
    private var result = Result()
    private var resources: [String] = []
    private var stopping = false

    init(relayURL: String, roomID: String, token: String, rate: Int) throws {
        self.relayURL = relayURL
        self.roomID = roomID
        self.token = token
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, rate))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        // Offers shaped like a browser's; replaying the same text is what a scripted attacker does.
        whepOffer = try PeerClient().makeOffer(audio: .recvonly, video: .recvonly)
        whipOffer = try PeerClient().makeOffer(audio: .sendonly, video: .sendonly)
    }

    /// Every second, `rate` joins at once (alternately WHEP and WHIP), until `stop()`. A burst under
    /// way when the phase ends is let finish, so every attempt ends with the relay's answer.
    func run(rate: Int) async {
        guard rate > 0 else { return }
        let start = ContinuousClock.now
        var second = 0
        while !lock.withLock({ stopping }) {
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<rate { group.addTask { await self.attempt(kind: i % 2 == 0 ? "whep" : "whip") } }
            }
            second += 1
            let next = start + .seconds(second)
            while ContinuousClock.now < next, !lock.withLock({ stopping }) {
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    func stop() {
        lock.withLock { stopping = true }
    }

    private func attempt(kind: String) async {
        var request = HTTPClientRequest(url: "\(relayURL)/\(kind)/\(roomID)")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/sdp")
        request.body = .bytes(ByteBuffer(string: kind == "whep" ? whepOffer : whipOffer))
        let outcome: String
        var location: String?
        var retryAfter = false
        var body = ""
        do {
            let response = try await http.execute(request, timeout: .seconds(30))
            body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            outcome = "\(kind) \(response.status.code)"
            if response.status == .created { location = response.headers.first(name: "Location") }
            retryAfter = response.headers.first(name: "Retry-After") != nil
        } catch {
            outcome = "error"
            body = "\(error)"
        }
        lock.withLock {
            result.attempts += 1
            result.statuses[outcome, default: 0] += 1
            if retryAfter { result.retryAfter += 1 }
            if let location {
                result.created += 1
                resources.append(relayURL + location)
            } else if result.reasons[outcome] == nil {
                result.reasons[outcome] = String(body.prefix(200))
            }
        }
    }

    /// What happened so far; then deletes what the replays created and closes the client.
    func finish() async -> Result {
        let (result, resources) = lock.withLock { (self.result, self.resources) }
        for resource in resources {
            var request = HTTPClientRequest(url: resource)
            request.method = .DELETE
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            _ = try? await http.execute(request, timeout: .seconds(10))
        }
        try? await http.shutdown()
        return result
    }
}
