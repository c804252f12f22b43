import DTLS
import ICE
import Mux
import RTP
import SDP
import SRTP
import STUN

/// A minimal WebRTC endpoint that talks to the relay the way a browser does: it offers, runs ICE as
/// the controlling agent, is the DTLS client, and protects/unprotects SRTP. Sans-IO like the relay
/// itself, so tests and the load tester drive it with whatever transport they like.
///
/// Not thread-safe; one owner at a time.
public final class PeerClient {
    public enum Direction: String, Sendable {
        case sendonly, recvonly, sendrecv
    }

    public enum State: Sendable, Equatable {
        case new, checking, connecting, connected, failed(String)
    }

    public let localUfrag: String
    public let localPassword: String
    public let certificate: DTLSCertificate
    public let audioSSRC: UInt32
    public let videoSSRC: UInt32
    public static let opusPayloadType: UInt8 = 111
    public static let vp8PayloadType: UInt8 = 96
    public private(set) var state: State = .new
    public private(set) var remote: TransportAddress?
    /// The relay's SSRCs for what it sends us, by kind, from the answer.
    public private(set) var remoteSSRCs: [String: UInt32] = [:]

    private var remoteUfrag = ""
    private var remotePassword = ""
    private var dtls: DTLSConnection?
    private var inbound: SRTPContext?
    private var outbound: SRTPContext?
    private var pendingCheck: STUNTransactionID?
    private var outgoing: [(bytes: [UInt8], to: TransportAddress)] = []
    private let tieBreaker = UInt64.random(in: 0...UInt64.max)
    private let srtpProfiles: [DTLSSRTPProfile]

    public init(srtpProfiles: [DTLSSRTPProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80]) throws {
        localUfrag = Self.token(8)
        localPassword = Self.token(24)
        certificate = try DTLSCertificate()
        audioSSRC = UInt32.random(in: 1...UInt32.max)
        videoSSRC = UInt32.random(in: 1...UInt32.max)
        self.srtpProfiles = srtpProfiles
    }

