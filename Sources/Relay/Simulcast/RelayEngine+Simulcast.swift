import RTP
import VP8

/// Simulcast on the forwarding path: layers bound to SSRCs by their rid, each consumer forwarding the
/// layer its selector chose (switching at a keyframe), and the track's review timer (selection,
/// keyframe requests for pending switches, dynacast).
extension RelayEngine {
    // MARK: - Subscriber preferences (the room socket, the bandwidth estimator)

    /// How large the subscriber shows the track it receives on `mid` (CSS pixels × device ratio); 0×0
    /// pauses it (nothing is forwarded). Sizes are clamped to 0...16,384.
    public func setPreferredSize(participantID: String, mid: String, width: Int, height: Int, now: ContinuousClock.Instant) {
        updatePreferences(participantID: participantID, mid: mid, now: now) {
            $0.width = min(max(width, 0), 16_384)
            $0.height = min(max(height, 0), 16_384)
        }
    }

    /// The share of the subscriber's estimated bandwidth this consumer may use; nil is unlimited.
    public func setAvailableBitrate(participantID: String, mid: String, bitsPerSecond: UInt64?, now: ContinuousClock.Instant) {
        updatePreferences(participantID: participantID, mid: mid, now: now) { $0.bitsPerSecond = bitsPerSecond }
    }

    /// The highest VP8 temporal layer (TID 0...3) forwarded on `mid`: the finer step below a layer switch.
    public func setMaxTemporalLayer(participantID: String, mid: String, layer: UInt8, now: ContinuousClock.Instant) {
        updatePreferences(participantID: participantID, mid: mid, now: now) { $0.maxTemporalLayer = min(layer, 3) }
    }

    /// The rid of the layer the consumer on `mid` forwards now, for the signaling layer and tests.
    public func forwardedLayer(participantID: String, mid: String) -> String? {
        router.participant(id: participantID)?.consumers.first { $0.media.mid == mid }?.forwardedLayer?.rid
    }

    private func updatePreferences(
        participantID: String, mid: String, now: ContinuousClock.Instant, _ change: (inout LayerPreferences) -> Void
    ) {
        guard let consumer = router.participant(id: participantID)?.consumers.first(where: { $0.media.mid == mid }),
            consumer.kind == .video
        else { return }
        var preferences = consumer.layers?.preferences ?? LayerPreferences()
        change(&preferences)
        if consumer.layers == nil {
            guard preferences != LayerPreferences() else { return }
            consumer.layers = LayerSelector(preferences: preferences)
        }
        let wasPaused = consumer.layers?.preferences.paused ?? false
        consumer.layers?.preferences = preferences
        guard let source = consumer.source else { return }
        if source.simulcast == nil && wasPaused != preferences.paused {
            // A plain track resumes at a keyframe, its numbering continued from before the pause.
            consumer.needsRestart = true
            if !preferences.paused { requestKeyframeSoon(source, now: now) }
        }
        if let track = source.simulcast {
            let desired = consumer.layers?.desired
            choose(for: consumer, among: track.candidates(now: now), in: track, now: now)
            // What it wants changed: dynacast may have to resume a layer now, not at the next review.
            if consumer.layers?.desired != desired {
                track.nextReviewAt = now
                schedule(source.publisher)
            }
        }
    }

    // MARK: - Binding layers

    /// A packet on an SSRC no producer has: a simulcast layer's first packet names its rid (or, on its
    /// RTX stream, the repaired rid). Binds it, or returns false (an unknown rid is dropped).
    func bindSimulcastSSRC(_ plain: UnsafeRawBufferPointer, header: RTPHeader, of publisher: Participant) -> Bool {
        for producer in publisher.producers where producer.layerIndex == 0 {
            guard let track = producer.simulcast else { continue }
            let ids = producer.media.extensions
            if header.payloadType == producer.media.payloadType, let id = ids.rtpStreamID,
                let range = header.extensionValueRange(id: id, in: plain),
                let layer = track.layers.first(where: { $0.ssrc == nil && Self.equals(plain, range, $0.rid) })
            {
                layer.ssrc = header.ssrc
                return true
            }
            if let rtx = producer.media.rtxPayloadType, header.payloadType == rtx, let id = ids.repairedStreamID,
                let range = header.extensionValueRange(id: id, in: plain),
                let layer = track.layers.first(where: { $0.rtxSSRC == nil && Self.equals(plain, range, $0.rid) })
            {
                layer.rtxSSRC = header.ssrc
                return true
            }
        }
        return false
    }

    private static func equals(_ packet: UnsafeRawBufferPointer, _ range: Range<Int>, _ rid: String?) -> Bool {
        guard let rid, range.count == rid.utf8.count else { return false }
        return zip(packet[range], rid.utf8).allSatisfy { $0 == $1 }
    }

