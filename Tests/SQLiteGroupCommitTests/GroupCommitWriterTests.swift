import Foundation
import Synchronization
import Testing

@testable import SQLiteGroupCommit

/// The writer against a real SQLite file: savepoint isolation, batching, durability before the answer.
@Suite struct GroupCommitWriterTests {
    static func makeWriter(maximumBatch: Int = 64, lease: @escaping GroupCommitWriter.Exclusive = { await $0() }) throws
        -> (GroupCommitWriter, String)
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("group-commit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("test.sqlite").path
        let writer = try GroupCommitWriter(path: path, maximumBatch: maximumBatch, exclusive: lease)
        return (writer, path)
    }

    struct Refused: Error, Equatable {}

    /// A plain connection of its own, one query at a time.
    final class Reader: @unchecked Sendable {
        private let lock = NSLock()
        private let connection: WriterConnection
        init(path: String) throws { connection = try WriterConnection(path: path) }
        func count(job: Int) throws -> Int64? {
            try lock.withLock {
                try connection.first("SELECT count(*) FROM log WHERE job = ?", [.integer(Int64(job))])?.first?.integer
            }
        }
    }

    @Test func aJobThatThrowsIsRolledBackAloneAndTheOthersCommit() async throws {
        let (writer, path) = try Self.makeWriter()
        try await writer.write { try $0.query("CREATE TABLE seats (id INTEGER PRIMARY KEY, owner TEXT UNIQUE)") }
        // 40 concurrent jobs; every fifth inserts, then throws: its row must not survive.
        let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<40 {
                group.addTask {
                    do {
                        try await writer.write { db in
                            try db.query("INSERT INTO seats (owner) VALUES (?)", [.text("learner-\(index)")])
                            if index % 5 == 0 { throw Refused() }
                        }
                        return (index, true)
                    } catch is Refused {
                        return (index, false)
                    }
                }
            }
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes.count == 40)
        #expect(outcomes.filter { !$0.value }.map(\.key).sorted() == Array(stride(from: 0, to: 40, by: 5)))
        let owners = try await writer.write { db in try db.query("SELECT owner FROM seats ORDER BY id").compactMap { $0.first?.text } }
        #expect(owners.count == 32)
        #expect(!owners.contains("learner-0") && !owners.contains("learner-35") && owners.contains("learner-1"))
        // A constraint failure is a job's own error, with the code callers map to a conflict.
        await #expect {
            try await writer.write { try $0.query("INSERT INTO seats (owner) VALUES ('learner-1')") }
        } throws: { ($0 as? SQLiteFailure)?.isConstraint == true }
        await writer.close()
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    @Test func concurrentJobsShareCommitsAndEveryAnswerComesAfterItsCommit() async throws {
        let batches = Atomic<Int>(0)
        let leases = Atomic<Int>(0)
        let overlapped = Atomic<Bool>(false)
        let (writer, path) = try Self.makeWriter(maximumBatch: 16) { batch in
            if leases.add(1, ordering: .sequentiallyConsistent).newValue > 1 { overlapped.store(true, ordering: .sequentiallyConsistent) }
            batches.add(1, ordering: .sequentiallyConsistent)
            await batch()
            leases.subtract(1, ordering: .sequentiallyConsistent)
        }
        try await writer.write { try $0.query("CREATE TABLE log (id INTEGER PRIMARY KEY, job INTEGER)") }
        let before = batches.load(ordering: .sequentiallyConsistent)
        // A second connection reading outside any transaction (WAL: it sees committed rows only): what a
        // caller was told is written must be visible to anyone else at once.
        let reader = try Reader(path: path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for job in 0..<200 {
                group.addTask {
                    try await writer.write { try $0.query("INSERT INTO log (job) VALUES (?)", [.integer(Int64(job))]) }
                    let seen = try reader.count(job: job)
                    #expect(seen == 1, "job \(job) answered before its commit was visible")
                }
            }
            try await group.waitForAll()
        }
        let used = batches.load(ordering: .sequentiallyConsistent) - before
        #expect(used < 200, "200 concurrent jobs took \(used) commits: no grouping")
        let everOverlapped = overlapped.load(ordering: .sequentiallyConsistent)
        #expect(!everOverlapped, "two batches held the exclusive lease at once")
        await writer.close()
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    @Test func aClosedWriterRefusesNewJobs() async throws {
        let (writer, path) = try Self.makeWriter()
        await writer.close()
        await #expect(throws: SQLiteFailure.self) { try await writer.write { try $0.query("SELECT 1") } }
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    @Test func aFailedLeaseFailsItsBatchWithoutRunningIt() async throws {
        struct Shutdown: Error {}
        let (writer, path) = try Self.makeWriter { _ in throw Shutdown() }
        await #expect(throws: Shutdown.self) { try await writer.write { try $0.query("CREATE TABLE t (x)") } }
        await writer.close()
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }
}
