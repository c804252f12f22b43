import NIOCore
import NIOPosix
import PeerClient
import Relay
import STUN
import Testing

@testable import RelayServer

/// UDP GRO on the relay's sockets: a run of same-size datagrams the kernel hands over as one read is split
/// again, each part handled on its own. Three ICE checks sent as one GSO message get three answers, with
/// the offload (one coalesced read of three) and without it (the kernel splits them).
@Suite struct ReceiveOffloadTests {
    @Test(arguments: [true, false])
    func aCoalescedRunIsHandledDatagramByDatagram(offload: Bool) async throws {
        var configuration = RelayService.Configuration(port: Int.random(in: 41_000..<59_000))
        configuration.receiveOffload = offload
        let relay = try RelayService(configuration: configuration)
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        let bound = ContinuousClock.now + .seconds(60)
        while !relay.isListening && ContinuousClock.now < bound { try await Task.sleep(for: .milliseconds(20)) }
        try #require(relay.isListening)

        let client = try PeerClient()
        let result = try await relay.join(
            .init(roomID: "gro", userID: "7", role: .host, intent: .publish,
                offer: client.makeOffer(audio: .sendonly, video: .sendonly)))
        try client.applyAnswer(result.answer)
        client.start(now: .now)
        let (check, relayAddress) = try #require(client.pollTransmit())
        let socket = try await WorkerSpreadTests.Socket(group: MultiThreadedEventLoopGroup.singleton)
        let remote = try SocketAddress(ipAddress: relayAddress.ipDescription, port: Int(relayAddress.port))
        try await socket.channel.writeAndFlush(
            AddressedEnvelope(
                remoteAddress: remote, data: ByteBuffer(bytes: check + check + check),
                metadata: .init(ecnState: .transportNotCapable, packetInfo: nil, segmentSize: check.count))
        ).get()

        var answers = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while answers < 3 && ContinuousClock.now < deadline {
            // Binding success responses (type 0x0101).
            answers += socket.take().filter { $0.count >= 20 && $0[0] == 0x01 && $0[1] == 0x01 }.count
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(answers == 3)
        let snapshot = await relay.snapshot()
        if offload && System.supportsUDPReceiveOffload {
            #expect(snapshot.coalescedReads == 1 && snapshot.coalescedDatagrams == 3)
        } else {
            #expect(snapshot.coalescedDatagrams == 0)
        }
    }
}
