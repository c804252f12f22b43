import PeerClient
import RTP
import STUN
import Testing

@testable import Relay

/// The engine builds each forwarded copy in the space its output lends (the server's send slots), so a
/// packet is copied once per subscriber. A copy the pacer holds back must leave that space first: the
/// next datagram sent reuses it.
@Suite struct SendSpaceTests {
    func connectedPair(lendingSpace: Bool) throws -> (
        RelayHarness, host: (peer: PeerClient, participantID: String, address: TransportAddress),
        viewer: (peer: PeerClient, participantID: String, address: TransportAddress)
    ) {
        let harness = try RelayHarness()
        harness.lendsSpace = lendingSpace
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        let viewer = try harness.join(user: "learner", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        harness.pump()
        return (harness, host, viewer)
    }

    /// Forwarded media is committed in the lent space, and the viewer decrypts exactly what was sent.
    @Test func forwardedCopiesAreBuiltWhereTheyAreSentFrom() throws {
        let (harness, host, viewer) = try connectedPair(lendingSpace: true)
        try #require(viewer.peer.isConnected)
        var payloads: [[UInt8]] = []
        for index in 0..<10 {
            let payload = RelayHarness.vp8Payload(keyframe: index == 0, pictureID: UInt16(index), size: 700 + 37 * index)
            payloads.append(payload)
            try harness.send(
                from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96,
                sequenceNumber: UInt16(500 + index), timestamp: UInt32(3_000 * index), payload: payload, marker: true)
        }
        let forwarded = harness.rtp(to: viewer.address)
        try #require(forwarded.count == 10)
        #expect(forwarded.map { Array($0.packet[$0.header.payloadRange]) } == payloads)

        // The same call through the lending output directly: the copies went out by commit, not by `send`.
        let plain = try host.peer.protectRTP(
            RTPHeaderBuilder(
                marker: true, payloadType: 96, sequenceNumber: 510, timestamp: 30_000, ssrc: host.peer.videoSSRC
            ).packet(payload: RelayHarness.vp8Payload(keyframe: false, pictureID: 10)))
        let output = LendingOutput()
        var lending = output
        var copy = plain
        copy.withUnsafeMutableBytes { harness.engine.handleDatagram($0, from: host.address, now: .now, output: &lending) }
        #expect(output.committed == 1)
        harness.deliverAll(output.collected)
        #expect(harness.rtp(to: viewer.address).count == 11)
    }

    /// A paced leg holds a burst back; past its queue's limit, the oldest held packets are sent at once,
    /// into the space the newest copy was lent. That copy moves out first, so every packet arrives whole
    /// and in order.
    @Test(arguments: [true, false])
    func aBurstPastThePacersLimitArrivesWholeAndInOrder(lendingSpace: Bool) throws {
        let (harness, host, viewer) = try connectedPair(lendingSpace: lendingSpace)
        try #require(viewer.peer.isConnected)
        let learner = try #require(harness.engine.router.participant(id: viewer.participantID))
        learner.pacer.setEstimate(200_000, now: harness.engine.clock.nanoseconds(since: .now))
        let count = Pacer.maximumQueued + 40
        var payloads: [[UInt8]] = []
        for index in 0..<count {
            let payload = RelayHarness.vp8Payload(keyframe: index == 0, pictureID: 1, size: 900 + index % 64)
            payloads.append(payload)
            try harness.send(
                from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96,
                sequenceNumber: UInt16(900 + index), timestamp: 90_000, payload: payload, marker: index == count - 1)
        }
        #expect(learner.pacer.isFull, "the pacer held the burst up to its limit")
        // Pacing off: the rest leaves on the next timer.
        learner.pacer.setEstimate(nil, now: harness.engine.clock.nanoseconds(since: .now))
        harness.deliverAll(harness.collect { harness.engine.handleTimeout(now: .now + .seconds(1), output: &$0) })
        #expect(learner.pacer.isEmpty)
        let forwarded = harness.rtp(to: viewer.address)
        #expect(forwarded.count == count)
        #expect(forwarded.map { Array($0.packet[$0.header.payloadRange]) } == payloads)
        let sequences = forwarded.map(\.header.sequenceNumber)
        #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $1 == $0 &+ 1 })
    }
}
