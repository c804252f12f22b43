import Foundation
import PeerClient
import RTCP
import RTP
import STUN
import Testing

@testable import Relay

/// The relay's send-side estimate per subscriber leg, end to end through the engine: the relay stamps
/// transport-wide sequence numbers, a simulated bottleneck decides when each packet reaches the viewer,
/// the viewer's transport-cc feedback (real SRTCP) moves the estimate, and the leg is paced by it.
@Suite struct BandwidthEstimationTests {
    static let transportCC = HeaderExtensionIDs.transportWideCCURI

    struct Run {
        var estimate: UInt64?
        var statistics: BandwidthStatistics?
        /// Send times (ns since start) of the packets the relay sent the viewer.
        var sendTimes: [Int64] = []
        var forwarded = 0
        /// Padding-only packets on the viewer's RTX stream (probes), as the viewer decrypted them.
        var probes = 0
        var probePackets: UInt64 = 0
    }

    /// Four seconds of an 880 kbit/s VP8 stream (one 1,100-byte packet every 10 ms, a 40-packet keyframe
    /// every 2 s) through a bottleneck of `capacity` bits/s toward the viewer.
    func run(capacity: Int64, seconds: Int = 4, rtx: Bool = false) throws -> Run {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, video: .sendonly)
        let viewer = try harness.join(
            user: "learner", intent: .subscribe(userID: nil), video: .recvonly, rtx: rtx,
            offerExtensions: [Self.transportCC: 5])
        harness.pump()
        try #require(host.peer.isConnected && viewer.peer.isConnected)
        let start = ContinuousClock.now
        var run = Run()
        var pending: [TransportWideFeedback.Arrival] = []
        var bottleneckFreeAt: Int64 = 0
        var sequence: UInt16 = 0
        var feedbackCount: UInt8 = 0
        let step: Int64 = 5_000_000
        var t: Int64 = 0
        func collect(_ output: CollectingOutput, at t: Int64) {
            for (bytes, destination) in output.datagrams where destination == viewer.address {
                guard case .rtp(let header, let packet) = viewer.peer.handleDatagram(bytes, now: start) else { continue }
                if header.hasPadding && header.payloadRange.count == 0 { run.probes += 1 } else { run.forwarded += 1 }
                run.sendTimes.append(t)
                let transport = packet.withUnsafeBytes { raw in
                    header.extensions(in: raw).first { $0.id == 5 }.map { Array(raw[$0.range]) }
                }
                guard let transport, transport.count == 2 else { continue }
                // The bottleneck: a FIFO draining at `capacity`, 20 ms of propagation.
                let serialization = Int64(bytes.count) * 8 * 1_000_000_000 / capacity
                bottleneckFreeAt = max(bottleneckFreeAt, t) + serialization
                pending.append(.init(
                    sequenceNumber: UInt16(transport[0]) << 8 | UInt16(transport[1]),
                    time: (bottleneckFreeAt + 20_000_000) / 1_000))
            }
        }
        // The stream runs `seconds`, then one more second lets the pacer drain.
        while t < Int64(seconds + 1) * 1_000_000_000 {
            let now = start + .nanoseconds(t)
            var output = CollectingOutput()
            harness.engine.handleTimeout(now: now, output: &output)
            collect(output, at: t)
            if t % 10_000_000 == 0 && t < Int64(seconds) * 1_000_000_000 {
                let keyframe = t % 2_000_000_000 == 0
                for _ in 0..<(keyframe ? 40 : 1) {
                    sequence &+= 1
                    let packet = try RTPHeaderBuilder(
                        payloadType: 96, sequenceNumber: sequence, timestamp: UInt32(t / 11_111), ssrc: host.peer.videoSSRC
                    ).packet(payload: RelayHarness.vp8Payload(keyframe: keyframe, pictureID: sequence & 0x7FFF, size: 1_100))
                    var protected = try host.peer.protectRTP(packet)
                    var sent = CollectingOutput()
                    protected.withUnsafeMutableBytes { harness.engine.handleDatagram($0, from: host.address, now: now, output: &sent) }
                    collect(sent, at: t)
                }
            }
            if t % 100_000_000 == 50_000_000 {
                // Feedback on what has arrived by now, as a browser sends it every ~100 ms.
                let arrived = pending.filter { ($0.time ?? 0) * 1_000 <= t }.sorted { $0.sequenceNumber < $1.sequenceNumber }
                pending.removeAll { ($0.time ?? 0) * 1_000 <= t }
                if !arrived.isEmpty {
                    let feedback = try TransportWideFeedback.build(
                        senderSSRC: 0x1234, mediaSSRC: 0, feedbackPacketCount: feedbackCount, arrivals: arrived)
                    feedbackCount &+= 1
                    var protected = try viewer.peer.protectRTCP(feedback)
                    var ignored = CollectingOutput()
                    protected.withUnsafeMutableBytes { harness.engine.handleDatagram($0, from: viewer.address, now: now, output: &ignored) }
                    collect(ignored, at: t)
                }
            }
            t += step
        }
        let statistics = harness.engine.statistics(participantID: viewer.participantID, now: start + .nanoseconds(t))
        run.statistics = statistics?.bandwidth
        run.estimate = statistics?.bandwidth?.estimate
        run.probePackets = harness.engine.counters.probePackets
        return run
    }

    @Test func aViewerBehindA400KbitBottleneckIsEstimatedNearItAndPaced() throws {
        let run = try run(capacity: 400_000)
        let estimate = try #require(run.estimate, "the viewer's feedback reached the estimator")
        #expect(estimate < 560_000, "estimate \(estimate) should fall toward the 400 kbit/s bottleneck")
        #expect(estimate > 150_000, "estimate \(estimate) should not collapse")
        #expect(run.statistics?.acknowledged.map { $0 < 600_000 } == true, "\(String(describing: run.statistics))")
        // Paced: the second keyframe's 40 packets (at 2 s) do not leave in one instant.
        let burst = run.sendTimes.filter { $0 >= 2_000_000_000 && $0 < 2_000_000_000 + 5_000_000 }.count
        #expect(burst < 20, "\(burst) packets left within 5 ms of the keyframe")
        #expect(run.forwarded == 400 + 78, "pacing delays, it never drops: \(run.forwarded) forwarded")
        print("400 kbit/s bottleneck: estimate \(estimate), \(String(describing: run.statistics))")
    }

    @Test func aViewerWithAmpleCapacityKeepsAnEstimateAboveWhatItReceives() throws {
        let run = try run(capacity: 20_000_000)
        let estimate = try #require(run.estimate)
        #expect(estimate >= 800_000, "estimate \(estimate) for an 880 kbit/s stream on a 20 Mbit/s link")
        #expect(run.statistics?.delayState != "overusing")
        print("20 Mbit/s: estimate \(estimate), \(String(describing: run.statistics))")
    }

    @Test func aSingleLayerStreamIsNeverProbed() throws {
        // With RTX there is a stream to probe on, but nothing a probe could win: one layer's rate is fixed.
        let run = try run(capacity: 20_000_000, rtx: true)
        #expect(run.probePackets == 0 && run.probes == 0)
        #expect(run.forwarded == 478)
    }

    @Test func feedbackFromALegTheRelayNeverStampedMovesNothing() throws {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, video: .sendonly)
        harness.pump()
        let feedback = try TransportWideFeedback.build(
            senderSSRC: 1, mediaSSRC: 0, feedbackPacketCount: 0, arrivals: [.init(sequenceNumber: 1, time: 1_000)])
        let before = harness.engine.counters.drops(.unknownSSRC)
        harness.deliverToRelay(try host.peer.protectRTCP(feedback), from: host.address)
        #expect(harness.engine.counters.drops(.unknownSSRC) == before + 1)
        #expect(harness.engine.statistics(participantID: host.participantID, now: .now)?.bandwidth == nil)
    }
}

