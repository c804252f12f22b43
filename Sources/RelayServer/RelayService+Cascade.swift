import Relay
import STUN
import Synchronization

/// A room across workers and nodes by one mechanism: a cascade pipe pulls the room's tracks from where
/// they are published (WHEP, as any viewer) and publishes them again on the worker that fans them out.
/// Between this process's workers the upstream is in-process (`WorkerUpstream`); from another node it is
/// that node's WHEP endpoint (`pipeFromOrigin`).
extension RelayService {
    /// The worker a join goes to: its room's home, unless it is a WHEP viewer of a room whose home holds
    /// `spreadAfter` people already; then the worker with the fewest of the room's people, fed by a pipe.
    func placeJoin(_ request: RelayEngine.JoinRequest) async throws(RelayError) -> Int {
        let home = homeIndex(forRoom: request.roomID)
        guard configuration.spreadAfter > 0, workers.count > 1, !request.relayed,
            case .subscribe(let watching) = request.intent
        else { return home }
        let roomID = request.roomID
        var people: [Int] = []
        for worker in workers {
            people.append(
                (try? await onWorker(worker) { engine, _ throws(RelayError) in engine.occupancy(ofRoom: roomID).people }) ?? .max)
        }
        guard people[home] >= configuration.spreadAfter else { return home }
        let target = people.indices.min { people[$0] < people[$1] || (people[$0] == people[$1] && $0 == home) } ?? home
        guard target != home else { return home }
        do {
            try await ensurePipe(
                TrackPipe.Key(roomID: roomID, watching: watching, worker: target),
                upstream: WorkerUpstream(service: self, roomID: roomID, watching: watching, index: home))
        } catch {
            // The room still fits at home; a viewer is not refused because a pipe could not be made.
            logger.warning("cascade pipe to worker \(target) for room \(roomID) failed: \(error)")
            return home
        }
        return target
    }

    /// Feeds the room's home worker on this node from the room's origin on another node (an edge node's
    /// first viewer of a room); returns once the pipe's publisher has joined here, so viewers joining
    /// next bind to it. A pipe already open (or opening) for the room and watched user is reused.
    public func pipeFromOrigin(roomID: String, watching: String?, upstream: any CascadeUpstream) async throws {
        try await ensurePipe(
            TrackPipe.Key(roomID: roomID, watching: watching, worker: homeIndex(forRoom: roomID)), upstream: upstream)
    }

    /// Pipes open on this process (operators, tests).
    public var openPipes: Int { pipes.count }

    func ensurePipe(_ key: TrackPipe.Key, upstream: any CascadeUpstream) async throws {
        guard let opening = pipes.claim(key, make: { Task { try await self.openPipe(key, upstream: upstream) } }) else {
            throw PipeTable.Full(roomID: key.roomID)
        }
        do {
            try await opening.value
        } catch {
            pipes.forget(key, ifOpening: opening)
            throw error
        }
    }

    /// The pipe's viewer at the origin, then its publisher here, then ICE and DTLS on both.
    private func openPipe(_ key: TrackPipe.Key, upstream: any CascadeUpstream) async throws {
        let worker = workers[key.worker]
        let pipe = try await worker.loop.submit { try TrackPipe(key: key, loop: worker.loop) }.get()
        do {
            let upstreamOffer = try await worker.loop.submit { pipe.bridge.upstreamOffer() }.get()
            let upstreamAnswer = try await upstream.open(offer: upstreamOffer)
            let downstreamOffer = try await worker.loop.submit {
                try pipe.bridge.applyAnswer(upstreamAnswer, from: .upstream, reachAt: upstream.reachAt)
                return pipe.bridge.downstreamOffer()
            }.get()
            // The pipe publishes as who it watches, so the worker's viewers of that user (or of the host)
            // bind to it as they would to the publisher.
            let local = try await join(
                RelayEngine.JoinRequest(
                    roomID: key.roomID, userID: key.watching ?? "relay:host", role: key.watching == nil ? .host : .participant,
                    intent: .publish, offer: downstreamOffer, relayed: true),
                onWorker: key.worker)
            let reach = localAddress(ofWorker: key.worker)
            try await worker.loop.submit {
                try pipe.bridge.applyAnswer(local.answer, from: .downstream, reachAt: reach)
                pipe.localParticipantID = local.participantID
            }.get()
            let bound = worker.bound
            try await pipe.start(
                bindHost: configuration.bindHost,
                occupancy: { bound.value.engine.occupancy(ofRoom: key.roomID) },
                end: { reason in
                    Task { await self.pipeEnded(pipe, upstream: upstream, reason: reason) }
                })
        } catch {
            await upstream.close()
            throw error
        }
        pipes.opened(key, pipe)
        logger.info("cascade pipe open", metadata: ["room": "\(key.roomID)", "worker": "\(key.worker)"])
    }

