import Foundation
import Logging

/// Applies a relay node's spooled attendance (`AttendanceSpool`) to the shared database through the same
/// ledger `serve` uses, in order, and retries while the database is away (1 s, doubling to 30 s).
///
/// Replays are harmless: a join carries the connection's key, which the ledger finds on a second try; a
/// snapshot rewrites the row; a departure sets `left_at` to when the relay saw it. After the reports of
/// the node's earlier run are applied, that run's rows still open are closed (it crashed, or they would have
/// departures), before any report of this run: the order in the spool is the order of the truth.
public struct AttendanceSpoolDrainer: Sendable {
    let spool: AttendanceSpool
    let ledger: AttendanceLedger
    public let nodeID: String
    let logger: Logger

    /// Refusals of one report, with the database answering, before it is dropped.
    static let attempts = 3

    public init(spool: AttendanceSpool, ledger: AttendanceLedger, nodeID: String, logger: Logger) {
        self.spool = spool
        self.ledger = ledger
        self.nodeID = nodeID
        self.logger = logger
    }

    /// Applies what waits, then what arrives (each `wakeUps` element says more may wait), until `wakeUps`
    /// ends and nothing waits, or the task is cancelled.
    public func run(wakeUps: AsyncStream<Void>) async {
        var connections: [String: AttendanceLedger.Connection] = [:]
        var closedEarlierRun = false
        var pause: Duration = .seconds(1)
        var iterator = wakeUps.makeAsyncIterator()
        var ended = false
        var failures = 0
        while !Task.isCancelled {
            let waiting = await spool.waiting
            if waiting.isEmpty, closedEarlierRun {
                if ended { return }
                if await iterator.next() == nil { ended = true }
                continue
            }
            var current: SpooledAttendance?
            do {
                for entry in waiting {
                    if !closedEarlierRun, entry.sequence >= spool.firstLiveSequence {
                        try await ledger.closeDangling(nodeID: nodeID)
                        closedEarlierRun = true
                    }
                    current = entry
                    try await apply(entry, connections: &connections)
                    try await spool.applied(through: entry.sequence)
                    current = nil
                    failures = 0
                }
                // Every report of the earlier run was in `waiting` (or none was spooled): its rows still open are
                // dangling now.
                if !closedEarlierRun {
                    try await ledger.closeDangling(nodeID: nodeID)
                    closedEarlierRun = true
                }
                pause = .seconds(1)
            } catch {
                // A database that answers but keeps refusing one report would block every report behind it
                // forever: after `attempts` refusals with the database up, that report is dropped, loudly.
                failures += 1
                if let current, failures >= Self.attempts, await ledger.databaseAnswers() {
                    logger.error("attendance: dropping a report the database refuses", metadata: [
                        "report": "\(current)", "error": "\(error)"])
                    try? await spool.applied(through: current.sequence)
                    failures = 0
                    continue
                }
                logger.warning("attendance: the database did not take a report, retrying in \(pause)", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(30))
            }
        }
    }

    private func apply(_ entry: SpooledAttendance, connections: inout [String: AttendanceLedger.Connection]) async throws {
        switch entry.kind {
        case .joined:
            let connection = try await ledger.joined(
                roomID: entry.roomID, userID: entry.userID, at: entry.at, node: (nodeID, entry.connectionKey))
            connections[entry.connectionKey] = connection
        case .statistics, .left:
            let left = entry.kind == .left
            // A connection joined in an earlier run: its join was applied then, and finds its row again.
            var connection = connections[entry.connectionKey]
            if connection == nil {
                connection = try await ledger.joined(
                    roomID: entry.roomID, userID: entry.userID, at: entry.at, node: (nodeID, entry.connectionKey))
            }
            guard let connection, let report = entry.report else { return }  // a room the control plane does not know
            try await ledger.record(connection, report, left: left, at: entry.at)
            if left { connections[entry.connectionKey] = nil }
        }
    }
}
