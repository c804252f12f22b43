import ArgumentParser
import Foundation
import LoadTester

extension SendTimeCarrier: ExpressibleByArgument {}

/// `peerlearn-load`: measures the relay the way load-testers do, with simulated browsers.
@main
struct PeerLearnLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peerlearn-load",
        abstract: "Load-test the PeerLearn relay with simulated browsers sending real VP8 + Opus.",
        discussion: """
            Start the server first (for many participants, with cheap password hashing):
              PEERLEARN_BCRYPT_COST=4 .build/release/peerlearn serve
            then e.g.:  peerlearn-load lecture --viewers 100 --server-pid $(pgrep -f 'peerlearn serve')
            Against a Janus VideoRoom instead (scripts/compare-janus runs both):
              peerlearn-load lecture --target janus --janus-url http://10.0.0.2:8088/janus --local-address 10.0.0.1
            """,
        subcommands: [Lecture.self, Seminar.self, Churn.self, Ramp.self, Attack.self])

    enum TargetName: String, ExpressibleByArgument, CaseIterable {
        case peerlearn, janus
    }

    struct Common: ParsableArguments {
        @Option(help: "The server under test: peerlearn (control plane + WHIP/WHEP) or janus (VideoRoom).")
        var target = TargetName.peerlearn
        @Option(help: "Janus's HTTP API URL, for --target janus.")
        var janusUrl = "http://127.0.0.1:8088/janus"
        @Option(help: "The local address the simulated browsers' UDP sockets bind.")
        var localAddress = "127.0.0.1"
        @Option(help: "How packets carry their send time: private (8-byte extension) or index (a packet index in the audio-level and video-orientation extensions, which Janus forwards). Default: private; index for janus.")
        var sendTime: SendTimeCarrier?
        @Option(help: "The control plane's base URL (WHIP/WHEP are on the same origin).")
        var url = "http://127.0.0.1:8080"
        @Option(help: "WHIP/WHEP base URL of a standalone `peerlearn relay` (default: --url).")
        var relayUrl: String?
        @Option(help: "Seconds to measure after everyone joined.")
        var duration = 20
        @Option(help: "Video bitrate in kbps (VP8, 640x360 at --frame-rate).")
        var videoKbps = 1_450
        @Option(help: "Video frames per second; a frame is --video-kbps / --frame-rate. More frames of a lecture's size load the relay with more bursts like a lecture's (`scripts/compare-janus capacity:N`).")
        var frameRate = 30
        @Flag(help: "Pace video like a browser (bursts every 5 ms at 2.5x the bitrate) instead of sending each frame at once. Needs --send-time private.")
        var pace = false
        @Option(help: "The relay's process id, to report its CPU and memory.")
        var serverPid: Int32?
        @Option(help: "Write the results as JSON here.")
        var json: String?
        @Option(help: "Viewers that unprotect and decode everything they receive and count lost VP8 frames (the rest read headers).")
        var decodingViewers = 1
        @Option(help: "How long a decoding viewer waits for a frame's missing packets before counting it lost, in ms.")
        var frameDeadlineMs = 200
        @Flag(inversion: .prefixedNo, help: "Offer RTX for video (a=ssrc-group:FID) as browsers do; publishers answer NACKs with RTX when the relay accepts it, else resend the packet itself.")
        var rtx = true
        @Option(help: "Run the publishers' UDP sockets inside this network namespace (ip netns name), so only their uplink crosses its links; needs root. Signaling and viewers stay on the host.")
        var publisherNetns: String?
        @Option(help: "The address the publishers' sockets bind inside --publisher-netns.")
        var publisherAddress: String?
        @Option(help: "Run the first --capped-viewers viewers' UDP sockets inside this network namespace, so their downlink crosses its links (a shaper toward it); needs root. The other viewers stay on the host.")
        var viewerNetns: String?
        @Option(help: "The address the capped viewers' sockets bind inside --viewer-netns, or a comma-separated list, one per capped viewer (each behind a shaper of its own).")
        var viewerAddress: String?
        @Option(help: "How many viewers (the first to join) sit in --viewer-netns.")
        var cappedViewers = 0
        @Option(help: "Viewers (the first to join; every capped one besides) followed like a browser: frames, picture size (layer) and freezes, with NACKs and PLIs for what they miss. They unprotect everything.")
        var trackedViewers = 0
        @Option(help: "The publishers' picture width (their top simulcast layer's).")
        var width = 640
        @Option(help: "The publishers' picture height.")
        var height = 360
        @Flag(help: "Publishers send three simulcast layers (1/4, 1/2 and full size at 150, 500 and --video-kbps kbit/s; rids q, h, f) as the web client does.")
        var simulcast = false
        @Flag(inversion: .prefixedNo, help: "Viewers offer transport-wide-cc and send transport feedback for the relay's sequence numbers, as browsers do.")
        var transportFeedback = true
        @Flag(inversion: .prefixedNo, help: "Publishers offer transport-wide-cc and follow the relay's feedback like a browser: the encoders' bitrate (simulcast layers lowest first, a layer the estimate cannot carry paused) and the pacing rate come from the send-side estimate, never above --video-kbps. --no-publisher-adaptation sends --video-kbps whatever the link takes, for fixed-rate benchmarks. Default: on, except for ramp, which searches for the relay's limit under a fixed offered load (an overloaded relay delays arrivals, and adapting publishers would back off).")
        var publisherAdaptation: Bool?
        @Option(help: "Random grain in the publishers' pictures, 0-64 luma levels: a smooth test picture cannot use more than about 4 KB a frame at 640x360, so at high frame rates the encoder falls short of --video-kbps without it.")
        var grain = 0
        @Flag(help: "Read the viewers that only count what they receive (not decoding, tracked or capped) in batches, one recvmmsg per socket every 100 µs, like the limit probe's sink: one tester core then takes what one relay core can send. They unprotect one packet in 100 and give no latency samples. Needs --no-transport-feedback.")
        var batchedReads = false
        @Option(help: "Seconds between everyone having joined and the measured window (settling, ramp-up).")
        var warmup = 3
        @Option(help: "A lecture's viewer that receives nothing for this many milliseconds rejoins with a fresh room token, as the web app does when its relay node is lost; the result reports each gap until media is back.")
        var rejoinAfterMs: Int?

        func validate() throws {
            guard (0...100_000).contains(decodingViewers) else { throw ValidationError("--decoding-viewers must be 0...100000") }
            guard (1...10_000).contains(frameDeadlineMs) else { throw ValidationError("--frame-deadline-ms must be 1...10000") }
            guard (1...240).contains(frameRate) else { throw ValidationError("--frame-rate must be 1...240") }
            guard (0...64).contains(grain) else { throw ValidationError("--grain must be 0...64") }
            guard (0...3_600).contains(warmup) else { throw ValidationError("--warmup must be 0...3600") }
            if let rejoinAfterMs, !(100...60_000).contains(rejoinAfterMs) {
                throw ValidationError("--rejoin-after-ms must be 100...60000")
            }
            if publisherNetns != nil && publisherAddress == nil {
                throw ValidationError("--publisher-netns needs --publisher-address (the namespace's own address)")
            }
            if viewerNetns != nil && viewerAddress == nil {
                throw ValidationError("--viewer-netns needs --viewer-address (the namespace's own address)")
            }
            guard (0...100_000).contains(cappedViewers), (0...100_000).contains(trackedViewers) else {
                throw ValidationError("--capped-viewers and --tracked-viewers must be 0...100000")
            }
            guard (16...3_840).contains(width), (16...2_160).contains(height), width % 2 == 0, height % 2 == 0 else {
                throw ValidationError("--width and --height must be even, 16...3840 and 16...2160")
            }
            if batchedReads && transportFeedback {
                throw ValidationError(
                    "--batched-reads needs --no-transport-feedback: a viewer's feedback needs each packet's arrival time")
            }
            if simulcast && target != .peerlearn { throw ValidationError("--simulcast runs against PeerLearn only") }
            if cappedViewers > 0 && viewerNetns == nil {
                throw ValidationError("--capped-viewers needs --viewer-netns")
            }
            // A paced packet's send time is rewritten as it leaves; an index names a whole frame.
            if pace, (sendTime ?? (target == .janus ? .packetIndex : .privateExtension)) == .packetIndex {
                throw ValidationError("--pace needs --send-time private")
            }
        }

        var configuration: LoadRunner.Configuration {
            var configuration = LoadRunner.Configuration()
            configuration.baseURL = url
            configuration.relayURL = relayUrl
            configuration.duration = .seconds(duration)
            configuration.videoKbps = videoKbps
            configuration.frameRate = frameRate
            configuration.grain = grain
            configuration.serverPID = serverPid
            configuration.localAddress = localAddress
            configuration.pacing = pace
            configuration.decodingViewers = decodingViewers
            configuration.frameDeadline = .milliseconds(frameDeadlineMs)
            configuration.rtx = rtx
            configuration.publisherNamespace = publisherNetns
            configuration.publisherAddress = publisherAddress
            configuration.viewerNamespace = viewerNetns
            configuration.viewerAddress = viewerAddress
            configuration.cappedViewers = cappedViewers
            configuration.trackedViewers = trackedViewers
            configuration.transportFeedback = transportFeedback
            configuration.batchedReads = batchedReads
            configuration.simulcast = simulcast
            configuration.publisherAdaptation = publisherAdaptation ?? true
            configuration.warmup = .seconds(warmup)
            configuration.rejoinAfterSilence = rejoinAfterMs.map { .milliseconds($0) }
            configuration.width = width
            configuration.height = height
            switch target {
            case .peerlearn:
                configuration.target = .peerlearn
                configuration.sendTime = sendTime ?? .privateExtension
            case .janus:
                configuration.target = .janus(url: janusUrl)
                configuration.sendTime = sendTime ?? .packetIndex
            }
            return configuration
        }

        func report(_ results: [LoadResult]) throws {
            print(LoadResult.table(results))
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(results).write(to: URL(fileURLWithPath: json))
                print("wrote \(json)")
            }
        }
    }

    struct Lecture: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One mentor publishing, N learners watching.")
        @OptionGroup var common: Common
        @Option(help: "Learners watching.") var viewers = 10

        func run() async throws {
            let runner = LoadRunner(configuration: common.configuration)
            defer { Task { await runner.shutdown() } }
            try common.report([try await runner.run(.lecture(viewers: viewers))])
            await runner.shutdown()
        }
    }

    struct Seminar: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rooms of K, everyone publishing and watching everyone.")
        @OptionGroup var common: Common
        @Option(help: "Rooms.") var rooms = 1
        @Option(help: "Participants per room (the mentor included).") var size = 4

        func run() async throws {
            let runner = LoadRunner(configuration: common.configuration)
            try common.report([try await runner.run(.seminar(rooms: rooms, size: size))])
            await runner.shutdown()
        }
    }

    struct Churn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A lecture where viewers keep leaving and rejoining.")
        @OptionGroup var common: Common
        @Option(help: "Learners watching.") var viewers = 20
        @Option(help: "Milliseconds between one viewer leaving and rejoining.") var periodMs = 500

        func run() async throws {
            let runner = LoadRunner(configuration: common.configuration)
            try common.report([try await runner.run(.churn(viewers: viewers, period: .milliseconds(periodMs)))])
            await runner.shutdown()
        }
    }

    struct Attack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A lecture measured quiet, then again while hostile traffic hits the same room.",
            discussion: """
                The attack phase floods the relay's UDP port with garbage, forged STUN checks (a viewer's \
                real ICE username, wrong MESSAGE-INTEGRITY) and DTLS ClientHellos from many source ports; a \
                connected subscriber storms NACKs and PLIs/FIRs over SRTCP; one viewer's room token is \
                replayed at WHEP/WHIP. A rate of 0 leaves that attack out. --duration is each phase's length.
                """)
        @OptionGroup var common: Common
        @Option(help: "Learners watching.") var viewers = 10
        @Option(help: "Garbage datagrams per second (random, and STUN/DTLS/RTP/RTCP-looking).") var garbagePps = 10_000
        @Option(help: "Forged STUN Binding requests per second.") var stunPps = 2_000
        @Option(help: "DTLS ClientHellos per second.") var helloPps = 1_000
        @Option(help: "Source ports (sockets) the garbage, STUN and ClientHellos come from.") var sourcePorts = 256
        @Option(help: "SRTCP NACKs per second from the hostile subscriber.") var nackPps = 50
        @Option(help: "Sequence numbers each NACK lists (17...5100).") var nackSpan = 4_096
        @Option(help: "PLIs/FIRs per second from the hostile subscriber.") var pliPps = 200
        @Option(help: "Joins per second with one viewer's replayed room token (WHEP and WHIP, launched together).")
        var replayJoins = 10
        @Option(help: "The relay's /metrics URL (default: /metrics on the WHIP/WHEP origin).") var metricsUrl: String?

        func validate() throws {
            guard common.target == .peerlearn else { throw ValidationError("attack runs against PeerLearn only") }
            guard viewers >= 1 else { throw ValidationError("--viewers must be at least 1") }
            for (name, value) in [
                ("--garbage-pps", garbagePps), ("--stun-pps", stunPps), ("--hello-pps", helloPps),
                ("--nack-pps", nackPps), ("--pli-pps", pliPps), ("--replay-joins", replayJoins),
            ] where !(0...1_000_000).contains(value) {
                throw ValidationError("\(name) must be 0...1000000")
            }
            guard (1...4_096).contains(sourcePorts) else { throw ValidationError("--source-ports must be 1...4096") }
            guard (17...5_100).contains(nackSpan) else { throw ValidationError("--nack-span must be 17...5100") }
        }

        func run() async throws {
            var configuration = common.configuration
            configuration.reservedSeats = 1
            let runner = LoadRunner(configuration: configuration)
            var attack = AttackConfiguration()
            attack.viewers = viewers
            attack.garbagePPS = garbagePps
            attack.stunPPS = stunPps
            attack.helloPPS = helloPps
            attack.sourcePorts = sourcePorts
            attack.nackPPS = nackPps
            attack.nackSpan = nackSpan
            attack.pliPPS = pliPps
            attack.replayJoinsPerSecond = replayJoins
            attack.metricsURL = metricsUrl
            let report: AttackReport
            do {
                report = try await runner.runAttack(attack)
            } catch {
                await runner.shutdown()
                throw error
            }
            print(report.table)
            if let json = common.json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(report).write(to: URL(fileURLWithPath: json))
                print("wrote \(json)")
            }
            await runner.shutdown()
        }
    }

    struct Ramp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Raise the lecture's N until loss > --max-loss % or latency p99 > --max-p99 ms; report the knee.")
        @OptionGroup var common: Common
        @Option(help: "First N.") var start = 25
        @Option(help: "N grows by this factor each step.") var factor = 2.0
        @Option(help: "Largest N to try.") var max = 1_600
        @Option(help: "Loss bound, percent.") var maxLoss = 1.0
        @Option(help: "Relay latency p99 bound, milliseconds.") var maxP99 = 50.0
        @Option(help: "Write an SVG plot of loss and latency against N here.") var plot: String?

        func run() async throws {
            var configuration = common.configuration
            configuration.publisherAdaptation = common.publisherAdaptation ?? false
            let runner = LoadRunner(configuration: configuration)
            var results: [LoadResult] = []
            var n = start
            var knee: Int?
            while n <= max {
                let result: LoadResult
                do {
                    result = try await runner.run(.lecture(viewers: n))
                } catch {
                    // A step that cannot even be set up (e.g. more seats than a session allows)
                    // ends the ramp; the steps measured so far still count.
                    print("N=\(n): \(error)")
                    break
                }
                results.append(result)
                let ok = result.lossPercent <= maxLoss && result.latencyP99Milliseconds <= maxP99 && result.joined == n
                print("N=\(n): \(ok ? "within bounds" : "over the bounds")")
                if !ok { break }
                knee = n
                n = Int((Double(n) * factor).rounded())
            }
            try common.report(results)
            print("knee: \(knee.map { "N = \($0) learners within loss ≤ \(maxLoss)% and p99 ≤ \(maxP99) ms" } ?? "below N = \(start)")")
            if let plot {
                try RampPlot.svg(results, maxLoss: maxLoss, maxP99: maxP99).write(toFile: plot, atomically: true, encoding: .utf8)
                print("wrote \(plot)")
            }
            await runner.shutdown()
        }
    }
}
