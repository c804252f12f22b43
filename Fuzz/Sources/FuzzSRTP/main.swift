import FuzzSupport
import SRTP

// AEAD_AES_128_GCM on its two backends (OpenSSL EVP, the relay's; libsrtp, the reference), fed hostile bytes.
//  - Unprotect: any input, as RTP and as RTCP, on fresh inbound contexts of both: never a trap, and a packet
//    one backend authenticates the other must authenticate to the same plaintext (a forgery that passes one
//    is the bug this looks for).
//  - Protect: any input as RTP and RTCP on fresh outbound contexts: where both protect, the bytes are equal,
//    and what ours protects libsrtp unprotects back to the input.
// The first input byte picks the master key's last byte, so keys vary too.

let salt: [UInt8] = Array(100..<112)

func contexts(_ direction: SRTPContext.Direction, keyByte: UInt8) -> (ours: SRTPContext, reference: SRTPContext) {
    let key = Array(0..<15) + [keyByte]
    return (try! SRTPContext(profile: .aeadAes128Gcm, direction: direction, masterKey: key, masterSalt: salt, backend: .openSSL),
            try! SRTPContext(profile: .aeadAes128Gcm, direction: direction, masterKey: key, masterSalt: salt, backend: .libsrtp))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let keyByte = input.first else { return 0 }
    let packet = Array(input.dropFirst())
    for rtcp in [false, true] {
        let inbound = contexts(.inbound, keyByte: keyByte)
        var a = packet
        var b = packet
        let oursOK = (try? rtcp ? inbound.ours.unprotectRTCP(&a) : inbound.ours.unprotectRTP(&a)) != nil
        let referenceOK = (try? rtcp ? inbound.reference.unprotectRTCP(&b) : inbound.reference.unprotectRTP(&b)) != nil
        if oursOK || referenceOK {
            precondition(oursOK && referenceOK && a == b, "one backend authenticated what the other refused (rtcp \(rtcp))")
        }

        let outbound = contexts(.outbound, keyByte: keyByte)
        var c = packet
        var d = packet
        let oursProtected = (try? rtcp ? outbound.ours.protectRTCP(&c) : outbound.ours.protectRTP(&c)) != nil
        let referenceProtected = (try? rtcp ? outbound.reference.protectRTCP(&d) : outbound.reference.protectRTP(&d)) != nil
        if oursProtected && referenceProtected { precondition(c == d, "the backends protected to different bytes") }
        if oursProtected {
            let check = contexts(.inbound, keyByte: keyByte).reference
            var back = c
            let ok = (try? rtcp ? check.unprotectRTCP(&back) : check.unprotectRTP(&back)) != nil
            precondition(ok && back == packet, "libsrtp does not read back what ours protected")
        }
    }
    return 0
}

runFuzzer(fuzz)
