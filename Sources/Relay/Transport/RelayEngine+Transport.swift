import DTLS
import STUN

/// ICE checks and DTLS: what turns a joined participant into a connected one.
extension RelayEngine {
    func handleCheck(
        _ bytes: UnsafeRawBufferPointer, from source: TransportAddress, now: ContinuousClock.Instant,
        output: inout some DatagramOutput
    ) {
        // Binding indications are keepalives (libnice sends them every few seconds, RFC 8445 §11): there
        // is nothing to answer, and they are not malformed.
        if let header = STUNMessage.peekHeader(bytes), header.type.messageClass == .indication { return }
        guard let message = try? STUNMessage(parsing: bytes), let username = message.usernameBytes(in: bytes),
            let colon = username.firstIndex(of: UInt8(ascii: ":")),
            let participant = router.participant(
                ufrag: String(decoding: UnsafeRawBufferPointer(rebasing: username[..<colon]), as: UTF8.self))
        else { return counters.drop(.malformedSTUN) }
        // Another participant's address is never taken over, whatever credentials the check carries.
        if let owner = router.participant(at: source.canonicalized), owner !== participant {
            return counters.drop(.addressInUse)
        }
        let second = clock.nanoseconds(since: now) / 1_000_000_000
        let couldReceive = participant.canReceiveMedia
        switch participant.transport.handleCheck(
            bytes, from: source, now: now, second: second,
            errorResponsesPerSecond: configuration.limits.stunErrorResponsesPerSecond)
        {
        case .answer(let response, let learned, let forgotten):
            router.addressesChanged(of: participant, learned: learned, forgotten: forgotten)
            send(response, to: source, output: &output)
            if !couldReceive && participant.canReceiveMedia { requestStartingKeyframes(for: participant, now: now, output: &output) }
            schedule(participant)
        case .refuse(let response):
            counters.drop(.rejectedSTUN)
            send(response, to: source, output: &output)
        case .drop:
            counters.drop(.rejectedSTUN)
        }
    }

    func handleDTLS(
        _ bytes: UnsafeRawBufferPointer, of participant: Participant, now: ContinuousClock.Instant,
        output: inout some DatagramOutput
    ) {
        guard let dtls = participant.transport.dtls else { return counters.drop(.notConnected) }
        dtls.handleDatagram(bytes, now: now)
        drainDTLS(participant, now: now, output: &output)
        if router.participant(id: participant.identity.participantID) != nil { schedule(participant) }
    }

    func drainDTLS(_ participant: Participant, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        guard let dtls = participant.transport.dtls else { return }
        while let datagram = dtls.pollTransmit() {
            if let destination = participant.transport.handshakeDestination {
                send(datagram, to: destination, output: &output)
            }
        }
        while let event = dtls.pollEvent() {
            switch event {
            case .connected(let keys):
                guard participant.transport.key(with: keys, backend: configuration.srtpBackend) == .keyed else {
                    counters.dtlsFailures &+= 1
                    return remove(participant, reason: .connectFailed, now: now, output: &output)
                }
                participant.connectedAt = now
                if !participant.isRelayed {
                    events.append(.joined(participant.identity))
                    counters.joinTimes.recordConnected(after: now - participant.joinedAt)
                }
                // A new subscriber needs a keyframe to start decoding (late joiners), and requests made
                // while this publisher was still connecting go out now.
                if participant.canReceiveMedia { requestStartingKeyframes(for: participant, now: now, output: &output) }
                for producer in participant.producers where producer.keyFrames.pending {
                    requestKeyframe(producer, now: now, output: &output)
                }
            case .failed:
                counters.dtlsFailures &+= 1
                return remove(participant, reason: .connectFailed, now: now, output: &output)
            case .closed:
                return remove(participant, reason: .closedByPeer, now: now, output: &output)
            }
        }
    }

    /// The peer's first authenticated SRTP or SRTCP: its DTLS association can go (`RelayConfiguration.retiresDTLS`).
    func notePeerKeyed(_ participant: Participant) {
        if participant.transport.notePeerKeyed(retiringDTLS: configuration.retiresDTLS) { counters.dtlsRetired &+= 1 }
    }

    /// The subscriber's leg can carry media from now on (keyed by DTLS and with a nominated pair, whichever
    /// came last): each of its consumers starts at the next keyframe, asked for now.
    func requestStartingKeyframes(for participant: Participant, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        for consumer in participant.consumers {
            if let source = consumer.source { requestKeyframe(source, now: now, output: &output) }
        }
    }
}
