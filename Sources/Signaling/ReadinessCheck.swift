import RelayServer
import Synchronization

/// One part of the process that `/readyz` checks: a name and a probe that answers nil when the part is
/// ready, else a reason fit for a public response.
public struct ReadinessCheck: Sendable {
    public let name: String
    public let probe: @Sendable () async -> String?
    /// Whether a probe is running: at most one per check at a time, shared by copies. `/readyz` is open to
    /// anyone, and a stuck part never answers, so a flood of calls must not pile up probes (or database
    /// queries) behind it: while one runs, a call is answered at once with the part unready.
    private let running = Running()

    private final class Running: Sendable {
        let flag = Mutex(false)
    }

    public init(_ name: String, probe: @escaping @Sendable () async -> String?) {
        self.name = name
        self.probe = probe
    }

    /// One check per relay worker: listening, and its event loop answers (a round trip).
    public static func relayWorkers(of relay: RelayService) -> [ReadinessCheck] {
        (0..<relay.workerCount).map { index in
            ReadinessCheck("relay worker \(index)") { await relay.workerProblem(index) }
        }
    }

    /// The probe's answer, or a timeout's after `timeout`: a stuck part is as unready as a failing one, and
    /// `/readyz` must answer in time whatever hangs. A probe that hangs is left running (nothing can stop a
    /// stuck event loop); its late answer is ignored.
    public func run(timeout: Duration) async -> String? {
        guard running.flag.withLock({ busy in defer { busy = true }; return !busy }) else {
            return "the previous check has not answered yet"
        }
        return await runOnce(timeout: timeout)
    }

    private func runOnce(timeout: Duration) async -> String? {
        await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let pending = Mutex<CheckedContinuation<String?, Never>?>(continuation)
            let answer: @Sendable (String?) -> Void = { result in pending.withLock { $0.take() }?.resume(returning: result) }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { answer("no answer within \(timeout)") }
            }
            let probe = probe
            let running = running
            Task {
                let result = await probe()
                running.flag.withLock { $0 = false }
                answer(result)
                timer.cancel()
            }
        }
    }

    /// Every check at once, each bounded by `timeout`; the answers in the checks' order.
    public static func runAll(_ checks: [ReadinessCheck], timeout: Duration) async -> [(name: String, problem: String?)] {
        await withTaskGroup(of: (Int, String?).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask { (index, await check.run(timeout: timeout)) }
            }
            var answers = [String?](repeating: nil, count: checks.count)
            for await (index, problem) in group { answers[index] = problem }
            return zip(checks, answers).map { ($0.name, $1) }
        }
    }
}
