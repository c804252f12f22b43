extension RoomWebSocketRoutes {
    /// The close code of a socket whose room's session was completed or cancelled (4000 + HTTP 410 Gone).
    static let sessionEndedCloseCode: UInt16 = 4410

    /// Ends a room whose session was completed or cancelled: every member of its WebSocket gets
    /// `{"type": "session-ended", "reason"}` as its last message and then close code 4410 `session_ended`;
    /// each member's peer connections close as its socket ends. Plain WHIP/WHEP connections are the
    /// relay's (`RelayService.closeRoom`). Call it after the transition has committed: admission then
    /// refuses any new join to the room.
    public func endSession(room: String, reason: SessionEndReason) async {
        await directory.endSession(room: room, reason: reason)
    }

    /// Waits for a writer whose outbox was finished to send what is left, cancelling it after `limit`: a peer
    /// that does not read must not hold the socket open.
    static func finish(_ writer: Task<Void, Never>, within limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await writer.value }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            writer.cancel()
            group.cancelAll()
        }
    }
}
