import RTP

/// The relay's sending side of one forwarded track toward one subscriber (mediasoup's Consumer). It
/// keeps the subscriber's view continuous (its SSRC, sequence numbers and timestamps) when the
/// source changes.
final class Consumer {
    /// How the consumer finds its producer.
    enum Binding: Equatable {
        /// WHEP: the newest track of its kind from a user (nil: the room's host), re-bound when they
        /// reconnect.
        case watching(userID: String?)
        /// The room socket's subscribe connection: one producer, chosen when the relay offered it.
        case assigned
    }

    unowned let subscriber: Participant
    private(set) var media: NegotiatedMedia
    let binding: Binding
    /// The RTX SSRC the relay offered for this consumer (subscribe connections), kept so a later answer
    /// can take RTX up again after one that declined it.
    let offeredRTXSSRC: UInt32?
    private(set) weak var source: Producer?

    /// The subscriber's sequence numbers: consecutive over skipped packets, restarted at each new source.
    var sequence = OutgoingSequence()
    /// Video: which source packet each recent sequence number carried, for NACKs.
    var sent: SentPacketIndex?
    /// Added (mod 2^32) to the source's timestamps; recomputed at each (re)start.
    var timestampDelta: UInt32 = 0
    /// Simulcast and temporal layers: which layer is forwarded, and the VP8 picture numbering that keeps
    /// a switch invisible. Nil for a plain track, whose packets pass with their VP8 descriptor untouched.
    var layers: LayerSelector?
    /// Set until the first packet of a new source is forwarded; video waits for a keyframe there.
    var needsRestart = true
    var lastSequenceNumber: UInt16
    var lastTimestamp: UInt32
    /// When `lastTimestamp` was sent, in the engine clock's nanoseconds (an integer: it is written per packet).
    var lastSentNanoseconds: Int64?
    var packetsSent: UInt32 = 0
    /// Rewrites the producer's header extensions into the subscriber's ids; rebuilt when either side's
    /// negotiation or the producer changes.
    private(set) var extensionMapping = HeaderExtensionMapping.dropAll
    /// The next sequence number on the RTX stream, when the subscriber negotiated RTX.
    var rtxSequenceNumber: UInt16
    var octetsSent: UInt32 = 0
    /// Bytes of first transmissions (not retransmissions), which earn the consumer its retransmission budget.
    var mediaBytesSent: UInt64 = 0
    /// Video consumers that negotiated NACK: which lost packets are resent.
    var nack: NackResponder?
    /// From the subscriber's receiver reports about the relay's sender reports (RFC 3550 §6.4.1).
    var roundTripTime: Duration?
    /// The subscriber's own view of its loss and jitter, from its receiver reports.
    var reportedFractionLost: UInt8 = 0
    /// Whether a receiver report has spoken for this consumer yet (`RelayEngine.reportedLoss`).
    var hasReport = false
    var reportedJitter: UInt32 = 0

    init(
        subscriber: Participant, media: NegotiatedMedia, binding: Binding, initialSequence: UInt16,
        initialTimestamp: UInt32, limits: RelayLimits
    ) {
        self.subscriber = subscriber
        self.media = media
        self.binding = binding
        self.offeredRTXSSRC = media.rtxSSRC
        self.lastSequenceNumber = initialSequence
        self.lastTimestamp = initialTimestamp
        self.rtxSequenceNumber = initialSequence &+ 0x4000
        if media.kind == .video { sent = SentPacketIndex(capacity: RetransmissionBuffer.initialCapacity) }
        negotiated(media, limits: limits)
    }

    var kind: NegotiatedMedia.Kind { media.kind }

    /// Takes what the subscriber's answer accepted (NACK or not) for this consumer.
    func negotiated(_ media: NegotiatedMedia, limits: RelayLimits) {
        self.media = media
        remapExtensions()
        guard media.kind == .video && media.acceptsNack else {
            nack = nil
            return
        }
        if nack == nil {
            nack = NackResponder(
                capacity: sent?.capacity ?? RetransmissionBuffer.initialCapacity, share: limits.retransmissionShare,
                burstBytes: limits.retransmissionBurstBytes)
        }
    }

    /// Keeps the leg's NACK state as long as the history it answers from, which grows with the source's
    /// packet rate and its subscribers' round trips. Called when a layer's history grows and when the
    /// consumer attaches, never per packet.
    func followHistory(of layer: Producer) {
        guard let capacity = layer.history?.capacity, (sent?.capacity ?? .max) < capacity else { return }
        sent?.grow(to: capacity)
        nack?.grow(to: capacity)
    }

