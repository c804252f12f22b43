import HTTPTypes
import Hummingbird
import NIOCore
import Relay
import RelayServer

/// `PATCH <Location>` (RFC 9725 §4.3): an ICE restart keeps a WHIP/WHEP session alive across a change
/// of network. The relay is ice-lite and its answer already holds every candidate, so a trickle-only
/// PATCH has nothing to do (204); new `ice-ufrag`/`ice-pwd` restart ICE and are answered 200 with the
/// relay's new credentials and candidates. The resource's entity tag is the relay's current ufrag.
extension SignalingRoutes {
    static let maximumFragmentSize = 16 * 1024
    static let sdpFragment = "application/trickle-ice-sdpfrag"

    func patch(_ request: Request, context: some RequestContext) async throws -> Response {
        let roomID = try room(context)
        let claims = try await authorize(request, roomID: roomID)
        guard let participantID = context.parameters.get("participant"),
            let owner = await relay.identity(roomID: roomID, participantID: participantID)
        else { throw SignalingError.notFound("no such participant in this room") }
        guard owner.userID == claims.subject.value else {
            throw SignalingError.forbidden("only the participant's own user may restart its ICE")
        }
        guard request.headers[.contentType]?.lowercased().hasPrefix(Self.sdpFragment) == true else {
            throw SignalingError.unsupportedMediaType("the body must be an SDP fragment (Content-Type: \(Self.sdpFragment))")
        }
        let body = try await Self.body(of: request, upTo: Self.maximumFragmentSize, what: "the SDP fragment")
        let fragment = Self.iceCredentials(in: String(buffer: body))
        guard let current = await relay.iceUfrag(roomID: roomID, participantID: participantID) else {
            throw SignalingError.notFound("no such participant in this room")
        }
        let condition = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces)
        guard let ufrag = fragment.ufrag, fragment.password != nil else {
            // Trickle only: the candidates are not needed by an ice-lite relay, which learns the peer's
            // addresses from its checks. RFC 9725 §4.3.1: the entity tag must match.
            if let condition, condition != "*", condition != Self.entityTag(current) {
                throw SignalingError(
                    status: .preconditionFailed, code: "precondition_failed", reason: "the ICE session has changed")
            }
            return Response(status: .noContent)
        }
        let restarted: RelayEngine.ICECredentials?
        do {
            restarted = try await relay.restartICE(roomID: roomID, participantID: participantID, remoteUfrag: ufrag)
        } catch {
            throw Self.map(error)
        }
        guard let restarted else { return Response(status: .noContent) }
        var lines = ["a=ice-lite", "a=ice-ufrag:\(restarted.ufrag)", "a=ice-pwd:\(restarted.password)"]
        for (number, candidate) in restarted.candidates.enumerated() {
            lines.append(
                "a=candidate:\(number + 1) 1 udp \(2_130_706_431 - number) \(candidate.address) \(candidate.port) typ host")
        }
        lines.append("a=end-of-candidates")
        var headers = HTTPFields()
        headers[.contentType] = Self.sdpFragment
        headers[.eTag] = Self.entityTag(restarted.ufrag)
        return Response(
            status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n")))
    }

    static func entityTag(_ ufrag: String) -> String { "\"\(ufrag)\"" }

    /// The first `a=ice-ufrag` and `a=ice-pwd` of an SDP fragment (RFC 8840 §9.2), if any.
    static func iceCredentials(in fragment: String) -> (ufrag: String?, password: String?) {
        var ufrag: String?
        var password: String?
        for line in fragment.split(whereSeparator: \.isNewline) {
            let line = line.trimmingCharacters(in: .whitespaces)
            if ufrag == nil, line.hasPrefix("a=ice-ufrag:") { ufrag = String(line.dropFirst(12)) }
            if password == nil, line.hasPrefix("a=ice-pwd:") { password = String(line.dropFirst(10)) }
        }
        // RFC 8839 §5.4: ufrag 4–256 and password 22–256 ice-chars.
        guard let ufrag, (4...256).contains(ufrag.count), let password, (22...256).contains(password.count) else {
            return (nil, nil)
        }
        return (ufrag, password)
    }
}
