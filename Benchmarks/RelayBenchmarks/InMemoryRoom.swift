import PeerClient
import RTP
import Relay
import STUN

/// A publisher and subscribers connected to an engine through real ICE, DTLS and SRTP, in memory.
/// Built once per benchmark (its `setup`), so every measured iteration runs on a room in steady state.
final class InMemoryRoom {
    let engine: RelayEngine
    let publisherAddress = TransportAddress(ipv4: 127, 0, 0, 1, port: 50_000)
    let extensions: ExtensionProfile
    private let publisher: PeerClient
    private var peers: [(PeerClient, TransportAddress)] = []
    var subscriberAddresses: [TransportAddress] { peers.dropFirst().map(\.1) }
    private var videoSequence: UInt16 = 0
    private var videoTimestamp: UInt32 = 0
    private var audioSequence: UInt16 = 0
    private var audioTimestamp: UInt32 = 0
    private var sendTime: UInt32 = 0
    private let videoPayload: [UInt8]
    private let audioPayload: [UInt8]

    init(subscribers: Int, extensions: ExtensionProfile = .midOnly) throws {
        self.extensions = extensions
        engine = RelayEngine(
            configuration: RelayConfiguration(port: 40_000), certificate: try .init(), ntpAtStart: 0, startInstant: .now)
        publisher = try PeerClient()
        // A keyframe first: subscribers' legs start at one.
        videoPayload = [0x90, 0x80, 0x80, 0x01, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01]
            + (0..<(1_100 - 14)).map { UInt8(truncatingIfNeeded: $0) }
        audioPayload = (0..<80).map { UInt8(truncatingIfNeeded: $0 &* 7) }
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

    /// The publisher's next 1,100-byte VP8 packet (consecutive sequence numbers, so the relay's SRTP
    /// replay window sees a real stream), protected.
    func nextProtectedPacket() -> [UInt8] {
        videoSequence &+= 1
        videoTimestamp &+= 3_000
        let packet = try! RTPHeaderBuilder(
            marker: false, payloadType: PeerClient.vp8PayloadType, sequenceNumber: videoSequence,
            timestamp: videoTimestamp, ssrc: publisher.videoSSRC, extensions: nextExtensions(kind: .video)
        ).packet(payload: videoPayload)
        return try! publisher.protectRTP(packet)
    }

    /// The publisher's next Opus packet (80-byte payload, 20 ms), protected.
    func nextProtectedAudioPacket() -> [UInt8] {
        audioSequence &+= 1
        audioTimestamp &+= 960
        let packet = try! RTPHeaderBuilder(
            marker: false, payloadType: PeerClient.opusPayloadType, sequenceNumber: audioSequence,
            timestamp: audioTimestamp, ssrc: publisher.audioSSRC, extensions: nextExtensions(kind: .audio)
        ).packet(payload: audioPayload)
        return try! publisher.protectRTP(packet)
    }

    private func nextExtensions(kind: ExtensionProfile.Kind) -> [RTPHeaderExtension] {
        sendTime &+= 1_311  // 5 ms in abs-send-time's 6.18 fixed point
        return extensions.publisherElements(kind: kind, absoluteSendTime: sendTime)
    }

    /// Sends one packet through the engine and returns the RTP header extension ids the first
    /// subscriber reads in what reaches it, to show which extension path the measurement takes.
    func extensionIDsAtFirstSubscriber(audio: Bool) -> [UInt8] {
        var packet = audio ? nextProtectedAudioPacket() : nextProtectedPacket()
        var output = CollectingOutput()
        packet.withUnsafeMutableBytes { engine.handleDatagram($0, from: publisherAddress, now: .now, output: &output) }
        guard let (peer, address) = peers.dropFirst().first,
            let datagram = output.datagrams.first(where: { $0.destination == address }),
            case .rtp(let header, let plain) = peer.handleDatagram(datagram.bytes, now: .now)
        else { preconditionFailure("the first subscriber received no RTP") }
        return plain.withUnsafeBytes { bytes in header.extensions(in: bytes).map(\.id) }
    }

    private func join(
        _ peer: PeerClient, at address: TransportAddress, intent: RelayEngine.JoinRequest.Intent,
        audio: PeerClient.Direction, video: PeerClient.Direction, user: String, role: ParticipantIdentity.Role
    ) throws {
        let offer = extensions.offer(from: peer, publishing: intent == .publish, audio: audio, video: video)
        let result = try engine.join(
            .init(roomID: "bench", userID: user, role: role, intent: intent, offer: offer), now: .now)
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
