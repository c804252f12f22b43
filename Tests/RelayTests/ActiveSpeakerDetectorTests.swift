import Testing

#if canImport(RelayFeedback)
@testable import RelayFeedback
#else
@testable import Relay
#endif

/// The dominant-speaker detector fed 20 ms audio packets, polled at its deadlines like the engine does.
@Suite struct ActiveSpeakerDetectorTests {
    static let ms: Int64 = 1_000_000
    static let silence: UInt8 = 127

    /// A conversation: `levels(speaker, time)` gives each speaker's level per 20 ms packet (nil: no
    /// packet); returns every change with its time.
    struct Conversation {
        var detector = ActiveSpeakerDetector<String>()
        var now: Int64 = 0
        var changes: [(time: Int64, dominant: String?)] = []

        mutating func run(
            for duration: Int64, speakers: [String], voiceActivity: Bool? = nil,
            packets: (String) -> Int = { _ in 1 }, levels: (String, Int64) -> UInt8?
        ) {
            let end = now + duration
            while now < end {
                for speaker in speakers {
                    guard let level = levels(speaker, now) else { continue }
                    for _ in 0..<packets(speaker) {
                        detector.record(speaker: speaker, level: level, voiceActivity: voiceActivity, now: now)
                    }
                }
                let frameEnd = now + 20 * ms
                // Every deadline inside this frame, in order, as a timer would fire them.
                while let deadline = detector.pollTimeout(), deadline < frameEnd {
                    let at = max(deadline, now)
                    if let change = detector.poll(now: at) { changes.append((at, change.dominant)) }
                    if detector.pollTimeout() == deadline { break }
                }
                now = frameEnd
            }
        }
    }

    @Test func oneTalkerBecomesDominant() {
        var room = Conversation()
        room.run(for: 2_000 * Self.ms, speakers: ["ann", "bob"]) { speaker, _ in speaker == "ann" ? 30 : Self.silence }
        #expect(room.changes.count == 1)
        #expect(room.changes.first?.dominant == "ann")
        // Half a second of speech in the window qualifies her.
        let time = room.changes.first?.time ?? 0
        #expect(time >= 400 * Self.ms && time <= 600 * Self.ms)
        #expect(room.detector.dominant == "ann")
    }

    @Test func briefCoughDoesNotSwitch() {
        var room = Conversation()
        room.run(for: 2_000 * Self.ms, speakers: ["ann", "bob"]) { speaker, _ in speaker == "ann" ? 35 : Self.silence }
        #expect(room.detector.dominant == "ann")
        // Bob coughs loudly for 300 ms while Ann talks, then again for 300 ms during her pause.
        let start = room.now
        room.run(for: 3_000 * Self.ms, speakers: ["ann", "bob"]) { speaker, time in
            let t = time - start
            if speaker == "bob" {
                let coughing = t < 300 * Self.ms || (t >= 1_500 * Self.ms && t < 1_800 * Self.ms)
                return coughing ? 3 : Self.silence
            }
            return t < 1_200 * Self.ms ? 35 : Self.silence
        }
        #expect(room.changes.count == 1)
        #expect(room.detector.dominant == "ann")
    }

    @Test func shortRemarkInAPauseDoesNotSwitch() {
        var room = Conversation()
        room.run(for: 2_000 * Self.ms, speakers: ["ann", "bob"]) { speaker, _ in speaker == "ann" ? 30 : Self.silence }
        // Ann pauses; Bob says "yes, all right" (800 ms) and stops: he qualifies for a moment, but stops
        // counting once he has been quiet for 300 ms, before the hold is over.
        let start = room.now
        room.run(for: 3_000 * Self.ms, speakers: ["bob"]) { _, time in
            time - start < 800 * Self.ms ? 30 : Self.silence
        }
        #expect(room.changes.map(\.dominant) == ["ann"])
    }

    @Test func sustainedLouderTalkerTakesOverAfterTheHold() throws {
        var room = Conversation()
        room.run(for: 2_000 * Self.ms, speakers: ["ann", "bob"]) { speaker, _ in speaker == "ann" ? 40 : Self.silence }
        let start = room.now
        // Both talk; Bob is 30 dB louder and keeps on.
        room.run(for: 4_000 * Self.ms, speakers: ["ann", "bob"]) { speaker, _ in speaker == "ann" ? 40 : 10 }
        #expect(room.changes.map(\.dominant) == ["ann", "bob"])
        let switchedAfter = (room.changes.last?.time ?? 0) - start
        let holdTime = room.detector.configuration.holdTime
        #expect(holdTime >= 300 * Self.ms && switchedAfter >= holdTime)
        #expect(switchedAfter <= 1_500 * Self.ms)
    }

