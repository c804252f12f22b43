"""Another WebRTC stack through the relay: Python's aiortc publishes with WHIP and watches with WHEP.

aiortc (PyPI) shares no code with Chromium or with our PeerClient: its ICE (aioice), DTLS (pyOpenSSL)
and SDP handling are its own, so these tests prove the relay speaks the standards, not one browser.
The viewer checks what it decoded: a 440 Hz tone comes out of libopus at 440 Hz, and libvpx's pictures
are 640x360 and move.
"""
import asyncio
import concurrent.futures

import pytest

from test_relay_browser import live_session, room_token

# Installed by scripts/setup; a missing aiortc fails here rather than skipping the proof.
from aiortc import RTCBundlePolicy  # noqa: E402
from interop.aiortc_peers import DecodingViewer, assert_tone_and_moving_picture, leave, publish  # noqa: E402


async def publish_and_watch(server, bundle_policy):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    mentor = room_token(server, session, mentor_token)
    publisher, location = await publish(f"{server.base_url}/whip/{room}", mentor, bundle_policy)
    viewer = DecodingViewer(bundle_policy)
    watched = await viewer.watch(f"{server.base_url}/whep/{room}", room_token(server, session, learner_token),
                                 seconds=12, video=30, audio=50)
    publisher_state = publisher.connectionState
    await leave(location, mentor, publisher)
    return watched, publisher_state


# max-bundle (what RFC 9725 asks of WHIP clients) shares one transport from the start, and aiortc then
# takes the remote candidates of the answer's last m-section: the relay must repeat them in every one.
@pytest.mark.parametrize("bundle_policy", [RTCBundlePolicy.BALANCED, RTCBundlePolicy.MAX_BUNDLE], ids=["balanced", "max-bundle"])
def test_aiortc_publishes_and_another_aiortc_watches(server, bundle_policy):
    # On a thread of its own: Playwright's sync API keeps an event loop running on the test thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        watched, publisher_state = pool.submit(asyncio.run, publish_and_watch(server, bundle_policy)).result()
    print(f"\naiortc → relay → aiortc ({bundle_policy.name}): {watched}")
    assert publisher_state == "connected" and watched["state"] == "connected", (publisher_state, watched)
    assert_tone_and_moving_picture(watched)
