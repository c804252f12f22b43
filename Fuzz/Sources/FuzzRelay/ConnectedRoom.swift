import DTLS
import PeerClient
import Relay
import STUN

enum DTLSCertificateCache {
    /// One relay certificate for every input: making a key pair is the slowest part of set-up.
    static func relay() throws -> DTLSCertificate { try DTLSCertificate() }
}

/// One peer of the room: a real `PeerClient` at its own address, and the engine's id for it.
struct Member {
    let peer: PeerClient
    let address: TransportAddress
    let participantID: String
}

/// A room moved by hand like Tests/RelayTests/RelayHarness.swift, with a clock the input advances:
/// a connected publisher (Opus with RED and the audio level, VP8 with RTX, header extensions with a
/// two-byte id, transport-wide feedback) and a connected WHEP subscriber (its own extension ids, RTX), plus, when a record
/// first needs them, a second publisher and a subscribe connection (`ConnectedRoom+Subscription`).
final class ConnectedRoom {
    let engine: RelayEngine
    let publisher: Member
    let subscriber: Member
    var secondPublisher: Member?
    /// The subscribe connection's peer, once a record opened it.
    var watcher: Member?
    let strangerAddress = TransportAddress(ipv4: 203, 0, 113, 9, port: 40_404)
    let secondPublisherAddress = TransportAddress(ipv4: 127, 0, 0, 1, port: 50_002)
    let watcherAddress = TransportAddress(ipv4: 127, 0, 0, 1, port: 50_003)
    /// The engine's clock: real time at set-up, then moved by the input and by each round of `pump`.
    var now: ContinuousClock.Instant
    /// First sequence number a peer received on each of the relay's SSRCs (NACK ids count from it).
    var firstReceived: [UInt32: UInt16] = [:]
    /// The publisher's session and offer, for renegotiating it.
    var continuation: RelayEngine.SessionContinuation
    let publisherOffer: String
    /// The subscribe connection: the relay's offer waiting for an answer, and the SSRCs of the slots
    /// the client last answered.
    var pendingOffer: SubscriptionOffer?
    var watcherSSRCs: [UInt32] = []
    var watcherConfigured = false
    var watcherAnswered = false
    var trace: ((String) -> Void)?

    /// Ids (RFC 8285) each side offers; they differ, so every forwarded packet is really rewritten.
    /// PeerClient always adds the mid at 4. 20 needs the two-byte form (`a=extmap-allow-mixed`).
    static let publisherExtensions: [String: UInt8] = [
        HeaderExtensionIDs.audioLevelURI: 1, HeaderExtensionIDs.absoluteSendTimeURI: 2,
        HeaderExtensionIDs.transportWideCCURI: 3, HeaderExtensionIDs.videoOrientationURI: 20,
    ]
    static let subscriberExtensions: [String: UInt8] = [
        HeaderExtensionIDs.audioLevelURI: 10, HeaderExtensionIDs.absoluteSendTimeURI: 12,
        HeaderExtensionIDs.transportWideCCURI: 5, HeaderExtensionIDs.videoOrientationURI: 7,
    ]
    static let secondPublisherExtensions: [String: UInt8] = [
        HeaderExtensionIDs.audioLevelURI: 6, HeaderExtensionIDs.absoluteSendTimeURI: 2,
        HeaderExtensionIDs.videoOrientationURI: 13,
    ]

