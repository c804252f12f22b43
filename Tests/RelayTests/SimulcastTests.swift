import Foundation
import PeerClient
import RTCP
import RTP
import STUN
import Testing
import VP8

@testable import Relay

/// A simulcast publisher (three VP8 layers with rids, real DTLS/SRTP through PeerClient) and its
/// subscribers: each subscriber sees one continuous stream of the layer its size, bandwidth and temporal
/// limit allow, switching only at a keyframe of the new layer; layers nobody wants are reported paused.
@Suite struct SimulcastTests {
    typealias Peer = (peer: PeerClient, participantID: String, address: TransportAddress)
    static let rids = ["q", "h", "f"]
    static let sizes = [(320, 180), (640, 360), (1280, 720)]

    /// The publisher's encoder: one or two packets per frame per layer, keyframes at the start and when a
    /// PLI for that layer's SSRC arrived, two temporal layers (TID 0 on even frames), picture IDs, TL0PICIDX
    /// and timestamps numbered independently per layer (as libwebrtc's simulcast encoders do).
    final class Publisher {
        let harness: RelayHarness
        let peer: Peer
        var sequence: [UInt16] = [1_000, 20_000, 40_000]
        var pictureID: [UInt16] = [100, 9_000, 32_700]  // the last one wraps past 0x7FFF
        var tl0: [UInt8] = [10, 100, 250]
        var timestamp: [UInt32] = [0, 1_000_000, 4_294_000_000]
        var frame = 0
        var keyframeWanted = [true, true, true]
        var sending = [true, true, true]
        /// PLIs are only acted on when this is true, so a test can hold the keyframe back.
        var answersPLI = true
        var plisSeen: [Int] = [0, 0, 0]
        /// One packet to lose on the uplink, kept to answer the relay's NACK for it on the layer's RTX SSRC.
        var loseOnUplink: (layer: Int, sequence: UInt16)?
        var lostPacket: (payload: [UInt8], timestamp: UInt32, marker: Bool)?
        var nacked: [UInt16] = []
        var rtxSequence: UInt16 = 500
        private var rtcpRead = 0

        init(harness: RelayHarness, peer: Peer) {
            self.harness = harness
            self.peer = peer
        }

        func layer(ofSSRC ssrc: UInt32) -> Int? {
            (0..<3).first { peer.peer.simulcastSSRC(layer: $0) == ssrc }
        }

        /// Reads the PLIs the relay sent since the last call.
        func readFeedback(now: ContinuousClock.Instant) throws {
            let packets = harness.rtcp(to: peer.address)
            for packet in packets[rtcpRead...] {
                let compound = try packet.withUnsafeBytes { try RTCPCompoundPacket(validating: $0) }
                for item in compound {
                    if case .pictureLossIndication(let pli) = item.view, let layer = layer(ofSSRC: pli.mediaSSRC) {
                        plisSeen[layer] += 1
                        if answersPLI { keyframeWanted[layer] = true }
                    }
                    if case .genericNack(let nack) = item.view, let lose = loseOnUplink,
                        nack.mediaSSRC == peer.peer.simulcastSSRC(layer: lose.layer), let lost = lostPacket
                    {
                        for pair in nack.pairs where pair.lostSequenceNumbers.contains(lose.sequence) {
                            nacked.append(lose.sequence)
                            let rtx = try peer.peer.simulcastRetransmission(
                                rid: SimulcastTests.rids[lose.layer], layer: lose.layer, sequenceNumber: rtxSequence,
                                originalSequenceNumber: lose.sequence, timestamp: lost.timestamp, payload: lost.payload,
                                marker: lost.marker)
                            rtxSequence &+= 1
                            harness.deliverToRelay(rtx, from: peer.address, at: now)
                        }
                    }
                }
            }
            rtcpRead = packets.count
        }

