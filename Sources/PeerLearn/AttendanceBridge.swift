import ControlPlane
import Logging
import Relay

/// Feeds the relay's events to the control plane's attendance ledger: a join when DTLS completes,
/// a statistics snapshot every few seconds (one row per connection, rewritten, so a crash loses at
/// most one interval), and the departure with final statistics.
struct AttendanceBridge: Sendable {
    let ledger: AttendanceLedger
    let logger: Logger

    /// Consumes events until the relay finishes (graceful shutdown emits a `left` for everyone first).
    func run(_ events: AsyncStream<RelayEvent>) async {
        var connections: [String: AttendanceLedger.Connection] = [:]
        for await event in events {
            do {
                switch event {
                case .joined(let who):
                    connections[who.participantID] = try await ledger.joined(roomID: who.roomID, userID: who.userID)
                case .statistics(let who, let statistics):
                    guard let connection = connections[who.participantID] else { continue }
                    try await ledger.record(connection, Self.report(statistics), left: false)
                case .left(let who, let statistics, _):
                    guard let connection = connections.removeValue(forKey: who.participantID) else { continue }
                    try await ledger.record(connection, Self.report(statistics), left: true)
                }
            } catch {
                logger.error("attendance: \(error)", metadata: ["event": "\(event)"])
            }
        }
    }

    static func report(_ statistics: Relay.ParticipantStatistics) -> ParticipantStatisticsReport {
        let expected = Double(statistics.packetsIn) + Double(statistics.packetsLost)
        return ParticipantStatisticsReport(
            userID: 0, bytesIn: Int64(clamping: statistics.bytesIn), bytesOut: Int64(clamping: statistics.bytesOut),
            packetsIn: Int64(clamping: statistics.packetsIn), packetsOut: Int64(clamping: statistics.packetsOut),
            packetsLost: max(0, statistics.packetsLost),
            lossFraction: expected > 0 ? min(1, Double(max(0, statistics.packetsLost)) / expected) : 0,
            jitterMs: max(0, statistics.jitterMilliseconds), secondsInRoom: max(0, statistics.secondsInRoom),
            audioOnly: statistics.audioOnly,
            estimatedBitrate: statistics.bandwidth.map { Int64(clamping: $0.estimate) },
            acknowledgedBitrate: statistics.bandwidth?.acknowledged.map { Int64(clamping: $0) },
            feedbackLossFraction: statistics.bandwidth.map { min(1, max(0, $0.lossFraction)) },
            roundTripMs: statistics.bandwidth?.roundTripMilliseconds.map { max(0, $0) })
    }
}