    private func pipeEnded(_ pipe: TrackPipe, upstream: any CascadeUpstream, reason: String) async {
        pipes.forget(pipe.key, ifPipe: pipe)
        logger.info("cascade pipe closed", metadata: ["room": "\(pipe.key.roomID)", "worker": "\(pipe.key.worker)", "reason": "\(reason)"])
        if let participantID = try? await workers[pipe.key.worker].loop.submit({ pipe.localParticipantID }).get() {
            try? await leave(roomID: pipe.key.roomID, participantID: participantID)
        }
        await upstream.close()
    }

    /// Where a pipe reaches a worker of this process: the address it binds (loopback for a wildcard).
    func localAddress(ofWorker index: Int) -> TransportAddress? {
        let host: String
        switch configuration.bindHost {
        case "0.0.0.0", "": host = "127.0.0.1"
        case "::": host = "::1"
        default: host = configuration.bindHost
        }
        return TransportAddress(ip: host, port: UInt16(workers[index].port))
    }
}

/// The pipes of a process, by key: each opening once however many viewers ask at the same moment. A viewer
/// chooses whom it watches (`?participant=`), so a room's pipes on this process are capped: asking to watch
/// user after user cannot make the relay open pipe after pipe.
final class PipeTable: Sendable {
    static let maximumPerRoom = 16

    struct Full: Error, CustomStringConvertible {
        let roomID: String
        var description: String { "room \(roomID) already has \(PipeTable.maximumPerRoom) cascade pipes here" }
    }

    private enum Slot {
        case opening(Task<Void, any Error>)
        case open(TrackPipe)
    }

    private let slots = Mutex<[TrackPipe.Key: Slot]>([:])

    var count: Int { slots.withLock { $0.count } }

    /// The task that opens (or opened) the key's pipe: the one already there, or `make`'s; nil when the room
    /// has its maximum of pipes.
    func claim(_ key: TrackPipe.Key, make: () -> Task<Void, any Error>) -> Task<Void, any Error>? {
        slots.withLock { slots in
            switch slots[key] {
            case .opening(let task): return task
            case .open: return Task {}
            case nil:
                guard slots.keys.count(where: { $0.roomID == key.roomID }) < Self.maximumPerRoom else { return nil }
                let task = make()
                slots[key] = .opening(task)
                return task
            }
        }
    }

    func opened(_ key: TrackPipe.Key, _ pipe: TrackPipe) {
        slots.withLock { $0[key] = .open(pipe) }
    }

    func forget(_ key: TrackPipe.Key, ifOpening task: Task<Void, any Error>) {
        slots.withLock { slots in
            if case .opening(let current) = slots[key], current == task { slots[key] = nil }
        }
    }

    func forget(_ key: TrackPipe.Key, ifPipe pipe: TrackPipe) {
        slots.withLock { slots in
            if case .open(let current) = slots[key], current === pipe { slots[key] = nil }
        }
    }

    /// Every open pipe, removed (shutdown).
    func removeAll() -> [TrackPipe] {
        slots.withLock { slots in
            let open = slots.values.compactMap { if case .open(let pipe) = $0 { pipe } else { nil } }
            slots.removeAll()
            return open
        }
    }
}
