import Testing
@testable import RTCP

@Suite struct SourceDescriptionTests {
    @Test func cnameBuilderLayout() throws {
        // RFC 3550 §6.5.1: SSRC, CNAME item (type 1, length 5, "a@b.c"), null terminator, pad to a word.
        let bytes = try SourceDescription.build(ssrc: 0x0102_0304, cname: "a@b.c")
        #expect(bytes == hex("81ca0003 01020304 0105 61 40 62 2e 63 00"))
    }

    @Test func multipleChunksSkipOtherItemsCorrectly() throws {
        // Chunk 1: NAME "Al", PRIV (prefix len 1 "x", value "yz"), CNAME "c1" → 4+4+6+4 = 18 (+1 null) → 20.
        // Chunk 2: NOTE "" (empty), CNAME "c2" → 4+2+4 = 10 (+1 null) → 12.
        let bytes = hex("""
            82ca0008
            aaaaaaaa 0202416c 0804 01 78 79 7a 0102 6331 0000
            bbbbbbbb 0700 0102 6332 0000
            """)
        try bytes.withUnsafeBytes { buffer in
            let sdes = try SourceDescription(parsing: buffer)
            let chunks = Array(sdes.chunks)
            try #require(chunks.count == 2)
            #expect(chunks[0].ssrc == 0xAAAA_AAAA)
            #expect(chunks[0].items.map(\.type) == [.name, .privateExtension, .cname])
            #expect(ascii(chunks[0].cname) == "c1")
            #expect(chunks[1].ssrc == 0xBBBB_BBBB)
            #expect(chunks[1].items.map(\.type) == [.note, .cname])
            #expect(chunks[1].items.map(\.value.count) == [0, 2])
            #expect(ascii(chunks[1].cname) == "c2")

            let rebuilt = try SourceDescription.build(chunks: chunks.map(SourceDescription.Chunk.init))
            #expect(rebuilt == bytes)
        }
    }

    @Test func itemLengthExactlyFillsWordNeedsFullPaddingWord() throws {
        // 4 (SSRC) + 2 + 2 = 8 bytes of items: the terminator needs a whole extra word.
        let bytes = try SourceDescription.build(ssrc: 1, cname: "ab")
        #expect(bytes == hex("81ca0003 00000001 0102 6162 00000000"))
        try bytes.withUnsafeBytes { buffer in
            let chunk = Array(try SourceDescription(parsing: buffer).chunks).first
            #expect(ascii(chunk?.cname) == "ab")
        }
    }

    @Test func malformedChunksAreRejected() {
        let cases = [
            hex("81ca0002 00000001 0105 6162"),  // item longer than the packet
            hex("81ca0002 00000001 01026162"),  // no null terminator
            hex("82ca0002 00000001 00000000"),  // SC = 2, one chunk
        ]
        for bytes in cases {
            #expect(throws: RTCPError.malformedBody) {
                try bytes.withUnsafeBytes { _ = try SourceDescription(parsing: $0) }
            }
        }
    }

    @Test func builderValidatesItems() {
        let long = SourceDescription.Item(type: .note, value: [UInt8](repeating: 0x41, count: 256))
        #expect(throws: RTCPError.valueOutOfRange) {
            try SourceDescription.build(chunks: [SourceDescription.Chunk(ssrc: 1, items: [long])])
        }
        let end = SourceDescription.Item(type: .end, value: [])
        #expect(throws: RTCPError.valueOutOfRange) {
            try SourceDescription.build(chunks: [SourceDescription.Chunk(ssrc: 1, items: [end])])
        }
    }

    @Test func randomChunksRoundTrip() throws {
        var rng = SeededGenerator(seed: 202)
        for _ in 0..<200 {
            let chunks = (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                SourceDescription.Chunk(
                    ssrc: .random(in: .min ... .max, using: &rng),
                    items: (0..<Int.random(in: 0...4, using: &rng)).map { _ in
                        SourceDescription.Item(
                            type: SDESItemType(rawValue: .random(in: 1...8, using: &rng)),
                            value: (0..<Int.random(in: 0...40, using: &rng)).map { _ in .random(in: 0...255, using: &rng) })
                    })
            }
            let bytes = try SourceDescription.build(chunks: chunks)
            #expect(bytes.count % 4 == 0)
            try bytes.withUnsafeBytes { buffer in
                let parsed = try SourceDescription(parsing: buffer).chunks.map(SourceDescription.Chunk.init)
                #expect(parsed == chunks)
            }
        }
    }
}
