import ControlPlane
import Foundation
import Logging
import Relay
import ServiceLifecycle

/// A relay node's attendance: every join, 5-s statistics snapshot and departure is spooled to disk first
/// (`AttendanceSpool`) and applied to the shared database by `AttendanceSpoolDrainer`, so a database
/// outage or a crash of the node loses none of it. On shutdown the relay's last departures are given 10 s
/// to reach the database; what does not stays spooled for the next start.
struct NodeAttendanceService: Service, CustomStringConvertible {
    let spool: AttendanceSpool
    let drainer: AttendanceSpoolDrainer
    let events: AsyncStream<RelayEvent>
    /// Makes connection keys unique across restarts of the node.
    let incarnation = UUID().uuidString.prefix(8).lowercased()
    let logger: Logger

    var description: String { "NodeAttendanceService" }

    func run() async throws {
        let (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let draining = Task { await drainer.run(wakeUps: wakeUps) }
        for await event in events {
            do {
                switch event {
                case .joined(let who):
                    try await spool.append(.joined, roomID: who.roomID, userID: who.userID, connectionKey: key(who), at: Date())
                case .statistics(let who, let statistics):
                    try await spool.append(
                        .statistics, roomID: who.roomID, userID: who.userID, connectionKey: key(who), at: Date(),
                        report: AttendanceBridge.report(statistics))
                case .left(let who, let statistics, _):
                    try await spool.append(
                        .left, roomID: who.roomID, userID: who.userID, connectionKey: key(who), at: Date(),
                        report: AttendanceBridge.report(statistics))
                }
                wake.yield()
            } catch {
                logger.error("attendance spool: \(error)", metadata: ["event": "\(event)"])
            }
        }
        wake.finish()
        let deadline = Task {
            try? await Task.sleep(for: .seconds(10))
            draining.cancel()
        }
        await draining.value
        deadline.cancel()
        let left = await spool.waiting.count
        if left > 0 { logger.warning("attendance: \(left) reports stay spooled for the next start") }
        try? await gracefulShutdown()
    }

    private func key(_ who: ParticipantIdentity) -> String { "\(drainer.nodeID)/\(incarnation)/\(who.participantID)" }
}
