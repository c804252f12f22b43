import Cascade
import PeerClient
import RTCP
import RTP
import Relay
import STUN
import Testing

/// Two relay engines (an origin and an edge) and a cascade bridge between them, in memory with real
/// ICE, DTLS and SRTP: a host publishes at the origin, a learner watches at the edge.
@Suite struct CascadeBridgeTests {
    /// Moves datagrams between the engines, the bridge and the peers by destination address.
    final class Network {
        let origin: RelayEngine
        let edge: RelayEngine
        let bridge: CascadeBridge
        static let originAddress = TransportAddress(ipv4: 127, 0, 0, 1, port: 40_000)
        static let edgeAddress = TransportAddress(ipv4: 127, 0, 0, 2, port: 40_000)
        static let bridgeAddress = TransportAddress(ipv4: 127, 0, 0, 2, port: 45_000)
        var peers: [TransportAddress: PeerClient] = [:]
        var received: [TransportAddress: [PeerClient.Received]] = [:]
        var events: (origin: [RelayEvent], edge: [RelayEvent]) = ([], [])
        private var queue: [(bytes: [UInt8], from: TransportAddress, to: TransportAddress)] = []

        init() throws {
            origin = RelayEngine(
                configuration: RelayConfiguration(announcedAddresses: ["127.0.0.1"], port: 40_000),
                certificate: try .init(), ntpAtStart: 0xE000_0000_0000_0000, startInstant: .now)
            edge = RelayEngine(
                configuration: RelayConfiguration(announcedAddresses: ["127.0.0.2"], port: 40_000),
                certificate: try .init(), ntpAtStart: 0xE000_0000_0000_0000, startInstant: .now)
            bridge = try CascadeBridge()
        }

        /// A peer joined to `engine` through signaling, reachable at `address`.
        func join(
            _ engine: RelayEngine, user: String, role: ParticipantIdentity.Role, intent: RelayEngine.JoinRequest.Intent,
            direction: PeerClient.Direction, at address: TransportAddress
        ) throws -> PeerClient {
            let peer = try PeerClient()
            let result = try engine.join(
                .init(roomID: "lecture", userID: user, role: role, intent: intent,
                    offer: peer.makeOffer(audio: direction, video: direction)),
                now: .now)
            try peer.applyAnswer(result.answer)
            peers[address] = peer
            peer.start(now: .now)
            return peer
        }

        /// The bridge's two joins: a relayed viewer of the origin's host, a relayed publisher at the edge.
        func connectBridge() throws {
            let up = try origin.join(
                .init(roomID: "lecture", userID: "relay:edge", role: .participant, intent: .subscribe(userID: nil),
                    offer: bridge.upstreamOffer(), relayed: true),
                now: .now)
            try bridge.applyAnswer(up.answer, from: .upstream)
            let down = try edge.join(
                .init(roomID: "lecture", userID: "relay:host", role: .host, intent: .publish,
                    offer: bridge.downstreamOffer(), relayed: true),
                now: .now)
            try bridge.applyAnswer(down.answer, from: .downstream)
            bridge.start(now: .now)
        }

        func send(_ bytes: [UInt8], from: TransportAddress, to: TransportAddress) {
            queue.append((bytes, from, to))
        }

        /// Runs every party's timers and delivers until nothing moves.
        func pump(rounds: Int = 100) {
            for _ in 0..<rounds {
                let now = ContinuousClock.now
                for (address, peer) in peers {
                    peer.handleTimeout(now: now)
                    while let (bytes, to) = peer.pollTransmit() { send(bytes, from: address, to: to) }
                }
                bridge.handleTimeout(now: now)
                drainBridge()
                for (engine, address) in [(origin, Self.originAddress), (edge, Self.edgeAddress)] {
                    var output = CollectingOutput()
                    engine.handleTimeout(now: now, output: &output)
                    for (bytes, to) in output.datagrams { send(bytes, from: address, to: to) }
                }
                if queue.isEmpty { return }
                while !queue.isEmpty { deliver(queue.removeFirst()) }
            }
        }