        func sendFrame(at now: ContinuousClock.Instant) throws {
            try readFeedback(now: now)
            let temporal: UInt8 = frame % 2 == 0 ? 0 : 1
            for layer in 0..<3 where sending[layer] {
                let keyframe = keyframeWanted[layer]
                keyframeWanted[layer] = false
                if temporal == 0 { tl0[layer] &+= 1 }
                let payloads = SimulcastTests.frame(
                    layer: layer, keyframe: keyframe, pictureID: pictureID[layer], tl0: tl0[layer], temporal: temporal)
                for (index, payload) in payloads.enumerated() {
                    let bytes = try peer.peer.simulcastPacket(
                        rid: SimulcastTests.rids[layer], layer: layer, sequenceNumber: sequence[layer],
                        timestamp: timestamp[layer], payload: payload, marker: index == payloads.count - 1)
                    if let lose = loseOnUplink, lose.layer == layer, lose.sequence == sequence[layer] {
                        lostPacket = (payload, timestamp[layer], index == payloads.count - 1)
                    } else {
                        harness.deliverToRelay(bytes, from: peer.address, at: now)
                    }
                    sequence[layer] &+= 1
                }
                pictureID[layer] = (pictureID[layer] &+ 1) & 0x7FFF
                timestamp[layer] &+= 3_000
            }
            frame += 1
        }
    }

    /// One frame of `layer` as VP8 RTP payloads: a keyframe is two packets (the second not starting a
    /// partition). The last byte of each payload is the layer, so a subscriber's packets show their source.
    static func frame(layer: Int, keyframe: Bool, pictureID: UInt16, tl0: UInt8, temporal: UInt8) -> [[UInt8]] {
        let descriptor: (Bool) -> [UInt8] = { start in
            [start ? 0x90 : 0x80, 0xE0, 0x80 | UInt8(pictureID >> 8 & 0x7F), UInt8(pictureID & 0xFF), tl0,
                temporal << 6 | (temporal > 0 ? 0x20 : 0)]
        }
        var first = descriptor(true)
        if keyframe {
            let (width, height) = sizes[layer]
            first += [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, UInt8(width & 0xFF), UInt8(width >> 8),
                UInt8(height & 0xFF), UInt8(height >> 8)]
        } else {
            first += [0x11, 0x02, 0x00]
        }
        let size = [300, 600, 1_100][layer]
        while first.count < size { first.append(0x55) }
        first.append(UInt8(layer))
        guard keyframe else { return [first] }
        var second = descriptor(false)
        while second.count < size { second.append(0x66) }
        second.append(UInt8(layer))
        return [first, second]
    }

    final class Room {
        let harness: RelayHarness
        let publisher: Publisher
        let viewers: [Peer]
        var now: ContinuousClock.Instant
        var roomEvents: [RoomEvent] = []

        init(viewers count: Int, configure: (inout RelayConfiguration) -> Void = { _ in }) throws {
            let harness = try RelayHarness(configure: configure)
            self.harness = harness
            let peer = try PeerClient()
            let offer = peer.makeOffer(audio: nil, video: .sendonly, rtx: true, simulcast: SimulcastTests.rids)
            let result = try harness.engine.join(
                .init(roomID: "room-1", userID: "mentor", role: .host, intent: .publish, offer: offer, tokenID: nil),
                now: .now)
            try peer.applyAnswer(result.answer)
            let host: Peer = (peer, result.participantID, harness.add(peer))
            publisher = Publisher(harness: harness, peer: host)
            viewers = try (0..<count).map { index in
                try harness.join(user: "learner-\(index)", intent: .subscribe(userID: nil), video: .recvonly)
            }
            harness.pump()
            try #require(peer.isConnected && viewers.allSatisfy { $0.peer.isConnected })
            now = .now
        }

        /// Advances the engine's clock by one frame (33 ms): the publisher sends, the timers run.
        func run(frames: Int) throws {
            for _ in 0..<frames {
                now += .milliseconds(33)
                try publisher.sendFrame(at: now)
                var output = CollectingOutput()
                harness.engine.handleTimeout(now: now, output: &output)
                harness.deliverAll(output)
                while let event = harness.engine.pollRoomEvent() { roomEvents.append(event) }
            }
        }

        func received(_ viewer: Int) -> [(header: RTPHeader, packet: [UInt8])] {
            harness.rtp(to: viewers[viewer].address)
        }

        func engineProducer(layer: Int) throws -> Producer {
            let producers = try #require(harness.engine.router.participant(id: publisher.peer.participantID)?.producers)
            return try #require(producers.first { $0.layerIndex == layer })
        }
    }

