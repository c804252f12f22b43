import PeerClient
import Relay

/// What one record of the input does (the format is in main.swift).
extension ConnectedRoom {
    func play(tag: UInt8, body: UnsafeRawBufferPointer) {
        var packet = Array(body)
        let keep = tag & 0x08 != 0
        switch tag & 0x03 {
        case 0:
            guard packet.count >= 12, let sender = tag & 0x20 == 0 ? publisher : joinSecondPublisher() else { return }
            if !keep { write(ssrc(tag, of: sender.peer), into: &packet, at: 8) }
            guard let protected = try? sender.peer.protectRTP(packet) else { return }
            deliver(protected, from: sender.address)
        case 1:
            guard let sender = tag & 0x20 == 0 ? publisher : joinSecondPublisher() else { return }
            let own = [sender.peer.audioSSRC, sender.peer.videoSSRC]
            if !keep { mapRTCP(&packet, own: own, remote: own, nackBase: nil) }
            guard packet.count >= 8, let protected = try? sender.peer.protectRTCP(packet) else { return }
            deliver(protected, from: sender.address)
        case 2:
            guard let receiver = tag & 0x10 == 0 ? subscriber : watcher else { return }
            let remote = tag & 0x10 == 0
                ? [receiver.peer.remoteSSRCs["audio"] ?? 0, receiver.peer.remoteSSRCs["video"] ?? 0] : watcherSSRCs
            if !keep {
                mapRTCP(&packet, own: [receiver.peer.audioSSRC, receiver.peer.videoSSRC], remote: remote, nackBase: firstReceived)
            }
            guard packet.count >= 8, let protected = try? receiver.peer.protectRTCP(packet) else { return }
            deliver(protected, from: receiver.address)
        default:
            playOther(tag: tag, body: packet)
        }
    }

    /// Tag bits 2 (video) and 4 (RTX) pick the SSRC: audio, camera, the camera's RTX, or the screen
    /// share a renegotiation adds.
    private func ssrc(_ tag: UInt8, of peer: PeerClient) -> UInt32 {
        switch (tag & 0x04 != 0, tag & 0x10 != 0) {
        case (false, false): peer.audioSSRC
        case (true, false): peer.videoSSRC
        case (false, true): peer.videoRTXSSRC
        case (true, true): peer.videoSSRC &+ 1
        }
    }

    private func playOther(tag: UInt8, body: [UInt8]) {
        switch tag & 0x1C {
        case 0x00:
            let milliseconds = body.count >= 2 ? Int(body[0]) << 8 | Int(body[1]) : Int(body.first ?? 10)
            now += .milliseconds(milliseconds)
            var output = CollectingOutput()
            engine.handleTimeout(now: now, output: &output)
            route(output)
        case 0x08:
            // Someone leaves (WHIP/WHEP DELETE, a closed room socket); what follows must find them gone.
            let leaving = [publisher, subscriber, secondPublisher, watcher][Int(body.first ?? 0) & 3]
            guard let leaving else { return }
            var output = CollectingOutput()
            try? engine.leave(participantID: leaving.participantID, now: now, output: &output)
            route(output)
            roomChanged()
        case 0x04: deliver(body, from: strangerAddress)
        case 0x0C: deliver(body, from: publisher.address)
        case 0x10: answerSubscription(template: String(decoding: body, as: UTF8.self))
        case 0x14: renegotiate(template: String(decoding: body, as: UTF8.self))
        case 0x18: deliver(body, from: watcherAddress)
        default: restartSubscriptionICE()
        }
    }
}
