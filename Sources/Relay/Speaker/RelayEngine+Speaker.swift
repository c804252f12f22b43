import RTP

/// The dominant speaker of a room, from the audio level every microphone's packets carry (RFC 6464).
/// Decided as the packets come: while someone speaks, packets arrive every 20 ms, and in silence the
/// detector never switches, so no timer is needed.
extension RelayEngine {
    func hearAudioLevel(
        _ packet: UnsafeRawBufferPointer, header: RTPHeader, of producer: Producer, now: ContinuousClock.Instant
    ) {
        guard let id = producer.media.extensions.audioLevel, let room = producer.publisher.room,
            let level = AudioLevel(id: id, header: header, packet: packet)
        else { return }
        let elapsed = clock.nanoseconds(since: now)
        room.speakers.record(
            speaker: producer.publisher.identity.userID, level: level.level, voiceActivity: level.voiceActivity,
            now: elapsed)
        pollSpeakers(of: room, now: elapsed)
    }

    func pollSpeakers(of room: Room, now elapsed: Int64) {
        guard let due = room.speakers.pollTimeout(), due <= elapsed, let change = room.speakers.poll(now: elapsed)
        else { return }
        roomEvents.append(.dominantSpeaker(roomID: room.id, userID: change.dominant))
    }
}
