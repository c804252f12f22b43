#!/usr/bin/env python3
"""Writes the committed seed corpora (Fuzz/Corpus/<Target>/) from real captures and test vectors in Tests/.

STUN: the RFC 5769 vectors transcribed in Tests/STUNTests. SDP: the captured browser offers in
Tests/SDPTests/Fixtures, answers to the relay's subscribe offer and renegotiations of a fixed publisher. RTP/VP8: the Chromium VP8 packet from Tests/RTPTests plus its Opus and
two-byte-extension variants, RED and RTX packets (FuzzRTP's inputs start with a subscriber leg's
configuration, see Fuzz/Sources/FuzzRTP/LegConfiguration.swift). RTCP: the compound packets a browser sends (SR+SDES, RR+REMB, NACK, PLI,
FIR, transport-cc, BYE). Relay: datagram sequences in FuzzRelay's record format. RoomMessages: every
client message of Sources/Signaling/README.md. DTLS seeds come from a real handshake:
FUZZ_DTLS_WRITE_SEEDS=Fuzz/Corpus/FuzzDTLS .build-fuzz/release/FuzzDTLS

The other files in each directory, named by their SHA-1, are inputs the fuzzers found that reach new
coverage, kept by `scripts/fuzz merge TARGET` (libFuzzer -set_cover_merge=1) so every run starts from there.
"""
import os, re, struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "Fuzz", "Corpus")


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def records(items):
    out = b""
    for tag, body in items:
        out += struct.pack(">BH", tag, len(body)) + body
    return out


# --- STUN: RFC 5769 vectors, straight from the test file.
stun_tests = open(os.path.join(ROOT, "Tests/STUNTests/RFC5769Tests.swift")).read()
for name, hexdump in re.findall(r'static let (\w+) = \[UInt8\]\(hex: """(.*?)"""', stun_tests, re.S):
    write("FuzzSTUN", f"rfc5769-{name}", bytes.fromhex(hexdump.replace("\n", " ")))

# --- SDP: the captured offers; first byte 0 = publish, 1 = subscribe.
fixtures = os.path.join(ROOT, "Tests/SDPTests/Fixtures")
for file in sorted(os.listdir(fixtures)):
    if not file.endswith(".sdp"):
        continue
    text = open(os.path.join(fixtures, file), "rb").read()
    intents = [1] if "recvonly" in file else [0, 1]
    for intent in intents:
        write("FuzzSDP", f"{file[:-4]}-{'subscribe' if intent else 'publish'}", bytes([intent]) + text)

# Roles 2 and 3 (Fuzz/Sources/FuzzSDP/FixedOffers.swift): answers to the relay's subscribe offer for
# FixedPublisher's tracks, and renegotiations of FixedPublisher's session. The publisher's offer here must
# stay the same text as FixedPublisher.offer, so the renegotiations continue its session.
FINGERPRINT = "sha-256 B8:3B:52:4E:C3:49:9A:DE:FA:94:CE:8E:68:F4:DE:F1:8D:F2:D8:61:63:FA:D1:D1:4F:16:3A:BF:24:49:3B:B5"


def sdp(lines):
    return ("\r\n".join(lines) + "\r\n").encode()