    /// The layer a packet came from (its payload's last byte) and its VP8 descriptor.
    static func inspect(_ packet: (header: RTPHeader, packet: [UInt8])) throws -> (layer: Int, vp8: VP8RTPPayload) {
        let payload = Array(packet.packet[packet.header.payloadRange])
        let vp8 = try payload.withUnsafeBytes { try VP8RTPPayload(parsing: $0) }
        return (Int(try #require(payload.last)), vp8)
    }

    /// One SSRC, consecutive sequence numbers, timestamps that never go back, and picture IDs that go
    /// up by one per picture (a picture may span packets) with TL0PICIDX never going back.
    static func expectContinuous(_ packets: [(header: RTPHeader, packet: [UInt8])], sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let first = packets.first else { return }
        var previousPicture: UInt16?
        var previousTL0: UInt8?
        for (index, packet) in packets.enumerated() {
            #expect(packet.header.ssrc == first.header.ssrc, sourceLocation: sourceLocation)
            if index > 0 {
                let previous = packets[index - 1].header
                #expect(packet.header.sequenceNumber == previous.sequenceNumber &+ 1, "seq at \(index)", sourceLocation: sourceLocation)
                #expect(Int32(bitPattern: packet.header.timestamp &- previous.timestamp) >= 0, "ts at \(index)", sourceLocation: sourceLocation)
            }
            let vp8 = try inspect(packet).vp8
            let picture = try #require(vp8.descriptor.pictureID?.value)
            if vp8.descriptor.isStartOfFrame, let previousPicture {
                #expect(picture == (previousPicture &+ 1) & 0x7FFF, "picture ID at \(index)", sourceLocation: sourceLocation)
            } else if let previousPicture {
                #expect(picture == previousPicture, "picture ID at \(index)", sourceLocation: sourceLocation)
            }
            let tl0 = try #require(vp8.descriptor.tl0PicIdx)
            if let previousTL0 { #expect(tl0 == previousTL0 || tl0 == previousTL0 &+ 1, "TL0PICIDX at \(index)", sourceLocation: sourceLocation) }
            previousPicture = picture
            previousTL0 = tl0
        }
    }

    // MARK: - Tests

    @Test func eachSubscriberGetsOneContinuousStreamOfItsLayer() throws {
        let room = try Room(viewers: 2)
        let (limited, open) = (room.viewers[0], room.viewers[1])
        room.harness.engine.setPreferredSize(participantID: limited.participantID, mid: "0", width: 320, height: 180, now: room.now)
        try room.run(frames: 45)

        let low = room.received(0)
        try #require(low.count > 30)
        #expect(try low.allSatisfy { try Self.inspect($0).layer == 0 })
        try Self.expectContinuous(low)

        // The unlimited one starts on the first keyframe it sees and moves to the top layer at the
        // keyframe its PLI asked for.
        let full = room.received(1)
        let layers = try full.map { try Self.inspect($0).layer }
        let switchAt = try #require(layers.firstIndex(of: 2))
        #expect(layers[..<switchAt].allSatisfy { $0 == 0 })
        #expect(layers[switchAt...].allSatisfy { $0 == 2 })
        #expect(try Self.inspect(full[switchAt]).vp8.isKeyframe)
        #expect(room.publisher.plisSeen[2] >= 1)
        try Self.expectContinuous(full)
        #expect(room.harness.engine.forwardedLayer(participantID: open.participantID, mid: "0") == "f")
        #expect(room.harness.engine.forwardedLayer(participantID: limited.participantID, mid: "0") == "q")
    }

    @Test func liftingTheLimitSwitchesUpOnlyAtTheKeyframeItAskedFor() throws {
        let room = try Room(viewers: 1)
        let viewer = room.viewers[0]
        room.harness.engine.setPreferredSize(participantID: viewer.participantID, mid: "0", width: 320, height: 180, now: room.now)
        try room.run(frames: 30)
        let before = room.received(0).count
        let plisBefore = room.publisher.plisSeen[2]
        room.publisher.answersPLI = false
        room.harness.engine.setPreferredSize(participantID: viewer.participantID, mid: "0", width: 1280, height: 720, now: room.now)
        try room.run(frames: 10)
        #expect(room.publisher.plisSeen[2] > plisBefore)
        // No keyframe of the top layer yet: still the low layer.
        #expect(try room.received(0)[before...].allSatisfy { try Self.inspect($0).layer == 0 })
        room.publisher.answersPLI = true
        room.publisher.keyframeWanted[2] = true
        try room.run(frames: 5)
        let after = try room.received(0)[before...].map { try Self.inspect($0) }
        let switchAt = try #require(after.firstIndex { $0.layer == 2 })
        #expect(after[switchAt].vp8.isKeyframe)
        #expect(after[switchAt...].allSatisfy { $0.layer == 2 })
        try Self.expectContinuous(room.received(0))
    }

    @Test func aBandwidthLimitPicksTheLayerThatFitsAndTemporalLayersAreTheFinerStep() throws {
        let room = try Room(viewers: 1)
        let viewer = room.viewers[0]
        try room.run(frames: 45)  // bitrates measured: about 72, 144 and 264 kbit/s
        #expect(room.harness.engine.forwardedLayer(participantID: viewer.participantID, mid: "0") == "f")
        room.harness.engine.setAvailableBitrate(participantID: viewer.participantID, mid: "0", bitsPerSecond: 200_000, now: room.now)
        try room.run(frames: 15)
        #expect(room.harness.engine.forwardedLayer(participantID: viewer.participantID, mid: "0") == "h")
        let count = room.received(0).count
        room.harness.engine.setMaxTemporalLayer(participantID: viewer.participantID, mid: "0", layer: 0, now: room.now)
        try room.run(frames: 20)
        let base = try room.received(0)[count...].map { try Self.inspect($0).vp8.descriptor.temporalLayer }
        #expect(base.count >= 9 && base.allSatisfy { $0 == 0 })
        try Self.expectContinuous(room.received(0))
    }

    @Test func whenEvenTheLowLayerDoesNotFitOnlyItsBaseTemporalLayerIsSent() throws {
        let room = try Room(viewers: 1)
        let viewer = room.viewers[0]
        try room.run(frames: 45)
        room.harness.engine.setAvailableBitrate(participantID: viewer.participantID, mid: "0", bitsPerSecond: 50_000, now: room.now)
        try room.run(frames: 15)
        #expect(room.harness.engine.forwardedLayer(participantID: viewer.participantID, mid: "0") == "q")
        let count = room.received(0).count
        try room.run(frames: 20)
        let tail = try room.received(0)[count...].map { try Self.inspect($0) }
        #expect(tail.count >= 9 && tail.allSatisfy { $0.layer == 0 && $0.vp8.descriptor.temporalLayer == 0 })
        try Self.expectContinuous(room.received(0))
    }

    @Test func zeroSizePausesAndDynacastReportsTheLayersNobodyWants() throws {
        let room = try Room(viewers: 2)
        let engine = room.harness.engine
        let (first, second) = (room.viewers[0], room.viewers[1])
        try room.run(frames: 15)
        #expect(room.roomEvents.isEmpty)  // everyone gets the top layer: nothing to pause
        engine.setPreferredSize(participantID: first.participantID, mid: "0", width: 0, height: 0, now: room.now)
        engine.setPreferredSize(participantID: second.participantID, mid: "0", width: 320, height: 180, now: room.now)
        let paused = room.received(0).count
        try room.run(frames: 45)  // 1.5 s: not yet
        #expect(room.received(0).count == paused)
        #expect(room.roomEvents.isEmpty)
        try room.run(frames: 30)
        let host = room.publisher.peer.participantID
        #expect(room.roomEvents == [
            .layersWanted(roomID: "room-1", participantID: host, mid: "0", active: ["q": true, "h": false, "f": false])
        ])
        // The publisher pauses them; a subscriber wanting the top again resumes them at once.
        room.publisher.sending = [true, false, false]
        try room.run(frames: 30)
        engine.setPreferredSize(participantID: second.participantID, mid: "0", width: 1280, height: 720, now: room.now)
        try room.run(frames: 2)
        #expect(room.roomEvents.count == 2)
        #expect(room.roomEvents.last == .layersWanted(
            roomID: "room-1", participantID: host, mid: "0", active: ["q": true, "h": true, "f": true]))
        room.publisher.sending = [true, true, true]
        try room.run(frames: 20)
        #expect(engine.forwardedLayer(participantID: second.participantID, mid: "0") == "f")
        #expect(room.received(0).count == paused)
        try Self.expectContinuous(room.received(1))
        // Unpaused, the first one picks up again where its numbering left off.
        engine.setPreferredSize(participantID: first.participantID, mid: "0", width: 640, height: 360, now: room.now)
        try room.run(frames: 20)
        #expect(room.received(0).count > paused)
        try Self.expectContinuous(room.received(0))
        #expect(engine.forwardedLayer(participantID: first.participantID, mid: "0") == "h")
    }

    @Test func nobodyWatchingPausesAllButTheSmallestLayer() throws {
        let room = try Room(viewers: 1)
        room.harness.engine.setPreferredSize(participantID: room.viewers[0].participantID, mid: "0", width: 0, height: 0, now: room.now)
        try room.run(frames: 75)
        #expect(room.roomEvents == [
            .layersWanted(
                roomID: "room-1", participantID: room.publisher.peer.participantID, mid: "0",
                active: ["q": true, "h": false, "f": false])
        ])
    }

    @Test func aLayerThePublisherStopsIsLeftForTheNextOneDown() throws {
        let room = try Room(viewers: 1)
        try room.run(frames: 30)
        #expect(room.harness.engine.forwardedLayer(participantID: room.viewers[0].participantID, mid: "0") == "f")
        room.publisher.sending[2] = false
        try room.run(frames: 45)
        #expect(room.harness.engine.forwardedLayer(participantID: room.viewers[0].participantID, mid: "0") == "h")
        try Self.expectContinuous(room.received(0))
    }

    @Test func aLayerThePublisherResumesOnItsOwnIsSwitchedUpToOnlyOnceItHasRunThreeSeconds() throws {
        let room = try Room(viewers: 1)
        let viewer = room.viewers[0].participantID
        try room.run(frames: 30)
        #expect(room.harness.engine.forwardedLayer(participantID: viewer, mid: "0") == "f")
        // The publisher's estimate drops: it stops its top layer, and the viewer goes down to the middle one.
        room.publisher.sending[2] = false
        try room.run(frames: 45)
        #expect(room.harness.engine.forwardedLayer(participantID: viewer, mid: "0") == "h")
        // A flicker of its estimate brings the top layer back for 2 s (60 frames), keyframe first: the viewer
        // stays where it is instead of paying a keyframe up and a freeze down.
        room.publisher.sending[2] = true
        room.publisher.keyframeWanted[2] = true
        for _ in 0..<60 {
            try room.run(frames: 1)
            #expect(room.harness.engine.forwardedLayer(participantID: viewer, mid: "0") == "h")
        }
        // Still running after 3 s (`SimulcastTrack.settleAfterResume`): now it is worth the switch.
        try room.run(frames: 45)
        #expect(room.harness.engine.forwardedLayer(participantID: viewer, mid: "0") == "f")
        try Self.expectContinuous(room.received(0))
    }

    @Test func aLayerResumedBecauseTheRelayAskedIsSwitchedUpToAtOnce() throws {
        let room = try Room(viewers: 1)
        let viewer = room.viewers[0].participantID
        room.harness.engine.setPreferredSize(participantID: viewer, mid: "0", width: 320, height: 180, now: room.now)
        // Nobody wants the top layer for 2 s: dynacast pauses it, and the publisher stops sending it.
        try room.run(frames: 90)
        room.publisher.sending[2] = false
        try room.run(frames: 45)
        // The viewer grows its tile: the relay asks for the top layer again, the publisher resumes it with a
        // keyframe, and the viewer takes it within a few frames, not 3 s later.
        room.harness.engine.setPreferredSize(participantID: viewer, mid: "0", width: 1280, height: 720, now: room.now)
        try room.run(frames: 9)
        room.publisher.sending[2] = true
        room.publisher.keyframeWanted[2] = true
        try room.run(frames: 15)
        #expect(room.harness.engine.forwardedLayer(participantID: viewer, mid: "0") == "f")
        try Self.expectContinuous(room.received(0))
    }

    @Test func aNackAfterASwitchResendsTheNewLayersPacketWithItsRewrittenPicture() throws {
        let room = try Room(viewers: 1)
        try room.run(frames: 30)
        let viewer = room.viewers[0]
        let packets = room.received(0)
        let last = try #require(packets.last)
        try #require(try Self.inspect(last).layer == 2)
        let nack = try GenericNack.build(
            senderSSRC: 1, mediaSSRC: try #require(viewer.peer.remoteSSRCs["video"]),
            lostSequenceNumbers: [last.header.sequenceNumber])
        room.harness.deliverToRelay(try viewer.peer.protectRTCP(nack), from: viewer.address, at: room.now)
        let resent = try #require(room.received(0).last)
        #expect(resent.header.sequenceNumber == last.header.sequenceNumber)
        #expect(resent.packet[resent.header.payloadRange] == last.packet[last.header.payloadRange])
    }

    @Test func aLayersUplinkLossIsRepairedOnItsRTXStreamLearnedFromTheRepairedRid() throws {
        let room = try Room(viewers: 1)
        try room.run(frames: 30)
        let publisher = room.publisher
        let lost = publisher.sequence[2] &+ 1
        publisher.loseOnUplink = (2, lost)
        try room.run(frames: 10)
        #expect(publisher.nacked == [lost])
        let layer = try room.engineProducer(layer: 2)
        #expect(layer.rtxSSRC == publisher.peer.peer.simulcastRTXSSRC(layer: 2))
        #expect(room.harness.engine.counters.repairsReceived == 1)
        // The subscriber got the repair under the number it was owed: no hole in its sequence.
        let numbers = room.received(0).map { Int($0.header.sequenceNumber) }
        let unwrapped = numbers.map { $0 < numbers[0] ? $0 + 65_536 : $0 }
        #expect(Set(unwrapped).count == unwrapped.count)
        #expect(unwrapped.max()! - unwrapped.min()! + 1 == unwrapped.count)
    }

    @Test func paddingOnTheForwardedLayerLeavesNoGap() throws {
        let room = try Room(viewers: 1)
        try room.run(frames: 30)
        let publisher = room.publisher
        for _ in 0..<3 {
            let bytes = try publisher.peer.peer.simulcastPacket(
                rid: "f", layer: 2, sequenceNumber: publisher.sequence[2], timestamp: publisher.timestamp[2], payload: [],
                paddingLength: 255)
            room.harness.deliverToRelay(bytes, from: publisher.peer.address, at: room.now)
            publisher.sequence[2] &+= 1
        }
        try room.run(frames: 5)
        try Self.expectContinuous(room.received(0))
        #expect(try room.engineProducer(layer: 2).paddingPackets == 3)
    }

    @Test func anUnknownRidIsDroppedAndCounted() throws {
        let room = try Room(viewers: 1)
        let drops = room.harness.engine.counters.drops(.unknownSSRC)
        let header = RTPHeaderBuilder(
            payloadType: PeerClient.vp8PayloadType, sequenceNumber: 1, timestamp: 0, ssrc: 0x0BAD_0BAD,
            extensions: [RTPHeaderExtension(id: PeerClient.rtpStreamIDExtension, value: Array("x".utf8))])
        let packet = try header.packet(payload: Self.frame(layer: 0, keyframe: true, pictureID: 1, tl0: 1, temporal: 0)[0])
        room.harness.deliverToRelay(try room.publisher.peer.peer.protectRTP(packet), from: room.publisher.peer.address)
        #expect(room.harness.engine.counters.drops(.unknownSSRC) == drops + 1)
        #expect(room.received(0).isEmpty)
        #expect(try (0..<3).allSatisfy { try room.engineProducer(layer: $0).ssrc == nil })
    }
}

