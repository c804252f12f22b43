import NIOCore
import Relay
import STUN

/// The UDP edge of one worker: hands each datagram to the engine, whose output goes to the
/// worker's `DatagramBatch` and leaves in one `sendmmsg` at the end of each read batch. NIO reads the
/// first datagram of each wake-up; the rest are drained through the worker's `DatagramReader`.
final class RelayChannelHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let engine: RelayEngine
    let batch: DatagramBatch
    let timer: EngineTimer
    let delays: BatchDelayRecorder
    /// Drains the socket past NIO's one read per wake-up; nil reads everything through NIO.
    let reader: DatagramReader?
    /// At most this many drain reads per wake-up (NIO's own default bound), so timers and other
    /// channels on the loop still get their turn under a flood.
    static let drainReads = 4
    /// Datagrams that arrived inside coalesced (GRO) reads, and those reads: NIO's and the reader's.
    private var nioCoalescedDatagrams: UInt64 = 0
    private var nioCoalescedReads: UInt64 = 0
    var coalescedDatagrams: UInt64 { nioCoalescedDatagrams &+ (reader?.coalescedDatagrams ?? 0) }
    var coalescedReads: UInt64 { nioCoalescedReads &+ (reader?.coalescedReads ?? 0) }
    /// NIO's datagram is copied here before the engine decrypts it in place: writing into NIO's
    /// `ByteBuffer` would copy it anyway, and the buffer goes back to NIO's pool.
    private let receiveBuffer: UnsafeMutableRawBufferPointer

    init(engine: RelayEngine, batch: DatagramBatch, timer: EngineTimer, delays: BatchDelayRecorder, reader: DatagramReader? = nil) {
        self.engine = engine
        self.batch = batch
        self.timer = timer
        self.delays = delays
        self.reader = reader
        receiveBuffer = .allocate(byteCount: 65_536, alignment: 16)
    }

    deinit { receiveBuffer.deallocate() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        guard let source = TransportAddress(envelope.remoteAddress) else { return }
        let now = ContinuousClock.now
        // A GRO read carries a run of datagrams of `segmentSize` bytes (the last may be shorter).
        let segment = envelope.metadata?.segmentSize ?? 0
        envelope.data.withUnsafeReadableBytes { bytes in
            guard segment > 0, bytes.count > segment else { return handle(bytes, from: source, now: now) }
            nioCoalescedReads &+= 1
            var start = 0
            while start < bytes.count {
                let end = min(start + segment, bytes.count)
                nioCoalescedDatagrams &+= 1
                handle(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), from: source, now: now)
                start = end
            }
        }
        drain()
    }

    /// Reads what else is waiting through the reader, decrypting each datagram where it landed.
    private func drain() {
        guard let reader else { return }
        var output = batch
        reader.drain(maxReads: Self.drainReads) { bytes, source in
            let now = ContinuousClock.now
            delays.read(at: now)
            engine.handleDatagram(bytes, from: source, now: now, output: &output)
        }
    }

    /// Copies one datagram out (the engine decrypts in place) and hands it to the engine.
    private func handle(_ bytes: UnsafeRawBufferPointer, from source: TransportAddress, now: ContinuousClock.Instant) {
        let length = min(bytes.count, receiveBuffer.count)
        receiveBuffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(length)))
        var output = batch
        delays.read(at: now)
        engine.handleDatagram(
            UnsafeMutableRawBufferPointer(rebasing: receiveBuffer[0..<length]), from: source, now: now, output: &output)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        batch.flush()
        delays.flushed(at: .now)
        timer.engineDidWork()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port-unreachable from a departed peer surfaces as a read error: not fatal for a relay.
    }
}
