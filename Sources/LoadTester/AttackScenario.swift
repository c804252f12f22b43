import AsyncHTTPClient
import Foundation
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// What the attack scenario throws at the relay while a lecture runs (issue 10, point 7). Every
/// rate can be set to zero to leave that attack out.
public struct AttackConfiguration: Sendable {
    public var viewers = 10
    /// Garbage datagrams per second: random bytes and bytes whose first byte claims STUN, DTLS,
    /// RTP or RTCP (RFC 7983 §7).
    public var garbagePPS = 10_000
    /// Forged Binding requests per second: half with a connected viewer's real ICE username and a
    /// wrong MESSAGE-INTEGRITY, half with made-up ufrags.
    public var stunPPS = 2_000
    /// Real DTLS ClientHellos per second.
    public var helloPPS = 1_000
    /// The pool of sockets (source ports) the three above come from.
    public var sourcePorts = 256
    /// SRTCP-protected generic NACKs per second from a connected hostile subscriber.
    public var nackPPS = 50
    /// Sequence numbers each NACK lists (rounded up to a multiple of 17, one FCI entry each).
    public var nackSpan = 4_096
    /// PLIs and FIRs per second (alternating) from the same subscriber.
    public var pliPPS = 200
    /// WHEP/WHIP joins per second, launched together, all with one viewer's room token.
    public var replayJoinsPerSecond = 10
    /// The relay's Prometheus endpoint; nil: `/metrics` on the WHIP/WHEP origin.
    public var metricsURL: String?

    public init() {}
}

/// The quiet phase and the attack phase on the same room, side by side.
public struct AttackReport: Codable, Sendable {
    public struct Phase: Codable, Sendable {
        public var result: LoadResult
        /// The relay's largest resident memory seen during the phase (sampled every 250 ms).
        public var relayPeakResidentMegabytes: Double?
        /// The tester's own CPU: near 100% of its core, latency figures include its queueing.
        public var testerCPUPercent: Double?
        /// Loss of the viewer whose ICE username the forged checks claim: a moved address shows here.
        public var forgedUsernameViewerLossPercent: Double
        /// Loss of the viewer whose room token is replayed: a join that evicts it shows here.
        public var replayedTokenViewerLossPercent: Double
        /// Counters' change over the phase and gauges at its end, from the relay's `/metrics`.
        public var relayMetrics: [String: Double]?
        /// Datagrams the kernel dropped for the relay's UDP socket during the phase (its receive
        /// buffer was full), from `/proc/net/udp`: a flood that fills the buffer while the relay is
        /// descheduled takes media down with it. Nil when the relay's socket is not visible here
        /// (another host or network namespace).
        public var relaySocketDrops: Int?
    }

    public struct Rates: Codable, Sendable {
        public var garbagePPS: Int
        public var stunPPS: Int
        public var helloPPS: Int
        public var sourcePorts: Int
        public var nackPPS: Int
        public var nackSpan: Int
        public var pliPPS: Int
        public var replayJoinsPerSecond: Int
    }

    public var viewers: Int
    public var rates: Rates
    public var quiet: Phase
    public var attack: Phase
    public var clientHelloBytes: Int
    var flood: AttackFlood.Sent
    var subscriber: AttackSubscriber.Sent
    var replay: AttackReplay.Result
    /// `/healthz` answered 200 after the attack.
    public var relayAliveAfter: Bool
}

