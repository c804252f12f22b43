import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Janus's HTTP API (https://janus.conf.meetecho.com/docs/rest.html) as far as the VideoRoom load
/// test needs it: one session, one plugin handle per PeerConnection (as browsers attach one per
/// publisher or subscription), plugin replies and core events (`webrtcup`) from the session's long poll.
final class JanusClient: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The fields of a Janus message the tester reads.
    struct Message: Decodable, Sendable {
        struct Created: Decodable, Sendable {
            let id: UInt64
        }
        struct PluginData: Decodable, Sendable {
            let data: VideoRoom
        }
        struct VideoRoom: Decodable, Sendable {
            let videoroom: String?
            let id: UInt64?
            let room: UInt64?
            let error: String?
        }
        struct JSEP: Decodable, Sendable {
            let type: String
            let sdp: String
        }
        struct ErrorInfo: Decodable, Sendable {
            let code: Int
            let reason: String
        }
        let janus: String
        let transaction: String?
        let sender: UInt64?
        let data: Created?
        let plugindata: PluginData?
        let jsep: JSEP?
        let error: ErrorInfo?
    }

    let url: String
    let session: UInt64
    private let http: HTTPClient
    private let mailbox: JanusMailbox
    private let background: [Task<Void, Never>]
    /// How long a plugin request may take to answer asynchronously.
    static let replyTimeout: Duration = .seconds(20)

    /// Creates a Janus session at `url` (e.g. `http://10.0.0.2:8088/janus`) and starts polling it.
    static func connect(url: String, http: HTTPClient) async throws -> JanusClient {
        let created = try await post(url, ["janus": "create", "transaction": transactionID()], http: http)
        guard let session = created.data?.id else { throw Failure(description: "Janus create: no session id") }
        return JanusClient(url: url, session: session, http: http)
    }

    private init(url: String, session: UInt64, http: HTTPClient) {
        self.url = url
        self.session = session
        self.http = http
        let sessionURL = "\(url)/\(session)"
        let mailbox = JanusMailbox()
        self.mailbox = mailbox
        background = [
            Task { await Self.poll(sessionURL, http: http, into: mailbox) },
            // Janus drops a session after `session_timeout` (60 s) without a request on it.
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(20))
                    _ = try? await Self.post(sessionURL, ["janus": "keepalive", "transaction": Self.transactionID()], http: http)
                }
            },
        ]
    }

    /// Stops polling and destroys the session, which hangs up every handle still attached.
    func close() async {
        for task in background { task.cancel() }
        _ = try? await Self.post("\(url)/\(session)", ["janus": "destroy", "transaction": Self.transactionID()], http: http)
        await mailbox.failAll(Failure(description: "Janus session closed"))
    }

    // MARK: - Handles and VideoRoom requests

    /// Attaches a new VideoRoom handle and returns its id.
    func attach() async throws -> UInt64 {
        let reply = try await Self.post(
            "\(url)/\(session)",
            ["janus": "attach", "plugin": "janus.plugin.videoroom", "transaction": Self.transactionID()], http: http)
        guard let handle = reply.data?.id else { throw Failure(description: "Janus attach: no handle id") }
        return handle
    }

    /// The handle's URL: the "resource" a participant leaves by detaching.
    func handleURL(_ handle: UInt64) -> String { "\(url)/\(session)/\(handle)" }

    /// Hangs up a handle's PeerConnection and detaches it (a subscriber leaving).
    func detach(_ handleURL: String) async throws {
        _ = try await Self.post(handleURL, ["janus": "detach", "transaction": Self.transactionID()], http: http)
    }

    /// A room for `publishers` publishers, VP8 + Opus only, no recording, no bitrate cap worth the
    /// name (REMB to publishers at 10 Mbit/s), not listed.
    func createRoom(publishers: Int) async throws -> UInt64 {
        let handle = try await attach()
        let room = UInt64.random(in: 1...(1 << 52))
        let reply = try await message(handle, [
            "request": "create", "room": room, "publishers": max(publishers, 1), "bitrate": 10_000_000,
            "audiocodec": "opus", "videocodec": "vp8", "record": false, "permanent": false, "is_private": true,
            "notify_joining": false, "fir_freq": 0,
        ])
        guard reply.plugindata?.data.videoroom == "created" else { throw Failure(description: "Janus create room: \(reply)") }
        _ = try? await detach(handleURL(handle))
        return room
    }

    /// Joins `room` as a publisher with our offer; returns the feed id and Janus's answer.
    func publish(room: UInt64, handle: UInt64, offer: String) async throws -> (feed: UInt64, answer: String) {
        let joined = try await message(handle, ["request": "join", "ptype": "publisher", "room": room])
        guard let feed = joined.plugindata?.data.id else { throw Failure(description: "Janus join: no publisher id") }
        let configured = try await message(handle, ["request": "publish", "audio": true, "video": true], jsep: ("offer", offer))
        guard let answer = configured.jsep, answer.type == "answer" else { throw Failure(description: "Janus publish: no answer") }
        return (feed, answer.sdp)
    }

    /// Subscribes to `feed`; returns Janus's offer.
    func subscribe(room: UInt64, feed: UInt64, handle: UInt64) async throws -> String {
        let attached = try await message(handle, [
            "request": "join", "ptype": "subscriber", "room": room, "streams": [["feed": feed]],
        ])
        guard let offer = attached.jsep, offer.type == "offer" else { throw Failure(description: "Janus subscribe: no offer") }
        return offer.sdp
    }

    /// Sends our answer to a subscription's offer.
    func start(handle: UInt64, answer: String) async throws {
        _ = try await message(handle, ["request": "start"], jsep: ("answer", answer))
    }

    /// Trickles our one host candidate and end-of-candidates, as a browser does after its
    /// description: Janus keeps a PeerConnection's ICE pending until the trickle completes.
    func trickle(handle: UInt64, host: String, port: Int) async throws {
        let candidate: [String: Any] = [
            "sdpMid": "0", "sdpMLineIndex": 0, "candidate": "candidate:1 1 udp 2122260223 \(host) \(port) typ host",
        ]
        _ = try await Self.post(handleURL(handle), [
            "janus": "trickle", "transaction": Self.transactionID(), "candidates": [candidate, ["completed": true]],
        ], http: http)
    }

    /// Waits for the core's `webrtcup` on a handle: ICE and DTLS done, media can flow.
    func waitForWebRTCUp(_ handle: UInt64) async throws {
        _ = try await mailbox.wait(for: "webrtcup:\(handle)", timeout: Self.replyTimeout)
    }

    // MARK: - Transport

    /// A plugin request; asynchronous ones are acknowledged first and answered on the long poll
    /// under the same transaction.
    private func message(_ handle: UInt64, _ body: [String: Any], jsep: (type: String, sdp: String)? = nil)
        async throws -> Message
    {
        let transaction = Self.transactionID()
        var request: [String: Any] = ["janus": "message", "transaction": transaction, "body": body]
        if let jsep { request["jsep"] = ["type": jsep.type, "sdp": jsep.sdp] }
        var reply = try await Self.post(handleURL(handle), request, http: http)
        if reply.janus == "ack" { reply = try await mailbox.wait(for: transaction, timeout: Self.replyTimeout) }
        if let error = reply.plugindata?.data.error { throw Failure(description: "Janus \(body["request"] ?? ""): \(error)") }
        return reply
    }

    private static func post(_ url: String, _ json: [String: Any], http: HTTPClient) async throws -> Message {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        let message = try JSONDecoder().decode(Message.self, from: Data(body.readableBytesView))
        if let error = message.error { throw Failure(description: "Janus \(json["janus"] ?? ""): \(error.code) \(error.reason)") }
        return message
    }

    /// The session's long poll: up to 100 events per request, delivered by transaction (plugin
    /// replies) or as `webrtcup:<handle>`.
    private static func poll(_ sessionURL: String, http: HTTPClient, into mailbox: JanusMailbox) async {
        while !Task.isCancelled {
            do {
                let request = HTTPClientRequest(url: sessionURL + "?maxev=100")
                let response = try await http.execute(request, timeout: .seconds(60))
                let body = Data(try await response.body.collect(upTo: 16 << 20).readableBytesView)
                let decoder = JSONDecoder()
                let events = try (try? decoder.decode([Message].self, from: body)) ?? [decoder.decode(Message.self, from: body)]
                for event in events {
                    switch event.janus {
                    case "webrtcup": if let sender = event.sender { await mailbox.deliver(event, to: "webrtcup:\(sender)") }
                    case "event": if let transaction = event.transaction { await mailbox.deliver(event, to: transaction) }
                    default: break
                    }
                }
            } catch {
                if Task.isCancelled { return }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    private static func transactionID() -> String { String(UInt64.random(in: 0...UInt64.max), radix: 36) }
}

/// Replies and events by key, whichever comes first: the waiter or the message.
actor JanusMailbox {
    private var delivered: [String: JanusClient.Message] = [:]
    private var waiters: [String: CheckedContinuation<JanusClient.Message, any Error>] = [:]
    private var failure: (any Error)?

    func deliver(_ message: JanusClient.Message, to key: String) {
        if let waiter = waiters.removeValue(forKey: key) {
            waiter.resume(returning: message)
        } else {
            delivered[key] = message
        }
    }

    func wait(for key: String, timeout: Duration) async throws -> JanusClient.Message {
        if let message = delivered.removeValue(forKey: key) { return message }
        if let failure { throw failure }
        Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(key, after: timeout)
        }
        return try await withCheckedThrowingContinuation { waiters[key] = $0 }
    }

    private func expire(_ key: String, after timeout: Duration) {
        waiters.removeValue(forKey: key)?.resume(throwing: JanusClient.Failure(description: "Janus: no \(key) within \(timeout)"))
    }

    func failAll(_ error: any Error) {
        failure = error
        for waiter in waiters.values { waiter.resume(throwing: error) }
        waiters.removeAll()
    }
}
