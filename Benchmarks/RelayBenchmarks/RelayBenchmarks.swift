import Benchmark
import Relay
import RelayServer

#if canImport(Glibc)
import Glibc
#endif

/// The relay's whole per-packet path in-process, no network: one SRTP packet from a publisher in →
/// unprotect → route → rewrite + protect for each of F subscribers → F datagrams out. Reported per
/// incoming packet (scaled ×1,000); divide by F for the cost per forwarded packet. Each benchmark
/// builds its room once (`setup`) and measures batches of 1,000 consecutive packets on it.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, threadCPU, .mallocCountTotal, .throughput],
        scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 200)

    for fanOut in [1, 16] {
        Benchmark("Forward 1,100-byte VP8 packet to \(fanOut) subscriber(s), GCM") { benchmark, room in
            forward(room, fanOut: fanOut, benchmark: benchmark, packet: room.nextProtectedPacket)
        } setup: {
            try InMemoryRoom(subscribers: fanOut)
        }
    }

    // The realistic path: extensions negotiated on both legs with different ids, carried on every packet.
    for fanOut in [1, 16] {
        Benchmark("Forward 1,100-byte VP8 packet with header extensions to \(fanOut) subscriber(s), GCM") { benchmark, room in
            forward(room, fanOut: fanOut, benchmark: benchmark, packet: room.nextProtectedPacket)
        } setup: {
            try extensionRoom(subscribers: fanOut, audio: false)
        }
    }
    Benchmark("Forward Opus packet with audio level and header extensions to 16 subscribers, GCM") { benchmark, room in
        forward(room, fanOut: 16, benchmark: benchmark, packet: room.nextProtectedAudioPacket)
    } setup: {
        try extensionRoom(subscribers: 16, audio: true)
    }

    // The same path ending in the relay's real send batches: `sendmmsg`, and UDP GSO when a read
    // batch brings several packets (a video frame's burst). The subscribers' sockets are bound on
    // loopback and never read, so the kernel's send side is measured in full and it drops at their
    // full queues.
    for burst in [1, 6] {
        Benchmark("Forward to 16 subscribers through sendmmsg/GSO on loopback, read batches of \(burst)") { benchmark, room in
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
            let cpuStart = threadCPUNanoseconds()
            for index in benchmark.scaledIterations {
                packets[index].withUnsafeMutableBytes {
                    room.engine.handleDatagram($0, from: room.publisherAddress, now: .now, output: &output)
                }
                if (index + 1) % burst == 0 { batch.flush() }
            }
            batch.flush()
            let cpu = threadCPUNanoseconds() - cpuStart
            benchmark.stopMeasurement()
            recordThreadCPU(benchmark, nanoseconds: cpu, packets: benchmark.scaledIterations.count, fanOut: 16)
            precondition(batch.sent >= UInt64(benchmark.scaledIterations.count * 16), "packets were not sent")
            precondition(burst == 1 || batch.segmentedMessages > 0, "GSO was not used")
        } setup: {
            try InMemoryRoom(subscribers: 16)
        }
    }
}

/// Measures `scaledIterations` packets from `packet` (made before the measurement starts) through
/// the engine into a counting output.
func forward(_ room: InMemoryRoom, fanOut: Int, benchmark: Benchmark, packet: () -> [UInt8]) {
    var packets = (0..<benchmark.scaledIterations.count).map { _ in packet() }
    var output = CountingOutput()
    benchmark.startMeasurement()
    let cpuStart = threadCPUNanoseconds()
    for index in benchmark.scaledIterations {
        packets[index].withUnsafeMutableBytes {
            room.engine.handleDatagram($0, from: room.publisherAddress, now: .now, output: &output)
        }
    }
    let cpu = threadCPUNanoseconds() - cpuStart
    benchmark.stopMeasurement()
    recordThreadCPU(benchmark, nanoseconds: cpu, packets: benchmark.scaledIterations.count, fanOut: fanOut)
    precondition(output.datagrams >= benchmark.scaledIterations.count * fanOut, "packets were not forwarded")
}

/// A `.browserLike` room; says on stderr which extension ids a subscriber receives (the relay's
/// renumbered ones once it negotiates extensions, the publisher's own while it passes blocks through).
func extensionRoom(subscribers: Int, audio: Bool) throws -> InMemoryRoom {
    let room = try InMemoryRoom(subscribers: subscribers, extensions: .browserLike)
    let ids = room.extensionIDsAtFirstSubscriber(audio: audio)
    let line = "RelayBenchmarks: a subscriber receives \(audio ? "Opus" : "VP8") with extension ids \(ids)\n"
    _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    return room
}
