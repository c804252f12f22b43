import ICE
import STUN

/// Who is where on one worker: participants by id, by ICE ufrag (for checks) and by checked address (for
/// everything else), their rooms, and the per-user and per-token connection counts `RelayLimits` bound.
/// It only indexes: a participant's transport owns its addresses and tells the router what changed.
final class Router {
    private(set) var participants: [String: Participant] = [:]
    private var byUfrag: [String: Participant] = [:]
    private var byAddress: [TransportAddress: Participant] = [:]
    private(set) var rooms: [String: Room] = [:]
    private var connectionsByUser: [String: Int] = [:]
    private var connectionsByToken: [String: Int] = [:]
    /// Rooms whose session ended, and when. A join signaling admitted just before the end can reach the
    /// worker after `closeRoom`; it is refused rather than left alone in a dead room. Forgotten after
    /// `closedRoomMemory`, by which time no admitted join is still on its way.
    private var closedRooms: [String: ContinuousClock.Instant] = [:]
    static let closedRoomMemory: Duration = .seconds(600)
    let limits: RelayLimits

    init(limits: RelayLimits) {
        self.limits = limits
    }

    /// Refuses a join the worker's, the user's or the token's limits do not allow; returns the room.
    /// A relayed join (a cascade pipe) is held only to the worker's caps.
    func admit(roomID: String, userID: String, tokenID: String?, capacity: Int, relayed: Bool = false) throws(RelayError)
        -> Room
    {
        guard closedRooms[roomID] == nil else { throw .roomClosed }
        guard participants.count < limits.participantsPerWorker else {
            throw .relayFull("this relay worker holds its maximum of \(limits.participantsPerWorker) participants")
        }
        guard rooms[roomID] != nil || rooms.count < limits.roomsPerWorker else {
            throw .relayFull("this relay worker holds its maximum of \(limits.roomsPerWorker) rooms")
        }
        let room = rooms[roomID] ?? Room(id: roomID)
        if relayed { return room }
        if connectionsByUser[userID, default: 0] >= limits.connectionsPerUser {
            throw .tooManyConnections("this user already has \(limits.connectionsPerUser) connections to the relay")
        }
        if let tokenID, connectionsByToken[tokenID, default: 0] >= limits.connectionsPerToken {
            throw .tooManyConnections("this room token already made \(limits.connectionsPerToken) connections")
        }
        let distinctUsers = Set(room.participants.filter { !$0.isRelayed }.map(\.identity.userID))
        if !distinctUsers.contains(userID) && distinctUsers.count >= capacity { throw .roomFull }
        return room
    }

    /// Remembers that a room's session ended (the control plane's call: its rate is that of sessions).
    func close(roomID: String, now: ContinuousClock.Instant) {
        closedRooms = closedRooms.filter { now - $0.value < Self.closedRoomMemory }
        closedRooms[roomID] = now
    }

    /// Adds an admitted participant; returns the video producers that need a keyframe for new consumers.
    func add(_ participant: Participant, to room: Room, listening: Bool) -> [Producer] {
        let identity = participant.identity
        participants[identity.participantID] = participant
        if listening { listen(participant) }
        connectionsByUser[identity.userID, default: 0] += 1
        if let token = participant.tokenID { connectionsByToken[token, default: 0] += 1 }
        rooms[room.id] = room
        return room.add(participant)
    }

    /// From now on, connectivity checks for the participant's ufrag reach it. A subscribe connection
    /// listens once its answer arrives.
    func listen(_ participant: Participant) {
        byUfrag[participant.transport.localUfrag] = participant
    }

    /// Removes a participant from every index and its room; returns the producers that need a keyframe
    /// (consumers re-bound to a replacement publisher).
    func remove(_ participant: Participant) -> [Producer] {
        let identity = participant.identity
        guard participants.removeValue(forKey: identity.participantID) != nil else { return [] }
        if byUfrag[participant.transport.localUfrag] === participant { byUfrag[participant.transport.localUfrag] = nil }
        Self.release(identity.userID, from: &connectionsByUser)
        if let token = participant.tokenID { Self.release(token, from: &connectionsByToken) }
        for address in participant.transport.knownAddresses where byAddress[address] === participant {
            byAddress[address] = nil
        }
        guard let room = rooms[identity.roomID] else { return [] }
        let needKeyframes = room.remove(participant)
        if room.isEmpty { rooms[room.id] = nil }
        return needKeyframes
    }

    func participant(id: String) -> Participant? { participants[id] }
    func participant(ufrag: String) -> Participant? { byUfrag[ufrag] }
    func participant(at address: TransportAddress) -> Participant? { byAddress[address] }
    func room(id: String) -> Room? { rooms[id] }

    /// An ICE restart: checks now carry the new ufrag; the old addresses stay routable until the new
    /// agent's pairs replace them.
    func restartICE(of participant: Participant, agent: ICELiteAgent) {
        if byUfrag[participant.transport.localUfrag] === participant { byUfrag[participant.transport.localUfrag] = nil }
        participant.transport.restartICE(agent)
        byUfrag[participant.transport.localUfrag] = participant
    }

    /// Records what a check taught the participant's transport about its addresses.
    func addressesChanged(of participant: Participant, learned: TransportAddress?, forgotten: [TransportAddress]) {
        if let learned { byAddress[learned] = participant }
        for address in forgotten where byAddress[address] === participant { byAddress[address] = nil }
    }

    private static func release(_ key: String, from counts: inout [String: Int]) {
        guard let count = counts[key] else { return }
        counts[key] = count > 1 ? count - 1 : nil
    }
}
