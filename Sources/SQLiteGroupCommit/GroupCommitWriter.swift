import Dispatch
import Synchronization

/// Group commit for SQLite: write jobs that arrive while a commit is in flight share the next one.
///
/// With `synchronous = FULL` every commit waits for an fsync (~2-3 ms on this machine's disk), so one
/// transaction per booking step caps a single connection at a few hundred commits a second however little
/// each one does. Here each job runs in its own savepoint inside one `BEGIN IMMEDIATE … COMMIT` per batch:
/// a job that throws is rolled back alone, the others commit together, and no caller is answered before
/// the fsync of the commit that holds its job. So the durability promise is unchanged (what returned is on
/// disk) while the fsync is paid once per batch. Batches form by themselves: under load the queue fills
/// while the previous batch commits; alone, a job commits at once.
///
/// Jobs are synchronous closures run on the writer's serial queue with its own connection and cached
/// statements, so a step of several statements costs one hop to the queue and one back, not a thread-pool
/// round trip per statement. `exclusive` wraps each batch: the control plane passes a lease of Fluent's
/// connection, so the two connections never write at the same time (no `SQLITE_BUSY`, and a Fluent
/// transaction that read before writing never finds its snapshot stale).
public final class GroupCommitWriter: Sendable {
    public typealias Exclusive = @Sendable (_ batch: @escaping @Sendable () async -> Void) async throws -> Void

    private struct Job: Sendable {
        /// Runs the job's body; false when it threw (its savepoint is then rolled back).
        let run: @Sendable (WriterConnection) -> Bool
        /// Answers the caller once the batch committed (nil) or failed as a whole.
        let finish: @Sendable ((any Error)?) -> Void
    }

    private struct State {
        var pending: [Job] = []
        var draining = false
        var closed = false
    }

    private let queue = DispatchQueue(label: "peerlearn.sqlite.group-commit")
    /// Touched only on `queue`.
    private nonisolated(unsafe) let connection: WriterConnection
    private let state = Mutex(State())
    private let exclusive: Exclusive
    private let maximumBatch: Int

    /// Opens a second connection to the database file at `path` (WAL, `synchronous = FULL`).
    public init(path: String, maximumBatch: Int = 64, exclusive: @escaping Exclusive) throws {
        connection = try WriterConnection(path: path)
        self.exclusive = exclusive
        self.maximumBatch = max(1, maximumBatch)
    }

    /// Runs `body` in the next group transaction and returns its result once that transaction is durable.
    /// What `body` throws rolls back its own writes only and is rethrown here. `body` runs on the writer's
    /// queue: it must not wait for anything (the batch holds the database meanwhile).
    public func write<T: Sendable>(_ body: @escaping @Sendable (WriterConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let outcome = Mutex<Result<T, any Error>?>(nil)
            let job = Job(
                run: { connection in
                    let result = Result { try body(connection) }
                    outcome.withLock { $0 = result }
                    if case .success = result { return true } else { return false }
                },
                finish: { batchError in
                    let result = outcome.withLock { $0 } ?? .failure(batchError ?? SQLiteFailure(code: 1, message: "job not run"))
                    if let batchError, case .success = result {
                        continuation.resume(throwing: batchError)
                    } else {
                        continuation.resume(with: result)
                    }
                })
            let admitted = state.withLock { state -> (queued: Bool, start: Bool) in
                if state.closed { return (false, false) }
                state.pending.append(job)
                defer { state.draining = true }
                return (true, !state.draining)
            }
            guard admitted.queued else {
                continuation.resume(throwing: SQLiteFailure(code: 21, message: "the group-commit writer is closed"))
                return
            }
            if admitted.start { Task { await self.drain() } }
        }
    }

    /// Finishes the batches already queued, then refuses new jobs and closes the connection.
    public func close() async {
        state.withLock { $0.closed = true }
        while state.withLock({ $0.draining }) { try? await Task.sleep(for: .milliseconds(5)) }
        await withCheckedContinuation { continuation in
            queue.async {
                self.connection.close()
                continuation.resume()
            }
        }
    }

    private func drain() async {
        while true {
            let jobs = state.withLock { state -> [Job] in
                let taken = Array(state.pending.prefix(maximumBatch))
                state.pending.removeFirst(taken.count)
                if taken.isEmpty { state.draining = false }
                return taken
            }
            guard !jobs.isEmpty else { return }
            do {
                try await exclusive { await self.commit(jobs) }
            } catch {
                // The lease itself failed (the database is shutting down): nothing of this batch ran.
                for job in jobs { job.finish(error) }
            }
        }
    }

    /// One batch on the writer's queue: BEGIN IMMEDIATE, a savepoint per job, COMMIT, then the answers.
    private func commit(_ jobs: [Job]) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async {
                let connection = self.connection
                var batchError: (any Error)?
                do {
                    try connection.execute("BEGIN IMMEDIATE")
                    for job in jobs {
                        try connection.execute("SAVEPOINT job")
                        if job.run(connection) {
                            try connection.execute("RELEASE job")
                        } else {
                            try connection.execute("ROLLBACK TO job")
                            try connection.execute("RELEASE job")
                        }
                    }
                    try connection.execute("COMMIT")
                } catch {
                    batchError = error
                    try? connection.execute("ROLLBACK")
                }
                for job in jobs { job.finish(batchError) }
                done.resume()
            }
        }
    }
}
