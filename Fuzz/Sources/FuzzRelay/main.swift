import FuzzSupport
import PeerClient
import RTP
import Relay
import STUN

// The relay engine after SRTP: a real publisher (host, audio+video) and a real WHEP subscriber join
// through RelayEngine.join with PeerClient offers and complete ICE and DTLS in-process, exactly as
// Tests/RelayTests/RelayHarness.swift does (ConnectedRoom.swift). Then every record of the input
// becomes one datagram, protected with the sending client's own SRTP keys, so the engine's unprotect
// succeeds, or one signaling step. The fuzzer reaches RTP forwarding with per-leg header extension
// rewriting, RFC 4588 RTX from the publisher and to subscribers, RFC 2198 RED passed through or
// unwrapped, the dominant-speaker detector, the retransmission history, NACK generation and answers,
// RTCP termination, PLI/FIR keyframe requests, receiver-report round trips, transport-wide feedback
// to the publisher, the timers, the room
// socket's subscribe connection (offer, answer, re-offer, ICE restart), publish renegotiation, and
// anyone leaving mid-stream.
//
// Input: records (FuzzRecords). The low two bits of the tag pick what the record is:
//   0  RTP from a publisher. Tag bits 2 and 4 pick the SSRC: 00 audio, 01 camera, 10 the camera's RTX
//      (payload type 97; the payload starts with the original sequence number), 11 the screen share
//      of a renegotiation (the camera's SSRC + 1). Bit 5: from the second publisher (who joins and
//      connects on first use) instead. Bit 3: keep the input's SSRC.
//   1  RTCP from a publisher (bit 5: the second one). Bit 3: keep SSRCs; otherwise values 0...3 map
//      to the sender's real ones.
//   2  RTCP from a subscriber: bit 4 clear, the WHEP subscriber; set, the subscribe connection's peer.
//      SSRC values 0...3 map to the relay's SSRCs towards it (its slots, for the subscribe connection),
//      and NACK sequence numbers count from the first packet received on that SSRC, so "0" is real.
//   3  other, by tag bits 2, 3 and 4:
//      000 advance the engine's clock by the body's first two bytes in ms and run its timers
//      010 someone leaves, by body[0] & 3: publisher, subscriber, second publisher, subscription peer
//      001 the body as a raw datagram from a stranger's address; 011 the same from the publisher's
//      100 the subscribe connection: opened on first use, then the relay's pending offer is answered
//          with the body as SDP ({ufrag} {pwd} {fingerprint} filled in with the peer's) or, for an
//          empty body, a browser's answer; the first answer taken starts ICE and DTLS
//      101 the publisher renegotiates with the body as its offer ({ufrag} {pwd} {fingerprint}
//          {audio-ssrc} {video-ssrc} {rtx-ssrc} {screen-ssrc} filled in) or, for an empty body, its
//          offer plus a screen share (or without it, if it has one)
//      110 the body as a raw datagram from the subscription peer's address
//      111 ICE restart on the subscribe connection
// Set FUZZ_RELAY_TRACE=1 to print what each record did (for turning a crash into a test).

let tracing = environmentFlag("FUZZ_RELAY_TRACE")
let certificate = try! DTLSCertificateCache.relay()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let room = try? ConnectedRoom(certificate: certificate) else {
        preconditionFailure("the publisher and subscriber did not connect")
    }
    if tracing { room.trace = { print("  \($0)") } }
    for (tag, body) in FuzzRecords(input) {
        room.play(tag: tag, body: body)
        if tracing {
            print("tag \(tag) len \(body.count): counters \(room.engine.counters)")
            while let event = room.engine.pollRoomEvent() { print("  room event \(event)") }
        }
    }
    return 0
}

runFuzzer(fuzz)
