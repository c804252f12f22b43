/// Source description, PT 202 (RFC 3550 §6.5). A view borrowing the packet's memory.
///
/// Each chunk is an SSRC/CSRC followed by items; the item list ends with at least one null octet and
/// the chunk is zero-padded to a 32-bit boundary. The whole layout is validated up front so the
/// chunk and item iterators cannot fail.
public struct SourceDescription {
    public static let maxChunks = 31
    /// An item's length field is one octet.
    public static let maxItemLength = 255

    /// The chunks, in packet order.
    public let chunks: Chunks

    public init(parsing packet: UnsafeRawBufferPointer) throws(RTCPError) {
        let (header, body) = try RTCPHeader.split(packet, type: .sourceDescription)
        var offset = 0
        for _ in 0..<header.count {
            offset = try Self.chunkEnd(in: body, from: offset)
        }
        chunks = Chunks(bytes: body.slice(0..<offset), count: Int(header.count))
    }

    /// Validates the chunk starting at `start` and returns where the next one begins.
    static func chunkEnd(in body: UnsafeRawBufferPointer, from start: Int) throws(RTCPError) -> Int {
        var offset = start + 4
        guard offset <= body.count else { throw .malformedBody }
        while true {
            guard offset < body.count else { throw .malformedBody }
            if body[offset] == SDESItemType.end.rawValue {
                // Null terminator plus padding to the next 32-bit boundary.
                let end = paddedToWord(offset + 1)
                guard end <= body.count else { throw .malformedBody }
                return end
            }
            guard offset + 2 <= body.count else { throw .malformedBody }
            let itemEnd = offset + 2 + Int(body[offset + 1])
            guard itemEnd <= body.count else { throw .malformedBody }
            offset = itemEnd
        }
    }

    /// Lazily decoded chunks.
    public struct Chunks: Sequence {
        let bytes: UnsafeRawBufferPointer
        public let count: Int

        public var underestimatedCount: Int { count }

        public func makeIterator() -> Iterator {
            Iterator(bytes: bytes, remaining: count)
        }

        public struct Iterator: IteratorProtocol {
            let bytes: UnsafeRawBufferPointer
            var remaining: Int
            var offset = 0

            public mutating func next() -> ChunkView? {
                guard remaining > 0,
                      let end = try? SourceDescription.chunkEnd(in: bytes, from: offset)
                else { return nil }
                remaining -= 1
                let chunk = ChunkView(ssrc: bytes.readUInt32(at: offset), itemBytes: bytes.slice((offset + 4)..<end))
                offset = end
                return chunk
            }
        }
    }

    /// One chunk: a source and its items.
    public struct ChunkView {
        public let ssrc: UInt32
        /// Items followed by the terminator and padding.
        let itemBytes: UnsafeRawBufferPointer

        public var items: Items { Items(bytes: itemBytes) }

        /// The canonical name, which every compound must carry (RFC 3550 §6.5.1).
        public var cname: UnsafeRawBufferPointer? {
            for item in items where item.type == .cname { return item.value }
            return nil
        }
    }

    /// Items of one chunk; types other than CNAME are yielded too, so callers skip what they ignore.
    public struct Items: Sequence {
        let bytes: UnsafeRawBufferPointer

        public func makeIterator() -> Iterator {
            Iterator(bytes: bytes)
        }

        public struct Iterator: IteratorProtocol {
            let bytes: UnsafeRawBufferPointer
            var offset = 0

            public mutating func next() -> ItemView? {
                // Bounds were validated when the packet was parsed; re-check cheaply anyway.
                guard offset + 2 <= bytes.count, bytes[offset] != SDESItemType.end.rawValue else { return nil }
                let end = offset + 2 + Int(bytes[offset + 1])
                guard end <= bytes.count else { return nil }
                let item = ItemView(type: SDESItemType(rawValue: bytes[offset]), value: bytes.slice((offset + 2)..<end))
                offset = end
                return item
            }
        }
    }

    /// One item: its type and raw value (UTF-8 text for the standard types).
    public struct ItemView {
        public let type: SDESItemType
        public let value: UnsafeRawBufferPointer
    }

    // MARK: - Building

    /// An owned chunk to encode.
    public struct Chunk: Sendable, Equatable {
        public var ssrc: UInt32
        public var items: [Item]

        public init(ssrc: UInt32, items: [Item]) {
            self.ssrc = ssrc
            self.items = items
        }

        /// Copies a parsed chunk into owned storage, e.g. to re-encode it.
        public init(_ view: ChunkView) {
            ssrc = view.ssrc
            items = view.items.map { Item(type: $0.type, value: Array($0.value)) }
        }

        var encodedLength: Int {
            // SSRC, items, then at least one null octet, padded to a word.
            paddedToWord(4 + items.reduce(0) { $0 + 2 + $1.value.count } + 1)
        }
    }

    /// An owned item to encode.
    public struct Item: Sendable, Equatable {
        public var type: SDESItemType
        public var value: [UInt8]

        public init(type: SDESItemType, value: [UInt8]) {
            self.type = type
            self.value = value
        }

        public static func cname(_ text: String) -> Item {
            Item(type: .cname, value: Array(text.utf8))
        }
    }

    public static func encodedLength(chunks: some Collection<Chunk>) -> Int {
        RTCPHeader.size + chunks.reduce(0) { $0 + $1.encodedLength }
    }

    /// - Returns: bytes written.
    public static func write(
        chunks: some Collection<Chunk>, into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) -> Int {
        guard chunks.count <= maxChunks else { throw .valueOutOfRange }
        for chunk in chunks {
            for item in chunk.items where item.type == .end || item.value.count > maxItemLength {
                throw .valueOutOfRange
            }
        }
        let length = encodedLength(chunks: chunks)
        try ensureCapacity(buffer, length)
        try RTCPHeader.forPacket(type: .sourceDescription, count: UInt8(chunks.count), packetLength: length)
            .write(to: buffer)
        var offset = RTCPHeader.size
        for chunk in chunks {
            let chunkEnd = offset + chunk.encodedLength
            buffer.writeUInt32(chunk.ssrc, at: offset)
            offset += 4
            for item in chunk.items {
                buffer[offset] = item.type.rawValue
                buffer[offset + 1] = UInt8(item.value.count)
                for (index, byte) in item.value.enumerated() { buffer[offset + 2 + index] = byte }
                offset += 2 + item.value.count
            }
            buffer.zero(offset..<chunkEnd)
            offset = chunkEnd
        }
        return length
    }

    public static func build(chunks: some Collection<Chunk>) throws(RTCPError) -> [UInt8] {
        try buildBytes(count: encodedLength(chunks: chunks)) { buffer throws(RTCPError) in
            try write(chunks: chunks, into: buffer)
        }
    }

    /// The common case: one source announcing its CNAME.
    public static func build(ssrc: UInt32, cname: String) throws(RTCPError) -> [UInt8] {
        try build(chunks: [Chunk(ssrc: ssrc, items: [.cname(cname)])])
    }
}