        private func drainBridge() {
            while let (bytes, to) = bridge.pollTransmit() { send(bytes, from: Self.bridgeAddress, to: to) }
        }

        private func deliver(_ datagram: (bytes: [UInt8], from: TransportAddress, to: TransportAddress)) {
            let now = ContinuousClock.now
            if datagram.to == Self.originAddress || datagram.to == Self.edgeAddress {
                let engine = datagram.to == Self.originAddress ? origin : edge
                var copy = datagram.bytes
                var output = OrderedOutput()
                copy.withUnsafeMutableBytes { engine.handleDatagram($0, from: datagram.from, now: now, output: &output) }
                if engine === origin { sentNowByOrigin += output.sentNow }
                for (bytes, to) in output.sentNowFirst { send(bytes, from: datagram.to, to: to) }
                while let event = engine.pollEvent() {
                    if engine === origin { events.origin.append(event) } else { events.edge.append(event) }
                }
            } else if datagram.to == Self.bridgeAddress {
                bridge.handleDatagram(datagram.bytes, from: datagram.from == Self.originAddress ? .upstream : .downstream, now: now)
                drainBridge()
            } else if let peer = peers[datagram.to] {
                received[datagram.to, default: []].append(peer.handleDatagram(datagram.bytes, now: now))
            }
        }

        /// Where the origin sent datagrams at once (`sendNow`), ahead of its batch.
        var sentNowByOrigin: [TransportAddress] = []

        func rtp(to address: TransportAddress) -> [RTPHeader] {
            (received[address] ?? []).compactMap { if case .rtp(let header, _) = $0 { header } else { nil } }
        }

        func pictureLossIndications(to address: TransportAddress, mediaSSRC: UInt32) -> Int {
            (received[address] ?? []).reduce(0) { count, item in
                guard case .rtcp(let packet) = item else { return count }
                return count + packet.withUnsafeBytes { bytes in
                    guard let compound = try? RTCPCompoundPacket(validating: bytes) else { return 0 }
                    return compound.reduce(0) { count, part in
                        if case .pictureLossIndication(let pli) = part.view, pli.mediaSSRC == mediaSSRC { return count + 1 }
                        return count
                    }
                }
            }
        }
    }

    static let hostAddress = TransportAddress(ipv4: 127, 0, 0, 1, port: 50_000)
    static let learnerAddress = TransportAddress(ipv4: 127, 0, 0, 2, port: 50_001)

    static func vp8(keyframe: Bool) -> [UInt8] {
        var payload: [UInt8] = [0x90, 0x80, 0x80, 0x01]
        payload += keyframe ? [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01] : [0x11, 0x02, 0x00]
        while payload.count < 600 { payload.append(UInt8(truncatingIfNeeded: payload.count)) }
        return payload
    }

    /// Sends `frames` VP8 frames (the first a keyframe) and Opus packets from the host.
    /// What an engine sent from one datagram, with what it sent at once first, as a socket would carry it.
    struct OrderedOutput: DatagramOutput {
        var queued: [(bytes: [UInt8], destination: TransportAddress)] = []
        var urgent: [(bytes: [UInt8], destination: TransportAddress)] = []

        mutating func send(_ datagram: UnsafeRawBufferPointer, to destination: TransportAddress) {
            queued.append((Array(datagram), destination))
        }

        mutating func sendNow(_ datagram: UnsafeRawBufferPointer, to destination: TransportAddress) {
            urgent.append((Array(datagram), destination))
        }

        var sentNow: [TransportAddress] { urgent.map(\.destination) }
        var sentNowFirst: [(bytes: [UInt8], destination: TransportAddress)] { urgent + queued }
    }

    static func publish(_ host: PeerClient, on network: Network, frames: Range<Int>) throws {
        for frame in frames {
            let video = RTPHeaderBuilder(
                marker: true, payloadType: PeerClient.vp8PayloadType, sequenceNumber: UInt16(frame),
                timestamp: UInt32(frame * 3_000), ssrc: host.videoSSRC)
            network.send(
                try host.protectRTP(try video.packet(payload: vp8(keyframe: frame == frames.lowerBound))), from: hostAddress,
                to: Network.originAddress)
            let audio = RTPHeaderBuilder(
                payloadType: PeerClient.opusPayloadType, sequenceNumber: UInt16(frame), timestamp: UInt32(frame * 960),
                ssrc: host.audioSSRC)
            network.send(
                try host.protectRTP(try audio.packet(payload: [0xFC] + [UInt8](repeating: 7, count: 80))), from: hostAddress,
                to: Network.originAddress)
            network.pump()
        }
    }

