"""Fixtures for tests under impairment (`impairment.py`): a server on an address every namespace reaches,
namespaces with caps and loss, headless Chromiums on the host or inside a namespace, and the getStats()
figures the tests read. Import the fixtures into a test module (`from conftest_impairment import *`).

Chromium runs inside a namespace through a wrapper (`ip netns exec <ns> chromium …`) given to Playwright
as its executable; Playwright drives it over a pipe, so only the browser's network moves. Those browsers
are launched (like the host's) from the Playwright instance conftest's `browser` fixture already runs (the sync API allows
one per thread).
"""
import datetime
import itertools
import pathlib
import tempfile
import time

import pytest

import impairment
from conftest import BINARY, CHROMIUM, ROOT, Server, tone_wav

__all__ = [
    "server_address", "impaired_server", "links", "fake_microphone", "host_chromium", "chromium", "capabilities",
    "live_session", "room_token",
    "LinkedPage", "Sampler",
]

pytestmark = pytest.mark.skipif(not impairment.is_root(), reason="network namespaces need root")


@pytest.fixture(scope="module")
def server_address():
    if not impairment.is_root():
        pytest.skip("network namespaces need root")
    impairment.sweep()
    address = impairment.ServerAddress()
    yield address
    address.close()


@pytest.fixture(scope="module")
def impaired_server(server_address):
    """`peerlearn serve` with HTTP and relay on `server_address`, as conftest's `Server`."""
    assert BINARY.exists(), f"{BINARY} missing: run `swift build` first"
    running = impairment.ImpairedServer(BINARY, ROOT, server_address)
    server = Server(running.base_url, running.relay_port, running.process, running.data_dir, running.log_path)
    server.metrics = running.metrics
    yield server
    running.close()


@pytest.fixture
def links():
    """Makes `Link`s (`links()`); every one is torn down after the test, whatever happened."""
    made = []

    def make():
        link = impairment.Link()
        made.append(link)
        return link

    yield make
    for link in made:
        link.close()


def chromium_arguments(wav, base_url):
    """conftest's `browser` flags (fake camera and microphone, no mDNS-hidden candidates, no DNS), with the
    server's address let through the resolver rule and its origin treated as secure (getUserMedia and
    WebRTC need a secure context; only loopback is one over plain HTTP)."""
    server_ip = base_url.split("//")[1].split(":")[0]
    return [
        "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream=fps=30",
        f"--use-file-for-fake-audio-capture={wav}",
        "--allow-loopback-in-peer-connection",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE {server_ip}",
        f"--unsafely-treat-insecure-origin-as-secure={base_url}",
    ]


class LinkedPage:
    """A page on the relay demo, with the browser it runs in and the link it sits behind (None: the host)."""

    def __init__(self, page, link):
        self.page = page
        self.link = link

    def evaluate(self, script, argument=None):
        return self.page.evaluate(script, argument)


@pytest.fixture(scope="module")
def fake_microphone():
    wav = pathlib.Path(tempfile.mkdtemp()) / "tone.wav"
    tone_wav(wav)
    return wav


@pytest.fixture(scope="module")
def host_chromium(browser, impaired_server, fake_microphone):
    """A Chromium on the host (conftest's resolver rule would refuse the server's address)."""
    launched = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=chromium_arguments(fake_microphone, impaired_server.base_url))
    yield launched
    launched.close()


@pytest.fixture
def chromium(host_chromium, impaired_server, fake_microphone):
    """`chromium(link=None)`: a page on the relay demo, in the host's Chromium or in a Chromium of its own
    inside `link`'s namespace. Everything is closed after the test."""
    browsers, contexts = [], []

    def make(link=None):
        if link is None:
            target = host_chromium
        else:
            target = host_chromium.browser_type.launch(
                executable_path=link.chromium(), headless=True,
                args=chromium_arguments(fake_microphone, impaired_server.base_url))
            browsers.append(target)
        context = target.new_context()
        contexts.append(context)
        page = context.new_page()
        page.goto(impaired_server.base_url + "/relay-demo.html")
        page.wait_for_function("window.peerlearn !== undefined")
        install_helpers(page)
        return LinkedPage(page, link)

    yield make
    for context in contexts:
        context.close()
    for launched in browsers:
        launched.close()


_serial = itertools.count()


