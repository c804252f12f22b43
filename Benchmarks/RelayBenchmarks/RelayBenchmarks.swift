import Benchmark
import PeerClient
import RTP
import Relay
import RelayServer
import STUN

#if canImport(Glibc)
import Glibc
#endif

/// The relay's whole per-packet path in-process, no network: one SRTP packet from a publisher in →
/// unprotect → route → rewrite + protect for each of F subscribers → F datagrams out. Reported per
/// incoming packet (scaled ×1,000); divide by F for the cost per forwarded packet.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 200)

    for fanOut in [1, 16] {
        Benchmark("Forward 1,100-byte VP8 packet to \(fanOut) subscriber(s), GCM") { benchmark in
            let room = try! InMemoryRoom(subscribers: fanOut)
            // Consecutive sequence numbers (the relay's SRTP replay window sees a real stream).
            var packets = (0..<benchmark.scaledIterations.count).map { _ in room.nextProtectedPacket() }
            var output = CountingOutput()
            benchmark.startMeasurement()
            for index in benchmark.scaledIterations {
                packets[index].withUnsafeMutableBytes {
                    room.engine.handleDatagram($0, from: room.publisherAddress, now: .now, output: &output)
                }
            }
            benchmark.stopMeasurement()
            precondition(output.datagrams >= benchmark.scaledIterations.count * fanOut, "packets were not forwarded")
        }
    }

    // The same path ending in the relay's real send batches: `sendmmsg`, and UDP GSO when a read
    // batch brings several packets (a video frame's burst). The subscribers' sockets are bound on
    // loopback and never read, so the kernel's send side is measured in full and it drops at their
    // full queues.
    for burst in [1, 6] {
        Benchmark("Forward to 16 subscribers through sendmmsg/GSO on loopback, read batches of \(burst)") { benchmark in
            let room = try! InMemoryRoom(subscribers: 16)
            let sinks = try! room.subscriberAddresses.map { address in
                try RelaySocket.bind(host: address.ipDescription, port: Int(address.port), bufferBytes: 4_096)
            }
            defer { for sink in sinks { close(sink.descriptor) } }
            let socket = try! RelaySocket.bind(host: "127.0.0.1", port: 0, bufferBytes: 4 << 20)
            defer { close(socket.descriptor) }
            let batch = DatagramBatch(socket: socket.descriptor, family: socket.family)
            var packets = (0..<benchmark.scaledIterations.count).map { _ in room.nextProtectedPacket() }
            var output = batch
            benchmark.startMeasurement()
            for index in benchmark.scaledIterations {
                packets[index].withUnsafeMutableBytes {
                    room.engine.handleDatagram($0, from: room.publisherAddress, now: .now, output: &output)
                }
                if (index + 1) % burst == 0 { batch.flush() }
            }
            batch.flush()
            benchmark.stopMeasurement()
            precondition(batch.sent >= UInt64(benchmark.scaledIterations.count * 16), "packets were not sent")
            precondition(burst == 1 || batch.segmentedMessages > 0, "GSO was not used")
        }
    }
}

/// A publisher and subscribers connected to an engine through real ICE, DTLS and SRTP, in memory.
final class InMemoryRoom {
    let engine: RelayEngine
    let relay = TransportAddress(ipv4: 127, 0, 0, 1, port: 40_000)
    let publisherAddress = TransportAddress(ipv4: 127, 0, 0, 1, port: 50_000)
    private let publisher: PeerClient
    private var peers: [(PeerClient, TransportAddress)] = []
    var subscriberAddresses: [TransportAddress] { peers.dropFirst().map(\.1) }
    private var sequence: UInt16 = 0
    private var timestamp: UInt32 = 0
    private let payload: [UInt8]

    init(subscribers: Int) throws {
        engine = RelayEngine(
            configuration: RelayConfiguration(port: 40_000), certificate: try .init(), ntpAtStart: 0, startInstant: .now)
        publisher = try PeerClient()
        // A keyframe first: subscribers' legs start at one.
        payload = [0x90, 0x80, 0x80, 0x01, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01]
            + (0..<(1_100 - 14)).map { UInt8(truncatingIfNeeded: $0) }
        try join(publisher, at: publisherAddress, intent: .publish, audio: .sendonly, video: .sendonly, user: "host", role: .host)
        for index in 0..<subscribers {
            let peer = try PeerClient()
            try join(peer, at: TransportAddress(ipv4: 127, 0, 0, 2, port: UInt16(50_001 + index)),
                intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly, user: "u\(index)", role: .participant)
        }
        for _ in 0..<50 { pump() }
        precondition(peers.allSatisfy { $0.0.isConnected }, "in-memory handshakes did not complete")
        var first = nextProtectedPacket()
        var output = CountingOutput()
        first.withUnsafeMutableBytes { engine.handleDatagram($0, from: publisherAddress, now: .now, output: &output) }
    }

    func nextProtectedPacket() -> [UInt8] {
        sequence &+= 1
        timestamp &+= 3_000
        let packet = try! RTPHeaderBuilder(
            marker: false, payloadType: 96, sequenceNumber: sequence, timestamp: timestamp, ssrc: publisher.videoSSRC
        ).packet(payload: payload)
        return try! publisher.protectRTP(packet)
    }

    private func join(
        _ peer: PeerClient, at address: TransportAddress, intent: RelayEngine.JoinRequest.Intent,
        audio: PeerClient.Direction, video: PeerClient.Direction, user: String, role: ParticipantIdentity.Role
    ) throws {
        let result = try engine.join(
            .init(roomID: "bench", userID: user, role: role, intent: intent, offer: peer.makeOffer(audio: audio, video: video)),
            now: .now)
        try peer.applyAnswer(result.answer)
        peers.append((peer, address))
        peer.start(now: .now)
    }

    private func pump() {
        var output = CollectingOutput()
        for (peer, address) in peers {
            peer.handleTimeout(now: .now)
            while let (bytes, _) = peer.pollTransmit() {
                var copy = bytes
                copy.withUnsafeMutableBytes { engine.handleDatagram($0, from: address, now: .now, output: &output) }
            }
        }
        engine.handleTimeout(now: .now, output: &output)
        for (bytes, destination) in output.datagrams {
            _ = peers.first { $0.1 == destination }?.0.handleDatagram(bytes, now: .now)
        }
    }
}
