"""GStreamer's webrtcbin as a WHIP publisher or a WHEP viewer, for the interop tests.

Run with Debian's own Python (/usr/bin/python3), which has python3-gi and the GStreamer typelibs;
the test runner's Python may be another one. Prints one JSON object per line on stdout: events while
it runs ("answered", "state") and a final "result" with what was sent or decoded.

    gst_webrtc.py publish URL TOKEN --seconds 20
    gst_webrtc.py watch URL TOKEN --seconds 20 --video 30 --audio 50

The offer is sent whole (non-trickle): webrtcbin gathers first, then the offer is POSTed. The relay is
ice-lite and lists its host candidates in every m-section of its answer; webrtcbin takes them from
the answer and, being the offerer, is the controlling agent that sends the checks.
"""
import argparse
import json
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("Nice", "0.1")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Nice  # noqa: E402

VIDEO_CAPS = "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000"
AUDIO_CAPS = "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,encoding-params=(string)2"

# A moving ball, so every frame differs and the encoder sends real interframes; a sine tone, so the
# Opus stream carries sound rather than DTX silence.
PUBLISHER = f"""
webrtcbin name=webrtc bundle-policy=max-bundle
videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1 ! videoconvert !
  vp8enc deadline=1 cpu-used=8 target-bitrate=800000 keyframe-max-dist=60 error-resilient=partitions !
  rtpvp8pay pt=96 picture-id-mode=15-bit ! {VIDEO_CAPS} ! webrtc.
audiotestsrc is-live=true wave=sine freq=440 volume=0.3 ! audioconvert ! audioresample !
  audio/x-raw,rate=48000,channels=2 ! opusenc bitrate=64000 ! rtpopuspay pt=111 ! {AUDIO_CAPS} ! webrtc.
"""


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


