import Foundation
import PeerClient
import STUN

#if canImport(Glibc)
    import Glibc
#endif

/// The datagram half of the attack scenario: garbage, forged connectivity checks and DTLS
/// ClientHellos sent at the relay's UDP port from a pool of sockets, each its own source port, so
/// the relay sees many strangers rather than one. It runs on its own thread with plain non-blocking
/// `sendto`, paced every half millisecond, and never reads: a stranger's traffic is fire and forget.
///
/// Everything sent is generated before the attack starts (a pool of varied datagrams cycled
/// through), so the tester spends its time in the kernel, not building packets. IPv4 only, which is
/// what the relay listens on in every setup this tester drives (loopback or a veth pair).
final class AttackFlood: @unchecked Sendable {
    struct Rates: Sendable {
        var garbage = 0
        var stun = 0
        var hello = 0
    }

    /// What the flood sent, per kind. `behind` counts datagrams the pacing owed but skipped because
    /// the thread fell more than 50 ms behind (the tester's core was busy): the achieved rate is
    /// `sent / seconds`, not the configured one.
    struct Sent: Codable, Sendable {
        var seconds = 0.0
        var sourcePorts = 0
        var garbage = 0
        /// Garbage by what its first byte claims (RFC 7983 §7): random, stun, dtls, rtp, rtcp.
        var garbageByClass: [String: Int] = [:]
        /// Binding requests claiming a connected viewer's real ICE username, with a wrong MESSAGE-INTEGRITY.
        var stunRealUsername = 0
        /// Binding requests with made-up but well-formed ufrags.
        var stunLookalike = 0
        var clientHellos = 0
        var sendErrors = 0
        var behind = 0
    }

    private let sockets: [Int32]
    private var destination = sockaddr_in()
    private let rates: Rates
    private let garbage: [(bytes: [UInt8], kind: Int)]
    private let stun: [(bytes: [UInt8], real: Bool)]
    private let clientHello: [UInt8]
    private let lock = NSLock()
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private var sent = Sent()
    static let garbageKinds = ["random", "stun", "dtls", "rtp", "rtcp"]

