import Testing

@testable import LoadTester

/// The relay's `/metrics` as the load tester reads it: each worker's busy share of the measured window.
@Suite struct RelayMetricsTests {
    @Test func workerBusySharesComeFromTheBusyCountersChangeOverTheWindow() {
        let before = RelayMetrics(parsing: """
            # TYPE peerlearn_relay_worker_busy_seconds_total counter
            peerlearn_relay_worker_busy_seconds_total{worker="1"} 2.0
            peerlearn_relay_worker_busy_seconds_total{worker="0"} 10.0
            peerlearn_relay_rtp_forwarded_total 100
            """)
        let after = RelayMetrics(parsing: """
            peerlearn_relay_worker_busy_seconds_total{worker="0"} 12.5
            peerlearn_relay_worker_busy_seconds_total{worker="1"} 2.5
            peerlearn_relay_rtp_forwarded_total 900
            """)
        let shares = after.workerBusyPercent(since: before, seconds: 10)
        #expect(shares == [25, 5])
        // Without the counters (Janus, an older relay) there is nothing to say.
        #expect(before.workerBusyPercent(since: nil, seconds: 10)?.count == 2)
        #expect(RelayMetrics(parsing: "peerlearn_relay_rtp_forwarded_total 1").workerBusyPercent(since: nil, seconds: 10) == nil)
    }

    @Test func theBusiestWorkerNamesTheLatencyItsBurstsImply() {
        var result = LoadResult(
            scenario: "lecture", participants: 101, windowSeconds: 10, forwardedPacketsPerSecond: 1,
            forwardedMegabitsPerSecond: 1, lossPercent: 0, latencyP50Milliseconds: 1, latencyP95Milliseconds: 1,
            latencyP99Milliseconds: 1, joinP50Milliseconds: 1, joinP99Milliseconds: 1, joined: 100,
            serverCPUSecondsPer1000Packets: nil, serverCPUPercent: nil, serverResidentMegabytes: nil,
            sampledUnprotectOK: 0, sampledUnprotectFailed: 0,
            decoded: .init(.init()))
        #expect(result.busyLine == nil)
        result.relayWorkerBusyPercent = [12, 30]
        #expect(result.busyLine == "lecture N=101: relay workers busy worker 0 12.0%, worker 1 30.0%; "
            + "a 30 fps lecture's frame bursts imply a relay-added p99 near 10.0 ms")
    }
}
