import NIOCore
import Relay
import STUN

/// The UDP edge of one worker: hands each datagram to the engine and writes what it returns.
/// Writes are flushed once per read batch (`channelReadComplete`), so NIO sends them with one
/// `sendmmsg`.
final class RelayChannelHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let engine: RelayEngine
    private var addresses: [TransportAddress: SocketAddress] = [:]

    init(engine: RelayEngine) {
        self.engine = engine
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var envelope = Self.unwrapInboundIn(data)
        guard let source = TransportAddress(envelope.remoteAddress) else { return }
        var output = ChannelOutput(handler: self, channel: context.channel)
        envelope.data.withUnsafeMutableReadableBytes { bytes in
            engine.handleDatagram(bytes, from: source, now: .now, output: &output)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port-unreachable from a departed peer surfaces as a read error: not fatal for a relay.
    }

    /// Cached so the hot path does not rebuild a `SocketAddress` per packet; bounded by the peers seen.
    func socketAddress(_ address: TransportAddress) -> SocketAddress {
        if let cached = addresses[address] { return cached }
        let made = SocketAddress(address)
        if addresses.count > 65_536 { addresses.removeAll(keepingCapacity: true) }
        addresses[address] = made
        return made
    }
}

/// Writes the engine's datagrams to the channel; the caller flushes.
struct ChannelOutput: DatagramOutput {
    let handler: RelayChannelHandler
    let channel: any Channel

    mutating func send(_ datagram: UnsafeRawBufferPointer, to destination: TransportAddress) {
        let buffer = channel.allocator.buffer(bytes: datagram)
        let envelope = AddressedEnvelope(remoteAddress: handler.socketAddress(destination), data: buffer)
        channel.write(envelope, promise: nil)
    }
}
