import Testing
@testable import RTCP

@Suite struct GoodbyeTests {
    @Test func byeWithReasonLayout() throws {
        // RFC 3550 §6.6: SC = 2, SSRCs, length-prefixed reason padded to a word.
        let bytes = try Goodbye.build(sources: [0x1111_1111, 0x2222_2222], reason: Array("done".utf8))
        #expect(bytes == hex("82cb0004 11111111 22222222 04646f6e 65000000"))
        try bytes.withUnsafeBytes { buffer in
            let bye = try Goodbye(parsing: buffer)
            #expect(Array(bye.sources) == [0x1111_1111, 0x2222_2222])
            #expect(ascii(bye.reason) == "done")
            #expect(try Goodbye.build(sources: bye.sources, reason: Array(bye.reason!)) == bytes)
        }
    }

    @Test func byeWithoutReason() throws {
        let bytes = try Goodbye.build(sources: [7])
        #expect(bytes == hex("81cb0001 00000007"))
        try bytes.withUnsafeBytes { buffer in
            let bye = try Goodbye(parsing: buffer)
            #expect(bye.reason == nil)
            #expect(Array(bye.sources) == [7])
        }
    }

    @Test func reasonOfThreeBytesFillsWordExactly() throws {
        let bytes = try Goodbye.build(sources: [UInt32](), reason: Array("bye".utf8))
        #expect(bytes == hex("80cb0001 03627965"))
    }

    @Test func malformed() {
        for bytes in [hex("82cb0001 00000001"), hex("81cb0002 00000001 09414243")] {
            #expect(throws: RTCPError.malformedBody) {
                try bytes.withUnsafeBytes { _ = try Goodbye(parsing: $0) }
            }
        }
        #expect(throws: RTCPError.valueOutOfRange) {
            try Goodbye.build(sources: [1], reason: [UInt8](repeating: 0, count: 256))
        }
    }
}
