"""Another WebRTC stack through the relay: Python's aiortc publishes with WHIP and watches with WHEP.

aiortc (PyPI) shares no code with Chromium or with our PeerClient: its ICE (aioice), DTLS (pyOpenSSL)
and SDP handling are its own, so these tests prove the relay speaks the standards, not one browser.
"""
import asyncio
import concurrent.futures
import time

import pytest
import requests

from test_relay_browser import live_session, room_token

# Installed by scripts/setup; a missing aiortc fails here rather than skipping the proof.
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack  # noqa: E402


class MovingPicture(VideoStreamTrack):
    """640x360 frames whose content changes, so the VP8 encoder sends real interframes."""

    def __init__(self):
        super().__init__()
        self.count = 0

    async def recv(self):
        import av
        import numpy

        pts, time_base = await self.next_timestamp()
        self.count += 1
        image = numpy.zeros((360, 640, 3), dtype=numpy.uint8)
        image[:, (self.count * 8) % 640:, 1] = 200
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


async def exchange(url, token, pc):
    """RFC 9725: POST the offer (gathering done, non-trickle), apply the 201's answer."""
    await pc.setLocalDescription(await pc.createOffer())
    response = await asyncio.to_thread(
        requests.post, url, data=pc.localDescription.sdp, timeout=10,
        headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    assert response.headers["Location"]
    await pc.setRemoteDescription(RTCSessionDescription(sdp=response.text, type="answer"))
    return response


async def publish_and_watch(server, bundle_policy, seconds=8.0):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    configuration = RTCConfiguration(bundlePolicy=bundle_policy)
    publisher, viewer = RTCPeerConnection(configuration), RTCPeerConnection(configuration)
    publisher.addTrack(AudioStreamTrack())
    publisher.addTrack(MovingPicture())
    await exchange(f"{server.base_url}/whip/{room}", room_token(server, session, mentor_token), publisher)

    received = {"audio": 0, "video": 0}
    sizes = set()

    @viewer.on("track")
    def on_track(track):
        async def drain():
            while True:
                try:
                    frame = await track.recv()
                except Exception:
                    return
                received[track.kind] += 1
                if track.kind == "video":
                    sizes.add((frame.width, frame.height))
        asyncio.ensure_future(drain())

    viewer.addTransceiver("audio", direction="recvonly")
    viewer.addTransceiver("video", direction="recvonly")
    await exchange(f"{server.base_url}/whep/{room}", room_token(server, session, learner_token), viewer)
    deadline = time.time() + seconds
    while time.time() < deadline and (received["video"] < 30 or received["audio"] < 50):
        await asyncio.sleep(0.1)
    states = (publisher.connectionState, viewer.connectionState)
    await publisher.close()
    await viewer.close()
    return received, sizes, states


# max-bundle (what RFC 9725 asks of WHIP clients) shares one transport from the start, and aiortc then
# takes the remote candidates of the answer's last m-section: the relay must repeat them in every one.
@pytest.mark.parametrize("bundle_policy", [RTCBundlePolicy.BALANCED, RTCBundlePolicy.MAX_BUNDLE], ids=["balanced", "max-bundle"])
def test_aiortc_publishes_and_another_aiortc_watches(server, bundle_policy):
    # On a thread of its own: Playwright's sync API keeps an event loop running on the test thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        received, sizes, states = pool.submit(asyncio.run, publish_and_watch(server, bundle_policy)).result()
    assert states == ("connected", "connected"), states
    # Decoded by aiortc's own libvpx and Opus decoders, after its own SRTP and jitter buffer.
    assert received["video"] >= 30, received
    assert received["audio"] >= 50, received
    assert sizes == {(640, 360)}, sizes
