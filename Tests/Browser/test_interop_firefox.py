"""Debian's Firefox ESR (headless, driven through Marionette) publishes and watches through the relay.

Firefox's WebRTC is its own (Mozilla's JSEP and SDP parser, nICEr for ICE, DTLS on NSS), and its SDP
parser is a strict one. It runs the app's own client, `Public/js/relay-client.js`, from the relay
demo page: Firefox publishes its fake camera and microphone and aiortc decodes them; aiortc and
Chromium publish and Firefox decodes (its `getStats()` counts decoded frames and audio samples).
"""
import time

import pytest

from test_relay_browser import PUBLISH, WATCH, live_session, room_token

from interop.aiortc_peers import DecodingViewer, LoopThread, leave, publish
from interop.firefox import Firefox
from interop.sdp_checks import answer_problems, sections

# Firefox's fake devices (`media.navigator.streams.fake`): 640x480 pictures and a 1 kHz sine.
FIREFOX_PUBLISH = """async ({room, token}) => {
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  window.published = await window.peerlearn.publish(location.origin, room, token, stream);
  return window.published.pc.remoteDescription.sdp;
}"""

CONNECTION_STATE = "() => window.published.pc.connectionState"

# Decoded figures from Firefox's own getStats(): frames out of its VP8 decoder; samples out of its Opus
# decoder and their energy (zero for silence).
INBOUND = """async (name) => {
  const pc = window[name].pc;
  const out = {framesDecoded: 0, frameWidth: 0, audioPackets: 0, audioSamples: 0, audioEnergy: 0, state: pc.connectionState};
  (await pc.getStats()).forEach((s) => {
    if (s.type !== "inbound-rtp") return;
    if (s.kind === "video") { out.framesDecoded += s.framesDecoded || 0; out.frameWidth = s.frameWidth || out.frameWidth; }
    if (s.kind === "audio") {
      out.audioPackets += s.packetsReceived || 0;
      out.audioSamples += s.totalSamplesReceived || 0;
      out.audioEnergy += s.totalAudioEnergy || 0;
    }
  });
  return out;
}"""

# A WHEP viewer offering more than the relay gives one viewer: a second video section and a data channel.
# Both come back rejected (port 0); Firefox must still take the answer and play the rest.
WATCH_WITH_EXTRA_SECTIONS = """async ({room, token}) => {
  const pc = new RTCPeerConnection({bundlePolicy: "max-bundle"});
  pc.addTransceiver("audio", {direction: "recvonly"});
  pc.addTransceiver("video", {direction: "recvonly"});
  pc.addTransceiver("video", {direction: "recvonly"});
  pc.createDataChannel("chat");
  await pc.setLocalDescription(await pc.createOffer());
  const response = await fetch(`${location.origin}/whep/${room}`, {method: "POST", body: pc.localDescription.sdp,
    headers: {"Content-Type": "application/sdp", Authorization: `Bearer ${token}`}});
  const answer = await response.text();
  if (response.status !== 201) return {status: response.status, answer, error: null};
  window.extra = {pc};
  try { await pc.setRemoteDescription({type: "answer", sdp: answer}); } catch (e) { return {status: 201, answer, error: String(e)}; }
  return {status: 201, answer, error: null};
}"""


@pytest.fixture(scope="module")
def firefox_browser(server):
    started = time.time()
    browser = Firefox()
    browser.grant_camera_and_microphone(server.base_url)
    print(f"\nFirefox {browser.version} up in {time.time() - started:.1f} s")
    yield browser
    browser.close()


@pytest.fixture
def firefox(server, firefox_browser):
    """The relay demo page, freshly loaded (a previous test's connections close with the old page)."""
    firefox_browser.navigate(server.base_url + "/relay-demo.html")
    firefox_browser.wait_for("() => window.peerlearn !== undefined", timeout=15)
    yield firefox_browser
    firefox_browser.navigate("about:blank")


def firefox_decodes(firefox, name="watched", timeout=20.0, frames=30, samples=48000):
    """Polls Firefox's stats until it has decoded `frames` pictures and `samples` audio samples."""
    deadline = time.time() + timeout
    while True:
        summary = firefox.evaluate(INBOUND, name)
        if (summary["framesDecoded"] >= frames and summary["audioSamples"] >= samples) or time.time() > deadline:
            return summary
        time.sleep(0.3)


def assert_firefox_decoded(summary, frames=30, samples=48000):
    assert summary["state"] == "connected", summary
    assert summary["framesDecoded"] >= frames and summary["frameWidth"] == 640, summary
    # Samples out of Firefox's Opus decoder, and they are not silence.
    assert summary["audioSamples"] >= samples and summary["audioEnergy"] > 0, summary


