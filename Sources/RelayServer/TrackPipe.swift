import Cascade
import NIOCore
import NIOPosix
import Relay
import STUN

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
    let loop: any EventLoop
    let bridge: CascadeBridge
    /// The pipe's publisher on its worker, once joined.
    var localParticipantID: String?
    private var channel: (any Channel)?
    private var timer: RepeatedTask?
    private var idleSince: ContinuousClock.Instant?
    private var ended = false
    private var addresses: [TransportAddress: SocketAddress] = [:]

    init(key: Key, loop: any EventLoop) throws {
        self.key = key
        self.loop = loop
        bridge = try CascadeBridge()
    }

    /// Binds the socket on `host`, starts ICE on both sides and the pipe's clock. `occupancy` reads the
    /// room on the pipe's worker; `end` is called once, on the loop, when the pipe is over.
    func start(
        bindHost: String, occupancy: @escaping () -> (people: Int, pipes: Int), end: @escaping (String) -> Void
    ) async throws {
        let channel = try await DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_rcvbuf), value: 1 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(pipe: self))
                }
            }
            .bind(host: bindHost, port: 0).get()
        try await loop.submit {
            self.channel = channel
            for side in [CascadeBridge.Side.upstream, .downstream] {
                guard let remote = self.bridge.remote(side) else { continue }
                self.addresses[remote] = try SocketAddress(ipAddress: remote.ipDescription, port: Int(remote.port))
            }
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
        ended = true
        timer?.cancel()
        channel?.close(promise: nil)
        end(reason)
    }

    /// Stops the pipe without a reason to report (the service is shutting down).
    func stop() {
        ended = true
        timer?.cancel()
        channel?.close(promise: nil)
    }

    fileprivate func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard !ended, let source = TransportAddress(envelope.remoteAddress) else { return }
        let side: CascadeBridge.Side
        if source == bridge.remote(.downstream) {
            side = .downstream
        } else if source == bridge.remote(.upstream) {
            side = .upstream
        } else {
            return
        }
        bridge.handleDatagram(Array(envelope.data.readableBytesView), from: side, now: .now)
    }

    fileprivate func flush() {
        guard let channel else { return }
        var wrote = false
        while let (bytes, destination) = bridge.pollTransmit() {
            guard let address = addresses[destination] else { continue }
            channel.write(AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(bytes: bytes)), promise: nil)
            wrote = true
        }
        if wrote { channel.flush() }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let pipe: TrackPipe

        init(pipe: TrackPipe) { self.pipe = pipe }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pipe.receive(Self.unwrapInboundIn(data))
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            pipe.flush()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // ICMP unreachable from an origin that went away: the bridge's state says so in time.
        }
    }
}