    init(certificate: DTLSCertificate) throws {
        var configuration = RelayConfiguration(announcedAddresses: ["127.0.0.1"], port: 40_000)
        // Off by default (browsers would probe with padding); on here, so the publisher's transport-wide
        // sequence numbers (id 3) reach the feedback generator.
        configuration.transportFeedbackToPublishers = true
        engine = RelayEngine(
            configuration: configuration, certificate: certificate, ntpAtStart: 0xE000_0000_0000_0000,
            startInstant: .now)
        now = .now
        let publisherPeer = try PeerClient()
        publisherOffer = Self.withRED(
            publisherPeer.makeOffer(audio: .sendonly, video: .sendonly, headerExtensions: Self.publisherExtensions, rtx: true))
        let published = try engine.join(
            .init(roomID: "room", userID: "mentor", role: .host, intent: .publish, offer: publisherOffer), now: now)
        try publisherPeer.applyAnswer(published.answer)
        publisher = Member(
            peer: publisherPeer, address: TransportAddress(ipv4: 127, 0, 0, 1, port: 50_000),
            participantID: published.participantID)
        continuation = published.continuation
        let subscriberPeer = try PeerClient()
        let watching = try engine.join(
            .init(
                roomID: "room", userID: "learner", role: .participant, intent: .subscribe(userID: nil),
                offer: subscriberPeer.makeOffer(
                    audio: .recvonly, video: .recvonly, headerExtensions: Self.subscriberExtensions, rtx: true)),
            now: now)
        try subscriberPeer.applyAnswer(watching.answer)
        subscriber = Member(
            peer: subscriberPeer, address: TransportAddress(ipv4: 127, 0, 0, 1, port: 50_001),
            participantID: watching.participantID)
        publisherPeer.start(now: now)
        subscriberPeer.start(now: now)
        pump { publisherPeer.isConnected && subscriberPeer.isConnected }
        guard publisherPeer.isConnected, subscriberPeer.isConnected else {
            throw PeerClient.AnswerError.invalid("no connection")
        }
        now = max(now, .now)
    }

    /// Adds `red/48000/2` (63, over Opus 111) to the audio section of a PeerClient offer.
    static func withRED(_ offer: String) -> String {
        offer.replacing("m=audio 9 UDP/TLS/RTP/SAVPF 111", with: "m=audio 9 UDP/TLS/RTP/SAVPF 111 63")
            .replacing(
                "a=fmtp:111 minptime=10;useinbandfec=1",
                with: "a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111")
    }

    var members: [Member] { [publisher, subscriber] + [secondPublisher, watcher].compactMap { $0 } }

    /// Moves datagrams between the peers and the engine until `done` (at most `rounds` rounds), each
    /// round 1 ms later on the engine's clock.
    func pump(rounds: Int = 50, until done: () -> Bool) {
        for _ in 0..<rounds where !done() {
            now += .milliseconds(1)
            for member in members {
                member.peer.handleTimeout(now: now)
                while let (bytes, _) = member.peer.pollTransmit() { deliver(bytes, from: member.address) }
            }
            var output = CollectingOutput()
            engine.handleTimeout(now: now, output: &output)
            route(output)
        }
    }

    func deliver(_ bytes: [UInt8], from address: TransportAddress) {
        var copy = bytes
        var output = CollectingOutput()
        copy.withUnsafeMutableBytes { engine.handleDatagram($0, from: address, now: now, output: &output) }
        route(output)
    }

    /// Hands what the relay sent to the peers, which decrypt it (and answer DTLS while connecting).
    func route(_ output: CollectingOutput) {
        for (bytes, destination) in output.datagrams {
            // A stranger's STUN check gets its answer; nobody reads it.
            guard let member = members.first(where: { $0.address == destination }) else { continue }
            if case .rtp(let header, _) = member.peer.handleDatagram(bytes, now: now), firstReceived[header.ssrc] == nil {
                firstReceived[header.ssrc] = header.sequenceNumber
            }
        }
    }

    /// The room's publishers changed: the subscribe connection, if open, is offered the new set.
    func roomChanged() {
        guard let watcher else { return }
        if let offer = engine.refreshSubscription(participantID: watcher.participantID, now: now) {
            pendingOffer = offer
            trace?("relay offers \(offer.tracks.count) tracks")
        }
    }

    /// The second publisher, joined (and connected) when a record first needs it.
    func joinSecondPublisher() -> Member? {
        if let secondPublisher { return secondPublisher }
        guard let peer = try? PeerClient() else { return nil }
        let offer = peer.makeOffer(
            audio: .sendonly, video: .sendonly, headerExtensions: Self.secondPublisherExtensions, rtx: true)
        guard let result = try? engine.join(
            .init(roomID: "room", userID: "peer", role: .participant, intent: .publish, offer: offer), now: now),
            (try? peer.applyAnswer(result.answer)) != nil
        else { preconditionFailure("the second publisher's offer was refused") }
        let member = Member(peer: peer, address: secondPublisherAddress, participantID: result.participantID)
        secondPublisher = member
        peer.start(now: now)
        pump { peer.isConnected }
        trace?("second publisher joined, connected: \(peer.isConnected)")
        roomChanged()
        return member
    }
}