    @Test func similarTalkersDoNotFlicker() {
        var room = Conversation()
        room.run(for: 2_000 * Self.ms, speakers: ["ann", "bob"]) { speaker, _ in speaker == "ann" ? 30 : Self.silence }
        // Bob talks over her, a little louder: within the margin, Ann keeps the floor.
        room.run(for: 5_000 * Self.ms, speakers: ["ann", "bob"]) { speaker, _ in speaker == "ann" ? 30 : 25 }
        #expect(room.changes.map(\.dominant) == ["ann"])
    }

    @Test func handoverWhenTheSpeakerStops() {
        var room = Conversation()
        room.run(for: 2_000 * Self.ms, speakers: ["ann", "bob"]) { speaker, _ in speaker == "ann" ? 30 : Self.silence }
        let start = room.now
        room.run(for: 3_000 * Self.ms, speakers: ["ann", "bob"]) { speaker, _ in speaker == "ann" ? Self.silence : 30 }
        #expect(room.changes.map(\.dominant) == ["ann", "bob"])
        let after = (room.changes.last?.time ?? 0) - start
        #expect(after >= 500 * Self.ms && after <= 1_500 * Self.ms)
    }

    @Test func silenceKeepsTheLastSpeaker() {
        var room = Conversation()
        room.run(for: 2_000 * Self.ms, speakers: ["ann", "bob"]) { speaker, _ in speaker == "ann" ? 30 : Self.silence }
        // Everyone silent (levels at 127), then no packets at all (DTX): Ann stays, and nothing needs polling.
        room.run(for: 5_000 * Self.ms, speakers: ["ann", "bob"]) { _, _ in Self.silence }
        #expect(room.detector.pollTimeout() == nil)
        room.run(for: 5_000 * Self.ms, speakers: []) { _, _ in nil }
        #expect(room.changes.map(\.dominant) == ["ann"])
        #expect(room.detector.poll(now: room.now) == nil)
    }

    @Test func noiseAndNoVoiceFlagDoNotCount() {
        var room = Conversation()
        room.run(for: 2_000 * Self.ms, speakers: ["ann"]) { _, _ in 30 }
        // Bob's fan at -70 dBov, below the voice threshold; Carol loud but flagged "no voice".
        room.run(for: 4_000 * Self.ms, speakers: ["ann", "bob"]) { speaker, _ in speaker == "ann" ? Self.silence : 70 }
        room.run(for: 4_000 * Self.ms, speakers: ["carol"], voiceActivity: false) { _, _ in 5 }
        #expect(room.changes.map(\.dominant) == ["ann"])
    }

    @Test func packetFloodScoresNoMore() {
        var room = Conversation()
        room.run(for: 2_000 * Self.ms, speakers: ["ann"]) { _, _ in 30 }
        // Bob talks over her at her level, in fifty times the packets: the same score, no switch.
        room.run(for: 3_000 * Self.ms, speakers: ["ann", "bob"], packets: { $0 == "bob" ? 50 : 1 }) { _, _ in 30 }
        #expect(room.changes.map(\.dominant) == ["ann"])
    }

    @Test func removingTheDominantPicksTheNextActiveOrNone() {
        var room = Conversation()
        room.run(for: 2_000 * Self.ms, speakers: ["ann", "bob", "carol"]) { speaker, _ in
            switch speaker {
            case "ann": 20
            case "bob": 35
            default: 50
            }
        }
        #expect(room.detector.dominant == "ann")
        room.detector.remove(speaker: "ann")
        #expect((room.detector.pollTimeout() ?? .max) <= room.now)
        // Bob is the most active of those left.
        #expect(room.detector.poll(now: room.now) == .init(dominant: "bob"))
        room.detector.remove(speaker: "dave")  // unknown: nothing happens
        // Everyone quiet for a while, then Bob leaves: nobody is dominant.
        room.run(for: 2_000 * Self.ms, speakers: ["bob", "carol"]) { _, _ in Self.silence }
        room.detector.remove(speaker: "bob")
        #expect(room.detector.poll(now: room.now) == .init(dominant: nil))
        #expect(room.detector.dominant == nil)
        // Carol speaks up and becomes dominant without a hold, as there is nobody to take over from.
        room.run(for: 1_000 * Self.ms, speakers: ["carol"]) { _, _ in 50 }
        #expect(room.detector.dominant == "carol")
    }
}
