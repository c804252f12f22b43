import Cascade
import NIOCore
import Relay
import STUN

#if canImport(Glibc)
import Glibc
#endif

/// One cascade pipe's IO: its `CascadeBridge` and a UDP socket of its own, on the event loop of the
/// worker whose room it feeds. It ends when either side fails, or when the room on its worker has had
/// nobody for `idleTimeout` (the edge's viewers left).
final class TrackPipe: @unchecked Sendable {
    struct Key: Hashable, Sendable {
        let roomID: String
        /// The watched user; nil: the room's host.
        let watching: String?
        let worker: Int
    }

    static let idleTimeout: Duration = .seconds(20)
    static let tick: TimeAmount = .milliseconds(20)

    let key: Key
    let loop: WorkerLoop
    let bridge: CascadeBridge
    /// The pipe's publisher on its worker, once joined.
    var localParticipantID: String?
    private var socket: (descriptor: CInt, reader: DatagramReader, batch: DatagramBatch)?
    private var timer: RepeatedTask?
    private var idleSince: ContinuousClock.Instant?
    private var ended = false

    init(key: Key, loop: WorkerLoop) throws {
        self.key = key
        self.loop = loop
        bridge = try CascadeBridge()
    }

    /// Binds the socket on `host`, starts ICE on both sides and the pipe's clock. `occupancy` reads the
    /// room on the pipe's worker; `end` is called once, on the loop, when the pipe is over.
    func start(
        bindHost: String, occupancy: @escaping @Sendable () -> (people: Int, pipes: Int), end: @escaping @Sendable (String) -> Void
    ) async throws {
        let bound = try RelaySocket.bind(host: bindHost, port: 0, bufferBytes: 1 << 20)
        try await loop.submit {
            do {
                try self.loop.watch(bound.descriptor) { self.readable() }
            } catch {
                close(bound.descriptor)
                throw error
            }
            self.socket = (
                bound.descriptor, DatagramReader(socket: bound.descriptor, offload: false),
                DatagramBatch(socket: bound.descriptor, family: bound.family, capacity: 64, segmentation: false)
            )
            self.bridge.start(now: .now)
            self.flush()
            self.timer = self.loop.scheduleRepeatedTask(initialDelay: Self.tick, delay: Self.tick) { _ in
                self.onTick(occupancy: occupancy, end: end)
            }
        }.get()
    }

    private func onTick(occupancy: () -> (people: Int, pipes: Int), end: (String) -> Void) {
        guard !ended else { return }
        let now = ContinuousClock.now
        bridge.handleTimeout(now: now)
        flush()
        if case .failed(let reason) = bridge.state { return finish(reason, end: end) }
        let room = occupancy()
        // Itself is the room's only connection: no viewer here, and no pipe onward from here.
        if room.people == 0 && room.pipes <= 1 {
            idleSince = idleSince ?? now
            if let since = idleSince, now - since >= Self.idleTimeout { finish("idle", end: end) }
        } else {
            idleSince = nil
        }
    }

    private func finish(_ reason: String, end: (String) -> Void) {
        stop()
        end(reason)
    }

    /// Stops the pipe without a reason to report (the service is shutting down).
    func stop() {
        ended = true
        timer?.cancel()
        guard let socket else { return }
        self.socket = nil
        loop.unwatch(socket.descriptor)
        close(socket.descriptor)
    }

    private func readable() {
        socket?.reader.drain(maxReads: 4) { bytes, source in receive(UnsafeRawBufferPointer(bytes), from: source) }
        flush()
    }

    private func receive(_ bytes: UnsafeRawBufferPointer, from source: TransportAddress) {
        guard !ended else { return }
        let side: CascadeBridge.Side
        if source == bridge.remote(.downstream) {
            side = .downstream
        } else if source == bridge.remote(.upstream) {
            side = .upstream
        } else {
            return
        }
        bridge.handleDatagram(Array(bytes), from: side, now: .now)
    }

    private func flush() {
        guard let batch = socket?.batch else { return }
        while let (bytes, destination) = bridge.pollTransmit() {
            bytes.withUnsafeBytes { batch.send($0, to: destination) }
        }
        batch.flush()
    }
}
