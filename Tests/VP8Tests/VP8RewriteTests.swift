import Testing
import VP8

private func rewrite(_ bytes: inout [UInt8], pictureID: UInt16? = nil, tl0PicIdx: UInt8? = nil) -> VP8Error? {
    guard case .success(let payload) = parse(bytes) else { return .truncated }
    return bytes.withUnsafeMutableBytes { buffer -> VP8Error? in
        do throws(VP8Error) {
            if let pictureID { try payload.rewritePictureID(pictureID, in: buffer) }
            if let tl0PicIdx { try payload.rewriteTL0PicIdx(tl0PicIdx, in: buffer) }
            return nil
        } catch {
            return error
        }
    }
}

@Test func rewritesFifteenBitPictureIDAndTL0PicIdxInPlace() throws {
    let original: [UInt8] = [0x90, 0xE0, 0x92, 0x67, 0x05, 0x40, 0xAA, 0xBB]
    var bytes = original
    #expect(rewrite(&bytes, pictureID: 0x7ABC, tl0PicIdx: 200) == nil)
    let descriptor = try parse(bytes).get().descriptor
    #expect(descriptor.pictureID == .fifteenBit(0x7ABC))
    #expect(descriptor.tl0PicIdx == 200)
    #expect(descriptor.temporalLayer == 1)
    #expect(bytes[5...] == original[5...])
    #expect(bytes[..<2] == original[..<2])
}

@Test func pictureIDWrapsWithinFieldWidth() throws {
    var long: [UInt8] = [0x90, 0x80, 0x92, 0x67, 0x00]
    #expect(rewrite(&long, pictureID: 0x8001) == nil)
    #expect(try parse(long).get().descriptor.pictureID == .fifteenBit(1))
    var short: [UInt8] = [0x90, 0x80, 0x05, 0x00]
    #expect(rewrite(&short, pictureID: 300) == nil)
    #expect(try parse(short).get().descriptor.pictureID == .sevenBit(UInt8(300 % 128)))
    #expect(short[3] == 0x00)
}

@Test func rewritingAbsentFieldsFails() {
    var plain: [UInt8] = [0x10, 0x00]
    #expect(rewrite(&plain, pictureID: 1) == .fieldAbsent)
    #expect(rewrite(&plain, tl0PicIdx: 1) == .fieldAbsent)
    #expect(plain == [0x10, 0x00])
}

@Test func rewritingIntoShorterBufferFailsInsteadOfTrapping() throws {
    let payload = try parse([0x90, 0xC0, 0x92, 0x67, 0x05, 0x00]).get()
    var short: [UInt8] = [0x90, 0xC0, 0x92]
    let result = short.withUnsafeMutableBytes { buffer in
        Result { () throws(VP8Error) in try payload.rewritePictureID(7, in: buffer) }
    }
    guard case .failure(let error) = result else { Issue.record("expected failure"); return }
    #expect(error == .truncated)
}