def live_session(server, learners=1):
    """A mentor, booked learners and an active session: (session, mentor token, learner tokens)."""
    suffix = f"{int(time.time() * 1000) % 10_000_000}i{next(_serial)}"
    mentor_token, _ = server.register("mentor" + suffix, "mentor")
    schedule = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)).isoformat()
    created = server.api("POST", "/api/sessions", mentor_token, json={
        "title": "Impairment test", "description": "Browser test under a capped or lossy link",
        "schedule": schedule, "duration": 30, "max_participants": max(2, learners), "price": 0})
    assert created.status_code == 201, created.text
    session = created.json()
    assert server.api("POST", f"/api/sessions/{session['id']}/schedule", mentor_token).status_code == 200
    tokens = []
    for i in range(learners):
        token, _ = server.register(f"learner{suffix}x{i}", "learner")
        booked = server.api("POST", f"/api/sessions/{session['id']}/bookings", token, json={"card_token": "tok_visa"})
        assert booked.status_code == 201, booked.text
        tokens.append(token)
    assert server.api("POST", f"/api/sessions/{session['id']}/start", mentor_token).status_code == 200
    return session, mentor_token, tokens


def room_token(server, session, access_token):
    response = server.api("POST", f"/api/sessions/{session['id']}/room-token", access_token)
    assert response.status_code == 200, response.text
    return response.json()["token"]


# Page helpers: WHIP with a chosen bitrate or three simulcast layers, WHEP, and the getStats() figures.
PAGE_HELPERS = r"""
window.impair = {
  async exchange(pc, endpoint, token) {
    await pc.setLocalDescription(await pc.createOffer());
    const response = await fetch(endpoint, {
      method: "POST", headers: {"Content-Type": "application/sdp", Authorization: `Bearer ${token}`},
      body: pc.localDescription.sdp});
    if (response.status !== 201) throw new Error(`${response.status}: ${await response.text()}`);
    const answer = await response.text();
    await pc.setRemoteDescription({type: "answer", sdp: answer});
    return {location: new URL(response.headers.get("Location"), endpoint).toString(), answer};
  },
  // Camera at width x height; one encoding capped at maxKbps, or rids q/h/f (1/4, 1/2, full) when simulcast.
  async publish(room, token, {width = 1280, height = 720, maxKbps = 1500, simulcast = false} = {}) {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: {width, height, frameRate: 30}});
    const pc = new RTCPeerConnection({bundlePolicy: "max-bundle", rtcpMuxPolicy: "require"});
    const [audio] = stream.getAudioTracks(), [video] = stream.getVideoTracks();
    pc.addTransceiver(audio, {direction: "sendonly", streams: [stream]});
    const sendEncodings = simulcast
      ? [{rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150_000},
         {rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500_000},
         {rid: "f", scaleResolutionDownBy: 1, maxBitrate: maxKbps * 1000}]
      : [{maxBitrate: maxKbps * 1000}];
    const {sender} = pc.addTransceiver(video, {direction: "sendonly", streams: [stream], sendEncodings});
    // Only the network may lower the bitrate here: a busy CI machine otherwise makes Chromium's CPU
    // adaptation scale the camera down (seen: 960x540 at ~500 kbit/s after 30 s), and what the tests
    // measure is the relay and the link, not the publisher's encoder under load.
    const parameters = sender.getParameters();
    parameters.degradationPreference = "maintain-resolution";
    await sender.setParameters(parameters).catch(() => {});
    const result = await this.exchange(pc, `${location.origin}/whip/${encodeURIComponent(room)}`, token);
    window.published = {pc, ...result};
    return result.answer;
  },
  // An offer with three rids, answered by the relay and left at once: does the relay take simulcast?
  async simulcastAnswer(room, token) {
    const stream = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 360}});
    const pc = new RTCPeerConnection({bundlePolicy: "max-bundle", rtcpMuxPolicy: "require"});
    pc.addTransceiver(stream.getVideoTracks()[0], {direction: "sendonly", sendEncodings: [
      {rid: "q", scaleResolutionDownBy: 4}, {rid: "h", scaleResolutionDownBy: 2}, {rid: "f"}]});
    let result;
    try { result = await this.exchange(pc, `${location.origin}/whip/${encodeURIComponent(room)}`, token); }
    catch (error) { pc.close(); stream.getTracks().forEach((t) => t.stop()); return {error: String(error)}; }
    await fetch(result.location, {method: "DELETE", headers: {Authorization: `Bearer ${token}`}});
    pc.close();
    stream.getTracks().forEach((t) => t.stop());
    return {answer: result.answer};
  },
  async watch(room, token) {
    const pc = new RTCPeerConnection({bundlePolicy: "max-bundle", rtcpMuxPolicy: "require"});
    pc.addTransceiver("audio", {direction: "recvonly"});
    pc.addTransceiver("video", {direction: "recvonly"});
    const result = await this.exchange(pc, `${location.origin}/whep/${encodeURIComponent(room)}`, token);
    window.watched = {pc, ...result};
    return result.answer;
  },
  // The figures of the watched (or published) connection, summed per kind.
  async stats(which) {
    const pc = (which === "published" ? window.published : window.watched).pc;
    const out = {at: performance.now(), video: {}, audio: {}, outbound: {bytesSent: 0, headerBytesSent: 0,
      packetsSent: 0, retransmittedBytesSent: 0, layers: []}, availableOutgoingBitrate: null};
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && (s.kind === "video" || s.kind === "audio")) {
        const keep = ["bytesReceived", "headerBytesReceived", "packetsReceived", "packetsLost", "framesDecoded",
          "framesReceived", "frameWidth", "frameHeight", "framesPerSecond", "freezeCount", "totalFreezesDuration",
          "pauseCount", "totalPausesDuration", "nackCount", "pliCount", "retransmittedPacketsReceived",
          "retransmittedBytesReceived", "framesDropped", "keyFramesDecoded", "jitterBufferDelay",
          "jitterBufferEmittedCount"];
        for (const k of keep) if (s[k] !== undefined) out[s.kind][k] = s[k];
      } else if (s.type === "outbound-rtp" && s.kind === "video") {
        out.outbound.bytesSent += s.bytesSent || 0;
        out.outbound.headerBytesSent += s.headerBytesSent || 0;
        out.outbound.packetsSent += s.packetsSent || 0;
        out.outbound.retransmittedBytesSent += s.retransmittedBytesSent || 0;
        out.outbound.layers.push({rid: s.rid, frameWidth: s.frameWidth, framesPerSecond: s.framesPerSecond,
          bytesSent: s.bytesSent, targetBitrate: s.targetBitrate, qualityLimitationReason: s.qualityLimitationReason});
      } else if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") {
        out.availableOutgoingBitrate = s.availableOutgoingBitrate ?? null;
      }
    });
    return out;
  },
};
"""


