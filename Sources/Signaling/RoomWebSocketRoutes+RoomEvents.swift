import Relay

extension RoomWebSocketRoutes {
    /// Hands the relay's room events to the room sockets until the relay stops (its `run` finishes the
    /// stream). The stream has one reader: run this once per relay, where the routes are made.
    public func forwardRoomEvents() async {
        for await event in signaling.relay.roomEvents { await deliver(event) }
    }

    /// One room event to the room's members: a dominant-speaker change becomes
    /// `{"type": "dominant-speaker", "userId"}` (null when nobody speaks), sent only when it is news; a
    /// connection the relay ended (`connection-ended`) and dynacast's layer changes (`layers`) go to the
    /// member that owns the connection.
    func deliver(_ event: RoomEvent) async {
        switch event {
        case .dominantSpeaker(let room, let userID):
            await directory.setDominantSpeaker(room: room, userID: userID)
        case .connectionEnded(let room, _, _), .layersWanted(let room, _, _, _):
            await directory.deliverToOwner(room: room, event)
        }
    }
}
