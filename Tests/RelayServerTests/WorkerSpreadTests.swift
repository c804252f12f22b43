import Foundation
import NIOCore
import NIOPosix
import PeerClient
import RTP
import Relay
import STUN
import Synchronization
import Testing

@testable import RelayServer

/// A lecture spread over two workers of one relay process, over real UDP: past `spreadAfter`, WHEP
/// viewers go to the other worker, fed by a cascade pipe from the room's home, and see the host there.
@Suite struct WorkerSpreadTests {
    /// A peer's UDP socket; datagrams land in an inbox the test's task drains into its `PeerClient`.
    final class Inbox: Sendable {
        let datagrams = Mutex<[[UInt8]]>([])
    }

    final class Socket: Sendable {
        let channel: any Channel
        let inbox = Inbox()

        init(group: any EventLoopGroup) async throws {
            let inbox = self.inbox
            channel = try await DatagramBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(Reader(inbox: inbox))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        func send(_ bytes: [UInt8], to address: TransportAddress) throws {
            let remote = try SocketAddress(ipAddress: address.ipDescription, port: Int(address.port))
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: bytes)), promise: nil)
        }

        func take() -> [[UInt8]] { inbox.datagrams.withLock { datagrams in defer { datagrams = [] }; return datagrams } }

        final class Reader: ChannelInboundHandler, Sendable {
            typealias InboundIn = AddressedEnvelope<ByteBuffer>
            let inbox: Inbox
            init(inbox: Inbox) { self.inbox = inbox }
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let bytes = Array(Self.unwrapInboundIn(data).data.readableBytesView)
                inbox.datagrams.withLock { $0.append(bytes) }
            }
        }
    }

    final class Peer {
        let client: PeerClient
        let socket: Socket
        let participantID: String
        var rtp: [RTPHeader] = []
        private var lastCheck = ContinuousClock.now

        init(client: PeerClient, socket: Socket, participantID: String) {
            self.client = client
            self.socket = socket
            self.participantID = participantID
        }

        func step() throws {
            let now = ContinuousClock.now
            for datagram in socket.take() {
                if case .rtp(let header, _) = client.handleDatagram(datagram, now: now) { rtp.append(header) }
            }
            client.handleTimeout(now: now)
            // The relay may bind its sockets after the first check went out (the suite runs in parallel):
            // checks are resent until ICE completes, as a browser's are.
            if client.state == .checking && now - lastCheck > .milliseconds(200) {
                lastCheck = now
                client.start(now: now)
            }
            while let (bytes, to) = client.pollTransmit() { try socket.send(bytes, to: to) }
        }
    }

    static func join(
        _ relay: RelayService, user: String, role: ParticipantIdentity.Role, intent: RelayEngine.JoinRequest.Intent,
        group: any EventLoopGroup
    ) async throws -> Peer {
        let client = try PeerClient()
        let direction: PeerClient.Direction = intent == .publish ? .sendonly : .recvonly
        let result = try await relay.join(
            .init(roomID: "lecture", userID: user, role: role, intent: intent,
                offer: client.makeOffer(audio: direction, video: direction)))
        try client.applyAnswer(result.answer)
        client.start(now: .now)
        let peer = Peer(client: client, socket: try await Socket(group: group), participantID: result.participantID)
        try peer.step()
        return peer
    }

    @Test func viewersPastSpreadAfterWatchTheHostFromTheOtherWorker() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        var configuration = RelayService.Configuration(port: Int.random(in: 41_000..<59_000), workers: 2)
        configuration.spreadAfter = 1
        let relay = try RelayService(configuration: configuration)
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        let events = Task {
            var joined: [String] = []
            for await event in relay.events {
                if case .joined(let who) = event { joined.append(who.userID) }
                if joined.count == 3 { break }
            }
            return joined.sorted()
        }

        // Joins before the sockets are bound would start a pipe whose checks go nowhere yet.
        let bound = ContinuousClock.now + .seconds(60)
        while !relay.isListening && ContinuousClock.now < bound { try await Task.sleep(for: .milliseconds(20)) }
        #expect(relay.isListening)
        let home = relay.homeIndex(forRoom: "lecture")
        let host = try await Self.join(relay, user: "7", role: .host, intent: .publish, group: group)
        let spread = try await Self.join(relay, user: "8", role: .participant, intent: .subscribe(userID: nil), group: group)
        let atHome = try await Self.join(relay, user: "9", role: .participant, intent: .subscribe(userID: nil), group: group)
        #expect(RelayService.workerIndex(participantID: host.participantID, workers: 2) == home)
        #expect(RelayService.workerIndex(participantID: spread.participantID, workers: 2) == 1 - home)
        #expect(RelayService.workerIndex(participantID: atHome.participantID, workers: 2) == home)
        #expect(relay.openPipes == 1)

        let peers = [host, spread, atHome]
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, !peers.allSatisfy(\.client.isConnected) {
            for peer in peers { try peer.step() }
            try await Task.sleep(for: .milliseconds(10))
        }
        let connected = peers.allSatisfy { $0.client.isConnected }
        #expect(connected)

        // A keyframe, then frames, and Opus beside them, until both viewers have seen plenty: the pipe connects
        // on its own (ICE and DTLS twice), which takes a while when the whole suite runs in parallel.
        let mediaDeadline = ContinuousClock.now + .seconds(60)
        for frame in 0..<60_000 where ContinuousClock.now < mediaDeadline {
            let video = RTPHeaderBuilder(
                marker: true, payloadType: PeerClient.vp8PayloadType, sequenceNumber: UInt16(frame),
                timestamp: UInt32(frame * 3_000), ssrc: host.client.videoSSRC)
            var payload: [UInt8] = [0x90, 0x80, 0x80, UInt8(frame & 0x7F)]
            payload += frame % 30 == 0 ? [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01] : [0x11, 0x02, 0x00]
            payload += [UInt8](repeating: 1, count: 500)
            try host.socket.send(try host.client.protectRTP(try video.packet(payload: payload)), to: try #require(host.client.remote))
            let audio = RTPHeaderBuilder(
                payloadType: PeerClient.opusPayloadType, sequenceNumber: UInt16(frame), timestamp: UInt32(frame * 960),
                ssrc: host.client.audioSSRC)
            try host.socket.send(
                try host.client.protectRTP(try audio.packet(payload: [0xFC] + [UInt8](repeating: 3, count: 60))),
                to: try #require(host.client.remote))
            for peer in peers { try peer.step() }
            try await Task.sleep(for: .milliseconds(5))
            if frame > 60 && [spread, atHome].allSatisfy({ peer in
                peer.rtp.count(where: { $0.ssrc == peer.client.remoteSSRCs["video"] }) >= 30
                    && peer.rtp.count(where: { $0.ssrc == peer.client.remoteSSRCs["audio"] }) >= 30
            }) { break }
        }
        for viewer in [spread, atHome] {
            let video = viewer.rtp.count { $0.ssrc == viewer.client.remoteSSRCs["video"] }
            let audio = viewer.rtp.count { $0.ssrc == viewer.client.remoteSSRCs["audio"] }
            #expect(video >= 30, "viewer \(viewer.participantID) got \(video) video packets")
            #expect(audio >= 30, "viewer \(viewer.participantID) got \(audio) audio packets")
        }
        // Every datagram the workers read was timed to its batch's send.
        let delays = await relay.snapshot().batchDelay
        #expect(delays.count > 120, "\(delays.count) datagrams timed")  // the host alone sent more
        // The room's people, wherever they are; the pipe's two ends are not among them.
        let people = await relay.connections(roomID: "lecture").map(\.identity.userID).sorted()
        #expect(people == ["7", "8", "9"])
        let joined = await withTaskGroup(of: [String]?.self) { race in
            race.addTask { await events.value }
            race.addTask { try? await Task.sleep(for: .seconds(10)); return nil }
            defer { race.cancelAll() }
            return await race.next() ?? nil
        }
        #expect(joined == ["7", "8", "9"])
    }

    @Test func participantIDsNameTheirWorkerAndNothingElseRoutes() {
        #expect(RelayService.workerIndex(participantID: "w1-abc", workers: 2) == 1)
        #expect(RelayService.workerIndex(participantID: "w0-abc", workers: 2) == 0)
        #expect(RelayService.workerIndex(participantID: "w2-abc", workers: 2) == nil)
        #expect(RelayService.workerIndex(participantID: "w99999-abc", workers: 2) == nil)
        #expect(RelayService.workerIndex(participantID: "w-abc", workers: 2) == nil)
        #expect(RelayService.workerIndex(participantID: "wx-abc", workers: 2) == nil)
        #expect(RelayService.workerIndex(participantID: "abc", workers: 2) == nil)
        #expect(RelayService.workerIndex(participantID: "", workers: 2) == nil)
    }
}

/// A viewer picks whom it watches, so what it can make a relay pipe is capped per room.
@Suite struct PipeTableTests {
    @Test func aRoomHasAtMostSixteenPipesAndAnOpenOneIsShared() async {
        let table = PipeTable()
        var made = 0
        for user in 0..<PipeTable.maximumPerRoom {
            let task = table.claim(TrackPipe.Key(roomID: "lecture", watching: "\(user)", worker: 1)) {
                made += 1
                return Task {}
            }
            #expect(task != nil)
        }
        #expect(table.claim(TrackPipe.Key(roomID: "lecture", watching: "99", worker: 1)) { Task {} } == nil)
        // Asking again for one that is opening gets the same task; another room is not affected.
        #expect(table.claim(TrackPipe.Key(roomID: "lecture", watching: "3", worker: 1)) { Task {} } != nil)
        #expect(table.claim(TrackPipe.Key(roomID: "other", watching: nil, worker: 1)) { Task {} } != nil)
        #expect(made == PipeTable.maximumPerRoom)
        #expect(table.count == PipeTable.maximumPerRoom + 1)
    }
}
