import DTLS
import PeerClient
import RTCP
import RTP
import Relay
import STUN

enum DTLSCertificateCache {
    /// One relay certificate for every input: making a key pair is the slowest part of set-up.
    static func relay() throws -> DTLSCertificate { try DTLSCertificate() }
}

/// A room with one connected publisher and one connected subscriber, moved by hand like
/// Tests/RelayTests/RelayHarness.swift, with a clock the input can advance.
final class ConnectedRoom {
    let engine: RelayEngine
    let publisher: PeerClient
    let subscriber: PeerClient
    let publisherAddress = TransportAddress(ipv4: 127, 0, 0, 1, port: 50_000)
    let subscriberAddress = TransportAddress(ipv4: 127, 0, 0, 1, port: 50_001)
    let strangerAddress = TransportAddress(ipv4: 203, 0, 113, 9, port: 40_404)
    let relayAddress = TransportAddress(ipv4: 127, 0, 0, 1, port: 40_000)
    /// The engine's clock: real time at set-up, then moved only by the input (DTLS reads its own clock).
    var now: ContinuousClock.Instant
    /// First sequence number the subscriber received on each of the relay's SSRCs.
    var firstReceived: [UInt32: UInt16] = [:]
    /// The engine's ids for the two, for leaving mid-stream.
    var publisherID = ""
    var subscriberID = ""

    init(certificate: DTLSCertificate) throws {
        engine = RelayEngine(
            configuration: RelayConfiguration(announcedAddresses: ["127.0.0.1"], port: 40_000),
            certificate: certificate, ntpAtStart: 0xE000_0000_0000_0000, startInstant: .now)
        publisher = try PeerClient()
        subscriber = try PeerClient()
        now = .now
        let published = try engine.join(
            .init(
                roomID: "room", userID: "mentor", role: .host, intent: .publish,
                offer: publisher.makeOffer(audio: .sendonly, video: .sendonly)),
            now: now)
        try publisher.applyAnswer(published.answer)
        publisherID = published.participantID
        let watching = try engine.join(
            .init(
                roomID: "room", userID: "learner", role: .participant, intent: .subscribe(userID: nil),
                offer: subscriber.makeOffer(audio: .recvonly, video: .recvonly)),
            now: now)
        try subscriber.applyAnswer(watching.answer)
        subscriberID = watching.participantID
        publisher.start(now: now)
        subscriber.start(now: now)
        for _ in 0..<50 where !(publisher.isConnected && subscriber.isConnected) { pump() }
        guard publisher.isConnected, subscriber.isConnected else { throw PeerClient.AnswerError.invalid("no connection") }
        now = .now
    }

    private func pump() {
        for (peer, address) in [(publisher, publisherAddress), (subscriber, subscriberAddress)] {
            peer.handleTimeout(now: .now)
            while let (bytes, _) = peer.pollTransmit() { deliver(bytes, from: address, at: .now) }
        }
        var output = CollectingOutput()
        engine.handleTimeout(now: .now, output: &output)
        route(output)
    }

    func deliver(_ bytes: [UInt8], from address: TransportAddress, at instant: ContinuousClock.Instant) {
        var copy = bytes
        var output = CollectingOutput()
        copy.withUnsafeMutableBytes { engine.handleDatagram($0, from: address, now: instant, output: &output) }
        route(output)
    }

    /// Hands what the relay sent to the peers, which decrypt it (and answer DTLS while connecting).
    private func route(_ output: CollectingOutput) {
        for (bytes, destination) in output.datagrams {
            let peer: PeerClient
            switch destination {
            case publisherAddress: peer = publisher
            case subscriberAddress: peer = subscriber
            default: continue  // A stranger's STUN check gets its answer; nobody reads it.
            }
            if case .rtp(let header, _) = peer.handleDatagram(bytes, now: .now), peer === subscriber,
                firstReceived[header.ssrc] == nil
            {
                firstReceived[header.ssrc] = header.sequenceNumber
            }
        }
    }