    /// Every layer of the source keeps its packets for 3 of this subscriber's round trips (1 s at least).
    func keepHistoryForRoundTrip() {
        guard let roundTripTime, let source else { return }
        let (seconds, attoseconds) = roundTripTime.components
        guard seconds >= 0, seconds < 10 else { return }
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        var index = 0
        while let layer = source.layer(index) {
            layer.history?.noteRoundTrip(nanoseconds)
            index += 1
        }
    }

    func attach(to producer: Producer) {
        source = producer
        needsRestart = true
        if let track = producer.simulcast {
            // Every layer's packets reach the consumer, which forwards the one it selected.
            for layer in track.layers { layer.consumers.append(self) }
            // A selector kept from an earlier source keeps its picture numbering running on.
            if layers == nil { layers = LayerSelector(preferences: .init()) } else { layers?.reset() }
        } else {
            producer.consumers.append(self)
            // A plain track needs a selector only for what the subscriber asked (a pause, a temporal limit).
            if let preferences = layers?.preferences, preferences != LayerPreferences() {
                layers = LayerSelector(preferences: preferences)
            } else {
                layers = nil
            }
        }
        var index = 0
        while let layer = producer.layer(index) {
            followHistory(of: layer)
            index += 1
        }
        remapExtensions()
    }

    /// Whether packets of `layer` (one of its source's streams) are what this consumer forwards now.
    func isForwarding(_ layer: Producer) -> Bool {
        guard layer.simulcast != nil else { return true }
        return layers?.current == layer.layerIndex
    }

    /// The stream whose packets the consumer forwards now: a simulcast track's selected layer, else the
    /// source itself. Keyframe requests go there.
    var forwardedLayer: Producer? {
        guard let source, let current = layers?.current else { return source }
        return source.layer(current) ?? source
    }

    /// The relay writes the subscriber's mid, abs-send-time and transport-wide sequence number itself,
    /// and forwards the audio level, video orientation and the load tester's send time under the subscriber's ids; anything else
    /// the publisher sent is dropped.
    private func remapExtensions() {
        let ours = media.extensions
        guard var mapping = try? HeaderExtensionMapping(
            mid: ours.mid.map { ($0, media.mid) }, transportSequenceNumberID: ours.transportWideSequence,
            absoluteSendTimeID: ours.absoluteSendTime, oneByteFormOnly: !ours.allowsMixed)
        else {
            extensionMapping = .dropAll
            return
        }
        if let theirs = source?.media.extensions {
            if let from = theirs.audioLevel, let to = ours.audioLevel { try? mapping.forward(from, as: to) }
            if let from = theirs.videoOrientation, let to = ours.videoOrientation { try? mapping.forward(from, as: to) }
            if let from = theirs.sendTime, let to = ours.sendTime { try? mapping.forward(from, as: to) }
        }
        extensionMapping = mapping
    }

    func detach() {
        if let track = source?.simulcast {
            for layer in track.layers { layer.consumers.removeAll { $0 === self } }
        } else {
            source?.consumers.removeAll { $0 === self }
        }
        source = nil
        needsRestart = true
        layers?.reset()
    }

    /// Continues this consumer's numbering from a new source packet: sequence numbers stay consecutive
    /// and timestamps advance by the wall time since the last packet sent (RFC 7667 §3.7 switching).
    /// `nanoseconds`: now, on the engine's clock.
    func restart(sequenceNumber: UInt16, timestamp: UInt32, nanoseconds: Int64) {
        sequence.restart(source: sequenceNumber, next: lastSequenceNumber &+ 1)
        var advance: UInt32 = 1
        if let lastSentNanoseconds {
            // At most a day, so the ticks fit an Int64 at any 32-bit clock rate.
            let elapsed = min(max(nanoseconds &- lastSentNanoseconds, 0), 86_400_000_000_000)
            let ticks = Int64(Double(elapsed) * Double(media.clockRate) / 1e9)
            advance = UInt32(truncatingIfNeeded: max(1, ticks))
        }
        timestampDelta = (lastTimestamp &+ advance) &- timestamp
        needsRestart = false
    }
}

extension HeaderExtensionMapping {
    /// No extensions on the subscriber's side: every element the publisher sent is dropped.
    static let dropAll: HeaderExtensionMapping = {
        do { return try HeaderExtensionMapping() } catch { preconditionFailure("an empty mapping is always valid") }
    }()
}
