import Congestion
import Testing

/// The estimator against a simulated bottleneck (`LinkSimulator`): simulated time, seeded loss, so
/// every run is the same and takes milliseconds.
@Suite struct SimulationTests {
    static func kbps(_ value: UInt64) -> String { "\(value / 1000)k" }

    static func summary(_ simulator: LinkSimulator, every step: Int64 = second) -> String {
        var line = ""
        var next: Int64 = 0
        for sample in simulator.samples where sample.time >= next {
            line += "\(sample.time / second)s:\(kbps(sample.target)) "
            next += step
        }
        return line
    }

    @Test func settlesNearAConstrainedLink() throws {
        let capacity: UInt64 = 500_000
        var simulator = LinkSimulator(.init(capacity: capacity))
        var overuses = 0
        var wasOverusing = false
        try simulator.run(until: 30 * second) { _, estimator in
            let overusing = estimator.statistics.usage == .overusing
            if overusing && !wasOverusing { overuses += 1 }
            wasOverusing = overusing
        }
        let settled = simulator.targets(from: 5 * second)
        let statistics = simulator.estimator.statistics
        print("500k link:", Self.summary(simulator), "min", Self.kbps(settled.min() ?? 0), "max", Self.kbps(settled.max() ?? 0),
              "overuse episodes", overuses, "dropped", simulator.droppedPackets, "of", simulator.sentPackets, statistics)
        #expect(!settled.isEmpty)
        #expect(settled.allSatisfy { $0 >= capacity * 6 / 10 && $0 <= capacity * 11 / 10 })
        // The delay detector, not queue overflow, is what holds it there.
        #expect(overuses >= 3)
        #expect(statistics.lossRatio < 0.02)
        let acknowledged = try #require(statistics.acknowledgedBitrate)
        #expect(acknowledged > capacity * 7 / 10 && acknowledged <= capacity * 105 / 100)
        // Base RTT 50 ms plus up to 100 ms of feedback interval, plus some queueing.
        #expect(statistics.roundTripTime > 50 * ms && statistics.roundTripTime < 250 * ms)
    }

    @Test func climbsToAFastLinkFromALowStart() throws {
        let capacity: UInt64 = 2_500_000
        var configuration = LinkSimulator.Configuration(capacity: capacity)
        configuration.estimator.initialBitrate = 300_000
        var simulator = LinkSimulator(configuration)
        try simulator.run(until: 20 * second)
        let reached = simulator.firstTime(above: 2_000_000)
        print("2.5M link from 300k:", Self.summary(simulator), "above 2M at", reached.map { "\($0 / ms) ms" } ?? "never",
              "probe packets", simulator.probesSent)
        #expect((reached ?? .max) <= 10 * second)
        #expect(simulator.targets(from: 10 * second).allSatisfy { $0 <= capacity * 11 / 10 })
    }

    @Test func followsACapacityDrop() throws {
        var simulator = LinkSimulator(.init(capacity: 2_500_000))
        try simulator.run(until: 20 * second)
        let before = simulator.estimator.targetBitrate
        simulator.capacity = 500_000
        try simulator.run(until: 40 * second)
        let below = simulator.firstTime(below: 600_000, after: 20 * second)
        print("2.5M → 500k at 20 s: before", Self.kbps(before), Self.summary(simulator),
              "below 600k at", below.map { "\($0 / ms) ms" } ?? "never")
        #expect(before > 1_500_000)
        #expect((below ?? .max) <= 23 * second)
        let late = simulator.targets(from: 28 * second)
        #expect(late.allSatisfy { $0 >= 300_000 && $0 <= 550_000 })
    }