class Client:
    def __init__(self, mode, url, token, seconds, want_video, want_audio, extra_video=False):
        self.mode, self.url, self.token = mode, url, token
        self.want_video, self.want_audio = want_video, want_audio
        self.loop = GLib.MainLoop()
        self.location = None
        self.error = None
        self.offer_sdp = self.answer_sdp = None
        self.counts = {"video": 0, "audio": 0}
        self.caps = {}
        self.states = []
        self.offered = False
        if mode == "publish":
            self.pipeline = Gst.parse_launch(PUBLISHER)
            self.webrtc = self.pipeline.get_by_name("webrtc")
        else:
            self.pipeline = Gst.Pipeline.new("viewer")
            self.webrtc = Gst.ElementFactory.make("webrtcbin", "webrtc")
            self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
            self.pipeline.add(self.webrtc)
            recvonly = GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY
            # With extra_video, a second video section the relay must reject (one of each per viewer).
            for caps in (AUDIO_CAPS, VIDEO_CAPS) + ((VIDEO_CAPS,) if extra_video else ()):
                self.webrtc.emit("add-transceiver", recvonly, Gst.Caps.from_string(caps))
            self.webrtc.connect("pad-added", self.on_incoming_stream)
        self.ice = self.confine_ice_to_loopback()
        self.webrtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.webrtc.connect("notify::ice-gathering-state", self.on_gathering_state)
        self.webrtc.connect("notify::connection-state", self.on_connection_state)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_bus_error)
        GLib.timeout_add(int(seconds * 1000), self.finish, "timeout")
        for number in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, number, self.finish, "signal")

    def confine_ice_to_loopback(self):
        """libnice 0.1.21 skips the loopback interface when it gathers, and binds each host candidate's
        socket to its interface (IP_UNICAST_IF): checks from 192.0.2.x to the relay's 127.0.0.1
        candidate then leave through eth0 and never arrive. So gather on 127.0.0.1 only, UDP only, and
        without UPnP (which would multicast SSDP searches onto the LAN)."""
        ice = self.webrtc.get_property("ice-agent")
        ice.set_property("ice-tcp", False)
        agent = ice.get_property("agent")
        agent.set_property("upnp", False)
        address = Nice.Address.new()
        if not address.set_from_string("127.0.0.1") or not agent.add_local_address(address):
            raise RuntimeError("libnice refused 127.0.0.1 as a local address")
        return ice, agent

    # Negotiation ---------------------------------------------------------------------------------

    def on_negotiation_needed(self, webrtc):
        # Emitted once the pipeline runs and every transceiver (request pad or add-transceiver) exists;
        # asking for an offer before that is what yields an empty reply.
        if self.offered:
            return
        self.offered = True
        if self.mode == "publish":
            # Request pads make sendrecv transceivers; a WHIP publisher only sends.
            index = 0
            while True:
                transceiver = webrtc.emit("get-transceiver", index)
                if transceiver is None:
                    break
                transceiver.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
                index += 1
        promise = Gst.Promise.new_with_change_func(self.on_offer_created, None)
        webrtc.emit("create-offer", None, promise)

    def on_offer_created(self, promise, _data):
        if promise.wait() != Gst.PromiseResult.REPLIED:
            return self.fail("create-offer: no reply")
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply is not None and reply.has_field("offer") else None
        if offer is None:
            error = reply.get_value("error") if reply is not None and reply.has_field("error") else None
            return self.fail(f"create-offer gave no offer: {error.message if error else reply}")
        self.webrtc.emit("set-local-description", offer, Gst.Promise.new())

    def on_gathering_state(self, webrtc, _spec):
        # Non-trickle WHIP/WHEP: POST once every candidate is in the local description.
        if webrtc.get_property("ice-gathering-state") != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            return
        if self.offer_sdp is None:
            self.offer_sdp = webrtc.get_property("local-description").sdp.as_text()
            GLib.idle_add(self.post_offer)

    def post_offer(self):
        request = urllib.request.Request(
            self.url, data=self.offer_sdp.encode(), method="POST",
            headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, body = response.status, response.read().decode()
                self.location = urllib.parse.urljoin(self.url, response.headers["Location"])
        except urllib.error.HTTPError as refused:
            return self.fail(f"POST {refused.code}: {refused.read().decode(errors='replace')}")
        except (urllib.error.URLError, OSError) as unreachable:
            return self.fail(f"POST failed: {unreachable}")
        if status != 201:
            return self.fail(f"POST answered {status}")
        self.answer_sdp = body
        result, message = GstSdp.SDPMessage.new_from_text(body)
        if result != GstSdp.SDPResult.OK:
            return self.fail(f"the answer does not parse: {result}")
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, message)
        promise = Gst.Promise.new_with_change_func(self.on_answer_set, None)
        self.webrtc.emit("set-remote-description", answer, promise)
        return False

    def on_answer_set(self, promise, _data):
        promise.wait()
        reply = promise.get_reply()
        if reply is not None and reply.has_field("error"):
            return self.fail(f"set-remote-description: {reply.get_value('error').message}")
        emit("answered", location=self.location)

    def on_connection_state(self, webrtc, _spec):
        state = webrtc.get_property("connection-state").value_nick
        self.states.append(state)
        emit("state", state=state)
        if state == "failed":
            self.fail("peer connection failed")

    # Receiving (viewer) ---------------------------------------------------------------------------

    def on_incoming_stream(self, _webrtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        decodebin = Gst.ElementFactory.make("decodebin")
        decodebin.connect("pad-added", self.on_decoded_pad)
        self.pipeline.add(decodebin)
        decodebin.sync_state_with_parent()
        pad.link(decodebin.get_static_pad("sink"))

    def on_decoded_pad(self, _decodebin, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = caps.get_structure(0).get_name()
        kind = "video" if name.startswith("video/x-raw") else "audio" if name.startswith("audio/x-raw") else None
        if kind is None:
            return
        self.caps[kind] = caps.to_string()
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        self.pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))
        pad.add_probe(Gst.PadProbeType.BUFFER, self.count_decoded, kind)

    def count_decoded(self, pad, _info, kind):
        # Every buffer here came out of vp8dec or opusdec: a decoded picture or a decoded audio chunk.
        self.counts[kind] += 1
        caps = pad.get_current_caps()
        if caps is not None:
            self.caps[kind] = caps.to_string()
        if self.mode == "watch" and self.counts["video"] >= self.want_video and self.counts["audio"] >= self.want_audio:
            GLib.idle_add(self.finish, "enough")
        return Gst.PadProbeReturn.OK

    # Ending ---------------------------------------------------------------------------------------

    def fail(self, reason):
        if self.error is None:
            self.error = reason
        GLib.idle_add(self.finish, "error")
        return False

    def outbound(self):
        """Packets webrtcbin says it sent, per kind (from get-stats)."""
        promise = Gst.Promise.new()
        self.webrtc.emit("get-stats", None, promise)
        if promise.wait() != Gst.PromiseResult.REPLIED:
            return {}
        sent = {}

        def visit(_field, value, _data):
            if isinstance(value, Gst.Structure) and value.has_field("type"):
                if value.get_value("type").value_nick == "outbound-rtp":
                    # 1.22 labels every outbound stream kind=audio; the RTP clock rate tells them apart.
                    source = value.get_value("gst-rtpsource-stats")
                    rate = source.get_value("clock-rate") if source is not None else None
                    kind = {90000: "video", 48000: "audio"}.get(rate, str(rate))
                    sent[kind] = sent.get(kind, 0) + (value.get_value("packets-sent") or 0)
            return True

        promise.get_reply().foreach(visit, None)
        return sent

    def finish(self, why):
        if not self.loop.is_running():
            return False
        sent = self.outbound() if self.mode == "publish" else {}
        if self.location:
            request = urllib.request.Request(self.location, method="DELETE",
                                             headers={"Authorization": f"Bearer {self.token}"})
            try:
                urllib.request.urlopen(request, timeout=5).close()
            except (urllib.error.URLError, OSError):
                pass
        emit("result", why=why, error=self.error, states=self.states, decoded=self.counts, caps=self.caps,
             sent=sent, offer=self.offer_sdp, answer=self.answer_sdp)
        self.loop.quit()
        return False

    def run(self):
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.fail("the pipeline does not start")
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)

    def on_bus_error(self, _bus, message):
        error, debug = message.parse_error()
        self.fail(f"{message.src.get_name()}: {error.message} ({debug})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["publish", "watch"])
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--video", type=int, default=30, help="watch: stop after this many decoded pictures…")
    parser.add_argument("--audio", type=int, default=50, help="…and this many decoded audio buffers")
    parser.add_argument("--extra-video", action="store_true", help="watch: offer a second video section")
    args = parser.parse_args()
    Gst.init(None)
    client = Client(args.mode, args.url, args.token, args.seconds, args.video, args.audio, args.extra_video)
    emit("started", gstreamer=Gst.version_string())
    started = time.time()
    client.run()
    sys.stderr.write(f"gst_webrtc {args.mode}: {time.time() - started:.1f} s\n")
    return 0 if client.error is None else 1


if __name__ == "__main__":
    sys.exit(main())
