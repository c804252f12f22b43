import Foundation
import Logging
import ServiceLifecycle

/// Notices relay nodes that stopped heartbeating (killed, cut off) and settles what they left: their
/// learners' connections end at the node's last heartbeat (the last moment anyone knew them connected), their
/// rooms' placements go, so the next room token names a live node and the web app, reconnecting on its own,
/// resumes there with a fresh token and a new attendance row. Every control plane may run it: a node is
/// removed only while still silent, and closing a closed row changes nothing.
public struct RelayNodeReaper: Service {
    let services: ControlPlaneServices
    let logger: Logger
    /// How often to look; with `RelayRegistry.defaultTimeout` (6 s) a dead node is settled within ~8 s.
    static let interval: Duration = .seconds(2)

    public init(services: ControlPlaneServices, logger: Logger) {
        self.services = services
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await reap()
            } catch {
                logger.warning("relay node reaper: \(error)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
        }
    }

    /// One pass; the ids of the nodes removed.
    @discardableResult
    public func reap() async throws -> [String] {
        var removed: [String] = []
        for node in try await services.relays.silentNodes() {
            try await AttendanceLedger(services: services).closeDangling(nodeID: node.id, endingAt: node.lastHeartbeat)
            if try await services.relays.remove(silentNodeID: node.id) {
                removed.append(node.id)
                logger.warning("relay node \(node.id) went silent at \(node.lastHeartbeat): its connections closed, its rooms freed")
            }
        }
        return removed
    }
}