/// A plain (one-layer) track honours the same preferences: paused at 0×0, resumed at a keyframe with
/// its numbering continued.
@Suite struct PlainTrackPreferenceTests {
    @Test func aPausedPlainTrackResumesAtAKeyframeWithoutAGap() throws {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, video: .sendonly)
        let viewer = try harness.join(user: "learner", intent: .subscribe(userID: nil), video: .recvonly)
        harness.pump()
        try #require(host.peer.isConnected && viewer.peer.isConnected)
        func send(_ sequence: UInt16, keyframe: Bool = false) throws {
            try harness.send(
                from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: sequence,
                timestamp: UInt32(sequence) &* 3_000, payload: RelayHarness.vp8Payload(keyframe: keyframe, pictureID: sequence))
        }
        try send(1, keyframe: true)
        try send(2)
        harness.engine.setPreferredSize(participantID: viewer.participantID, mid: "0", width: 0, height: 0, now: .now)
        try send(3)
        try send(4)
        #expect(harness.rtp(to: viewer.address).count == 2)
        harness.engine.setPreferredSize(participantID: viewer.participantID, mid: "0", width: 640, height: 360, now: .now)
        try send(5)  // not a keyframe: still waiting
        try send(6, keyframe: true)
        try send(7)
        let received = harness.rtp(to: viewer.address)
        #expect(received.count == 4)
        let first = try #require(received.first?.header.sequenceNumber)
        #expect(received.map(\.header.sequenceNumber) == [first, first &+ 1, first &+ 2, first &+ 3])
        #expect(received.map { Array($0.packet[$0.header.payloadRange]) }
            == [1, 2, 6, 7].map { RelayHarness.vp8Payload(keyframe: $0 == 1 || $0 == 6, pictureID: $0) })
    }
}

