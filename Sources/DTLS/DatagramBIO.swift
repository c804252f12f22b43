internal import COpenSSL

/// The datagrams moving between OpenSSL and the owner of a `DTLSConnection`.
///
/// A memory BIO would merge everything written into one byte stream, losing the record/datagram
/// boundaries DTLS depends on (RFC 6347 §4.1.1: records must not span datagrams). This channel keeps
/// one datagram per `BIO_write` and hands OpenSSL exactly one received datagram per read.
final class DatagramChannel {
    /// Largest UDP payload OpenSSL may produce; it fragments handshake messages to fit.
    let maximumDatagramSize: Int
    private var outgoing: [[UInt8]] = []
    private var outgoingHead = 0
    /// The datagram being fed in. It points into the caller's buffer and is valid only for the
    /// duration of one `handleDatagram` call, which avoids copying it.
    var incoming: UnsafeRawBufferPointer?
    /// One past the highest epoch-1 record sequence number written: where a retired association's own
    /// records continue (`DTLSRecordProtection`), as OpenSSL offers no call that tells it.
    private(set) var nextWriteSequence: UInt64 = 0

    init(maximumDatagramSize: Int) {
        self.maximumDatagramSize = maximumDatagramSize
    }

    func enqueue(_ datagram: [UInt8]) {
        datagram.withUnsafeBytes { bytes in
            for record in DTLSRecord.records(in: bytes) where record.epoch == 1 {
                nextWriteSequence = max(nextWriteSequence, record.sequence + 1)
            }
        }
        outgoing.append(datagram)
    }

    func dequeue() -> [UInt8]? {
        guard outgoingHead < outgoing.count else { return nil }
        let datagram = outgoing[outgoingHead]
        outgoingHead += 1
        if outgoingHead == outgoing.count {
            outgoing.removeAll(keepingCapacity: true)
            outgoingHead = 0
        }
        return datagram
    }

    /// Wraps the channel in a BIO. The BIO holds it unretained; the connection owns both and frees
    /// the `SSL` (and with it the BIO) before the channel.
    func makeBIO() -> OpaquePointer? {
        guard let bio = BIO_new(datagramBIOMethod) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(self).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    fileprivate static func from(_ bio: OpaquePointer?) -> DatagramChannel? {
        guard let bio, let data = BIO_get_data(bio) else { return nil }
        return Unmanaged<DatagramChannel>.fromOpaque(data).takeUnretainedValue()
    }
}

/// One method table for all connections. Built once, never mutated, only read by OpenSSL, so
/// sharing it across threads is safe although `OpaquePointer` is not `Sendable`.
nonisolated(unsafe) let datagramBIOMethod: OpaquePointer = {
    let type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK
    guard let method = BIO_meth_new(type, "peerlearn datagram") else {
        fatalError("BIO_meth_new failed: \(OpenSSLErrorQueue.drain() ?? "out of memory")")
    }
    _ = BIO_meth_set_write(method) { bio, data, length in
        guard let channel = DatagramChannel.from(bio), let data, length >= 0 else { return -1 }
        channel.enqueue(Array(UnsafeRawBufferPointer(start: data, count: Int(length))))
        return length
    }
    _ = BIO_meth_set_read(method) { bio, buffer, capacity in
        guard let channel = DatagramChannel.from(bio), let buffer, capacity > 0 else { return -1 }
        peerlearn_bio_clear_retry_flags(bio)
        guard let datagram = channel.incoming else {
            // Nothing pending: tell OpenSSL to wait (SSL_ERROR_WANT_READ), as a non-blocking socket would.
            peerlearn_bio_set_retry_read(bio)
            return -1
        }
        channel.incoming = nil
        // Like recv(2) on a datagram socket, excess bytes of an oversized datagram are dropped.
        let count = min(datagram.count, Int(capacity))
        if count > 0, let source = datagram.baseAddress {
            UnsafeMutableRawPointer(buffer).copyMemory(from: source, byteCount: count)
        }
        return Int32(count)
    }
    _ = BIO_meth_set_ctrl(method) { bio, command, _, _ in
        guard let channel = DatagramChannel.from(bio) else { return 0 }
        switch command {
        case BIO_CTRL_FLUSH:
            return 1
        case BIO_CTRL_PENDING:
            return channel.incoming.map { $0.count } ?? 0
        case BIO_CTRL_WPENDING:
            return 0 // Written datagrams are handed over immediately; nothing is buffered inside.
        case BIO_CTRL_DGRAM_QUERY_MTU, BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
            return channel.maximumDatagramSize
        case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
            return 0 // The configured size is already the UDP payload, with IP/UDP headers excluded.
        default:
            return 0
        }
    }
    return method
}()
