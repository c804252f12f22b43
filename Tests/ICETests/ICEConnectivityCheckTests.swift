import Testing
import STUN
@testable import ICE

@Suite struct ICEConnectivityCheckTests {
    let password = "relay-password-0123456789"

    @Test("A controlling check carries USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MI, FINGERPRINT")
    func requestContents() throws {
        let id = STUNTransactionID.random()
        let bytes = ICEConnectivityCheck.makeBindingRequest(
            username: "RLAY:tstr", password: password, priority: 0x7E00_01FF, useCandidate: true,
            tieBreaker: 0xDEAD_BEEF_0000_0001, transactionID: id)
        let message = try STUNMessage(parsing: bytes)
        #expect(message.type == .bindingRequest)
        #expect(message.transactionID == id)
        #expect(message.priority == 0x7E00_01FF)
        #expect(message.iceControlling == 0xDEAD_BEEF_0000_0001)
        #expect(message.iceControlled == nil)
        #expect(message.useCandidate)
        bytes.withUnsafeBytes { raw in
            #expect(message.username(in: raw) == "RLAY:tstr")
            #expect(message.verifyIntegrity(key: STUNIntegrityKey(shortTermPassword: password), in: raw))
            #expect(message.verifyFingerprint(in: raw))
        }
        let plain = ICEConnectivityCheck.makeBindingRequest(
            username: "RLAY:tstr", password: password, priority: 1, useCandidate: false, tieBreaker: 1)
        #expect(try STUNMessage(parsing: plain).useCandidate == false)
    }

    @Test("The RFC 5769 §2.2 response parses as a success for its transaction")
    func rfc5769Response() throws {
        let bytes: [UInt8] = [
            0x01, 0x01, 0x00, 0x3C, 0x21, 0x12, 0xA4, 0x42, 0xB7, 0xE7, 0xA7, 0x01, 0xBC, 0x34, 0xD6, 0x86,
            0xFA, 0x87, 0xDF, 0xAE, 0x80, 0x22, 0x00, 0x0B, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
            0x74, 0x6F, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xA1, 0x47, 0xE1, 0x12, 0xA6, 0x43,
            0x00, 0x08, 0x00, 0x14, 0x2B, 0x91, 0xF5, 0x99, 0xFD, 0x9E, 0x90, 0xC3, 0x8C, 0x74, 0x89, 0xF9,
            0x2A, 0xF9, 0xBA, 0x53, 0xF0, 0x6B, 0xE7, 0xD7, 0x80, 0x28, 0x00, 0x04, 0xC0, 0x7D, 0x4C, 0x96,
        ]
        let id = try #require(STUNTransactionID(bytes: bytes[8..<20]))
        let parsed = try ICEConnectivityCheck.parseBindingResponse(bytes, transactionID: id, password: "VOkJxbRl1RmTxUk/WvJxBt")
        #expect(parsed == .success(mappedAddress: TransportAddress(ipv4: 192, 0, 2, 1, port: 32853)))

        #expect(throws: ICEResponseError.transactionMismatch) {
            try ICEConnectivityCheck.parseBindingResponse(bytes, transactionID: .random(), password: "VOkJxbRl1RmTxUk/WvJxBt")
        }
        #expect(throws: ICEResponseError.badIntegrity) {
            try ICEConnectivityCheck.parseBindingResponse(bytes, transactionID: id, password: "wrong")
        }
        var corrupted = bytes
        corrupted[corrupted.count - 1] ^= 1
        #expect(throws: ICEResponseError.badFingerprint) {
            try ICEConnectivityCheck.parseBindingResponse(corrupted, transactionID: id, password: "VOkJxbRl1RmTxUk/WvJxBt")
        }
        #expect(throws: ICEResponseError.malformed(.truncated)) {
            try ICEConnectivityCheck.parseBindingResponse(Array(bytes[..<10]), transactionID: id, password: "x")
        }
    }

    @Test("A request is not accepted as a response")
    func requestIsNotResponse() {
        let id = STUNTransactionID.random()
        let request = ICEConnectivityCheck.makeBindingRequest(
            username: "a:b", password: password, priority: 1, useCandidate: false, tieBreaker: 1, transactionID: id)
        #expect(throws: ICEResponseError.notABindingResponse) {
            try ICEConnectivityCheck.parseBindingResponse(request, transactionID: id, password: password)
        }
    }
}