def install_helpers(page):
    """Defines `window.impair` (evaluated through the DevTools protocol: the page's CSP forbids inline scripts)."""
    page.evaluate("() => {" + PAGE_HELPERS + "}")


class Sampler:
    """getStats() samples of one page, once per `interval` s, and the figures between two of them."""

    def __init__(self, page, which="watched"):
        self.page = page
        self.which = which
        self.samples = []

    def sample(self):
        value = self.page.evaluate("(which) => window.impair.stats(which)", self.which)
        self.samples.append(value)
        return value

    def run(self, seconds, interval=0.5, each=None):
        """Samples for `seconds`; `each(sample)` may return True to stop early."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            sample = self.sample()
            if each is not None and each(sample):
                return sample
            time.sleep(interval)
        return self.sample()

    @staticmethod
    def received_kbps(first, last):
        """Video and audio bits received (payload and RTP headers) per second between two samples."""
        seconds = (last["at"] - first["at"]) / 1000
        total = 0
        for kind in ("video", "audio"):
            for key in ("bytesReceived", "headerBytesReceived"):
                total += last[kind].get(key, 0) - first[kind].get(key, 0)
        return total * 8 / seconds / 1000

    @staticmethod
    def sent_kbps(first, last):
        seconds = (last["at"] - first["at"]) / 1000
        sent = (last["outbound"]["bytesSent"] + last["outbound"]["headerBytesSent"]
                - first["outbound"]["bytesSent"] - first["outbound"]["headerBytesSent"])
        return sent * 8 / seconds / 1000

    @staticmethod
    def delta(first, last, kind, key):
        return last[kind].get(key, 0) - first[kind].get(key, 0)


@pytest.fixture(scope="module")
def capabilities(impaired_server, host_chromium):
    """What the relay does today (probed once per module): `simulcast` (its answer to Chromium's offer of three
    rids has a=simulcast and a=rid lines), `publisher_transport_cc` (that answer takes the transport-wide-cc
    extension, so the publisher's own estimator gets feedback) and `subscriber_estimate` (its API describes
    the send-side estimate per connection, `estimated_bitrate` in the session statistics)."""
    session, mentor, _ = live_session(impaired_server)
    context = host_chromium.new_context()
    try:
        page = context.new_page()
        page.goto(impaired_server.base_url + "/relay-demo.html")
        page.wait_for_function("window.peerlearn !== undefined")
        install_helpers(page)
        probe = page.evaluate("([room, token]) => window.impair.simulcastAnswer(room, token)",
                              [session["meeting_room_id"], room_token(impaired_server, session, mentor)])
    finally:
        context.close()
    answer = probe.get("answer") or ""
    api = impaired_server.api("GET", "/openapi.yaml").text
    return {
        "simulcast": "a=simulcast:" in answer and "a=rid:" in answer,
        "publisher_transport_cc": "transport-wide-cc" in answer,
        "subscriber_estimate": "estimated_bitrate" in api,
        "probe": probe,
    }