/// REMB goes only to publishers without transport-cc, and says what the relay's receive side measured.
@Suite struct ReceiverEstimateTests {
    static func rembs(_ harness: RelayHarness, to address: TransportAddress) throws -> [UInt64] {
        var bitrates: [UInt64] = []
        for packet in harness.rtcp(to: address) {
            for item in try packet.withUnsafeBytes({ try RTCPCompoundPacket(validating: $0) }) {
                if case .receiverEstimatedMaxBitrate(let remb) = item.view { bitrates.append(remb.bitrate) }
            }
        }
        return bitrates
    }

    /// Five seconds of a publisher sending ~400 kbit/s of VP8 (500 bytes every 10 ms), reports every second.
    func publish(transportCC: Bool) throws -> (RelayHarness, TransportAddress) {
        let harness = try RelayHarness()
        let host = try harness.join(
            user: "mentor", role: .host, intent: .publish, video: .sendonly,
            offerExtensions: transportCC ? [HeaderExtensionIDs.transportWideCCURI: 3] : [:])
        harness.pump()
        try #require(host.peer.isConnected)
        let start = ContinuousClock.now
        for index in 0..<500 {
            let now = start + .milliseconds(10 * index)
            let packet = try RTPHeaderBuilder(
                payloadType: 96, sequenceNumber: UInt16(index), timestamp: UInt32(index * 900), ssrc: host.peer.videoSSRC,
                extensions: transportCC ? [RTPHeaderExtension(id: 3, value: [UInt8(index >> 8), UInt8(index & 0xFF)])] : []
            ).packet(payload: RelayHarness.vp8Payload(keyframe: index == 0, pictureID: UInt16(index), size: 500))
            harness.deliverToRelay(try host.peer.protectRTP(packet), from: host.address, at: now)
            var output = CollectingOutput()
            harness.engine.handleTimeout(now: now, output: &output)
            harness.deliverAll(output)
        }
        return (harness, host.address)
    }

