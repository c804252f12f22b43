import NIOCore
import PeerClient
import RTCP
import RTP
import STUN

/// One simulated browser: its own UDP socket, a `PeerClient` (ICE, DTLS, SRTP) and what it received.
/// Confined to the tester's event loop.
final class SimulatedParticipant {
    enum Role { case publisher, viewer }

    let index: Int
    let role: Role
    let peer: PeerClient
    var channel: (any Channel)?
    var statistics = ReceiverStatistics()
    var joinStartedAt: ContinuousClock.Instant
    var publisher: MediaPublisher?
    var resourceURL: String?
    var roomToken: String?
    var account: (token: String, userID: String)?
    /// Every `sampleEvery`-th RTP packet is fully unprotected to prove the media is intact.
    static let sampleEvery = 100
    private(set) var sampledOK = 0
    private(set) var sampledFailed = 0

    init(index: Int, role: Role, peer: PeerClient, now: ContinuousClock.Instant) {
        self.index = index
        self.role = role
        self.peer = peer
        self.joinStartedAt = now
    }

    /// Handles one datagram from the relay; returns a send-time latency sample in nanoseconds if any.
    func receive(_ bytes: [UInt8], now: ContinuousClock.Instant, epoch: ContinuousClock.Instant) -> Int64? {
        // RTP with a version-2 first byte and a non-RTCP payload type: read the clear header only.
        if bytes.count >= 12, bytes[0] & 0xC0 == 0x80, !(64...95).contains(bytes[1] & 0x7F) {
            var latency: Int64?
            bytes.withUnsafeBytes { raw in
                guard let header = try? RTPHeader(parsing: raw) else { return }
                statistics.record(ssrc: header.ssrc, sequenceNumber: header.sequenceNumber, bytes: bytes.count, at: now)
                if let range = header.extensionValueRange(id: MediaPublisher.sendTimeExtensionID, in: raw), range.count == 8 {
                    let sent = raw[range].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                    let elapsed = now - epoch
                    let received = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
                    latency = received - Int64(sent)
                }
            }
            if statistics.packets % Int64(Self.sampleEvery) == 1 {
                if case .rtp = peer.handleDatagram(bytes, now: now) { sampledOK += 1 } else { sampledFailed += 1 }
            }
            return latency
        }
        if case .rtcp(let packet) = peer.handleDatagram(bytes, now: now), let publisher {
            // The relay asks for a keyframe for its subscribers (PLI or FIR).
            let wantsKeyframe = packet.withUnsafeBytes { raw -> Bool in
                guard let compound = try? RTCPCompoundPacket(validating: raw) else { return false }
                return compound.contains {
                    switch $0.view {
                    case .pictureLossIndication, .fullIntraRequest: true
                    default: false
                    }
                }
            }
            if wantsKeyframe { publisher.requestKeyframe() }
        }
        return nil
    }

    /// Writes whatever the peer has queued (STUN, DTLS) to the relay.
    func flush() {
        guard let channel else { return }
        while let (bytes, destination) = peer.pollTransmit() {
            send(bytes, to: destination, on: channel)
        }
    }

    func send(_ bytes: [UInt8], to destination: TransportAddress, on channel: any Channel) {
        let address = try! SocketAddress(ipAddress: destination.ipDescription, port: Int(destination.port))
        channel.write(AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(bytes: bytes)), promise: nil)
    }
}
