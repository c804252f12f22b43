import PeerClient
import RTP
import Relay
import STUN

/// Runs the relay engine and browser-like peers against each other in memory: datagrams are moved
/// by hand, time is real (OpenSSL's DTLS timers read the clock themselves).
final class RelayHarness {
    let engine: RelayEngine
    let relayAddress: TransportAddress
    var peers: [(peer: PeerClient, address: TransportAddress)] = []
    /// Everything each peer received, decoded.
    var received: [TransportAddress: [PeerClient.Received]] = [:]
    var events: [RelayEvent] = []
    /// Each joined participant's session, to renegotiate it.
    var continuations: [String: RelayEngine.SessionContinuation] = [:]
    /// Each joined participant's SDP answer.
    var answers: [String: String] = [:]
    /// Simulates loss on the relay → peer path: return true to drop a datagram.
    var lose: ((TransportAddress, [UInt8]) -> Bool)?
    /// The engine writes into space the output lends (`LendingOutput`, as the server's `DatagramBatch`)
    /// instead of an output that only copies.
    var lendsSpace = false

    init(capacity: Int = 100, configure: (inout RelayConfiguration) -> Void = { _ in }) throws {
        var configuration = RelayConfiguration(announcedAddresses: ["127.0.0.1"], port: 40_000)
        configuration.defaultRoomCapacity = capacity
        configure(&configuration)
        engine = RelayEngine(
            configuration: configuration, certificate: try .init(), ntpAtStart: 0xE000_0000_0000_0000,
            startInstant: .now)
        relayAddress = TransportAddress(ipv4: 127, 0, 0, 1, port: 40_000)
    }

    /// Joins a new peer through signaling and returns it with its participant id.
    func join(
        user: String, role: ParticipantIdentity.Role = .participant, intent: RelayEngine.JoinRequest.Intent,
        audio: PeerClient.Direction? = nil, video: PeerClient.Direction? = nil, room: String = "room-1",
        tokenID: String? = nil, rtx: Bool = false, editOffer: (String) -> String = { $0 },
        offerExtensions: [String: UInt8] = [:]
    ) throws -> (peer: PeerClient, participantID: String, address: TransportAddress) {
        let peer = try PeerClient()
        let offer = editOffer(peer.makeOffer(audio: audio, video: video, headerExtensions: offerExtensions, rtx: rtx))
        let result = try engine.join(
            .init(roomID: room, userID: user, role: role, intent: intent, offer: offer, tokenID: tokenID), now: .now)
        try peer.applyAnswer(result.answer)
        continuations[result.participantID] = result.continuation
        answers[result.participantID] = result.answer
        return (peer, result.participantID, add(peer))
    }

    /// Takes part a peer that already has the relay's description (it answered a relay offer).
    func add(_ peer: PeerClient) -> TransportAddress {
        let address = TransportAddress(ipv4: 127, 0, 0, 1, port: UInt16(50_000 + peers.count))
        peers.append((peer, address))
        peer.start(now: .now)
        return address
    }

    /// The peer's offer again (same ICE credentials and fingerprint), optionally with a second video
    /// section (mid 2) as a screen share.
    func reoffer(_ peer: PeerClient, addingVideo: Bool) -> String {
        var offer = peer.makeOffer(audio: .sendonly, video: .sendonly)
        guard addingVideo, let videoStart = offer.range(of: "m=video") else { return offer }
        var video = String(offer[videoStart.lowerBound...])
        video = video.replacingOccurrences(of: "a=mid:1", with: "a=mid:2")
            .replacingOccurrences(of: "\(peer.videoSSRC)", with: "\(peer.videoSSRC &+ 1)")
        offer = offer.replacingOccurrences(of: "a=group:BUNDLE 0 1", with: "a=group:BUNDLE 0 1 2") + video
        return offer
    }

    /// Moves datagrams until nobody has anything left to say.
    func pump(rounds: Int = 50) {
        for _ in 0..<rounds {
            var moved = false
            for (peer, address) in peers {
                peer.handleTimeout(now: .now)
                while let (bytes, destination) = peer.pollTransmit() {
                    precondition(destination == relayAddress)
                    deliverToRelay(bytes, from: address)
                    moved = true
                }
            }
            moved = deliver(collect { engine.handleTimeout(now: .now, output: &$0) }) || moved
            while let event = engine.pollEvent() { events.append(event) }
            if !moved { return }
        }
    }