def publisher_offer(ufrag="fuzzPub1", screen=False, video=True):
    transport = ["c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0", f"a=ice-ufrag:{ufrag}", "a=ice-pwd:fuzzPublisherPassword123",
                 "a=ice-options:trickle", f"a=fingerprint:{FINGERPRINT}", "a=setup:actpass"]
    mids = ["0"] + (["1"] if video else []) + (["2"] if screen else [])
    lines = ["v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE " + " ".join(mids),
             "a=extmap-allow-mixed", "a=msid-semantic: WMS stream"]
    lines += ["m=audio 9 UDP/TLS/RTP/SAVPF 111 63"] + transport + [
        "a=mid:0", "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid", "a=sendonly", "a=msid:stream audio", "a=rtcp-mux",
        "a=rtcp-rsize", "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtpmap:63 red/48000/2", "a=fmtp:63 111/111", "a=ssrc:1001 cname:fuzz"]
    for mid, ssrc in ([("1", 2001)] if video else []) + ([("2", 3001)] if screen else []):
        lines += ["m=video 9 UDP/TLS/RTP/SAVPF 96 97"] + transport + [
            f"a=mid:{mid}", "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid", "a=extmap:13 urn:3gpp:video-orientation",
            "a=sendonly", "a=msid:stream video", "a=rtcp-mux", "a=rtcp-rsize", "a=rtpmap:96 VP8/90000",
            "a=rtcp-fb:96 goog-remb", "a=rtcp-fb:96 nack", "a=rtcp-fb:96 nack pli", "a=rtcp-fb:96 ccm fir",
            "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96", f"a=ssrc-group:FID {ssrc} {ssrc + 1}", f"a=ssrc:{ssrc} cname:fuzz",
            f"a=ssrc:{ssrc + 1} cname:fuzz"]
    return sdp(lines)


def subscription_answer(full=True, reject_audio=False, setup="active"):
    """An answer to the relay's subscribe offer (mids 0 audio, 1 video; extmap ids 1 mid, 2 abs-send-time,
    3 transport-cc, 4 audio level, 5 video orientation; Opus 111 + RED 63, VP8 96 + RTX 97)."""
    transport = ["c=IN IP4 0.0.0.0", "a=ice-ufrag:fuzzSub1", "a=ice-pwd:fuzzSubscriberPassword12",
                 f"a=fingerprint:{FINGERPRINT}", f"a=setup:{setup}"]
    lines = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE " + ("1" if reject_audio else "0 1")]
    lines += [f"m=audio {0 if reject_audio else 9} UDP/TLS/RTP/SAVPF 111" + (" 63" if full else "")] + transport + ["a=mid:0"]
    if full:
        lines += ["a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid", "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
                  "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
                  "a=extmap:4 urn:ietf:params:rtp-hdrext:ssrc-audio-level"]
    lines += ["a=inactive" if reject_audio else "a=recvonly", "a=rtcp-mux", "a=rtpmap:111 opus/48000/2"]
    if full:
        lines += ["a=rtpmap:63 red/48000/2", "a=fmtp:63 111/111"]
    lines += ["m=video 9 UDP/TLS/RTP/SAVPF 96" + (" 97" if full else "")] + transport + ["a=mid:1"]
    if full:
        lines += ["a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid", "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
                  "a=extmap:5 urn:3gpp:video-orientation"]
    lines += ["a=recvonly", "a=rtcp-mux", "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 nack"]
    if full:
        lines += ["a=rtcp-fb:96 nack pli", "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96"]
    return sdp(lines)


write("FuzzSDP", "subscription-answer", bytes([2]) + subscription_answer())
write("FuzzSDP", "subscription-answer-minimal", bytes([2]) + subscription_answer(full=False))
write("FuzzSDP", "subscription-answer-rejects-audio", bytes([2]) + subscription_answer(reject_audio=True))
write("FuzzSDP", "subscription-answer-passive", bytes([2]) + subscription_answer(setup="passive"))
write("FuzzSDP", "renegotiation-unchanged", bytes([3]) + publisher_offer())
write("FuzzSDP", "renegotiation-adds-screen", bytes([3]) + publisher_offer(screen=True))
write("FuzzSDP", "renegotiation-ice-restart", bytes([3]) + publisher_offer(ufrag="fuzzPub2", screen=True))
write("FuzzSDP", "renegotiation-drops-video", bytes([3]) + publisher_offer(video=False))

