import FuzzSupport
import PeerClient
import RTP
import Relay
import STUN

// The relay engine after SRTP: a real publisher (host, audio+video) and a real subscriber (learner)
// join through RelayEngine.join with PeerClient offers and complete ICE and DTLS in-process, exactly
// as Tests/RelayTests/RelayHarness.swift does. Then every record of the input becomes one datagram,
// protected with the sending client's own SRTP keys, so the engine's unprotect succeeds and the
// fuzzer reaches RTP forwarding, the retransmission history, RTCP termination, NACK answers,
// PLI/FIR keyframe requests, receiver-report round trips and the timers.
//
// Input: records (FuzzRecords). The low two bits of the tag pick what the record is:
//   0  RTP from the publisher          (tag bit 2: audio/video SSRC; bit 3: keep the input's SSRC)
//   1  RTCP from the publisher         (bit 3: keep SSRCs; otherwise small SSRC values map to real ones)
//   2  RTCP from the subscriber        (same mapping; NACK sequence numbers count from the first packet
//                                       the subscriber received on that SSRC, so "0" is a real packet)
//   3  other, by bits 2 and 3: 00 → advance the engine's clock by the body's first two bytes in ms and
//      run its timers; 10 → the publisher (body[0] even) or the subscriber leaves; 01 → the body as a
//      raw datagram from a stranger's address, 11 → the same from the publisher's address (neither
//      protected nor mapped).
// Set FUZZ_RELAY_TRACE=1 to print what each record did (for turning a crash into a test).

let trace = environmentFlag("FUZZ_RELAY_TRACE")
let certificate = try! DTLSCertificateCache.relay()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let room = try? ConnectedRoom(certificate: certificate) else {
        preconditionFailure("the publisher and subscriber did not connect")
    }
    for (tag, body) in FuzzRecords(input) {
        room.play(tag: tag, body: body)
        if trace { print("tag \(tag) len \(body.count): counters \(room.engine.counters)") }
    }
    return 0
}

runFuzzer(fuzz)
