import Testing

@testable import Congestion

@Suite struct ReceiveSideRateControllerTests {
    @Test func itStartsFromWhatArrivesAndClimbsOnlyAsTheSenderFollows() {
        var controller = ReceiveSideRateController(maximum: 2_500_000)
        #expect(controller.bitrate == nil)
        #expect(controller.update(received: 290_000, lossFraction: 0, elapsed: 1_000_000_000) == 445_000)
        // A sender that stays at 290k: the estimate holds (never past 1.5x + 10k, never pulled down).
        for _ in 0..<10 { controller.update(received: 290_000, lossFraction: 0, elapsed: 1_000_000_000) }
        #expect(controller.bitrate == 445_000)
        // A sender that follows climbs 8% a second up to the maximum.
        for _ in 0..<60 { controller.update(received: controller.bitrate ?? 0, lossFraction: 0, elapsed: 1_000_000_000) }
        #expect(controller.bitrate == 2_500_000)
        // A quiet sender does not pull it down.
        controller.update(received: 10_000, lossFraction: 0, elapsed: 1_000_000_000)
        #expect(controller.bitrate == 2_500_000)
    }

    @Test func heavyLossCutsModerateLossHolds() {
        var controller = ReceiveSideRateController(maximum: 2_500_000)
        controller.update(received: 1_300_000, lossFraction: 0, elapsed: 1_000_000_000)
        #expect(controller.bitrate == 1_960_000)
        controller.update(received: 2_000_000, lossFraction: 0.05, elapsed: 1_000_000_000)
        #expect(controller.bitrate == 1_960_000)
        controller.update(received: 2_000_000, lossFraction: 0.20, elapsed: 1_000_000_000)
        #expect(controller.bitrate == 1_764_000)
        for _ in 0..<30 { controller.update(received: 100_000, lossFraction: 1, elapsed: 1_000_000_000) }
        #expect(controller.bitrate == controller.minimum)
    }

    @Test func hostileInputsStayInRange() {
        var controller = ReceiveSideRateController()
        controller.update(received: .max, lossFraction: .nan, elapsed: .max)
        controller.update(received: 0, lossFraction: -3, elapsed: .min)
        #expect(controller.bitrate.map { (controller.minimum...controller.maximum).contains($0) } == true)
    }
}