# --- RTP: Tests/RTPTests/TestSupport.swift's chromiumVP8Packet and variants.
def rtp(pt, seq, ts, ssrc, payload, marker=False, ext=None, csrcs=(), padding=0):
    first = 0x80 | (0x10 if ext else 0) | (0x20 if padding else 0) | len(csrcs)
    out = struct.pack(">BBHII", first, (0x80 if marker else 0) | pt, seq, ts, ssrc)
    for c in csrcs:
        out += struct.pack(">I", c)
    if ext:
        profile, data = ext
        data += b"\0" * (-len(data) % 4)
        out += struct.pack(">HH", profile, len(data) // 4) + data
    out += payload
    if padding:
        out += b"\0" * (padding - 1) + bytes([padding])
    return out


vp8_keyframe = bytes([0x90, 0x80, 0x9A, 0x2B, 0x50, 0x3A, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01]) + bytes(range(40))
vp8_inter = bytes([0x90, 0x80, 0x9A, 0x2C, 0x11, 0x02, 0x00]) + bytes(range(40))
vp8_middle = bytes([0x80, 0x80, 0x9A, 0x2B]) + bytes(range(60))  # S=0: continues the frame
chromium_ext = (0xBEDE, bytes([0x22, 0x8F, 0xB2, 0x4C, 0x41, 0x01, 0x23]))


def leg(mid=1, tw=3, ast=2, flags=0x0E, mid_length=1, rtx_pt=97, pairs=((1, 5), (2, 6), (4, 14))):
    """FuzzRTP's LegConfiguration: the subscriber leg's ids, then three forwarded (source, destination) pairs."""
    return bytes([mid, tw, ast, flags, mid_length, rtx_pt] + [b for pair in pairs for b in pair])


# RED (RFC 2198): one redundant block (F=1, PT 111, offset 960, 3 bytes), then the primary header and data.
red_payload = bytes([0xEF, 0x0F, 0x00, 0x03, 0x6F, 7, 7, 7]) + b"\xfc" + b"\x42" * 20
write("FuzzRTP", "chromium-vp8", leg() + rtp(96, 27023, 0xD9C293DA, 0x1C642782, vp8_keyframe[:10], True, chromium_ext))
write("FuzzRTP", "opus-audio-level", leg() + rtp(111, 7, 960, 0x11223344, b"\xfc" + b"\x42" * 40, False, (0xBEDE, bytes([0x10, 0x85]))))
write("FuzzRTP", "two-byte-extension", leg(pairs=((1, 20), (2, 2), (15, 3))) + rtp(96, 1, 3000, 5, vp8_inter, False, (0x1000, bytes([1, 0, 2, 2, 0xAB, 0xCD, 0, 15, 1, 0x55]))))
write("FuzzRTP", "csrcs-padding", leg(flags=0x0F, mid_length=16) + rtp(111, 65535, 0, 9, b"\x78" * 20, True, None, (1, 2, 3), padding=4))
# A one-byte-only leg (no extmap-allow-mixed) fed a two-byte block whose long and empty elements are dropped.
write("FuzzRTP", "one-byte-leg-two-byte-source", leg(mid=1, tw=14, ast=0, flags=0x07, mid_length=8, pairs=((1, 2), (3, 4), (2, 2)))
      + rtp(111, 9, 960, 7, b"\xfc" * 10, False, (0x1000, bytes([1, 0, 2, 17]) + bytes(range(17)) + bytes([3, 1, 0x7F]))))
write("FuzzRTP", "long-mid-two-byte-leg", leg(mid=200, tw=3, ast=16, flags=0x0E, mid_length=40) + rtp(96, 2, 1, 8, vp8_inter, True, chromium_ext))
write("FuzzRTP", "red-opus", leg(pairs=((1, 10), (0, 0), (0, 0))) + rtp(63, 100, 4800, 0x11223344, red_payload, False, (0xBEDE, bytes([0x10, 0x85]))))
write("FuzzRTP", "rtx-vp8", leg(rtx_pt=96) + rtp(97, 500, 90000, 0x55667788, struct.pack(">H", 27023) + vp8_inter, True, chromium_ext))
write("FuzzRTP", "rtx-padding-only", leg(rtx_pt=96) + rtp(97, 501, 90000, 0x55667788, b"", False, None, padding=200))
write("FuzzRTP", "malformed-extension-block", leg() + rtp(96, 3, 3000, 5, vp8_inter, False, (0xBEDE, bytes([0x2F, 0x01]))))

# --- VP8: single payloads, and a 3-packet frame for the assembler (tag: seq step << 1 | marker).
write("FuzzVP8", "keyframe-payload", vp8_keyframe)
write("FuzzVP8", "interframe-payload", vp8_inter)
write("FuzzVP8", "all-extensions", bytes([0x90, 0xF0, 0x81, 0x23, 0x45, 0xE7]) + b"\x00" * 10)
write("FuzzVP8", "frame-sequence", records([(2, vp8_keyframe), (2, vp8_middle), (3, vp8_middle), (2, vp8_inter), (3, vp8_middle)]))
write("FuzzVP8", "frame-with-gap", records([(2, vp8_keyframe), (4, vp8_middle), (3, vp8_middle)]))


# --- RTCP: what browsers send.
def rtcp(count, pt, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack(">BBH", 0x80 | count, pt, len(body) // 4) + body


def block(ssrc, lost=3, highest=1000):
    return struct.pack(">IIIIII", ssrc, (12 << 24) | lost, highest, 40, 0x11223344, 6553)


def sdes(ssrc, cname):
    return rtcp(1, 202, struct.pack(">I", ssrc) + bytes([1, len(cname)]) + cname + b"\0")


sr = rtcp(1, 200, struct.pack(">IQIII", 0x1111, 0xE000_0001_8000_0000, 90000, 10, 12000) + block(0x2222))
rr = rtcp(2, 201, struct.pack(">I", 0x3333) + block(0x2222) + block(0x4444, lost=0xFFFFFF))
remb = rtcp(15, 206, struct.pack(">II", 0x3333, 0) + b"REMB" + bytes([1, 0x0B, 0xD1, 0x20]) + struct.pack(">I", 0x2222))
nack = rtcp(1, 205, struct.pack(">IIHHHH", 0x3333, 0x2222, 100, 0b1010, 200, 0xFFFF))
pli = rtcp(1, 206, struct.pack(">II", 0x3333, 0x2222))
fir = rtcp(4, 206, struct.pack(">IIIBxxxIBxxx", 0x3333, 0, 0x2222, 7, 0x4444, 8))
# transport-cc: base 10, 6 packets: run-length chunk (3 small), status vector chunk, deltas.
twcc = rtcp(15, 205, struct.pack(">IIHHIHH", 0x3333, 0x2222, 10, 6, (100 << 8) | 5, 0x2003, 0xD900) + bytes([4, 8, 12, 1, 0x01, 0x00, 3]))
bye = rtcp(1, 203, struct.pack(">I", 0x1111) + bytes([4]) + b"done")
write("FuzzRTCP", "sr-sdes", sr + sdes(0x1111, b"abcdefghijklmnop"))
write("FuzzRTCP", "rr-remb", rr + remb)
write("FuzzRTCP", "rr-nack", rtcp(0, 201, struct.pack(">I", 0x3333)) + nack)
write("FuzzRTCP", "pli", pli)
write("FuzzRTCP", "fir", fir)
write("FuzzRTCP", "transport-cc", twcc)
write("FuzzRTCP", "sr-bye", sr + bye)

# --- Relay: records (tag & 3: 0 publisher RTP [bit 2 video], 1 publisher RTCP, 2 subscriber RTCP,
# 3 clock (3), leave (11), raw datagram (7 stranger, 15 publisher address)). SSRC values 0/1 map to the real audio/video SSRCs; NACK ids count from the first
# packet the subscriber received.
AUDIO, VIDEO = 0, 1
opus = b"\xfc" + b"\x42" * 60
mid_ext = (0xBEDE, bytes([0x10, ord("0")]))


def ms(n):
    return (3, struct.pack(">H", n))


media = [
    (0, rtp(111, 100, 0, 0, opus)), (0, rtp(111, 101, 960, 0, opus)),
    (4, rtp(96, 5000, 90000, 0, vp8_keyframe, True)),
    (4, rtp(96, 5001, 93000, 0, vp8_inter)), (4, rtp(96, 5002, 93000, 0, vp8_middle, True)),
    (4, rtp(96, 5003, 96000, 0, vp8_inter, True, mid_ext)),
]
sub_nack = rtcp(1, 205, struct.pack(">IIHH", 0, VIDEO, 0, 0b11))
sub_rr = rtcp(1, 201, struct.pack(">I", 0) + block(VIDEO))
sub_pli = rtcp(1, 206, struct.pack(">II", 0, VIDEO))
sub_fir = rtcp(4, 206, struct.pack(">IIIBxxx", 0, 0, VIDEO, 1))
pub_sr = rtcp(0, 200, struct.pack(">IQIII", VIDEO, 0xE000_0001_8000_0000, 96000, 4, 400)) + sdes(VIDEO, b"publisher")
write("FuzzRelay", "forward-nack-pli", records(media + [
    (2, sub_rr + sub_nack), ms(20), (2, sub_pli), (2, sub_fir), ms(600), (2, sub_pli), (1, pub_sr), ms(1100),
    (2, rtcp(1, 201, struct.pack(">I", 0) + block(AUDIO))),
]))
write("FuzzRelay", "nack-storm", records(media + [
    (2, rtcp(1, 205, struct.pack(">II", 0, VIDEO) + b"".join(struct.pack(">HH", i, 0xFFFF) for i in range(0, 400, 17))))
] * 3))
write("FuzzRelay", "timers-and-strangers", records(media[:3] + [
    (7, bytes.fromhex("000100002112a442") + bytes(12)), (15, bytes([22, 0xFE, 0xFD]) + bytes(20)),
    (7, rtp(96, 1, 1, 1234, b"x")), ms(5000), (2, sub_pli), ms(31000),
]))
write("FuzzRelay", "publisher-feedback", records(media + [
    (1, rtcp(1, 201, struct.pack(">I", VIDEO) + block(0x55))),
    (1, remb), (1, twcc), (1, bye), ms(100), (4, rtp(96, 5004, 99000, 0, vp8_inter, True)),
]))

write("FuzzRelay", "publisher-leaves", records(media + [
    (11, b"\x00"), (2, sub_nack), (2, sub_pli), ms(700), (2, sub_fir), (4, rtp(96, 5005, 102000, 0, vp8_inter, True)),
]))
write("FuzzRelay", "subscriber-leaves", records(media[:3] + [
    (11, b"\x01"), (4, rtp(96, 5001, 93000, 0, vp8_inter, True)), (2, sub_nack), ms(1200), (1, pub_sr),
]))

# Relay, continued: extension blocks in the publisher's ids (audio level 1, abs-send-time 2,
# transport-wide sequence 3, mid 4, video orientation 20, which needs the two-byte form), RED, RTX,
# a second publisher (tag bit 5; its audio level is id 6), the subscribe connection (0x13 answer,
# 0x12 its RTCP, 0x1B raw, 0x1F ICE restart) and renegotiation (0x17). See Fuzz/Sources/FuzzRelay/main.swift.
def audio_ext(level, voice=True, level_id=1):
    return (0xBEDE, bytes([level_id << 4, (0x80 if voice else 0) | level, 0x22, 1, 2, 3, 0x40, ord("0")]))


video_ext = (0x1000, bytes([20, 1, 0x01, 4, 1, ord("1"), 2, 3, 1, 2, 3]))
red = bytes([0xEF, 0x0F, 0x00, 0x03, 0x6F, 7, 7, 7]) + opus[:20]
rich_media = [
    (0, rtp(111, 200, 0, 0, opus, False, audio_ext(20))),
    (0, rtp(63, 201, 960, 0, red, False, audio_ext(25))),
    (4, rtp(96, 6000, 90000, 0, vp8_keyframe, True, video_ext)),
    (4, rtp(96, 6001, 93000, 0, vp8_inter, False, video_ext)),
    (4, rtp(96, 6003, 96000, 0, vp8_inter, True, video_ext)),  # 6002 is lost: the relay NACKs it
]
rtx_repair = (0x10, rtp(97, 1, 93000, 0, struct.pack(">H", 6002) + vp8_middle, True, video_ext))
write("FuzzRelay", "extensions-red-rtx", records(rich_media + [
    ms(30), rtx_repair, (0x10, rtp(97, 2, 0, 0, b"", False, None, padding=32)), (2, sub_nack), ms(5),
    (2, rtcp(1, 205, struct.pack(">IIHH", 0, VIDEO, 3, 0))), (0, rtp(63, 202, 1920, 0, b"\xef\x0f", False, audio_ext(30))),
]))
write("FuzzRelay", "subscribe-connection", records(rich_media + [
    (0x13, b""), (0, rtp(63, 203, 2880, 0, red, False, audio_ext(20))), (4, rtp(96, 6004, 99000, 0, vp8_keyframe, True, video_ext)),
    (0x12, rtcp(1, 201, struct.pack(">I", 0) + block(1)) + rtcp(1, 205, struct.pack(">IIHH", 0, 1, 0, 1))),
    (0x12, rtcp(1, 206, struct.pack(">II", 0, 1))), (0x1B, bytes.fromhex("000100002112a442") + bytes(12)),
    (0x24, rtp(96, 1, 90000, 0, vp8_keyframe, True, video_ext)), (0x13, b""), (0x1F, b""), (0x13, b""),
    ms(1000), (0x0B, b"\x00"), (0x13, b""), (0x0B, b"\x03"), (0x13, b""),
]))


def peer_offer(sections, extensions):
    """PeerClient.makeOffer's text (with RTX, and RED added to the audio) as a template for renegotiation."""
    lines = ["v=0", "o=- 12345 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE " + " ".join(m for m, _, _ in sections),
             "a=extmap-allow-mixed", "a=msid-semantic: WMS peer"]
    for mid, kind, ssrc in sections:
        video = kind == "video"
        lines += [f"m={kind} 9 UDP/TLS/RTP/SAVPF " + ("96 97" if video else "111 63"), "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
                  "a=ice-ufrag:{ufrag}", "a=ice-pwd:{pwd}", "a=ice-options:trickle", "a=fingerprint:{fingerprint}",
                  "a=setup:actpass", f"a=mid:{mid}", "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid"]
        lines += [f"a=extmap:{i} {uri}" for uri, i in sorted(extensions.items(), key=lambda e: e[1])]
        lines += ["a=sendonly", "a=rtcp-mux", "a=rtcp-rsize"]
        if video:
            lines += ["a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 goog-remb", "a=rtcp-fb:96 nack", "a=rtcp-fb:96 nack pli",
                      "a=rtcp-fb:96 ccm fir", "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96", f"a=msid:peer {kind}",
                      f"a=ssrc-group:FID {{{ssrc}-ssrc}} {{rtx-ssrc}}" if ssrc == "video" else f"a=ssrc-group:FID {{{ssrc}-ssrc}} 7",
                      f"a=ssrc:{{{ssrc}-ssrc}} cname:peerclient"]
        else:
            lines += ["a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1", "a=rtpmap:63 red/48000/2",
                      "a=fmtp:63 111/111", f"a=msid:peer {kind}", "a=ssrc:{audio-ssrc} cname:peerclient"]
    return sdp(lines)


publisher_extensions = {"urn:ietf:params:rtp-hdrext:ssrc-audio-level": 1, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time": 2,
                        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01": 3, "urn:3gpp:video-orientation": 20}
screen_offer = peer_offer([("0", "audio", "audio"), ("1", "video", "video"), ("2", "video", "screen")], publisher_extensions)
write("FuzzRelay", "renegotiation", records(rich_media + [
    (0x13, b""), (0x17, b""), (0x14, rtp(96, 300, 90000, 0, vp8_keyframe, True, video_ext)), (0x13, b""),
    (0x14, rtp(96, 301, 93000, 0, vp8_inter, True, video_ext)), (2, sub_pli), (0x17, b""), (0x13, b""),
    (0x17, screen_offer), (0x14, rtp(96, 302, 96000, 0, vp8_keyframe, True, video_ext)),
    (0x17, screen_offer.replace(b"{ufrag}", b"restart1")),
]))
watcher_answer = subscription_answer().replace(b"fuzzSub1", b"{ufrag}").replace(b"fuzzSubscriberPassword12", b"{pwd}") \
    .replace(FINGERPRINT.encode(), b"{fingerprint}")
write("FuzzRelay", "subscribe-connection-red", records(rich_media + [
    (0x13, watcher_answer), (0, rtp(63, 204, 3840, 0, red, False, audio_ext(20))),
    (0x12, rtcp(1, 205, struct.pack(">IIHH", 0, 1, 0, 3))), (0x13, watcher_answer),
]))
speakers = []
for step in range(40):
    first_loud = step < 12
    speakers += [(0, rtp(111, 400 + step, 960 * step, 0, opus[:20], False, audio_ext(15 if first_loud else 127, first_loud))),
                 (0x20, rtp(111, 900 + step, 960 * step, 0, opus[:20], False, audio_ext(127 if first_loud else 10, not first_loud, 6))),
                 ms(50)]
# Transport-wide sequence numbers (id 3) from the publisher: in order, a gap, a late one, the wrap.
def twcc_ext(sequence):
    return (0xBEDE, bytes([0x31, sequence >> 8, sequence & 0xFF, 0x10, 0x90, 0x40, ord("0"), 0]))


twcc_media = [(0, rtp(111, 600 + i, 960 * i, 0, opus[:20], False, twcc_ext(s))) for i, s in enumerate([65533, 65534, 0, 2, 1, 3])]
write("FuzzRelay", "transport-cc", records(twcc_media + [ms(60), (0, rtp(111, 606, 5760, 0, opus[:20], False, twcc_ext(500))), ms(120)]))
write("FuzzRelay", "two-speakers", records(speakers + [(0x0B, b"\x02"), ms(200), (0, rtp(111, 500, 0, 0, opus[:20], False, audio_ext(10)))]))

# --- Room WebSocket messages (Sources/Signaling/README.md).
offer = open(os.path.join(fixtures, "chromium-recvonly-offer.sdp")).read()
import json
for name, message in {
    "publish": {"type": "publish", "sdp": offer},
    "publish-sources": {"type": "publish", "sdp": offer, "sources": {"0": "microphone", "1": "camera", "2": "screen"}},
    "subscribe": {"type": "subscribe"},
    "answer": {"type": "answer", "sdp": offer},
    "subscribe-v1": {"type": "subscribe", "participant": "user-1", "sdp": offer},
    "unsubscribe": {"type": "unsubscribe", "participant": "user-1"},
    "unpublish": {"type": "unpublish"},
    "mute": {"type": "mute", "kind": "audio", "muted": True},
    "restart-ice": {"type": "restart-ice"},
    "leave": {"type": "leave"},
}.items():
    write("FuzzRoomMessages", name, json.dumps(message).encode())
write("FuzzRoomMessages", "unknown-type", b'{"type": "dance", "extra": [1, 2.5e300, null, {"a": "\\u00e9"}]}')
print("seeds written under", CORPUS)