    /// - Parameters:
    ///   - realUsernames: `relayUfrag:viewerUfrag` of connected viewers, from their SDP answers.
    ///   - clientHello: a real DTLS ClientHello (`AttackFlood.captureClientHello()`).
    init(
        relay: TransportAddress, localAddress: String, sourcePorts: Int, rates: Rates, realUsernames: [String],
        clientHello: [UInt8]
    ) throws {
        guard relay.isIPv4 else { throw LoadRunner.InvalidConfiguration(description: "the flood sends IPv4 only") }
        self.rates = rates
        self.clientHello = clientHello
        destination.sin_family = sa_family_t(AF_INET)
        destination.sin_port = relay.port.bigEndian
        guard inet_pton(AF_INET, relay.ipDescription, &destination.sin_addr) == 1 else {
            throw LoadRunner.InvalidConfiguration(description: "relay address \(relay.ipDescription)")
        }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        guard inet_pton(AF_INET, localAddress, &local.sin_addr) == 1 else {
            throw LoadRunner.InvalidConfiguration(description: "local address \(localAddress) is not IPv4")
        }
        var sockets: [Int32] = []
        for _ in 0..<max(1, sourcePorts) {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { break }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(fd)
                break
            }
            sockets.append(fd)
        }
        guard !sockets.isEmpty else { throw LoadRunner.InvalidConfiguration(description: "no flood sockets") }
        self.sockets = sockets
        sent.sourcePorts = sockets.count
        var random = SystemRandomNumberGenerator()
        garbage = (0..<1_024).map { i in Self.garbageDatagram(kind: i % Self.garbageKinds.count, using: &random) }
        stun = Self.forgedChecks(realUsernames: realUsernames, using: &random)
    }

    deinit {
        for fd in sockets { close(fd) }
    }

    // MARK: - The datagrams

    /// Random bytes whose first byte falls in one class's range (RFC 7983 §7; RTP/RTCP split by
    /// the second byte, RFC 5761 §4), so each reaches a different branch of the relay's demux.
    static func garbageDatagram(kind: Int, using random: inout some RandomNumberGenerator) -> ([UInt8], Int) {
        var bytes = (0..<Int.random(in: 20...1_200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        switch garbageKinds[kind] {
        case "stun": bytes[0] = UInt8.random(in: 0...3, using: &random)
        case "dtls": bytes[0] = UInt8.random(in: 20...63, using: &random)
        case "rtp":
            bytes[0] = UInt8.random(in: 128...191, using: &random)
            bytes[1] = UInt8.random(in: 96...127, using: &random) | (bytes[1] & 0x80)
        case "rtcp":
            bytes[0] = UInt8.random(in: 128...191, using: &random)
            bytes[1] = UInt8.random(in: 192...223, using: &random)
        default: break
        }
        return (bytes, kind)
    }

    private static let ufragAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/".utf8)

    private static func lookalikeUfrag(_ length: Int, using random: inout some RandomNumberGenerator) -> String {
        String(decoding: (0..<length).map { _ in ufragAlphabet.randomElement(using: &random)! }, as: UTF8.self)
    }

    /// Binding requests shaped like a browser's nominating check (USERNAME, PRIORITY,
    /// ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT; RFC 8445 §7.2.2), keyed with
    /// passwords the attacker made up. Half claim a connected viewer's real username: if the relay
    /// acted on USERNAME before checking MESSAGE-INTEGRITY, that viewer's media would follow the
    /// attacker's source port. The other half carry ufrags in the relay's own format (8 characters).
    static func forgedChecks(realUsernames: [String], using random: inout some RandomNumberGenerator)
        -> [(bytes: [UInt8], real: Bool)]
    {
        (0..<256).map { i in
            let real = !realUsernames.isEmpty && i % 2 == 0
            let username = real
                ? realUsernames[(i / 2) % realUsernames.count]
                : "\(lookalikeUfrag(8, using: &random)):\(lookalikeUfrag(8, using: &random))"
            var builder = STUNMessageBuilder(type: .bindingRequest, transactionID: .random(using: &random))
            builder.append(.username(username))
            builder.append(.priority(1_853_824_767))
            builder.append(.iceControlling(tieBreaker: UInt64.random(in: 0...UInt64.max, using: &random)))
            builder.append(.useCandidate)
            let key = STUNIntegrityKey(shortTermPassword: lookalikeUfrag(24, using: &random))
            return (builder.finish(integrity: key, fingerprint: true), real)
        }
    }

    /// A real ClientHello from PeerClient's DTLS client (OpenSSL, use_srtp, the browser's
    /// profiles), produced without a network: two PeerClients negotiate in memory, the answerer
    /// (a=setup:active, so the DTLS client) checks the offerer, and its first flight is kept.
    static func captureClientHello(now: ContinuousClock.Instant = .now) throws -> [UInt8] {
        let candidate = "a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host"
        func withCandidate(_ sdp: String) -> String {
            sdp.replacingOccurrences(of: "a=rtcp-mux\r\n", with: "a=rtcp-mux\r\n\(candidate)\r\n")
        }
        let server = try PeerClient()
        let client = try PeerClient()
        let offer = withCandidate(server.makeOffer(audio: .sendonly, video: .sendonly))
        let answer = try client.answer(offer: offer)
        try server.applyAnswer(answer.replacingOccurrences(of: "a=setup:active\r\n", with: "a=setup:active\r\n\(candidate)\r\n"))
        client.start(now: now)
        for _ in 0..<8 {
            while let (bytes, _) = client.pollTransmit() {
                // RFC 7983: 20...63 is DTLS; a handshake record (22) carrying a ClientHello (1).
                if bytes.count > 13, bytes[0] == 22 { return bytes }
                _ = server.handleDatagram(bytes, now: now)
            }
            while let (bytes, _) = server.pollTransmit() { _ = client.handleDatagram(bytes, now: now) }
        }
        throw LoadRunner.InvalidConfiguration(description: "PeerClient produced no ClientHello")
    }

    // MARK: - Sending

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "attack-flood"
        thread.start()
    }

    /// Stops the thread and returns what it sent.
    func stop() -> Sent {
        lock.withLock { stopping = true }
        finished.wait()
        return lock.withLock { sent }
    }

    private func run() {
        let start = ContinuousClock.now
        var counts = (garbage: 0, stun: 0, hello: 0)
        var local = Sent()
        local.sourcePorts = sockets.count
        var socketIndex = 0
        var garbageIndex = 0
        var stunIndex = 0
        var byClass = [Int](repeating: 0, count: Self.garbageKinds.count)
        func send(_ bytes: [UInt8]) {
            let fd = sockets[socketIndex]
            socketIndex = (socketIndex + 1) % sockets.count
            let result = bytes.withUnsafeBytes { raw in
                withUnsafePointer(to: &destination) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            if result < 0 { local.sendErrors += 1 }
        }
        /// How many of a kind are due now; more than 50 ms behind, the backlog is dropped.
        func due(_ rate: Int, sent: inout Int, elapsed: Double) -> Int {
            guard rate > 0 else { return 0 }
            let target = Int(elapsed * Double(rate))
            var owed = target - sent
            let cap = max(1, rate / 20)
            if owed > cap {
                local.behind += owed - cap
                sent += owed - cap
                owed = cap
            }
            return max(0, owed)
        }
        while !lock.withLock({ stopping }) {
            let elapsedDuration = ContinuousClock.now - start
            let elapsed = Double(elapsedDuration.components.seconds) + Double(elapsedDuration.components.attoseconds) / 1e18
            for _ in 0..<due(rates.garbage, sent: &counts.garbage, elapsed: elapsed) {
                let (bytes, kind) = garbage[garbageIndex]
                garbageIndex = (garbageIndex + 1) % garbage.count
                send(bytes)
                byClass[kind] += 1
                counts.garbage += 1
                local.garbage += 1
            }
            for _ in 0..<due(rates.stun, sent: &counts.stun, elapsed: elapsed) {
                let (bytes, real) = stun[stunIndex]
                stunIndex = (stunIndex + 1) % stun.count
                send(bytes)
                if real { local.stunRealUsername += 1 } else { local.stunLookalike += 1 }
                counts.stun += 1
            }
            for _ in 0..<due(rates.hello, sent: &counts.hello, elapsed: elapsed) {
                send(clientHello)
                counts.hello += 1
                local.clientHellos += 1
            }
            usleep(500)
        }
        let elapsed = ContinuousClock.now - start
        local.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        for (i, name) in Self.garbageKinds.enumerated() where byClass[i] > 0 { local.garbageByClass[name] = byClass[i] }
        lock.withLock { sent = local }
        finished.signal()
    }
}
