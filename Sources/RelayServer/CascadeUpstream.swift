import Relay
import STUN

/// Where a cascade pipe pulls a room's tracks from: the room's origin, asked with a WHEP offer. A worker
/// of this process answers in-process (`WorkerUpstream`); a relay on another node answers over HTTP
/// (the node's cascade, in the `peerlearn` command), with the relays' own room-token credential.
public protocol CascadeUpstream: Sendable {
    /// Sends the pipe's recvonly offer; the origin's answer.
    func open(offer: String) async throws -> String
    /// Where the origin's media comes from, when the answer's candidate is not the address to use.
    var reachAt: TransportAddress? { get }
    /// Ends the pipe's viewer at the origin (WHEP DELETE).
    func close() async
}

/// A room's home worker in this process, as the upstream of a pipe to another worker: the pipe's viewer
/// joins there like a WHEP viewer would, marked as relayed (no attendance, no room or user caps).
final class WorkerUpstream: CascadeUpstream, @unchecked Sendable {
    let service: RelayService
    let roomID: String
    let watching: String?
    let index: Int
    let reachAt: TransportAddress?
    /// Written once by `open` before `close` can be called (the pipe awaits `open` first).
    private var participantID: String?

    init(service: RelayService, roomID: String, watching: String?, index: Int) {
        self.service = service
        self.roomID = roomID
        self.watching = watching
        self.index = index
        reachAt = service.localAddress(ofWorker: index)
    }

    func open(offer: String) async throws -> String {
        let result = try await service.join(
            RelayEngine.JoinRequest(
                roomID: roomID, userID: "relay:worker-\(index)", role: .participant, intent: .subscribe(userID: watching),
                offer: offer, relayed: true),
            onWorker: index)
        participantID = result.participantID
        return result.answer
    }

    func close() async {
        guard let participantID else { return }
        try? await service.leave(roomID: roomID, participantID: participantID)
    }
}