/// Simulcast offers: answered with the layers received, hostile ones refused.
@Suite struct SimulcastNegotiationTests {
    func join(_ offer: String) throws -> String {
        let harness = try RelayHarness()
        return try harness.engine.join(
            .init(roomID: "room-1", userID: "mentor", role: .host, intent: .publish, offer: offer, tokenID: nil),
            now: .now
        ).answer
    }

    func peerOffer(rids: [String]) throws -> String {
        try PeerClient().makeOffer(audio: nil, video: .sendonly, rtx: true, simulcast: rids)
    }

    @Test func chromiumsOfferIsAnsweredWithTheLayersReceived() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SDPTests/Fixtures/chromium-simulcast-offer.sdp")
        let answer = try join(try String(contentsOf: fixture, encoding: .utf8))
        #expect(answer.contains("a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv q;h;f\r\n"))
        #expect(answer.contains("a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"))
        #expect(answer.contains("a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"))
    }

    @Test func pausedLayersStayPausedInTheAnswer() throws {
        let offer = try peerOffer(rids: ["q", "h", "f"]).replacingOccurrences(
            of: "a=simulcast:send q;h;f", with: "a=simulcast:send q;h;~f")
        #expect(try join(offer).contains("a=simulcast:recv q;h;~f\r\n"))
    }

    @Test func withoutTheRidExtensionTheAnswerTakesOneStream() throws {
        let offer = try peerOffer(rids: ["q", "h", "f"]).replacingOccurrences(
            of: "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n", with: "")
        let answer = try join(offer)
        #expect(!answer.contains("a=simulcast"))
        #expect(!answer.contains("a=rid"))
    }

    @Test(arguments: [
        ("too many rids", (0..<100).map { "r\($0)" }),
        ("a long rid", ["q", String(repeating: "h", count: 17)]),
    ])
    func hostileOffersAreRefused(_ name: String, rids: [String]) throws {
        #expect(throws: RelayError.self) { try join(try peerOffer(rids: rids)) }
    }

    @Test func aSimulcastListNamingAnUndeclaredRidIsRefused() throws {
        let offer = try peerOffer(rids: ["q", "h"]).replacingOccurrences(
            of: "a=simulcast:send q;h", with: "a=simulcast:send q;h;z")
        #expect(throws: RelayError.self) { try join(offer) }
        let repeated = try peerOffer(rids: ["q", "h"]).replacingOccurrences(
            of: "a=simulcast:send q;h", with: "a=simulcast:send q;q")
        #expect(throws: RelayError.self) { try join(repeated) }
    }
}