    @Test func aPublisherWithoutTransportCCGetsWhatItsUplinkDelivers() throws {
        let (harness, address) = try publish(transportCC: false)
        let rembs = try Self.rembs(harness, to: address)
        try #require(rembs.count >= 3, "one REMB per report")
        let configured = harness.engine.configuration.maximumVideoBitrate
        #expect(rembs.allSatisfy { $0 <= configured })
        // It settles near 1.5x what arrives (~430 kbit/s on the wire), not at the configured 2.5 Mbit/s.
        let last = try #require(rembs.last)
        #expect(last < 1_000_000 && last > 300_000, "REMBs \(rembs)")
    }

    @Test func aPublisherWithTransportCCGetsNoREMB() throws {
        let (harness, address) = try publish(transportCC: true)
        #expect(try Self.rembs(harness, to: address).isEmpty)
        #expect(harness.engine.counters.transportFeedback > 0, "its own estimator is fed instead")
    }
}

/// The estimate drives the layer: a simulcast viewer behind a bottleneck gets a lower layer, and when the
/// bottleneck lifts, probes find the room and it climbs back to the top layer.
@Suite struct SimulcastAdaptationTests {
    @Test func aViewerDropsToALayerItsLinkTakesAndClimbsBackWithProbesWhenTheCapLifts() throws {
        let harness = try RelayHarness()
        let peer = try PeerClient()
        let offer = peer.makeOffer(audio: nil, video: .sendonly, rtx: true, simulcast: SimulcastTests.rids)
        let result = try harness.engine.join(
            .init(roomID: "room-1", userID: "mentor", role: .host, intent: .publish, offer: offer, tokenID: nil), now: .now)
        try peer.applyAnswer(result.answer)
        let publisher = SimulcastTests.Publisher(harness: harness, peer: (peer, result.participantID, harness.add(peer)))
        let viewer = try harness.join(
            user: "learner", intent: .subscribe(userID: nil), video: .recvonly, rtx: true,
            offerExtensions: [HeaderExtensionIDs.transportWideCCURI: 5])
        harness.pump()
        try #require(peer.isConnected && viewer.peer.isConnected)
        let mid = try #require(harness.engine.router.participant(id: viewer.participantID)?.consumers.first?.media.mid)

        var now = ContinuousClock.now
        let start = now
        var capacity: Int64 = 120_000
        var bottleneckFreeAt: Int64 = 0
        var pending: [TransportWideFeedback.Arrival] = []
        var read = 0
        var feedbackCount: UInt8 = 0
        var nextFeedback: Int64 = 100_000_000
        var layers: [(at: Int64, rid: String?)] = []
        var probedFor: [(desired: UInt64, middle: UInt64, top: UInt64)] = []
        func elapsed() -> Int64 { let d = now - start; return d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000 }
        for _ in 0..<(20 * 30) {
            now += .milliseconds(33)
            let t = elapsed()
            if t >= 8_000_000_000 { capacity = 5_000_000 }
            try publisher.sendFrame(at: now)
            var output = CollectingOutput()
            harness.engine.handleTimeout(now: now, output: &output)
            harness.deliverAll(output)
            // Everything the relay sent the viewer since the last frame, through the bottleneck.
            let received = harness.received[viewer.address] ?? []
            for item in received[read...] {
                guard case .rtp(let header, let packet) = item else { continue }
                let transport = packet.withUnsafeBytes { raw in
                    header.extensions(in: raw).first { $0.id == 5 }.map { Array(raw[$0.range]) }
                }
                guard let transport, transport.count == 2 else { continue }
                bottleneckFreeAt = max(bottleneckFreeAt, t) + Int64(packet.count + 28) * 8 * 1_000_000_000 / capacity
                // A 150 ms queue: what would wait longer is dropped, as a home router's would.
                let lost = bottleneckFreeAt - t > 150_000_000
                if lost { bottleneckFreeAt -= Int64(packet.count + 28) * 8 * 1_000_000_000 / capacity }
                pending.append(.init(
                    sequenceNumber: UInt16(transport[0]) << 8 | UInt16(transport[1]),
                    time: lost ? nil : (bottleneckFreeAt + 20_000_000) / 1_000))
            }
            read = received.count
            if t >= nextFeedback {
                nextFeedback += 100_000_000
                let due = pending.filter { ($0.time ?? 0) * 1_000 <= t }.sorted { $0.sequenceNumber < $1.sequenceNumber }
                pending.removeAll { ($0.time ?? 0) * 1_000 <= t }
                if !due.isEmpty {
                    let feedback = try TransportWideFeedback.build(
                        senderSSRC: 0x1234, mediaSSRC: 0, feedbackPacketCount: feedbackCount, arrivals: due)
                    feedbackCount &+= 1
                    harness.deliverToRelay(try viewer.peer.protectRTCP(feedback), from: viewer.address, at: now)
                }
            }
            let rid = harness.engine.forwardedLayer(participantID: viewer.participantID, mid: mid)
            if layers.last?.rid != rid { layers.append((t, rid)) }
            // What the leg probes for while it gets the lowest layer: the middle one (with the up-switch
            // headroom), never the top, whose probes would ask the 120 kbit/s link for many times its rate.
            if t >= 3_000_000_000, t < 8_000_000_000, rid == SimulcastTests.rids.first,
                let participant = harness.engine.router.participant(id: viewer.participantID),
                let track = participant.consumers.first?.source?.simulcast,
                let desired = harness.engine.desiredBitrate(of: participant, now: now)
            {
                let rates = track.candidates(now: now).map(\.bitsPerSecond)
                if rates.count == 3 {
                    // A middle layer held after a failed switch asks for the budget that clears the hold.
                    let clearing = participant.consumers.first?.layers?.backoff.clearingBudget(
                        layer: 1, bitsPerSecond: rates[1], now: harness.engine.clock.nanoseconds(since: now))
                    probedFor.append((desired, max(rates[1] * LayerSelector.upSwitchHeadroom / 4, clearing ?? 0), rates[2]))
                }
            }
        }
        let estimate = harness.engine.statistics(participantID: viewer.participantID, now: now)?.bandwidth?.estimate
        print("layers over time: \(layers.map { "\($0.at / 1_000_000) ms \($0.rid ?? "-")" }), estimate \(estimate ?? 0), probes \(harness.engine.counters.probePackets)")
        let capped = layers.filter { $0.at >= 3_000_000_000 && $0.at < 8_000_000_000 }.map(\.rid)
        let beforeLift = layers.last { $0.at < 8_000_000_000 }?.rid
        #expect(beforeLift != "f", "behind 120 kbit/s the top layer does not fit: \(layers)")
        #expect(!capped.contains("f"))
        let top = try #require(layers.first { $0.at >= 8_000_000_000 && $0.rid == "f" }, "climbed back: \(layers)")
        #expect(top.at - 8_000_000_000 < 10_000_000_000, "within 10 s of the cap lifting")
        #expect(harness.engine.counters.probePackets > 0, "probes found the room")
        #expect(!probedFor.isEmpty && probedFor.allSatisfy { $0.desired == $0.middle && $0.desired < $0.top }, "\(probedFor)")
    }
}