def test_firefox_publishes_and_aiortc_decodes_it(server, firefox):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    answer = firefox.evaluate(FIREFOX_PUBLISH, {"room": room, "token": room_token(server, session, mentor_token)})
    assert answer_problems(answer) == [], answer
    loop = LoopThread()
    try:
        viewer = loop.run(DecodingViewer.create())
        watched = loop.run(viewer.watch(f"{server.base_url}/whep/{room}", room_token(server, session, learner_token),
                                        seconds=15))
    finally:
        loop.close()
    print(f"Firefox → relay → aiortc: {watched}")
    assert firefox.evaluate(CONNECTION_STATE) == "connected"
    assert watched["state"] == "connected", watched
    assert watched["decoded"]["video"] >= 30 and watched["decoded"]["audio"] >= 50, watched
    # Firefox's camera is 640x480; with the relay's transport-cc feedback its own estimator starts low and
    # may send a downscaled picture for the first seconds (320x240), which is congestion control working.
    assert watched["sizes"] and all(w * 3 == h * 4 and 160 <= w <= 640 for w, h in watched["sizes"]), watched
    assert watched["changed_pictures"] >= 10, watched
    # Firefox's fake microphone is a 1 kHz sine; aiortc's libopus gives back 1 kHz.
    assert watched["audio_rms"] > 0.01 and abs(watched["audio_hz"] - 1000) < 10, watched


def test_aiortc_publishes_and_firefox_decodes_it(server, firefox):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    mentor = room_token(server, session, mentor_token)
    loop = LoopThread()
    try:
        publisher, location = loop.run(publish(f"{server.base_url}/whip/{room}", mentor))
        started = time.time()
        firefox.evaluate(WATCH, {"room": room, "token": room_token(server, session, learner_token)})
        answer = firefox.evaluate("() => window.watched.pc.remoteDescription.sdp")
        summary = firefox_decodes(firefox)
        elapsed = time.time() - started
        loop.run(leave(location, mentor, publisher))
    finally:
        loop.close()
    print(f"aiortc → relay → Firefox in {elapsed:.1f} s: {summary}")
    assert answer_problems(answer) == [], answer
    assert_firefox_decoded(summary)


def test_chromium_publishes_and_firefox_decodes_it(server, firefox, page_factory):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    chromium = page_factory()
    chromium.evaluate(PUBLISH, {"room": room, "token": room_token(server, session, mentor_token)})
    firefox.evaluate(WATCH, {"room": room, "token": room_token(server, session, learner_token)})
    summary = firefox_decodes(firefox)
    print(f"Chromium → relay → Firefox: {summary}")
    assert_firefox_decoded(summary)


def test_firefox_takes_an_answer_with_rejected_sections(server, firefox):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    mentor = room_token(server, session, mentor_token)
    loop = LoopThread()
    try:
        publisher, location = loop.run(publish(f"{server.base_url}/whip/{room}", mentor))
        result = firefox.evaluate(WATCH_WITH_EXTRA_SECTIONS, {"room": room, "token": room_token(server, session, learner_token)})
        summary = firefox_decodes(firefox, "extra") if result["error"] is None and result["status"] == 201 else None
        loop.run(leave(location, mentor, publisher))
    finally:
        loop.close()
    print(f"aiortc → relay → Firefox (answer with rejected sections): {summary}")
    assert result["status"] == 201 and result["error"] is None, result
    ports = [(m[0].split()[0], m[0].split()[1]) for m in sections(result["answer"])[1]]
    assert ports == [("m=audio", "9"), ("m=video", "9"), ("m=video", "0"), ("m=application", "0")], result["answer"]
    assert answer_problems(result["answer"]) == [], result["answer"]
    assert_firefox_decoded(summary)


def test_a_firefox_learner_closing_its_connection_leaves_at_once(server, firefox, page_factory):
    """NSS's close_notify, read by the relay with the record keys it kept after freeing the association
    (test_dtls_close.py does the same for Chromium and aiortc)."""
    from test_dtls_close import assert_left_at_once, booking, retired
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    before = retired(server)
    chromium = page_factory()
    chromium.evaluate(PUBLISH, {"room": room, "token": room_token(server, session, mentor_token)})
    firefox.evaluate(WATCH, {"room": room, "token": room_token(server, session, learner_token)})
    assert firefox_decodes(firefox, frames=10, samples=4800)["framesDecoded"] >= 10
    time.sleep(2)  # receiver reports have gone out: the relay has retired the learner's association
    assert retired(server) - before >= 2, "the publisher's and the learner's associations were not retired"
    assert (booking(server, session, learner_token) or {}).get("joined_at")
    closed_at = time.time()
    firefox.evaluate("() => window.watched.pc.close()")
    assert_left_at_once(server, session, learner_token, closed_at, "Firefox")
