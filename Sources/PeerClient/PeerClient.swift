import DTLS
import ICE
import Mux
import RTP
import SDP
import SRTP
import STUN

/// A minimal WebRTC endpoint that talks to an SFU the way a browser does: it offers (or answers a
/// server's offer, `PeerClient+Answer.swift`), runs ICE as the controlling agent, takes the DTLS role
/// the other side leaves it (client against our relay, server for Janus's answers), and
/// protects/unprotects SRTP. Sans-IO like the relay itself, so tests and the load tester drive it
/// with whatever transport they like.
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
    /// Where retransmissions of `videoSSRC` go when RTX is negotiated (RFC 4588 §8.3 FID group).
    public let videoRTXSSRC: UInt32
    public static let opusPayloadType: UInt8 = 111
    public static let vp8PayloadType: UInt8 = 96
    /// RTX for VP8 (`apt=96`), the payload type Chromium pairs with it.
    public static let rtxPayloadType: UInt8 = 97
    public private(set) var state: State = .new
    public private(set) var remote: TransportAddress?
    /// The relay's SSRCs for what it sends us, by kind, from the answer.
    public internal(set) var remoteSSRCs: [String: UInt32] = [:]
    /// Negotiated RTP header extension ids by URI (RFC 8285 §5), from the answer or the remote offer.
    public internal(set) var extensionIDs: [String: UInt8] = [:]
    /// Payload types by kind (`audio`, `video`) the remote side uses towards us.
    public internal(set) var remotePayloadTypes: [String: UInt8] = [:]
    /// The answer's RTX payload type for its video codec (`rtx/90000` with `apt=` that codec), if it took RTX.
    public internal(set) var remoteRTXPayloadType: UInt8?
    /// The RTX SSRC the answer pairs with its video SSRC (`a=ssrc-group:FID`), for what it sends us.
    public internal(set) var remoteRTXSSRC: UInt32?
    /// Which side of the DTLS handshake we are; decided by the remote `a=setup` (RFC 8842 §5.1).
    public private(set) var dtlsRole: DTLSConnection.Role = .client
    /// The SRTP profile the DTLS handshake agreed on, once connected.
    public private(set) var srtpProfile: SRTPProfile?

    private var remoteUfrag = ""
    private var remotePassword = ""
    private var dtls: DTLSConnection?
    private var inbound: SRTPContext?
    private var outbound: SRTPContext?
    private var pendingCheck: STUNTransactionID?
    private var checkSentAt: ContinuousClock.Instant?
    /// A DTLS client waits for the first check's round trip to time its retransmissions.
    private var pendingClientConfiguration: DTLSConnection.Configuration?
    private var outgoing: [(bytes: [UInt8], to: TransportAddress)] = []
    private let tieBreaker = UInt64.random(in: 0...UInt64.max)
    private let srtpProfiles: [DTLSSRTPProfile]
    /// Lets the outbound SRTP context protect a sequence number again, for identical retransmissions.
    private let allowRepeatTransmission: Bool
    /// Authenticates checks sent to us (keyed with our ice-pwd, RFC 8445 §7.2.2).
    let localIntegrityKey: STUNIntegrityKey

    /// `allowRepeatTransmission`: a sender that answers NACKs by resending a packet unchanged (same
    /// SSRC and sequence number, byte-identical) needs libsrtp to protect that index twice.
    public init(
        srtpProfiles: [DTLSSRTPProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80], allowRepeatTransmission: Bool = false
    ) throws {
        localUfrag = Self.token(8)
        localPassword = Self.token(24)
        certificate = try DTLSCertificate()
        audioSSRC = UInt32.random(in: 1...UInt32.max)
        videoSSRC = UInt32.random(in: 1...UInt32.max)
        var rtx = UInt32.random(in: 1...UInt32.max)
        while rtx == audioSSRC || rtx == videoSSRC { rtx = UInt32.random(in: 1...UInt32.max) }
        videoRTXSSRC = rtx
        self.srtpProfiles = srtpProfiles
        self.allowRepeatTransmission = allowRepeatTransmission
        localIntegrityKey = STUNIntegrityKey(shortTermPassword: localPassword)
    }

    /// An offer shaped like Chromium's (BUNDLE, rtcp-mux, mid extension, Opus/111 and VP8/96), plus
    /// `headerExtensions` (URI → id) in every section. With `rtx`, video also offers RTX/97 for VP8
    /// (`apt=96`) and, when sending, its SSRC in an `a=ssrc-group:FID` (`PeerClient+RTX.swift`); an
    /// answerer that does not take RTX simply leaves 97 out of its answer.
    ///
    /// With `simulcast` rids (low to high) and video sending, the video section offers those layers the
    /// way Chromium does for `sendEncodings`: `a=rid:… send`, `a=simulcast:send`, the rtp-stream-id and
    /// repaired-rtp-stream-id extensions, and no `a=ssrc` lines (`PeerClient+Simulcast.swift`).
    public func makeOffer(
        audio: Direction?, video: Direction?, headerExtensions: [String: UInt8] = [:], rtx: Bool = false,
        simulcast: [String] = []
    ) -> String {
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
            let withRTX = rtx && kind == "video"
            var section = [
                "m=\(kind) 9 UDP/TLS/RTP/SAVPF \(pt)" + (withRTX ? " \(Self.rtxPayloadType)" : ""), "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
                "a=ice-ufrag:\(localUfrag)", "a=ice-pwd:\(localPassword)", "a=ice-options:trickle",
                "a=fingerprint:\(certificate.fingerprint.sdpValue)", "a=setup:actpass", "a=mid:\(mid)",
                "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
            ]
            section += headerExtensions.sorted { $0.value < $1.value }.map { "a=extmap:\($0.value) \($0.key)" }
            let layered = kind == "video" && direction != .recvonly && !simulcast.isEmpty
            if layered { section += simulcastExtensionLines }
            section += ["a=\(direction.rawValue)", "a=rtcp-mux", "a=rtcp-rsize"]
            if kind == "audio" {
                section += ["a=rtpmap:\(pt) opus/48000/2", "a=fmtp:\(pt) minptime=10;useinbandfec=1"]
            } else {
                section += [
                    "a=rtpmap:\(pt) VP8/90000", "a=rtcp-fb:\(pt) goog-remb", "a=rtcp-fb:\(pt) nack",
                    "a=rtcp-fb:\(pt) nack pli", "a=rtcp-fb:\(pt) ccm fir",
                ]
                if withRTX { section += rtxCodecLines }
            }
            if layered {
                section += ["a=msid:peer \(kind)"] + simulcastLines(simulcast)
            } else if direction != .recvonly {
                let ssrc = kind == "audio" ? audioSSRC : videoSSRC
                section += ["a=msid:peer \(kind)"] + (withRTX ? [rtxGroupLine] : [])
                section += ["a=ssrc:\(ssrc) cname:peerclient", "a=ssrc:\(ssrc) msid:peer \(kind)"]
                if withRTX { section += rtxSSRCLines(msid: "peer \(kind)") }
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

    /// Reads the relay's answer: credentials, fingerprint, host candidate, SSRCs, extension ids and
    /// the DTLS role (`a=setup:active` in the answer makes us the DTLS server, as Janus answers).
    public func applyAnswer(_ text: String) throws {
        let answer = try SessionDescription(parsing: text)
        let sections = answer.media.filter { !$0.isRejected }
        guard let first = sections.first else { throw AnswerError.invalid("answer accepts no media") }
        for section in sections {
            if let ssrc = section.ssrcs.first { remoteSSRCs[section.type.token] = ssrc }
            for map in section.extensionMaps where map.id <= 255 { extensionIDs[map.uri] = UInt8(map.id) }
            if let pt = section.payloadTypes.first { remotePayloadTypes[section.type.token] = pt }
            if section.type.token == "video" { readRTX(answer: section) }
        }
        try configureTransport(answer, first: first, role: answer.setup(of: first) == .active ? .server : .client)
    }

    /// Takes the remote ICE credentials, fingerprint and first usable host candidate, and prepares
    /// DTLS in `role`. Shared by the offerer and the answerer paths.
    func configureTransport(_ description: SessionDescription, first: MediaDescription, role: DTLSConnection.Role) throws {
        guard let ufrag = description.iceUfrag(of: first), let password = description.icePwd(of: first),
            let fingerprint = description.fingerprints(of: first).first,
            let remoteFingerprint = DTLSFingerprint(sdpValue: fingerprint.attributeValue)
        else { throw AnswerError.invalid("no ICE credentials or fingerprint") }
        // RFC 8839 §5.1: a UDP candidate for RTP (component 1); the first one that parses as an address.
        let candidates = description.media.filter { !$0.isRejected }.flatMap(\.candidates)
        guard let address = candidates.lazy.filter({ $0.component == 1 && $0.transport.lowercased() == "udp" })
            .compactMap({ TransportAddress(ip: $0.address, port: $0.port) }).first
        else { throw AnswerError.invalid("no usable UDP candidate") }
        remoteUfrag = ufrag
        remotePassword = password
        remote = address
        dtlsRole = role
        var configuration = DTLSConnection.Configuration(
            role: role, certificate: certificate, remoteFingerprint: remoteFingerprint)
        configuration.srtpProfiles = srtpProfiles
        if role == .server {
            // The remote's ClientHello may come as soon as its side of ICE is done.
            dtls = try DTLSConnection(configuration: configuration)
        } else {
            pendingClientConfiguration = configuration
        }
        state = .checking
    }

    /// Sends to `address` rather than the remote description's candidate: a relay piping a room between its
    /// own workers reaches them where it binds, which need not be the address it announces.
    public func useRemote(_ address: TransportAddress) {
        remote = address
    }

    /// Sends (or resends) the nominating connectivity check.
    public func start(now: ContinuousClock.Instant) {
        guard let remote else { return }
        let transaction = STUNTransactionID.random()
        pendingCheck = transaction
        checkSentAt = now
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

    /// Ends the association as a closing browser does: DTLS close_notify, sent by the next `pollTransmit()`.
    public func close() { dtls?.close() }

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
            if let remote, datagram.withUnsafeBytes({ STUNMessage.peekHeader($0)?.type == .bindingRequest }) {
                // The remote agent checking us.
                guard let response = respondToCheck(datagram, from: remote) else { return .dropped("stun request") }
                outgoing.append((response, remote))
                return .control
            }
            guard let pendingCheck,
                case .success? = try? ICEConnectivityCheck.parseBindingResponse(
                    datagram, transactionID: pendingCheck, password: remotePassword)
            else { return .dropped("stun") }
            self.pendingCheck = nil
            if state == .checking {
                state = .connecting
                if var configuration = pendingClientConfiguration {
                    pendingClientConfiguration = nil
                    configuration.initialRetransmitTimeout = Self.dtlsInitialTimeout(roundTrip: now - (checkSentAt ?? now))
                    do { dtls = try DTLSConnection(configuration: configuration) } catch {
                        state = .failed("dtls \(error)")
                        return .control
                    }
                }
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
                    srtpProfile = profile
                    inbound = try? SRTPContext(
                        profile: profile, direction: .inbound, masterKey: keys.remoteMasterKey,
                        masterSalt: keys.remoteMasterSalt)
                    outbound = try? SRTPContext(
                        profile: profile, direction: .outbound, masterKey: keys.localMasterKey,
                        masterSalt: keys.localMasterSalt, allowRepeatTransmission: allowRepeatTransmission)
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

    /// The ClientHello's first retransmission: twice the ICE round trip, within 50 ms...3 s, as
    /// libwebrtc times it. A server that is not ready for it yet (Janus drops a ClientHello that
    /// beats its own ICE completion) then costs a browser-like 50 ms on a LAN, not a fixed 200 ms.
    static func dtlsInitialTimeout(roundTrip: Duration) -> Duration {
        min(max(roundTrip * 2, .milliseconds(50)), .seconds(3))
    }

    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/".utf8)

    private static func token(_ length: Int) -> String {
        String(decoding: (0..<length).map { _ in alphabet.randomElement()! }, as: UTF8.self)
    }
}