    func deliverToRelay(_ bytes: [UInt8], from address: TransportAddress, at now: ContinuousClock.Instant = .now) {
        var copy = bytes
        let output = copy.withUnsafeMutableBytes { bytes in
            collect { engine.handleDatagram(bytes, from: address, now: now, output: &$0) }
        }
        _ = deliver(output)
        while let event = engine.pollEvent() { events.append(event) }
    }

    /// What one engine call sent, through the output `lendsSpace` picks.
    func collect(_ call: (inout any DatagramOutput) -> Void) -> CollectingOutput {
        if lendsSpace {
            var output: any DatagramOutput = LendingOutput()
            call(&output)
            return (output as? LendingOutput)?.collected ?? CollectingOutput()
        }
        var output: any DatagramOutput = CollectingOutput()
        call(&output)
        return output as? CollectingOutput ?? CollectingOutput()
    }

    /// Hands the engine's output (from a call the test made itself) to the peers.
    func deliverAll(_ output: CollectingOutput) {
        deliver(output)
    }

    @discardableResult
    private func deliver(_ output: CollectingOutput) -> Bool {
        for (bytes, destination) in output.datagrams {
            guard let target = peers.first(where: { $0.address == destination }) else { continue }
            if lose?(destination, bytes) == true { continue }
            let result = target.peer.handleDatagram(bytes, now: .now)
            received[destination, default: []].append(result)
        }
        return !output.datagrams.isEmpty
    }

    func rtp(to address: TransportAddress) -> [(header: RTPHeader, packet: [UInt8])] {
        (received[address] ?? []).compactMap {
            if case .rtp(let header, let packet) = $0 { return (header, packet) }
            return nil
        }
    }

    func rtcp(to address: TransportAddress) -> [[UInt8]] {
        (received[address] ?? []).compactMap {
            if case .rtcp(let packet) = $0 { return packet }
            return nil
        }
    }

    /// Sends an RTP packet from a peer, protected with its SRTP keys.
    func send(
        from peer: PeerClient, at address: TransportAddress, ssrc: UInt32, payloadType: UInt8, sequenceNumber: UInt16,
        timestamp: UInt32, payload: [UInt8], marker: Bool = false
    ) throws {
        let header = RTPHeaderBuilder(
            marker: marker, payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc)
        let packet = try header.packet(payload: payload)
        deliverToRelay(try peer.protectRTP(packet), from: address)
    }

    /// A VP8 RTP payload: descriptor with S=1, PID=0 and a 15-bit PictureID, then a frame start that
    /// is a keyframe (frame tag P=0, start code, 640x360) or an interframe.
    static func vp8Payload(keyframe: Bool, pictureID: UInt16, size: Int = 900) -> [UInt8] {
        var payload: [UInt8] = [0x90, 0x80, 0x80 | UInt8(pictureID >> 8 & 0x7F), UInt8(pictureID & 0xFF)]
        if keyframe {
            payload += [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01]
        } else {
            payload += [0x11, 0x02, 0x00]
        }
        while payload.count < size { payload.append(UInt8(truncatingIfNeeded: payload.count)) }
        return payload
    }
}

/// An output like the server's `DatagramBatch`: it lends the space of the next datagram, and `send` copies
/// into that same space, so a lent packet that is not committed before the next send is overwritten.
final class LendingOutput: DatagramOutput {
    private let space = UnsafeMutableRawBufferPointer.allocate(byteCount: 2_048, alignment: 16)
    private(set) var collected = CollectingOutput()
    private(set) var committed = 0

    deinit { space.deallocate() }

    func send(_ datagram: UnsafeRawBufferPointer, to destination: TransportAddress) {
        space.copyMemory(from: datagram)
        collected.datagrams.append((Array(space[0..<datagram.count]), destination))
    }

    func reserve(_ capacity: Int) -> UnsafeMutableRawBufferPointer? { capacity <= space.count ? space : nil }

    func commitReserved(_ length: Int, to destination: TransportAddress) {
        committed += 1
        collected.datagrams.append((Array(space[0..<length]), destination))
    }
}