    @Test func toleratesModerateRandomLoss() throws {
        let capacity: UInt64 = 2_500_000
        var configuration = LinkSimulator.Configuration(capacity: capacity)
        configuration.lossRate = 0.03
        configuration.seed = 7
        var simulator = LinkSimulator(configuration)
        var lossRatios: [Double] = []
        try simulator.run(until: 30 * second) { _, estimator in lossRatios.append(estimator.statistics.lossRatio) }
        let late = simulator.targets(from: 5 * second)
        let meanLoss = lossRatios.reduce(0, +) / Double(max(lossRatios.count, 1))
        print("3 % loss, 2.5M:", Self.summary(simulator), "min after 5 s", Self.kbps(late.min() ?? 0),
              "mean reported loss", meanLoss)
        #expect(!late.isEmpty)
        #expect(meanLoss > 0.015 && meanLoss < 0.05)  // the loss is there, and seen
        #expect(late.allSatisfy { $0 > capacity / 2 })
    }

    @Test func backsOffUnderHeavyRandomLoss() throws {
        let capacity: UInt64 = 2_500_000
        var configuration = LinkSimulator.Configuration(capacity: capacity)
        configuration.lossRate = 0.15
        configuration.seed = 11
        var simulator = LinkSimulator(configuration)
        try simulator.run(until: 20 * second)
        let late = simulator.targets(from: 10 * second)
        print("15 % loss, 2.5M:", Self.summary(simulator), "max after 10 s", Self.kbps(late.max() ?? 0),
              "dropped", simulator.droppedPackets, "of", simulator.sentPackets)
        #expect(simulator.estimator.statistics.lossBasedBitrate == simulator.estimator.targetBitrate)
        #expect(!late.isEmpty)
        #expect(late.allSatisfy { $0 < 500_000 })
    }

    /// Capacity rises from 500k to 2.5M at 15 s. Without probing the delay-based rate climbs
    /// additively from near the old capacity; when the application wants more (a higher simulcast
    /// layer), probes find the new capacity within seconds, and cost nothing while it is not there.
    @Test func probesFindARisenCapacityWhenTheApplicationWantsMore() throws {
        func run(desired: UInt64?) throws -> LinkSimulator {
            var simulator = LinkSimulator(.init(capacity: 500_000))
            simulator.estimator.setDesiredBitrate(desired)
            try simulator.run(until: 15 * second)
            simulator.capacity = 2_500_000
            try simulator.run(until: 30 * second)
            return simulator
        }
        let wanting = try run(desired: 2_500_000)
        let content = try run(desired: nil)
        let reached = wanting.samples.first { $0.time >= 15 * second && $0.target > 1_500_000 }?.time
        let reachedAlone = content.samples.first { $0.time >= 15 * second && $0.target > 1_500_000 }?.time
        print("500k → 2.5M at 15 s, wanting 2.5M:", Self.summary(wanting), "above 1.5M at", reached.map { "\($0 / ms) ms" } ?? "never",
              "| not wanting:", Self.summary(content), "above 1.5M at", reachedAlone.map { "\($0 / ms) ms" } ?? "never")
        #expect((reached ?? .max) <= 18 * second)
        #expect((reached ?? .max) < (reachedAlone ?? .max))
        // Probing toward 2.5M every second did not unsettle the 500k period.
        #expect(wanting.targets(from: 5 * second, to: 15 * second).allSatisfy { $0 >= 300_000 && $0 <= 550_000 })
    }

    /// Path jitter (up to 10 ms per packet, so packets reorder) and 10 % of feedback lost, with
    /// capacity to spare: jitter is not a growing queue, and the estimate must not mistake it for one.
    @Test func jitterAndLostFeedbackAreNotCongestion() throws {
        var configuration = LinkSimulator.Configuration(capacity: 5_000_000)
        configuration.estimator.maximumBitrate = 2_000_000
        configuration.jitter = 10 * ms
        configuration.feedbackLossRate = 0.1
        configuration.seed = 5
        var simulator = LinkSimulator(configuration)
        var overuses = 0
        try simulator.run(until: 30 * second) { _, estimator in
            if estimator.statistics.usage == .overusing { overuses += 1 }
        }
        let late = simulator.targets(from: 5 * second)
        print("jitter 10 ms, 10 % feedback lost, 5M link, max 2M:", Self.summary(simulator),
              "min after 5 s", Self.kbps(late.min() ?? 0), "overusing feedbacks", overuses)
        #expect(!late.isEmpty)
        #expect(late.allSatisfy { $0 >= 1_600_000 })
    }
}