    func play(tag: UInt8, body: UnsafeRawBufferPointer) {
        var packet = Array(body)
        let keep = tag & 0x08 != 0
        switch tag & 0x03 {
        case 0:
            guard packet.count >= 12 else { return }
            if !keep { write(tag & 0x04 == 0 ? publisher.audioSSRC : publisher.videoSSRC, into: &packet, at: 8) }
            guard let protected = try? publisher.protectRTP(packet) else { return }
            deliver(protected, from: publisherAddress, at: now)
        case 1:
            if !keep { mapRTCP(&packet, own: publisher, remote: [publisher.audioSSRC, publisher.videoSSRC], nackBase: nil) }
            guard packet.count >= 8, let protected = try? publisher.protectRTCP(packet) else { return }
            deliver(protected, from: publisherAddress, at: now)
        case 2:
            let remote = [subscriber.remoteSSRCs["audio"] ?? 0, subscriber.remoteSSRCs["video"] ?? 0]
            if !keep { mapRTCP(&packet, own: subscriber, remote: remote, nackBase: firstReceived) }
            guard packet.count >= 8, let protected = try? subscriber.protectRTCP(packet) else { return }
            deliver(protected, from: subscriberAddress, at: now)
        default:
            if tag & 0x0C == 0x08 {
                // One of them leaves (WHIP/WHEP DELETE); what follows must find them gone.
                let leaving = (packet.first ?? 0) & 1 == 0 ? publisherID : subscriberID
                var output = CollectingOutput()
                try? engine.leave(participantID: leaving, now: now, output: &output)
                route(output)
            } else if tag & 0x04 == 0 {
                let milliseconds = packet.count >= 2 ? Int(packet[0]) << 8 | Int(packet[1]) : Int(packet.first ?? 10)
                now += .milliseconds(milliseconds)
                var output = CollectingOutput()
                engine.handleTimeout(now: now, output: &output)
                route(output)
            } else {
                deliver(packet, from: keep ? publisherAddress : strangerAddress, at: now)
            }
        }
    }

    /// Points small SSRC values (0...3) in the input at the real ones, packet by packet through the
    /// compound: sender SSRC → the client's own, media SSRC / FIR / REMB entries → `remote`, and NACK
    /// packet ids become offsets from the first sequence number received on the named SSRC.
    private func mapRTCP(_ packet: inout [UInt8], own: PeerClient, remote: [UInt32], nackBase: [UInt32: UInt16]?) {
        let mine = [own.audioSSRC, own.videoSSRC]
        func mapped(_ value: UInt32, _ table: [UInt32]) -> UInt32 { value < 4 ? table[Int(value) & 1] : value }
        var offset = 0
        while offset + 8 <= packet.count {
            let length = ((Int(packet[offset + 2]) << 8 | Int(packet[offset + 3])) + 1) * 4
            let end = min(offset + length, packet.count)
            let type = packet[offset + 1]
            let format = packet[offset] & 0x1F
            write(mapped(read(packet, at: offset + 4), mine), into: &packet, at: offset + 4)
            // Report blocks (SR: after the 20-byte sender info; RR: right after the sender SSRC).
            if type == 200 || type == 201 {
                var block = offset + (type == 200 ? 28 : 8)
                while block + 24 <= end {
                    write(mapped(read(packet, at: block), remote), into: &packet, at: block)
                    block += 24
                }
            }
            if (type == 205 || type == 206), offset + 12 <= end {
                let media = mapped(read(packet, at: offset + 8), remote)
                write(media, into: &packet, at: offset + 8)
                if type == 205, format == 1, let base = nackBase?[media] {
                    var entry = offset + 12
                    while entry + 4 <= end {
                        let id = UInt16(packet[entry]) << 8 | UInt16(packet[entry + 1])
                        let real = id &+ base
                        packet[entry] = UInt8(real >> 8)
                        packet[entry + 1] = UInt8(real & 0xFF)
                        entry += 4
                    }
                }
                if type == 206, format == 4 {
                    var entry = offset + 12
                    while entry + 8 <= end {
                        write(mapped(read(packet, at: entry), remote), into: &packet, at: entry)
                        entry += 8
                    }
                }
                if type == 206, format == 15, offset + 20 <= end {
                    var entry = offset + 20
                    while entry + 4 <= end {
                        write(mapped(read(packet, at: entry), remote), into: &packet, at: entry)
                        entry += 4
                    }
                }
            }
            offset += length
        }
    }

    private func read(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    private func write(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        guard offset + 4 <= bytes.count else { return }
        bytes[offset] = UInt8(value >> 24)
        bytes[offset + 1] = UInt8(value >> 16 & 0xFF)
        bytes[offset + 2] = UInt8(value >> 8 & 0xFF)
        bytes[offset + 3] = UInt8(value & 0xFF)
    }
}
