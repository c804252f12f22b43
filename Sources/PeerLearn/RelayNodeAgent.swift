import ControlPlane
import Logging
import RelayServer
import ServiceLifecycle
import Signaling

/// A standalone relay's membership of the cluster, through the shared database: it heartbeats its load into
/// the registry (`RelayRegistry`) every 2 s, so the control plane places rooms on it and names it in room
/// tokens; it leaves on graceful shutdown, so its rooms are placed afresh at once; and it ends a room when
/// the control plane announces its session's end (`RoomEvent`, LISTEN/NOTIFY on PostgreSQL).
struct RelayNodeAgent: Service {
    let node: RelayNode
    let registry: RelayRegistry
    let database: PeerLearnDatabase
    let relay: RelayService
    let rooms: RoomWebSocketRoutes
    let logger: Logger

    func run() async throws {
        let node = try node.validated()
        let listening = Task { [database, relay, rooms, logger] in
            await database.listenForRoomEvents(logger: logger) { event in
                let reason: SessionEndReason = event.ended == SessionEndHook.Reason.cancelled.rawValue ? .cancelled : .completed
                logger.info("session ended: closing its room", metadata: ["room": "\(event.roomID)", "reason": "\(event.ended)"])
                await rooms.endSession(room: event.roomID, reason: reason)
                await relay.closeRoom(roomID: event.roomID)
            }
        }
        defer { listening.cancel() }
        logger.info("relay node \(node.id) joins the registry as \(node.signalingURL)")
        var failing = false
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let snapshot = await relay.snapshot()
            var report = node
            report.participants = snapshot.participants
            report.rooms = snapshot.rooms
            do {
                try await registry.heartbeat(report)
                if failing { logger.notice("relay node \(node.id): heartbeats reach the registry again") }
                failing = false
            } catch {
                // The database restarting, or its schema not there yet (the control plane migrates it).
                if !failing { logger.warning("relay node \(node.id): heartbeat failed: \(error)") }
                failing = true
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: RelayRegistry.heartbeatInterval) }
        }
        do {
            try await registry.leave(nodeID: node.id)
            logger.info("relay node \(node.id) left the registry")
        } catch {
            logger.warning("relay node \(node.id): leaving the registry failed (it times out instead): \(error)")
        }
    }
}
