import DTLS
import SDP

/// What every m-section the relay writes carries about its one transport: ICE credentials, the DTLS
/// fingerprint and role, and the host candidates. Answers and the relay's own offers share it, so
/// every section (a rejected one excepted) satisfies strict parsers such as webrtcbin's.
struct LocalTransportDescription: Sendable {
    var ufrag: String
    var password: String
    var fingerprint: DTLSFingerprint
    /// Host candidates (address, port) announced to the peer.
    var candidates: [(address: String, port: UInt16)]

    /// `setup` is `passive` in answers (the relay is the DTLS server) and `actpass` in offers (RFC 8842).
    func describe(_ section: inout MediaDescription, setup: String) {
        section.attributes.append(Attribute(name: "ice-ufrag", value: ufrag))
        section.attributes.append(Attribute(name: "ice-pwd", value: password))
        section.attributes.append(Attribute(name: "fingerprint", value: fingerprint.sdpValue))
        section.attributes.append(Attribute(name: "setup", value: setup))
    }

    /// RFC 8843 §7.3.1 needs the candidates only in the first bundled m-section, but every one repeats
    /// them (as Janus does): stacks that share one transport from the start take the candidates of the
    /// last m-section they read (aiortc with max-bundle), and browsers ignore repeats.
    func appendCandidates(to section: inout MediaDescription) {
        for (number, candidate) in candidates.enumerated() {
            section.append(
                Candidate(
                    foundation: "\(number + 1)", component: 1, transport: "udp",
                    priority: UInt32(2_130_706_431 - number), address: candidate.address,
                    port: candidate.port, kind: .host))
        }
        section.append(.endOfCandidates)
    }
}
