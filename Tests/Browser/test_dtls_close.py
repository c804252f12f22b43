"""A learner who closes its peer connection without a DELETE leaves at once, through DTLS close_notify.

The relay frees each peer's OpenSSL DTLS association at the peer's first SRTP or SRTCP (memory per learner)
and reads later alerts with the record keys it kept, derived the way the handshake did. These runs prove
that derivation against other stacks' DTLS: Chromium's BoringSSL (AES-128-GCM) and aiortc's OpenSSL (which
picks AES-256-GCM with the SHA-384 PRF first). Without a readable close_notify the learner would stay until
ICE consent expired, 30 s later.
"""
import asyncio
import time

import requests

from test_relay_browser import FIRST_FRAME, PUBLISH, WATCH, live_session, room_token, wait_for

from interop.aiortc_peers import DecodingViewer, LoopThread, exchange  # noqa: E402

# Well under the 30 s consent timeout, with room for the attendance write.
LEAVES_WITHIN = 8.0


def retired(server):
    """The relay's count of freed DTLS associations, from /metrics."""
    for line in requests.get(server.base_url + "/metrics", timeout=5).text.splitlines():
        if line.startswith("peerlearn_relay_dtls_retired_total "):
            return float(line.split()[-1])
    raise AssertionError("peerlearn_relay_dtls_retired_total is missing from /metrics")


def booking(server, session, learner_token):
    bookings = server.api("GET", "/api/bookings", learner_token).json()
    mine = [b for b in bookings if b["session_id"] == session["id"]]
    return mine[0] if mine else None


def assert_left_at_once(server, session, learner_token, closed_at, who):
    left = wait_for(lambda: (lambda b: b if b and b.get("left_at") else None)(booking(server, session, learner_token)),
                    timeout=LEAVES_WITHIN)
    assert left is not None, f"{who}: no left_at {LEAVES_WITHIN} s after close():\n" + server.log()[-3000:]
    print(f"\n{who}: pc.close() → left_at recorded after {time.time() - closed_at:.2f} s")


def test_a_chromium_learner_closing_its_connection_leaves_at_once(server, page_factory):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    before = retired(server)
    host_page, viewer_page = page_factory(), page_factory()
    host_page.evaluate(PUBLISH, {"room": room, "token": room_token(server, session, mentor_token)})
    viewer_page.evaluate(WATCH, {"room": room, "token": room_token(server, session, learner_token)})
    assert viewer_page.evaluate(FIRST_FRAME, 15000) is not None
    assert wait_for(lambda: (booking(server, session, learner_token) or {}).get("joined_at"))
    time.sleep(2)  # receiver reports have gone out: the relay has retired the learner's association
    assert retired(server) - before >= 2, "the publisher's and the learner's associations were not retired"
    closed_at = time.time()
    viewer_page.evaluate("() => window.watched.pc.close()")
    assert_left_at_once(server, session, learner_token, closed_at, "Chromium")


def test_an_aiortc_learner_closing_its_connection_leaves_at_once(server, page_factory):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    before = retired(server)
    host_page = page_factory()
    host_page.evaluate(PUBLISH, {"room": room, "token": room_token(server, session, mentor_token)})
    loop = LoopThread()
    try:
        async def watch():
            viewer = await DecodingViewer.create()
            await exchange(f"{server.base_url}/whep/{room}", room_token(server, session, learner_token), viewer.pc)
            deadline = time.time() + 15
            while time.time() < deadline and viewer.counts["video"] < 10:
                await asyncio.sleep(0.1)
            return viewer
        viewer = loop.run(watch())
        assert viewer.counts["video"] >= 10, viewer.summary()
        assert wait_for(lambda: (booking(server, session, learner_token) or {}).get("joined_at"))
        time.sleep(2)
        assert retired(server) - before >= 2, "the publisher's and the learner's associations were not retired"
        closed_at = time.time()
        loop.run(viewer.pc.close())
        assert_left_at_once(server, session, learner_token, closed_at, "aiortc")
    finally:
        loop.close()
