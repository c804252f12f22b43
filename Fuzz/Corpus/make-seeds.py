#!/usr/bin/env python3
"""Writes the committed seed corpora (Fuzz/Corpus/<Target>/) from real captures and test vectors in Tests/.

STUN: the RFC 5769 vectors transcribed in Tests/STUNTests. SDP: the captured browser offers in
Tests/SDPTests/Fixtures. RTP/VP8: the Chromium VP8 packet from Tests/RTPTests plus its Opus and
two-byte-extension variants. RTCP: the compound packets a browser sends (SR+SDES, RR+REMB, NACK, PLI,
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
write("FuzzRTP", "chromium-vp8", rtp(96, 27023, 0xD9C293DA, 0x1C642782, vp8_keyframe[:10], True, chromium_ext))
write("FuzzRTP", "opus-audio-level", rtp(111, 7, 960, 0x11223344, b"\xfc" + b"\x42" * 40, False, (0xBEDE, bytes([0x10, 0x85]))))
write("FuzzRTP", "two-byte-extension", rtp(96, 1, 3000, 5, vp8_inter, False, (0x1000, bytes([1, 0, 2, 2, 0xAB, 0xCD, 0, 15, 1, 0x55]))))
write("FuzzRTP", "csrcs-padding", rtp(111, 65535, 0, 9, b"\x78" * 20, True, None, (1, 2, 3), padding=4))

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

# --- Room WebSocket messages (Sources/Signaling/README.md).
offer = open(os.path.join(fixtures, "chromium-recvonly-offer.sdp")).read()
import json
for name, message in {
    "publish": {"type": "publish", "sdp": offer},
    "subscribe": {"type": "subscribe", "participant": "user-1", "sdp": offer},
    "unsubscribe": {"type": "unsubscribe", "participant": "user-1"},
    "unpublish": {"type": "unpublish"},
    "mute": {"type": "mute", "kind": "audio", "muted": True},
    "leave": {"type": "leave"},
}.items():
    write("FuzzRoomMessages", name, json.dumps(message).encode())
write("FuzzRoomMessages", "unknown-type", b'{"type": "dance", "extra": [1, 2.5e300, null, {"a": "\\u00e9"}]}')
print("seeds written under", CORPUS)
