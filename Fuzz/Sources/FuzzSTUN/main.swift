import FuzzSupport
import ICE
import STUN

// STUN: parse, read every attribute, check MESSAGE-INTEGRITY (SHA-1 and SHA-256) and FINGERPRINT,
// then hand the datagram to an ice-lite agent whose credentials the seed corpus uses, so checks
// that authenticate reach pair selection. Any trap, overflow or out-of-bounds read is a bug:
// the relay parses every STUN datagram a stranger sends to its public port.

/// RFC 5769 §2's password, so its test vectors (the seed corpus) verify.
let rfc5769Key = STUNIntegrityKey(shortTermPassword: "VOkJxbRl1RmTxUk/WvJxBt")
let source = TransportAddress(ipv4: 192, 0, 2, 1, port: 32_853)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = STUNMessage.peekHeader(bytes)
    if let message = try? STUNMessage(parsing: bytes) {
        consume(message.username(in: bytes))
        consume(message.software(in: bytes))
        consume(message.xorMappedAddress(in: bytes))
        consume(message.mappedAddress(in: bytes))
        consume(message.errorCode(in: bytes))
        consume(message.unknownComprehensionRequired(in: bytes))
        consume(message.verifyIntegrity(key: rfc5769Key, in: bytes))
        consume(message.verifyIntegritySHA256(key: rfc5769Key, in: bytes))
        consume(message.verifyFingerprint(in: bytes))
        for raw in message.attributes(in: bytes) {
            consume(raw.value(in: bytes))
            consume(try? STUNAttribute(decoding: raw, in: bytes, transactionID: message.transactionID))
        }
    }
    // The ice-lite agent: RFC 5769's request names "evtj:h6vY", so "evtj" is the local ufrag.
    var agent = ICELiteAgent(
        configuration: ICELiteConfiguration(
            localUfrag: "evtj", localPassword: "VOkJxbRl1RmTxUk/WvJxBt", remoteUfrag: "h6vY",
            consentTimeout: .seconds(30), software: "fuzz"))
    consume(agent.handle(bytes, from: source, now: .now))
    return 0
}

runFuzzer(fuzz)
