"""Pion (Go), Debian's golang-github-pion-webrtc.v3-dev, publishes with WHIP and watches with WHEP.

Pion is a fifth stack sharing no code with the others: its ICE, DTLS, SRTP, SDP and RTP packetizing
are pure Go. It is built offline at test time against Debian's packaged sources (interop/pion/build)
and, like an application built on it, uses Pion's default codecs and interceptors (NACK, RTCP
reports, transport-wide CC). Pion does not encode or decode, so its publisher loops pre-encoded files
(VP8 in IVF, Opus in Ogg, made here with PyAV) and its viewer reassembles VP8 frames with Pion's
samplebuilder and writes them, with the Opus packets, to files that libvpx and libopus decode here.
"""
import time

import pytest

from test_relay_browser import live_session, room_token

from interop.aiortc_peers import DecodingViewer, LoopThread, assert_tone_and_moving_picture, leave, publish
from interop.pion.client import PionClient, build
from interop.pion.media import decode_ivf, decode_ogg, write_opus_ogg, write_vp8_ivf
from interop.sdp_checks import answer_problems, sections


@pytest.fixture(scope="module")
def pion(tmp_path_factory):
    """The built pionclient and the files its publisher sends (made once for the module)."""
    folder = tmp_path_factory.mktemp("pion")
    binary, seconds, versions = build(folder / "pionclient")
    print(f"\npionclient built in {seconds:.1f} s: {versions}")
    return {"binary": binary, "ivf": write_vp8_ivf(folder / "sent.ivf"), "ogg": write_opus_ogg(folder / "sent.ogg"),
            "folder": folder}


def connected(client, timeout=20.0):
    return client.wait_for(lambda e: e["event"] == "state" and e["state"] == "connected", timeout)


def summary(result, *keys):
    """The named parts of a pionclient result (a failed one may lack them)."""
    return str({key: (result or {}).get(key) for key in keys})


def why_not(client):
    """The client's events, its error and its stderr, for an assertion message."""
    result = client.result(timeout=10)
    return client.diagnostics() + "\nerror: " + str(result and result["error"])


def test_pion_publishes_and_aiortc_decodes_it(server, pion):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    started = time.time()
    publisher = PionClient(pion["binary"], "publish", f"{server.base_url}/whip/{room}",
                           room_token(server, session, mentor_token), pion["ivf"], pion["ogg"], seconds=40)
    loop = LoopThread()
    try:
        assert connected(publisher) is not None, "Pion did not connect to the relay\n" + why_not(publisher)
        print(f"\nPion WHIP: connected after {time.time() - started:.1f} s")
        viewer = loop.run(DecodingViewer.create())
        watched = loop.run(viewer.watch(f"{server.base_url}/whep/{room}", room_token(server, session, learner_token),
                                        seconds=15))
        result = publisher.result()
    finally:
        publisher.close()
        loop.close()
    print(f"Pion → relay → aiortc in {time.time() - started:.1f} s: {watched}; Pion: " + summary(result, "sent", "rtcp"))
    assert result is not None and result["error"] is None, publisher.diagnostics()
    assert answer_problems(result["answer"]) == [], result["answer"]
    assert [m[0].split()[1] != "0" for m in sections(result["answer"])[1]] == [True, True], result["answer"]
    assert watched["state"] == "connected", watched
    # libvpx and libopus in aiortc decode Pion's packetization of the files' pictures and 440 Hz tone.
    assert_tone_and_moving_picture(watched)


def test_aiortc_publishes_and_pion_watches(server, pion):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    mentor = room_token(server, session, mentor_token)
    ivf, ogg = pion["folder"] / "aiortc.ivf", pion["folder"] / "aiortc.ogg"
    loop, viewer = LoopThread(), None
    try:
        publisher, location = loop.run(publish(f"{server.base_url}/whip/{room}", mentor))
        started = time.time()
        viewer = PionClient(pion["binary"], "watch", f"{server.base_url}/whep/{room}",
                            room_token(server, session, learner_token), ivf, ogg, seconds=30, video=90, audio=150)
        viewer.wait_for(lambda e: e["event"] == "result", 45)
        result = viewer.result()
        elapsed = time.time() - started
        publisher_state = publisher.connectionState
        loop.run(leave(location, mentor, publisher))
    finally:
        if viewer is not None:
            viewer.close()
        loop.close()
    assert result is not None, viewer.diagnostics()
    print(f"\naiortc → relay → Pion in {elapsed:.1f} s: " + summary(result, "why", "received", "vp8", "tracks", "files"))
    assert_pion_watched(result, publisher_state)


def assert_pion_watched(result, publisher_state, size=(640, 360)):
    """What Pion received and reassembled, then what libvpx and libopus made of it."""
    assert result["error"] is None, result["error"]
    assert result["problems"] == [], result["problems"]
    assert publisher_state == "connected"
    assert answer_problems(result["answer"]) == [], result["answer"]
    assert "connected" in result["states"], result["states"]
    assert result["tracks"]["video"]["mime"].lower() == "video/vp8", result["tracks"]
    assert result["tracks"]["audio"]["mime"].lower() == "audio/opus", result["tracks"]
    vp8 = result["vp8"]
    assert vp8["frames"] >= 90 and vp8["bad"] == 0 and vp8["keyframes"] >= 1, vp8
    assert vp8["sizes"] == {f"{size[0]}x{size[1]}": vp8["keyframes"]}, vp8
    assert result["received"]["packets"]["audio"] >= 150, result["received"]

    pictures = decode_ivf(result["files"]["ivf"])
    sound = decode_ogg(result["files"]["ogg"])
    print(f"decoded from Pion's files: {pictures}; {sound}")
    assert pictures["errors"] == [] and pictures["decoded"] == result["files"]["ivf_frames"] >= 60, pictures
    assert pictures["sizes"] == [size] and pictures["changed_pictures"] >= 30, pictures
    assert sound["errors"] == [] and sound["decoded"] >= 100 and sound["rates"] == [48000], sound
    assert sound["rms"] > 0.05 and sound["hz"] is not None and abs(sound["hz"] - 440.0) < 10, sound


def test_pion_publishes_and_pion_watches(server, pion):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    publisher = PionClient(pion["binary"], "publish", f"{server.base_url}/whip/{room}",
                           room_token(server, session, mentor_token), pion["ivf"], pion["ogg"], seconds=40)
    ivf, ogg = pion["folder"] / "pion.ivf", pion["folder"] / "pion.ogg"
    viewer = None
    try:
        assert connected(publisher) is not None, why_not(publisher)
        started = time.time()
        viewer = PionClient(pion["binary"], "watch", f"{server.base_url}/whep/{room}",
                            room_token(server, session, learner_token), ivf, ogg, seconds=30, video=90, audio=150)
        viewer.wait_for(lambda e: e["event"] == "result", 45)
        watched = viewer.result()
        elapsed = time.time() - started
        published = publisher.result()
    finally:
        publisher.close()
        if viewer is not None:
            viewer.close()
    assert watched is not None, viewer.diagnostics()
    assert published is not None and published["error"] is None, publisher.diagnostics()
    print(f"\nPion → relay → Pion in {elapsed:.1f} s: " + summary(watched, "received", "vp8")
          + "; publisher: " + summary(published, "sent", "rtcp"))
    assert_pion_watched(watched, "connected")