    /// An offer shaped like Chromium's (BUNDLE, rtcp-mux, mid extension, Opus/111 and VP8/96).
    public func makeOffer(audio: Direction?, video: Direction?) -> String {
        var lines = [
            "v=0", "o=- \(UInt32.random(in: 1...UInt32.max)) 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
        ]
        var mids: [String] = []
        var sections: [[String]] = []
        for (kind, direction) in [("audio", audio), ("video", video)] {
            guard let direction else { continue }
            let mid = String(mids.count)
            mids.append(mid)
            let pt = kind == "audio" ? Self.opusPayloadType : Self.vp8PayloadType
            var section = [
                "m=\(kind) 9 UDP/TLS/RTP/SAVPF \(pt)", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
                "a=ice-ufrag:\(localUfrag)", "a=ice-pwd:\(localPassword)", "a=ice-options:trickle",
                "a=fingerprint:\(certificate.fingerprint.sdpValue)", "a=setup:actpass", "a=mid:\(mid)",
                "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid", "a=\(direction.rawValue)", "a=rtcp-mux",
                "a=rtcp-rsize",
            ]
            if kind == "audio" {
                section += ["a=rtpmap:\(pt) opus/48000/2", "a=fmtp:\(pt) minptime=10;useinbandfec=1"]
            } else {
                section += [
                    "a=rtpmap:\(pt) VP8/90000", "a=rtcp-fb:\(pt) goog-remb", "a=rtcp-fb:\(pt) nack",
                    "a=rtcp-fb:\(pt) nack pli", "a=rtcp-fb:\(pt) ccm fir",
                ]
            }
            if direction != .recvonly {
                let ssrc = kind == "audio" ? audioSSRC : videoSSRC
                section += ["a=msid:peer \(kind)", "a=ssrc:\(ssrc) cname:peerclient", "a=ssrc:\(ssrc) msid:peer \(kind)"]
            }
            sections.append(section)
        }
        lines += ["a=group:BUNDLE \(mids.joined(separator: " "))", "a=extmap-allow-mixed", "a=msid-semantic: WMS peer"]
        for section in sections { lines += section }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    public enum AnswerError: Error, Equatable {
        case invalid(String)
    }

    /// Reads the relay's answer: credentials, fingerprint, host candidate and SSRCs.
    public func applyAnswer(_ text: String) throws {
        let answer = try SessionDescription(parsing: text)
        guard let first = answer.media.first(where: { !$0.isRejected }),
            let ufrag = answer.iceUfrag(of: first), let password = answer.icePwd(of: first),
            let fingerprint = answer.fingerprints(of: first).first,
            let remoteFingerprint = DTLSFingerprint(sdpValue: fingerprint.attributeValue),
            let candidate = first.candidates.first,
            let address = TransportAddress(ip: candidate.address, port: candidate.port)
        else { throw AnswerError.invalid("answer lacks ICE credentials, fingerprint or candidate") }
        remoteUfrag = ufrag
        remotePassword = password
        remote = address
        for section in answer.media where !section.isRejected {
            if let ssrc = section.ssrcs.first { remoteSSRCs[section.type.token] = ssrc }
        }
        var configuration = DTLSConnection.Configuration(
            role: .client, certificate: certificate, remoteFingerprint: remoteFingerprint)
        configuration.srtpProfiles = srtpProfiles
        dtls = try DTLSConnection(configuration: configuration)
        state = .checking
    }

    /// Sends (or resends) the nominating connectivity check.
    public func start(now: ContinuousClock.Instant) {
        guard let remote else { return }
        let transaction = STUNTransactionID.random()
        pendingCheck = transaction
        let request = ICEConnectivityCheck.makeBindingRequest(
            username: "\(remoteUfrag):\(localUfrag)", password: remotePassword, priority: 1_853_824_767,
            useCandidate: true, tieBreaker: tieBreaker, transactionID: transaction)
        outgoing.append((request, remote))
    }

    public func pollTransmit() -> (bytes: [UInt8], to: TransportAddress)? {
        if let dtls, let remote, let datagram = dtls.pollTransmit() { return (datagram, remote) }
        return outgoing.isEmpty ? nil : outgoing.removeFirst()
    }

    public var isConnected: Bool { state == .connected }

    /// What a received datagram turned out to be, for the caller's bookkeeping.
    public enum Received {
        case control
        case rtp(header: RTPHeader, packet: [UInt8])
        case rtcp([UInt8])
        case dropped(String)
    }

    public func handleDatagram(_ datagram: [UInt8], now: ContinuousClock.Instant) -> Received {
        let kind = datagram.withUnsafeBytes { PacketClass.classify($0) }
        switch kind {
        case .stun:
            guard let pendingCheck,
                case .success? = try? ICEConnectivityCheck.parseBindingResponse(
                    datagram, transactionID: pendingCheck, password: remotePassword)
            else { return .dropped("stun") }
            self.pendingCheck = nil
            if state == .checking {
                state = .connecting
                dtls?.start(now: now)
            }
            return .control
        case .dtls:
            guard let dtls else { return .dropped("dtls before answer") }
            dtls.handleDatagram(datagram, now: now)
            while let event = dtls.pollEvent() {
                switch event {
                case .connected(let keys):
                    guard let profile = SRTPProfile(rawValue: keys.profileID) else {
                        state = .failed("profile")
                        break
                    }
                    inbound = try? SRTPContext(
                        profile: profile, direction: .inbound, masterKey: keys.remoteMasterKey,
                        masterSalt: keys.remoteMasterSalt)
                    outbound = try? SRTPContext(
                        profile: profile, direction: .outbound, masterKey: keys.localMasterKey,
                        masterSalt: keys.localMasterSalt)
                    state = .connected
                case .failed(let failure):
                    state = .failed("\(failure)")
                case .closed:
                    state = .failed("closed")
                }
            }
            return .control
        case .rtp:
            guard let inbound else { return .dropped("rtp before keys") }
            var packet = datagram
            do { try inbound.unprotectRTP(&packet) } catch { return .dropped("srtp \(error)") }
            guard let header = try? packet.withUnsafeBytes({ bytes throws(RTPError) in try RTPHeader(parsing: bytes) })
            else { return .dropped("rtp header") }
            return .rtp(header: header, packet: packet)
        case .rtcp:
            guard let inbound else { return .dropped("rtcp before keys") }
            var packet = datagram
            do { try inbound.unprotectRTCP(&packet) } catch { return .dropped("srtcp \(error)") }
            return .rtcp(packet)
        default:
            return .dropped("unknown")
        }
    }

    public func handleTimeout(now: ContinuousClock.Instant) {
        if let dtls, let deadline = dtls.pollTimeout(), deadline <= now { dtls.handleTimeout(now: now) }
    }

    /// Protects a plain RTP packet for the relay.
    public func protectRTP(_ packet: [UInt8]) throws -> [UInt8] {
        guard let outbound else { throw AnswerError.invalid("not connected") }
        var packet = packet
        try outbound.protectRTP(&packet)
        return packet
    }

    public func protectRTCP(_ packet: [UInt8]) throws -> [UInt8] {
        guard let outbound else { throw AnswerError.invalid("not connected") }
        var packet = packet
        try outbound.protectRTCP(&packet)
        return packet
    }

    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/".utf8)

    private static func token(_ length: Int) -> String {
        String(decoding: (0..<length).map { _ in alphabet.randomElement()! }, as: UTF8.self)
    }
}
