"""GStreamer's webrtcbin (Debian's gstreamer1.0-plugins-bad and -nice) publishes and watches through the relay.

webrtcbin is a third, independent stack: libnice for ICE, its own DTLS (OpenSSL) and SDP, and
GStreamer's vp8enc/vp8dec and opusenc/opusdec. With bundle-policy max-bundle it offers every section
after the first as `bundle-only` with port 0, which the relay must take into the bundle. It runs in
Debian's Python (`interop/gst_webrtc.py`); these tests pair it with aiortc, which decodes and checks
the tone's pitch and the moving picture, and with itself.
"""
import time

import pytest

from test_relay_browser import live_session, room_token

from interop.aiortc_peers import DecodingViewer, LoopThread, assert_tone_and_moving_picture, leave, publish
from interop.gstreamer import GstClient
from interop.sdp_checks import answer_problems, sections


def connected(client, timeout=20.0):
    return client.wait_for(lambda e: e["event"] == "state" and e["state"] == "connected", timeout)


def test_gstreamer_publishes_bundle_only_and_aiortc_decodes_it(server):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    started = time.time()
    publisher = GstClient("publish", f"{server.base_url}/whip/{room}", room_token(server, session, mentor_token), seconds=40)
    loop = LoopThread()
    try:
        assert connected(publisher) is not None, "webrtcbin did not connect to the relay\n" + publisher.diagnostics()
        print(f"\nwebrtcbin WHIP: connected after {time.time() - started:.1f} s")
        viewer = loop.run(DecodingViewer.create())
        watched = loop.run(viewer.watch(f"{server.base_url}/whep/{room}", room_token(server, session, learner_token),
                                        seconds=15))
        result = publisher.result()
    finally:
        publisher.close()
        loop.close()
    print(f"webrtcbin → relay → aiortc: {watched}; webrtcbin sent {result and result['sent']}")
    assert result is not None and result["error"] is None, publisher.diagnostics()

    # The offer really was webrtcbin's max-bundle shape, and the answer has all a strict parser needs.
    _, offered = sections(result["offer"])
    assert offered[1][0].split()[1] == "0" and "a=bundle-only" in offered[1], result["offer"]
    assert answer_problems(result["answer"]) == [], result["answer"]
    _, answered = sections(result["answer"])
    assert all(m[0].split()[1] != "0" for m in answered), result["answer"]  # both sections accepted

    assert watched["state"] == "connected", watched
    # videotestsrc's ball on black and audiotestsrc's 440 Hz sine, decoded by aiortc.
    assert_tone_and_moving_picture(watched)


# With a second video section in its offer, webrtcbin gets an answer with a rejected (port 0) section,
# which its strict parser takes only with a fingerprint, a setup role and ICE credentials.
@pytest.mark.parametrize("extra_video", [False, True], ids=["audio+video", "with-a-rejected-section"])
def test_aiortc_publishes_and_gstreamer_decodes_it(server, extra_video):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    mentor = room_token(server, session, mentor_token)
    loop, viewer = LoopThread(), None
    try:
        publisher, location = loop.run(publish(f"{server.base_url}/whip/{room}", mentor))
        started = time.time()
        viewer = GstClient("watch", f"{server.base_url}/whep/{room}", room_token(server, session, learner_token),
                           seconds=30, video=60, audio=100, extra_video=extra_video)
        viewer.wait_for(lambda e: e["event"] == "result", 45)
        result = viewer.result()
        elapsed = time.time() - started
        publisher_state = publisher.connectionState
        loop.run(leave(location, mentor, publisher))
    finally:
        if viewer is not None:
            viewer.close()
        loop.close()
    print(f"\naiortc → relay → webrtcbin in {elapsed:.1f} s: {result and {k: result[k] for k in ('why', 'decoded', 'caps', 'states')}}")
    assert result is not None, viewer.diagnostics()
    assert result["error"] is None, result["error"] + "\n" + viewer.diagnostics()
    assert publisher_state == "connected"
    assert answer_problems(result["answer"]) == [], result["answer"]
    ports = [m[0].split()[1] for m in sections(result["answer"])[1]]
    assert ports == (["9", "9", "0"] if extra_video else ["9", "9"]), result["answer"]
    assert "connected" in result["states"], result["states"]
    # Buffers out of GStreamer's vp8dec and opusdec (decodebin picked them from the negotiated caps).
    assert result["decoded"]["video"] >= 60 and result["decoded"]["audio"] >= 100, result["decoded"]
    assert "width=(int)640" in result["caps"]["video"] and "height=(int)360" in result["caps"]["video"], result["caps"]
    assert "rate=(int)48000" in result["caps"]["audio"], result["caps"]


def test_gstreamer_publishes_and_gstreamer_watches(server):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    publisher = GstClient("publish", f"{server.base_url}/whip/{room}", room_token(server, session, mentor_token), seconds=40)
    viewer = None
    try:
        assert connected(publisher) is not None, publisher.diagnostics()
        viewer = GstClient("watch", f"{server.base_url}/whep/{room}", room_token(server, session, learner_token),
                           seconds=30, video=60, audio=100)
        viewer.wait_for(lambda e: e["event"] == "result", 45)
        watched = viewer.result()
        published = publisher.result()
    finally:
        publisher.close()
        if viewer is not None:
            viewer.close()
    print(f"\nwebrtcbin → relay → webrtcbin: {watched and watched['decoded']}, sent {published and published['sent']}")
    assert watched is not None and watched["error"] is None, viewer.diagnostics()
    assert published is not None and published["error"] is None, publisher.diagnostics()
    assert watched["decoded"]["video"] >= 60 and watched["decoded"]["audio"] >= 100, watched["decoded"]
    assert "width=(int)640" in watched["caps"]["video"], watched["caps"]
