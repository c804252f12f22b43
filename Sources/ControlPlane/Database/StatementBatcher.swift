import Synchronization

/// Runs requests that arrive together as one database statement: requests queue while up to
/// `maximumInFlight` statements run, and each statement takes up to `maximumBatch` of them.
///
/// PostgreSQL spends more on starting a statement (executor set-up, constraint preparation, the round trip,
/// the commit) than on each row it writes, so ten bookings in one statement cost far less than ten
/// statements. Batches form by themselves: alone, a request runs at once in a batch of one; under load the
/// queue fills while the statements in flight run. `execute` answers each request of a batch in order.
final class StatementBatcher<Request: Sendable, Response: Sendable>: Sendable {
    typealias Execute = @Sendable ([Request]) async -> [Result<Response, any Error>]

    private struct Waiting: Sendable {
        let request: Request
        let continuation: CheckedContinuation<Response, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var inFlight = 0
    }

    private let state = Mutex(State())
    private let maximumBatch: Int
    private let maximumInFlight: Int
    private let execute: Execute

    init(maximumBatch: Int, maximumInFlight: Int, execute: @escaping Execute) {
        self.maximumBatch = max(1, maximumBatch)
        self.maximumInFlight = max(1, maximumInFlight)
        self.execute = execute
    }

    func submit(_ request: Request) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            let batch = state.withLock { state -> [Waiting]? in
                state.waiting.append(Waiting(request: request, continuation: continuation))
                return take(&state)
            }
            if let batch { Task { await run(batch) } }
        }
    }

    /// A batch to start, if a statement slot is free (counted as taken).
    private func take(_ state: inout State) -> [Waiting]? {
        guard state.inFlight < maximumInFlight, !state.waiting.isEmpty else { return nil }
        let batch = Array(state.waiting.prefix(maximumBatch))
        state.waiting.removeFirst(batch.count)
        state.inFlight += 1
        return batch
    }

    private func run(_ first: [Waiting]) async {
        var batch = first
        while true {
            let results = await execute(batch.map(\.request))
            for (index, waiting) in batch.enumerated() {
                let result = index < results.count
                    ? results[index] : .failure(BatchError.unanswered)
                waiting.continuation.resume(with: result)
            }
            // Keep the slot for the next batch, or give it back.
            guard let next = state.withLock({ state -> [Waiting]? in
                state.inFlight -= 1
                return take(&state)
            }) else { return }
            batch = next
        }
    }

    enum BatchError: Error { case unanswered }
}
