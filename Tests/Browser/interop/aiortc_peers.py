"""aiortc (PyPI) as a WHIP publisher and as a WHEP viewer that decodes and inspects what it receives.

aiortc shares no code with Chromium, Firefox, GStreamer or our PeerClient: its ICE (aioice), DTLS
(pyOpenSSL) and SDP are its own, and it decodes with libvpx and libopus through PyAV. The viewer
looks at the decoded samples and pictures themselves (a tone's pitch, pictures that move), so a
stream of empty or garbled frames does not pass for media.
"""
import asyncio
import fractions
import math
import threading
import time
import urllib.parse

import av
import numpy
import requests
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack, VideoStreamTrack

SAMPLE_RATE = 48000
FRAME_SAMPLES = 960  # 20 ms, one Opus packet


class Tone(MediaStreamTrack):
    """A 440 Hz sine, mono 48 kHz, paced in real time: something the viewer can recognise after Opus."""

    kind = "audio"

    def __init__(self, frequency=440.0):
        super().__init__()
        self.frequency = frequency
        self.sent = 0
        self.started = None

    async def recv(self):
        if self.started is None:
            self.started = time.time()
        wait = self.started + self.sent / SAMPLE_RATE - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (numpy.arange(FRAME_SAMPLES) + self.sent) / SAMPLE_RATE
        samples = (0.3 * 32767 * numpy.sin(2 * math.pi * self.frequency * t)).astype(numpy.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self.sent
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self.sent += FRAME_SAMPLES
        return frame


class MovingPicture(VideoStreamTrack):
    """640x360 frames whose content changes, so the VP8 encoder sends real interframes."""

    def __init__(self):
        super().__init__()
        self.count = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        self.count += 1
        image = numpy.zeros((360, 640, 3), dtype=numpy.uint8)
        image[:, (self.count * 8) % 640:, 1] = 200
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


async def exchange(url, token, pc):
    """RFC 9725: POST the offer (gathering done, non-trickle), apply the 201's answer; returns Location."""
    await pc.setLocalDescription(await pc.createOffer())
    response = await asyncio.to_thread(
        requests.post, url, data=pc.localDescription.sdp, timeout=10,
        headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    assert response.headers["Location"]
    await pc.setRemoteDescription(RTCSessionDescription(sdp=response.text, type="answer"))
    return urllib.parse.urljoin(url, response.headers["Location"])


async def leave(location, token, pc):
    await asyncio.to_thread(requests.delete, location, timeout=5, headers={"Authorization": f"Bearer {token}"})
    await pc.close()


def configuration(bundle_policy=RTCBundlePolicy.MAX_BUNDLE):
    # No ICE servers: left unset, aiortc asks a public STUN server, and these tests stay on loopback.
    return RTCConfiguration(iceServers=[], bundlePolicy=bundle_policy)


async def publish(url, token, bundle_policy=RTCBundlePolicy.MAX_BUNDLE):
    """Publishes a tone and a moving picture; returns (pc, location)."""
    pc = RTCPeerConnection(configuration(bundle_policy))
    pc.addTrack(Tone())
    pc.addTrack(MovingPicture())
    return pc, await exchange(url, token, pc)


def dominant_frequency(samples):
    spectrum = numpy.abs(numpy.fft.rfft(samples * numpy.hanning(len(samples))))
    return float(numpy.argmax(spectrum[1:]) + 1) * SAMPLE_RATE / len(samples)


class DecodingViewer:
    """Watches with WHEP and inspects every decoded frame aiortc hands over."""

    def __init__(self, bundle_policy=RTCBundlePolicy.MAX_BUNDLE):
        self.pc = RTCPeerConnection(configuration(bundle_policy))
        self.counts = {"audio": 0, "video": 0}
        self.sizes = set()
        self.changed_pictures = 0
        self.brightest = 0.0
        self.audio = []  # channel 0 of decoded audio, after the first 0.5 s
        self.audio_rates = set()
        self.previous = None
        self.pc.on("track", self.on_track)
        self.pc.addTransceiver("audio", direction="recvonly")
        self.pc.addTransceiver("video", direction="recvonly")

    @classmethod
    async def create(cls, bundle_policy=RTCBundlePolicy.MAX_BUNDLE):
        """Made on the loop that will run it (aiortc binds a peer connection to the running loop)."""
        return cls(bundle_policy)

    def on_track(self, track):
        async def drain():
            while True:
                try:
                    frame = await track.recv()
                except Exception:
                    return
                self.counts[track.kind] += 1
                if track.kind == "video":
                    self.inspect_picture(frame)
                else:
                    self.inspect_sound(frame)
        asyncio.ensure_future(drain())

    def inspect_picture(self, frame):
        self.sizes.add((frame.width, frame.height))
        gray = frame.to_ndarray(format="gray")[::8, ::8].astype(numpy.float32)
        self.brightest = max(self.brightest, float(gray.mean()))
        if self.previous is not None and self.previous.shape == gray.shape:
            if float(numpy.abs(gray - self.previous).mean()) > 0.2:
                self.changed_pictures += 1
        self.previous = gray

    def inspect_sound(self, frame):
        self.audio_rates.add(frame.sample_rate)
        if self.counts["audio"] <= 25 or sum(len(a) for a in self.audio) >= SAMPLE_RATE:
            return
        data = frame.to_ndarray()
        channels = len(frame.layout.channels)
        samples = data.reshape(-1)[::channels] if frame.format.is_packed else data[0]
        self.audio.append(samples.astype(numpy.float64) / 32768.0)

    def summary(self):
        audio = numpy.concatenate(self.audio) if self.audio else numpy.zeros(0)
        return {
            "decoded": dict(self.counts), "sizes": sorted(self.sizes), "changed_pictures": self.changed_pictures,
            "brightest": round(self.brightest, 1), "audio_rates": sorted(self.audio_rates),
            "audio_rms": round(float(numpy.sqrt(numpy.mean(audio ** 2))), 4) if len(audio) else 0.0,
            "audio_hz": round(dominant_frequency(audio), 1) if len(audio) >= 4800 else None,
            "state": self.pc.connectionState,
        }

    async def watch(self, url, token, seconds=15.0, video=30, audio=50):
        """Watches until `video` pictures and `audio` chunks are decoded (and ~1 s of sound kept), or time's up."""
        location = await exchange(url, token, self.pc)
        deadline = time.time() + seconds
        while time.time() < deadline and not (
                self.counts["video"] >= video and self.counts["audio"] >= audio
                and sum(len(a) for a in self.audio) >= SAMPLE_RATE):
            await asyncio.sleep(0.1)
        result = self.summary()
        await leave(location, token, self.pc)
        return result


def assert_tone_and_moving_picture(watched, size=(640, 360), hz=440.0):
    """What aiortc's own libvpx and libopus decoders produced, after its SRTP and jitter buffer."""
    assert watched["decoded"]["video"] >= 30, watched
    assert watched["decoded"]["audio"] >= 50, watched
    assert watched["sizes"] == [size], watched
    assert watched["changed_pictures"] >= 10, watched
    assert watched["audio_rates"] == [48000], watched
    assert watched["audio_rms"] > 0.05, watched
    assert watched["audio_hz"] is not None and abs(watched["audio_hz"] - hz) < 10, watched


class LoopThread:
    """An asyncio loop on a thread of its own, so aiortc runs beside sync code (Playwright, subprocesses)."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout=60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