    // MARK: - Forwarding

    /// Forwards one packet of a layered consumer (a simulcast layer, or a plain track with a temporal
    /// limit): only the selected layer, switching at a keyframe of the target, with the VP8 picture
    /// numbering rewritten so the subscriber sees one stream.
    func forwardLayered(
        _ plain: UnsafeRawBufferPointer, header: RTPHeader, vp8: VP8RTPPayload?, keyframe: Bool, from layer: Producer,
        to consumer: Consumer, now: ContinuousClock.Instant, output: inout some DatagramOutput
    ) {
        guard let selector = consumer.layers, !selector.preferences.paused, consumer.subscriber.canReceiveMedia else { return }
        let index = layer.layerIndex
        let descriptor = vp8?.descriptor
        if layer.simulcast != nil && selector.current != index {
            guard keyframe, selector.switches(to: index) else { return }
            consumer.layers?.switched(to: index, pictureID: descriptor?.pictureID?.value, tl0: descriptor?.tl0PicIdx)
            consumer.restart(
                sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, nanoseconds: clock.nanoseconds(since: now))
        } else if consumer.needsRestart {
            guard keyframe else { return }
            consumer.layers?.switched(to: index, pictureID: descriptor?.pictureID?.value, tl0: descriptor?.tl0PicIdx)
            consumer.restart(
                sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, nanoseconds: clock.nanoseconds(since: now))
        }
        if let descriptor, consumer.layers?.admits(
            temporalLayer: descriptor.temporalLayer, layerSync: descriptor.layerSync,
            pictureID: descriptor.pictureID?.value, startsPicture: descriptor.isStartOfFrame) == false
        {
            return consumer.sequence.skip(header.sequenceNumber)
        }
        guard let sequenceNumber = consumer.sequence.map(header.sequenceNumber) else { return }
        let source = descriptor?.pictureID?.value
        let picture = consumer.layers?.rewrite(pictureID: source, tl0: descriptor?.tl0PicIdx)
        // A NACK resends the packet with the numbers it carried the first time.
        consumer.sent?.record(
            sent: sequenceNumber, source: header.sequenceNumber, layer: index,
            pictureIDDelta: picture?.pictureID.flatMap { out in source.map { (out &- $0) & 0x7FFF } } ?? 0,
            tl0Delta: consumer.layers?.tl0Delta ?? 0)
        let rewrite = vp8.map { VP8Rewrite(payload: $0, pictureID: picture?.pictureID, tl0: picture?.tl0) }
        forward(plain, header: header, to: consumer, sequenceNumber: sequenceNumber, vp8: rewrite, now: now, output: &output)
    }

    // MARK: - Review

    /// The track's periodic look: each consumer's choice (layers start, stop and change bitrate), a
    /// keyframe request for each pending switch, and the layers to pause or resume.
    func reviewSimulcast(of publisher: Participant, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        for producer in publisher.producers where producer.layerIndex == 0 {
            guard let track = producer.simulcast, now >= track.nextReviewAt else { continue }
            track.nextReviewAt = now + SimulcastTrack.reviewInterval
            var highestWanted: Int?
            let candidates = track.candidates(now: now)
            for consumer in producer.consumers {
                choose(for: consumer, among: candidates, in: track, now: now)
                if let target = consumer.layers?.target, target != consumer.layers?.current,
                    let layer = producer.layer(target)
                {
                    requestKeyframe(layer, now: now, output: &output)
                }
                if let desired = consumer.layers?.desired {
                    let rank = track.rank(of: desired)
                    highestWanted = max(highestWanted ?? rank, rank)
                }
            }
            if let active = track.reviewWanted(highestWantedRank: highestWanted, now: now) {
                var byRID: [String: Bool] = [:]
                for (index, layer) in track.layers.enumerated() { byRID[layer.rid ?? String(index)] = active[index] }
                roomEvents.append(
                    .layersWanted(
                        roomID: publisher.identity.roomID, participantID: publisher.identity.participantID,
                        mid: producer.media.mid, active: byRID))
            }
        }
    }

    /// Runs a consumer's selector over the track's layers; a new target gets a keyframe request.
    private func choose(
        for consumer: Consumer, among candidates: [LayerSelector.Candidate], in track: SimulcastTrack,
        now: ContinuousClock.Instant
    ) {
        if consumer.layers?.choose(candidates, now: clock.nanoseconds(since: now)) == true, let target = consumer.layers?.target,
            let layer = track.layers.indices.contains(target) ? track.layers[target] : nil
        {
            requestKeyframeSoon(layer, now: now)
        }
    }
}
