import NIOCore
import Relay
import STUN

/// The UDP edge of one worker: hands each datagram to the engine, whose output goes to the
/// worker's `DatagramBatch` and leaves in one `sendmmsg` at the end of each read batch.
final class RelayChannelHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let engine: RelayEngine
    let batch: DatagramBatch
    let timer: EngineTimer
    let delays: BatchDelayRecorder
    /// Datagrams that arrived inside coalesced (GRO) reads, and those reads.
    private(set) var coalescedDatagrams: UInt64 = 0
    private(set) var coalescedReads: UInt64 = 0
    /// Datagrams are copied here before the engine decrypts them in place: NIO's vector reads hand
    /// out slices of one shared buffer, and writing to a slice would copy the whole buffer.
    private let receiveBuffer: UnsafeMutableRawBufferPointer

    init(engine: RelayEngine, batch: DatagramBatch, timer: EngineTimer, delays: BatchDelayRecorder) {
        self.engine = engine
        self.batch = batch
        self.timer = timer
        self.delays = delays
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
            coalescedReads &+= 1
            var start = 0
            while start < bytes.count {
                let end = min(start + segment, bytes.count)
                coalescedDatagrams &+= 1
                handle(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), from: source, now: now)
                start = end
            }
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