extension LoadRunner {
    /// Runs a lecture of `attack.viewers`, measures a quiet window, then the same length again while
    /// every enabled attack runs against the same room, and reports both. The hostile subscriber
    /// takes the seat `Configuration.reservedSeats` keeps; it is joined (idle) in the quiet phase
    /// too, so both phases have the same fan-out.
    public func runAttack(_ attack: AttackConfiguration) async throws -> AttackReport {
        guard configuration.target == .peerlearn else {
            throw InvalidConfiguration(description: "the attack scenario needs the PeerLearn control plane")
        }
        guard configuration.reservedSeats >= 1 else {
            throw InvalidConfiguration(description: "the hostile subscriber needs a reserved seat")
        }
        guard (17...5_100).contains(attack.nackSpan) else {
            throw InvalidConfiguration(description: "--nack-span must be 17...5100 (one NACK within an MTU)")
        }
        let scenario = Scenario.lecture(viewers: attack.viewers)
        _ = try await setUp(scenario)
        guard let session = churnSession, learners.count > attack.viewers else {
            throw InvalidConfiguration(description: "no session or reserved learner")
        }
        let relayURL = configuration.relayURL ?? configuration.baseURL
        let metricsURL = attack.metricsURL ?? relayURL + "/metrics"

        let subscriber = try AttackSubscriber()
        try await subscriber.join(
            client: client, session: session, account: learners[attack.viewers], localAddress: configuration.localAddress)
        let deadline = ContinuousClock.now + .seconds(15)
        while try await !subscriber.isConnected() {
            guard ContinuousClock.now < deadline else {
                await subscriber.shutdown()
                throw InvalidConfiguration(description: "the hostile subscriber did not connect")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard let relay = try await subscriber.relay() else { throw InvalidConfiguration(description: "no relay address") }

        // The viewers under attack: one whose ICE username is forged, one whose token is replayed.
        let targets = try await loop.submit { () -> (stun: Int, replay: Int, username: String?, token: String?) in
            let viewers = self.participants.indices.filter { self.participants[$0].role == .viewer }
            guard !viewers.isEmpty else { return (0, 0, nil, nil) }
            let stun = viewers[min(1, viewers.count - 1)]
            let replay = viewers[min(2, viewers.count - 1)]
            let target = self.participants[stun]
            let relayUfrag = target.answer?.split(whereSeparator: \.isNewline)
                .first { $0.hasPrefix("a=ice-ufrag:") }.map { String($0.dropFirst("a=ice-ufrag:".count)) }
            return (stun, replay, relayUfrag.map { "\($0):\(target.peer.localUfrag)" }, self.participants[replay].roomToken)
        }.get()
        guard let token = targets.token else { throw InvalidConfiguration(description: "no viewer to replay") }

        let clientHello = try AttackFlood.captureClientHello()
        let flood = try AttackFlood(
            relay: relay, localAddress: configuration.localAddress, sourcePorts: attack.sourcePorts,
            rates: .init(garbage: attack.garbagePPS, stun: attack.stunPPS, hello: attack.helloPPS),
            realUsernames: targets.username.map { [$0] } ?? [], clientHello: clientHello)
        let replay = try AttackReplay(
            relayURL: relayURL, roomID: session.roomID, token: token, rate: attack.replayJoinsPerSecond)

        let quiet = try await measurePhase(
            "quiet", metricsURL: metricsURL, targets: (targets.stun, targets.replay), relayPort: relay.port)

        flood.start()
        try await subscriber.storm(nackRate: attack.nackPPS, pliRate: attack.pliPPS, nackSpan: attack.nackSpan)
        let replays = Task { await replay.run(rate: attack.replayJoinsPerSecond) }
        let underAttack: AttackReport.Phase
        do {
            underAttack = try await measurePhase(
                "attack", metricsURL: metricsURL, targets: (targets.stun, targets.replay), relayPort: relay.port)
        } catch {
            _ = flood.stop()
            replay.stop()
            await replays.value
            await subscriber.shutdown()
            throw error
        }
        let floodSent = flood.stop()
        let stormSent = try await subscriber.report()
        try await subscriber.storm(nackRate: 0, pliRate: 0, nackSpan: attack.nackSpan)
        replay.stop()
        await replays.value
        let replayResult = await replay.finish()

        var healthz = HTTPClientRequest(url: relayURL + "/healthz")
        healthz.method = .GET
        let alive = (try? await http.execute(healthz, timeout: .seconds(10)).status) == .ok
        if let resource = subscriber.resourceURL, let token = subscriber.roomToken {
            try? await client.delete(resource, roomToken: token)
        }
        await subscriber.shutdown()

        return AttackReport(
            viewers: attack.viewers,
            rates: .init(
                garbagePPS: attack.garbagePPS, stunPPS: attack.stunPPS, helloPPS: attack.helloPPS,
                sourcePorts: attack.sourcePorts, nackPPS: attack.nackPPS, nackSpan: attack.nackSpan,
                pliPPS: attack.pliPPS, replayJoinsPerSecond: attack.replayJoinsPerSecond),
            quiet: quiet, attack: underAttack, clientHelloBytes: clientHello.count, flood: floodSent,
            subscriber: stormSent, replay: replayResult, relayAliveAfter: alive)
    }

    /// One measured window (`measure`), plus what the attack report adds around it.
    private func measurePhase(
        _ name: String, metricsURL: String, targets: (stun: Int, replay: Int), relayPort: UInt16
    ) async throws -> AttackReport.Phase {
        let metricsBefore = await RelayMetrics.scrape(metricsURL, http: http)
        let dropsBefore = Self.socketDrops(port: relayPort)
        let viewersBefore = try await viewerCounts(targets)
        let tester = ProcessSampler(pid: getpid())
        let testerBefore = tester.cpuSeconds()
        let testerStart = ContinuousClock.now
        let sampler = configuration.serverPID.map(ProcessSampler.init)
        let peak = Task { () -> Double? in
            var peak: Double?
            while !Task.isCancelled {
                if let rss = sampler?.residentMegabytes() { peak = max(peak ?? 0, rss) }
                try? await Task.sleep(for: .milliseconds(250))
            }
            return peak
        }
        var result = try await measure(scenario: .lecture(viewers: 0))
        peak.cancel()
        let relayPeak = await peak.value
        let testerElapsed = ContinuousClock.now - testerStart
        let testerAfter = tester.cpuSeconds()
        let viewersAfter = try await viewerCounts(targets)
        let metricsAfter = await RelayMetrics.scrape(metricsURL, http: http)
        let dropsAfter = Self.socketDrops(port: relayPort)
        result.scenario = name
        func loss(_ i: Int) -> Double {
            let expected = viewersAfter[i].expected - viewersBefore[i].expected
            return 100 * Double(max(0, viewersAfter[i].lost - viewersBefore[i].lost)) / Double(max(1, expected))
        }
        var testerPercent: Double?
        if let testerBefore, let testerAfter {
            let seconds = Double(testerElapsed.components.seconds) + Double(testerElapsed.components.attoseconds) / 1e18
            testerPercent = 100 * (testerAfter - testerBefore) / max(0.001, seconds)
        }
        var relayMetrics: [String: Double]?
        if let metricsBefore, let metricsAfter { relayMetrics = metricsAfter.delta(since: metricsBefore) }
        return AttackReport.Phase(
            result: result, relayPeakResidentMegabytes: relayPeak, testerCPUPercent: testerPercent,
            forgedUsernameViewerLossPercent: loss(0), replayedTokenViewerLossPercent: loss(1), relayMetrics: relayMetrics,
            relaySocketDrops: dropsBefore.flatMap { before in dropsAfter.map { $0 - before } })
    }

    /// The kernel's drop count for sockets bound to `port` (the `d` of `ss -m`'s skmem, read over
    /// sock_diag: this VM's `/proc/net/udp` lists only some sockets); nil without `ss` or when no
    /// such socket is visible from this network namespace.
    static func socketDrops(port: UInt16) -> Int? {
        let ss = Process()
        ss.executableURL = URL(fileURLWithPath: "/usr/bin/ss")
        ss.arguments = ["-uanmH", "sport = :\(port)"]
        let pipe = Pipe()
        ss.standardOutput = pipe
        ss.standardError = FileHandle.nullDevice
        guard (try? ss.run()) != nil else { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ss.waitUntilExit()
        var total: Int?
        for field in output.split(whereSeparator: { $0 == "(" || $0 == ")" || $0 == "," || $0.isWhitespace })
        where field.hasPrefix("d") {
            if let drops = Int(field.dropFirst()) { total = (total ?? 0) + drops }
        }
        return total
    }

    /// Lost and expected packets so far of the two targeted viewers.
    private func viewerCounts(_ targets: (stun: Int, replay: Int)) async throws -> [(lost: Int64, expected: Int64)] {
        try await loop.submit {
            [targets.stun, targets.replay].map { i in
                guard self.participants.indices.contains(i) else { return (0, 0) }
                let statistics = self.participants[i].statistics
                return (statistics.lost, statistics.expected)
            }
        }.get()
    }
}

extension AttackReport {
    /// The table `peerlearn-load attack` prints: the room quiet and under attack, what the attacker
    /// sent, and what the relay's counters say it did about it.
    public var table: String {
        func number(_ value: Double?, _ format: String = "%.2f") -> String { value.map { String(format: format, $0) } ?? "-" }
        func ratio(_ a: Double?, _ b: Double?) -> String {
            guard let a, let b, a > 0 else { return "" }
            return String(format: "%.2fx", b / a)
        }
        let q = quiet.result
        let a = attack.result
        let rows: [(String, String, String, String)] = [
            ("viewers joined", "\(q.joined)/\(viewers)", "\(a.joined)/\(viewers)", ""),
            ("forwarded pkt/s", number(q.forwardedPacketsPerSecond, "%.0f"), number(a.forwardedPacketsPerSecond, "%.0f"),
                ratio(q.forwardedPacketsPerSecond, a.forwardedPacketsPerSecond)),
            ("viewers' loss %", number(q.lossPercent), number(a.lossPercent), ratio(q.lossPercent, a.lossPercent)),
            ("latency p50 ms", number(q.latencyP50Milliseconds), number(a.latencyP50Milliseconds),
                ratio(q.latencyP50Milliseconds, a.latencyP50Milliseconds)),
            ("latency p99 ms", number(q.latencyP99Milliseconds), number(a.latencyP99Milliseconds),
                ratio(q.latencyP99Milliseconds, a.latencyP99Milliseconds)),
            ("relay CPU %", number(q.serverCPUPercent, "%.1f"), number(a.serverCPUPercent, "%.1f"),
                ratio(q.serverCPUPercent, a.serverCPUPercent)),
            ("relay CPU µs per forwarded pkt", number(q.serverCPUSecondsPer1000Packets.map { $0 * 1_000 }),
                number(a.serverCPUSecondsPer1000Packets.map { $0 * 1_000 }),
                ratio(q.serverCPUSecondsPer1000Packets, a.serverCPUSecondsPer1000Packets)),
            ("relay RSS MB, end / peak", "\(number(q.serverResidentMegabytes, "%.0f")) / \(number(quiet.relayPeakResidentMegabytes, "%.0f"))",
                "\(number(a.serverResidentMegabytes, "%.0f")) / \(number(attack.relayPeakResidentMegabytes, "%.0f"))", ""),
            ("relay socket drops (kernel)", quiet.relaySocketDrops.map { "\($0)" } ?? "-",
                attack.relaySocketDrops.map { "\($0)" } ?? "-", ""),
            ("tester CPU %", number(quiet.testerCPUPercent, "%.0f"), number(attack.testerCPUPercent, "%.0f"), ""),
            ("forged-username viewer loss %", number(quiet.forgedUsernameViewerLossPercent),
                number(attack.forgedUsernameViewerLossPercent), ""),
            ("replayed-token viewer loss %", number(quiet.replayedTokenViewerLossPercent),
                number(attack.replayedTokenViewerLossPercent), ""),
        ]
        var lines = Self.aligned([("", "quiet", "under attack", "attack/quiet")] + rows)

        let seconds = max(0.001, flood.seconds)
        func rate(_ count: Int) -> String { String(format: "%.0f/s", Double(count) / seconds) }
        lines.append("")
        lines.append(String(format: "attacker, %.1f s:", flood.seconds))
        let classes = AttackFlood.garbageKinds.compactMap { kind in flood.garbageByClass[kind].map { "\(kind) \($0)" } }
        lines.append("  garbage datagrams: \(flood.garbage) (\(rate(flood.garbage))) from \(flood.sourcePorts) source ports; "
            + classes.joined(separator: ", "))
        lines.append("  forged Binding requests: \(flood.stunRealUsername + flood.stunLookalike) "
            + "(\(rate(flood.stunRealUsername + flood.stunLookalike))): \(flood.stunRealUsername) with a viewer's real "
            + "username and a wrong MESSAGE-INTEGRITY, \(flood.stunLookalike) with look-alike ufrags")
        lines.append("  DTLS ClientHellos (\(clientHelloBytes) B): \(flood.clientHellos) (\(rate(flood.clientHellos)))")
        if flood.sendErrors > 0 || flood.behind > 0 {
            lines.append("  flood send errors \(flood.sendErrors), skipped while behind \(flood.behind)")
        }
        lines.append("  hostile subscriber: \(subscriber.nacks) NACKs (\(rate(subscriber.nacks))) listing "
            + "\(subscriber.nackedSequenceNumbers) sequence numbers; \(subscriber.plis) PLIs + \(subscriber.firs) FIRs "
            + "(\(rate(subscriber.plis + subscriber.firs))); got back \(subscriber.rtpReceived) video packets, "
            + "\(subscriber.rtpResent) of them resent")
        let statuses = replay.statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        lines.append("  replayed-token joins: \(replay.attempts) (\(statuses)); Retry-After on \(replay.retryAfter)")
        for (status, reason) in replay.reasons.sorted(by: { $0.key < $1.key }) where !reason.isEmpty {
            lines.append("    \(status): \(reason.replacingOccurrences(of: "\n", with: " "))")
        }

        if quiet.relayMetrics != nil || attack.relayMetrics != nil {
            lines.append("")
            lines.append("relay /metrics (counters: change over the phase; gauges: at its end):")
            let names = Set((quiet.relayMetrics ?? [:]).keys).union((attack.relayMetrics ?? [:]).keys).sorted()
            let metricRows = names.map { name in
                (String(name.replacingOccurrences(of: "peerlearn_relay_", with: "")),
                    number(quiet.relayMetrics?[name], "%.0f"), number(attack.relayMetrics?[name], "%.0f"), "")
            }
            lines += Self.aligned([("", "quiet", "under attack", "")] + metricRows).map { "  " + $0 }
        }
        lines.append("")
        lines.append("relay alive after the attack: \(relayAliveAfter ? "yes" : "NO")")
        return lines.joined(separator: "\n")
    }

    private static func aligned(_ rows: [(String, String, String, String)]) -> [String] {
        let widths = [rows.map(\.0.count).max() ?? 0, rows.map(\.1.count).max() ?? 0, rows.map(\.2.count).max() ?? 0]
        return rows.map { row in
            [row.0.padding(toLength: widths[0], withPad: " ", startingAt: 0),
                String(repeating: " ", count: widths[1] - row.1.count) + row.1,
                String(repeating: " ", count: widths[2] - row.2.count) + row.2, row.3]
                .joined(separator: "  ").replacingOccurrences(of: " +$", with: "", options: .regularExpression)
        }
    }
}