    @Test func aHostAtTheOriginIsWatchedAtTheEdgeAndTheEdgesKeyframeRequestsReachTheHost() async throws {
        let network = try Network()
        let host = try network.join(
            network.origin, user: "7", role: .host, intent: .publish, direction: .sendonly, at: Self.hostAddress)
        try network.connectBridge()
        let learner = try network.join(
            network.edge, user: "8", role: .participant, intent: .subscribe(userID: nil), direction: .recvonly,
            at: Self.learnerAddress)
        for _ in 0..<50 where !(host.isConnected && learner.isConnected && network.bridge.state == .connected) {
            network.pump()
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(network.bridge.state == .connected)
        #expect(learner.isConnected)

        try Self.publish(host, on: network, frames: 0..<10)
        let headers = network.rtp(to: Self.learnerAddress)
        let video = headers.filter { $0.ssrc == learner.remoteSSRCs["video"] }
        let audio = headers.filter { $0.ssrc == learner.remoteSSRCs["audio"] }
        #expect(video.count == 10)
        #expect(audio.count == 10)
        // Consecutive at the learner: the edge numbers its own stream, and nothing was lost on the way.
        #expect(zip(video, video.dropFirst()).allSatisfy { $1.sequenceNumber == $0.sequenceNumber &+ 1 })
        #expect(network.bridge.counters.forwarded == 20)
        // The origin sent its copies to the bridge at once, each ahead of its batch, and nothing else that way.
        #expect(network.sentNowByOrigin.count == 20)
        #expect(network.sentNowByOrigin.allSatisfy { $0 == Network.bridgeAddress })

        // Attendance is the people's: the bridge's two connections report nothing at either end.
        let originJoins = network.events.origin.compactMap { if case .joined(let who) = $0 { who.userID } else { nil } }
        let edgeJoins = network.events.edge.compactMap { if case .joined(let who) = $0 { who.userID } else { nil } }
        #expect(originJoins == ["7"])
        #expect(edgeJoins == ["8"])
        #expect(network.edge.connections(inRoom: "lecture", now: .now).map(\.identity.userID) == ["8"])
        #expect(network.edge.occupancy(ofRoom: "lecture") == (people: 1, pipes: 1))

        // The learner lost a picture: its PLI crosses the edge and the bridge and reaches the host (the
        // relays pace keyframe requests at 500 ms, so the test waits that out).
        let before = network.pictureLossIndications(to: Self.hostAddress, mediaSSRC: host.videoSSRC)
        try await Task.sleep(for: .milliseconds(600))
        network.pump()
        let pli = PictureLossIndication(senderSSRC: learner.audioSSRC, mediaSSRC: try #require(learner.remoteSSRCs["video"]))
        network.send(try learner.protectRTCP(pli.build()), from: Self.learnerAddress, to: Network.edgeAddress)
        network.pump()
        try await Task.sleep(for: .milliseconds(600))
        network.pump()
        #expect(network.pictureLossIndications(to: Self.hostAddress, mediaSSRC: host.videoSSRC) > before)
        #expect(network.bridge.counters.feedbackUp >= 1)
    }

    @Test func packetsFromNeitherSideAndGarbageAreDroppedAndCounted() throws {
        let network = try Network()
        try network.connectBridge()
        network.bridge.handleDatagram([0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], from: .upstream, now: .now)
        network.bridge.handleDatagram([0x16, 0xFE, 0xFD], from: .downstream, now: .now)
        network.bridge.handleDatagram([], from: .upstream, now: .now)
        #expect(network.bridge.counters.dropped == 3)
        #expect(network.bridge.counters.forwarded == 0)
    }
}
