"""Chromium through the relay under impaired links (the congestion-control issue's Done criteria).

Each viewer or publisher that needs a bad link runs in its own headless Chromium inside a network
namespace (`impairment.Link`); the others run in conftest's Chromium on the host. The server listens on
an address both reach (`impairment.ServerAddress`). Caps are token buckets with a 150 ms queue on the
veth, loss an nftables random drop; figures come from getStats() and from the link's own counters.

First the harness itself (these must fail if a cap or the loss were not applied), then the behaviours
the issue asks for. Those that need the relay's simulcast or its transport-cc with publishers are
skipped, with the reason, only while the relay shows it lacks them (`capabilities`: its answer to
Chromium's offers, and its API for a per-subscriber estimate); IMPAIRMENT_RUN_ALL=1 runs them anyway,
to see where they stand.
"""
import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time

import pytest

import impairment
from conftest import ROOT, free_port

from conftest_impairment import *  # noqa: F401,F403 (fixtures)
from conftest_impairment import Sampler, live_session, room_token

CAP_KBPS = 500
PUBLISHER_KBPS = 1500
LOSS_PERCENT = 3
# At 3% random loss with NACK/RTX repair a player may still stall now and then; over the 15 s window
# at most this much frozen time (WebRTC's freeze: no frame for max(3 × the mean frame interval,
# frame interval + 150 ms)).
FREEZE_BOUND_SECONDS = 1.0


PROBES = {
    "simulcast": "its answer to Chromium's three-rid offer has no a=simulcast/a=rid",
    "subscriber_estimate": "its /openapi.yaml has no estimated_bitrate in the session statistics",
    "publisher_transport_cc": "its answer to Chromium's publisher offer leaves out transport-wide-cc",
}


def requires(capabilities, name, what):
    if capabilities[name] or os.environ.get("IMPAIRMENT_RUN_ALL") == "1":
        return
    pytest.skip(f"waits for the relay's {what}: {PROBES[name]} (capability probe '{name}'; "
                "IMPAIRMENT_RUN_ALL=1 runs it anyway)")


def publish(page, server, session, mentor, **options):
    """Publishes Chromium's fake camera (1280x720 by default) into the session's room."""
    return page.evaluate(
        "([room, token, options]) => window.impair.publish(room, token, options)",
        [session["meeting_room_id"], room_token(server, session, mentor), options])


def watch(page, server, session, learner):
    return page.evaluate("([room, token]) => window.impair.watch(room, token)",
                         [session["meeting_room_id"], room_token(server, session, learner)])


def wait_for_rate(sampler, kbps, timeout):
    """Samples until the page receives `kbps` over a 2 s span (the publisher's estimate ramps up first)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        first = sampler.sample()
        time.sleep(2)
        last = sampler.sample()
        rate = Sampler.received_kbps(first, last)
        if rate >= kbps:
            return rate
    return None


def video_width(sample):
    return sample["video"].get("frameWidth") or 0


# MARK: - The harness


def test_a_viewer_capped_at_500_kbits_receives_at_most_the_cap_while_an_uncapped_one_gets_everything(
        impaired_server, chromium, links):
    session, mentor, (capped_learner, free_learner) = live_session(impaired_server, learners=2)
    link = links()
    publisher, capped, free = chromium(), chromium(link), chromium()
    publish(publisher, impaired_server, session, mentor, maxKbps=PUBLISHER_KBPS)
    link.cap("down", CAP_KBPS)
    watch(capped, impaired_server, session, capped_learner)
    watch(free, impaired_server, session, free_learner)
    free_sampler, capped_sampler = Sampler(free.page), Sampler(capped.page)
    # Chromium's fake camera at 720p comes to ~1.2 Mbit/s under a 1.5 Mbit/s maximum.
    ramp = wait_for_rate(free_sampler, 900, timeout=30)
    assert ramp is not None, f"the publisher never reached 900 kbit/s: {free_sampler.samples[-1]}"

    before = (free_sampler.sample(), capped_sampler.sample(), link.cap_statistics("down"))
    time.sleep(8)
    after = (free_sampler.sample(), capped_sampler.sample(), link.cap_statistics("down"))
    free_kbps = Sampler.received_kbps(before[0], after[0])
    capped_kbps = Sampler.received_kbps(before[1], after[1])
    seconds = (after[0]["at"] - before[0]["at"]) / 1000
    wire_kbps = (after[2]["bytes"] - before[2]["bytes"]) * 8 / seconds / 1000
    print(f"\nuncapped viewer {free_kbps:.0f} kbit/s, capped viewer {capped_kbps:.0f} kbit/s (RTP), "
          f"{wire_kbps:.0f} kbit/s on its wire, shaper dropped {after[2]['dropped'] - before[2]['dropped']} packets; "
          f"capped viewer's picture {video_width(after[1])} wide")
    assert free_kbps >= 900, after[0]
    # RTP (payload and headers) is what the cap leaves after SRTP, UDP and IP overhead: under the cap,
    # and most of it used.
    assert capped_kbps <= CAP_KBPS * 1.05, after[1]
    assert capped_kbps >= CAP_KBPS * 0.5, after[1]
    # The shaper itself kept to its rate (IP packets plus the veth's Ethernet header).
    assert wire_kbps <= CAP_KBPS * 1.1
    assert after[1]["audio"].get("packetsReceived", 0) > 0


def test_three_percent_random_loss_on_a_viewers_downlink_shows_as_three_percent_lost_before_repair(
        impaired_server, chromium, links):
    session, mentor, (learner,) = live_session(impaired_server)
    link = links()
    publisher, viewer = chromium(), chromium(link)
    publish(publisher, impaired_server, session, mentor, maxKbps=PUBLISHER_KBPS)
    watch(viewer, impaired_server, session, learner)
    sampler = Sampler(viewer.page)
    assert wait_for_rate(sampler, 600, timeout=30) is not None, sampler.samples[-1]
    link.loss("down", LOSS_PERCENT)
    first = sampler.sample()
    time.sleep(12)
    last = sampler.sample()
    counters = link.loss_counters("down")
    link_loss = 100 * counters["dropped"] / max(1, counters["seen"])
    audio_lost = Sampler.delta(first, last, "audio", "packetsLost")
    audio_expected = audio_lost + Sampler.delta(first, last, "audio", "packetsReceived")
    audio_loss = 100 * audio_lost / max(1, audio_expected)
    video_lost = Sampler.delta(first, last, "video", "packetsLost")
    video_expected = video_lost + Sampler.delta(first, last, "video", "packetsReceived")
    nacks = Sampler.delta(first, last, "video", "nackCount")
    repaired = Sampler.delta(first, last, "video", "retransmittedPacketsReceived")
    print(f"\nlink dropped {counters['dropped']} of {counters['seen']} = {link_loss:.2f}%; audio (never resent) lost "
          f"{audio_lost} of {audio_expected} = {audio_loss:.2f}%; video lost {video_lost} of {video_expected} "
          f"after repair, {nacks} NACKs sent, {repaired} retransmissions received")
    assert counters["seen"] > 1_000, counters
    # Bounds about three standard deviations wide for these counts (~2,000 packets on the link, ~600 audio).
    assert 1.8 <= link_loss <= 4.5, counters
    # Audio is not retransmitted, so the viewer's own count shows the link's loss.
    assert audio_expected > 300, last["audio"]
    assert 0.8 <= audio_loss <= 5.5, (first["audio"], last["audio"])
    # Video loss was seen and asked for again.
    assert nacks > 0, last["video"]


# MARK: - The behaviours


def test_at_three_percent_loss_video_keeps_decoding_with_freezes_under_the_bound(impaired_server, chromium, links):
    session, mentor, (learner,) = live_session(impaired_server)
    link = links()
    publisher, viewer = chromium(), chromium(link)
    publish(publisher, impaired_server, session, mentor, maxKbps=PUBLISHER_KBPS)
    watch(viewer, impaired_server, session, learner)
    sampler = Sampler(viewer.page)
    assert wait_for_rate(sampler, 600, timeout=30) is not None, sampler.samples[-1]
    link.loss("down", LOSS_PERCENT)
    first = sampler.sample()
    time.sleep(15)
    last = sampler.sample()
    seconds = (last["at"] - first["at"]) / 1000
    decoded = Sampler.delta(first, last, "video", "framesDecoded")
    freezes = Sampler.delta(first, last, "video", "freezeCount")
    frozen = Sampler.delta(first, last, "video", "totalFreezesDuration")
    print(f"\n{LOSS_PERCENT}% downlink loss over {seconds:.1f} s: {decoded} frames decoded "
          f"({decoded / seconds:.1f} fps), {freezes} freezes, {frozen:.2f} s frozen; picture {video_width(last)} wide")
    assert decoded >= 20 * seconds, last["video"]
    assert frozen <= FREEZE_BOUND_SECONDS, last["video"]


def test_a_capped_viewer_moves_down_within_5_s_and_back_up_within_10_s_of_the_cap_lifting(
        impaired_server, chromium, links, capabilities):
    requires(capabilities, "simulcast", "simulcast (a=simulcast with rids)")
    requires(capabilities, "subscriber_estimate", "bandwidth estimate per subscriber")
    session, mentor, (capped_learner, free_learner) = live_session(impaired_server, learners=2)
    link = links()
    publisher, capped, free = chromium(), chromium(link), chromium()
    publish(publisher, impaired_server, session, mentor, simulcast=True, maxKbps=PUBLISHER_KBPS)
    watch(capped, impaired_server, session, capped_learner)
    watch(free, impaired_server, session, free_learner)
    capped_sampler, free_sampler = Sampler(capped.page), Sampler(free.page)
    top = 1280

    # Both on the top layer first (the publisher's estimate and the relay's per viewer ramp up).
    deadline = time.time() + 30
    while time.time() < deadline:
        if video_width(capped_sampler.sample()) == top and video_width(free_sampler.sample()) == top:
            break
        time.sleep(0.5)
    assert video_width(capped_sampler.samples[-1]) == top, capped_sampler.samples[-1]["video"]

    link.cap("down", CAP_KBPS)
    capped_at = time.time()
    free_widths = []

    def moved_down(sample):
        free_widths.append(video_width(free_sampler.sample()))
        return 0 < video_width(sample) < top

    down = capped_sampler.run(8, interval=0.25, each=moved_down)
    moved_after = time.time() - capped_at
    print(f"\ncapped at {CAP_KBPS} kbit/s: the capped viewer went to {video_width(down)} wide after {moved_after:.1f} s; "
          f"the uncapped one stayed at {sorted(set(free_widths))}")
    assert 0 < video_width(down) < top and moved_after <= 5.0, down["video"]
    # Settled under the cap, and still decoding.
    first = capped_sampler.sample()
    time.sleep(4)
    last = capped_sampler.sample()
    assert Sampler.received_kbps(first, last) <= CAP_KBPS * 1.05
    assert Sampler.delta(first, last, "video", "framesDecoded") >= 40, last["video"]
    # The cap is the other viewer's alone: the uncapped one stays on the top layer. Not every sample: on a
    # loaded 2-core machine its own estimate can dip for a second (Chromium's feedback runs late), which is
    # no sign of the cap; being dragged down by it would show in most samples.
    on_top = sum(width == top for width in free_widths)
    assert on_top >= 0.75 * len(free_widths), free_widths

    link.uncap("down")
    lifted_at = time.time()
    up = capped_sampler.run(12, interval=0.25, each=lambda sample: video_width(sample) == top)
    climbed_after = time.time() - lifted_at
    print(f"cap lifted: back to {video_width(up)} wide after {climbed_after:.1f} s")
    assert video_width(up) == top and climbed_after <= 10.0, up["video"]
    assert video_width(free_sampler.sample()) == top


def test_a_publisher_capped_at_1500_kbits_settles_near_its_cap_instead_of_flooding(
        impaired_server, chromium, links, capabilities):
    requires(capabilities, "publisher_transport_cc", "transport-cc feedback toward publishers")
    cap = 1_500
    session, mentor, (learner,) = live_session(impaired_server)
    link = links()
    publisher, viewer = chromium(link), chromium()
    link.cap("up", cap)
    # Asks for more than the link carries (1080p, up to 3 Mbit/s on the top layer; three layers when the
    # relay takes simulcast, as the web app publishes): only the estimate keeps it under the cap.
    publish(publisher, impaired_server, session, mentor, width=1920, height=1080, maxKbps=3_000,
            simulcast=capabilities["simulcast"])
    watch(viewer, impaired_server, session, learner)
    sending, watching = Sampler(publisher.page, "published"), Sampler(viewer.page)
    time.sleep(20)  # ramp-up and settling
    before = (sending.sample(), watching.sample(), link.cap_statistics("up"))
    time.sleep(10)
    after = (sending.sample(), watching.sample(), link.cap_statistics("up"))
    sent = Sampler.sent_kbps(before[0], after[0])
    received = Sampler.received_kbps(before[1], after[1])
    passed = after[2]["packets"] - before[2]["packets"]
    dropped = after[2]["dropped"] - before[2]["dropped"]
    drop_percent = 100 * dropped / max(1, passed + dropped)
    frozen = Sampler.delta(before[1], after[1], "video", "totalFreezesDuration")
    estimate = after[0]["availableOutgoingBitrate"]
    print(f"\npublisher capped at {cap} kbit/s: sends {sent:.0f} kbit/s of video, estimate "
          f"{(estimate or 0) / 1000:.0f} kbit/s; the shaper dropped {dropped} of {passed + dropped} packets "
          f"({drop_percent:.1f}%); the viewer receives {received:.0f} kbit/s, {frozen:.2f} s frozen")
    assert cap * 0.6 <= sent <= cap * 1.0, after[0]["outbound"]
    assert estimate is not None and estimate <= cap * 1000 * 1.15, after[0]
    # Not flooding: the bottleneck queue rarely overflows, so the viewer sees a smooth picture.
    assert drop_percent <= 2.0
    assert frozen <= FREEZE_BOUND_SECONDS, after[1]["video"]


# MARK: - The same in the load tester (scripts/impair)

IMPAIR = ROOT / "scripts" / "impair"


def run_impair(*arguments, timeout=240):
    """scripts/impair on the debug build, with a namespace, subnet and ports of its own; returns its JSON."""
    out = pathlib.Path(tempfile.mkdtemp()) / "impair.json"
    env = dict(os.environ, IMPAIR_NETNS=f"plimp{os.getpid() % 10_000}", IMPAIR_SUBNET=impairment._free_subnet(),
               IMPAIR_HTTP_PORT=str(free_port()), IMPAIR_RELAY_PORT=str(free_port(socket.SOCK_DGRAM)))
    completed = subprocess.run([str(IMPAIR), "--debug", *map(str, arguments), "--json", str(out)],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    print(completed.stdout[-4000:])
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert env["IMPAIR_NETNS"] not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return json.loads(out.read_text())


@pytest.mark.skipif(not impairment.is_root(), reason="network namespaces need root")
def test_load_tester_a_capped_learner_receives_at_most_the_cap_and_every_learner_sends_transport_feedback():
    report = run_impair("--viewers", 4, "--capped-viewers", 1, "--cap-kbps", CAP_KBPS, "--duration", 10)
    viewers = report["load"]["viewers"]
    assert len(viewers) == 4, viewers
    (capped,) = [viewer for viewer in viewers if viewer["capped"]]
    free = [viewer for viewer in viewers if not viewer["capped"]]
    # RTP received (headers included) is what the cap leaves after SRTP, UDP and IP: under it, most of it used.
    assert CAP_KBPS * 0.5 <= capped["receivedKbps"] <= CAP_KBPS * 1.02, capped
    assert all(viewer["receivedKbps"] >= 700 for viewer in free), free
    # Followed like a browser: a picture size and repairs asked for, or none needed.
    assert all(viewer["framesShown"] is not None for viewer in viewers), viewers
    assert all(viewer["width"] == 640 for viewer in free), free
    # The relay stamps transport-wide sequence numbers toward subscribers; each viewer answers ~10-20 times a second.
    assert all((viewer["transportFeedbackSent"] or 0) >= 50 for viewer in viewers), viewers
    assert report["link"]["shaperPassedPackets"] > 0, report["link"]


@pytest.mark.skipif(not impairment.is_root(), reason="network namespaces need root")
def test_load_tester_a_capped_learner_moves_down_within_5_s_and_back_up_within_10_s_while_the_others_keep_the_top(
        capabilities):
    requires(capabilities, "simulcast", "simulcast (a=simulcast with rids)")
    requires(capabilities, "subscriber_estimate", "bandwidth estimate per subscriber")
    cap_at, lift_at = 6, 16
    report = run_impair("--viewers", 4, "--capped-viewers", 1, "--cap-kbps", CAP_KBPS, "--simulcast",
                        "--cap-at", cap_at, "--lift-at", lift_at, "--duration", 20)
    link, viewers = report["link"], report["load"]["viewers"]
    (reaction,) = [r for r in report["reactions"] if r["capped"]]
    assert reaction["downSeconds"] is not None and reaction["downSeconds"] <= 5.0, reaction
    assert reaction["upSeconds"] is not None and reaction["upSeconds"] <= 10.0, reaction
    # While the cap is on, every uncapped learner stays on the top layer (640 wide: the publisher's full size).
    capped_from, capped_until = link["cappedAtUnix"], link["liftedAtUnix"]
    for viewer in viewers:
        if viewer["capped"]:
            continue
        changes = viewer["layerChanges"]
        at_cap = [c for c in changes if c["unixSeconds"] <= capped_from][-1:]
        during = [c for c in changes if capped_from < c["unixSeconds"] <= capped_until]
        assert all(c["width"] == 640 for c in at_cap + during), (viewer["viewer"], changes)
    # The relay's estimate for the capped learner is in the session's statistics.
    assert all(viewer["relayEstimateKbps"] is not None for viewer in viewers), viewers


@pytest.mark.skipif(not impairment.is_root(), reason="network namespaces need root")
def test_load_tester_at_three_percent_loss_a_learner_keeps_seeing_video_with_freezes_under_the_bound():
    report = run_impair("--viewers", 3, "--capped-viewers", 1, "--cap-kbps", 0, "--loss", LOSS_PERCENT,
                        "--duration", 12)
    link = report["link"]
    (lossy,) = [viewer for viewer in report["load"]["viewers"] if viewer["capped"]]
    print(f"\nload tester, {LOSS_PERCENT}% downlink loss: link dropped {link['lossDropped']} of {link['lossSeen']}; "
          f"the learner showed {lossy['framesShown']} frames, {lossy['freezes']} freezes, "
          f"{lossy['frozenSeconds']:.2f} s frozen, {lossy['nacksSent']} NACKs, {lossy['plisSent']} PLIs")
    assert 1.8 <= 100 * link["lossDropped"] / max(1, link["lossSeen"]) <= 4.5, link
    # Repaired by NACK/RTX from the relay's buffer: frames keep coming at nearly the full rate.
    assert lossy["nacksSent"] > 0, lossy
    assert lossy["framesShown"] >= 20 * 12, lossy
    assert lossy["frozenSeconds"] <= FREEZE_BOUND_SECONDS, lossy


# MARK: - A load-tester publisher behind a capped uplink

LOAD = ROOT / ".build" / "debug" / "peerlearn-load"


def run_capped_publisher(server, link, *arguments, timeout=240):
    """peerlearn-load lecture with its publisher's socket in `link`'s namespace (`--publisher-netns`), the viewers
    on the host; the shaper's counters are read every 0.5 s meanwhile. Returns (report, [(unix time, counters)])."""
    out = pathlib.Path(tempfile.mkdtemp()) / "publisher.json"
    server_ip = server.base_url.split("//")[1].split(":")[0]
    command = [str(LOAD), "lecture", "--url", server.base_url, "--local-address", server_ip,
               "--publisher-netns", link.namespace, "--publisher-address", link.ip, *map(str, arguments),
               "--json", str(out)]
    shaper = []
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        deadline = time.time() + timeout
        while process.poll() is None and time.time() < deadline:
            shaper.append((time.time(), link.cap_statistics("up")))
            time.sleep(0.5)
        if process.poll() is None:
            process.kill()
        stdout, stderr = process.communicate()
    print(stdout[-3000:])
    assert process.returncode == 0, stdout[-3000:] + stderr[-3000:]
    (report,) = json.loads(out.read_text())
    return report, shaper


def shaper_between(shaper, start, end):
    """The shaper's passed and dropped packets between two unix times (the samples just inside them)."""
    inside = [counters for at, counters in shaper if start <= at <= end]
    assert len(inside) >= 2, (start, end, shaper[:1], shaper[-1:])
    first, last = inside[0], inside[-1]
    return last["packets"] - first["packets"], last["dropped"] - first["dropped"]


@pytest.mark.skipif(not impairment.is_root(), reason="network namespaces need root")
@pytest.mark.parametrize("simulcast,width,height", [(False, 1280, 720), (True, 960, 540)], ids=["single", "simulcast"])
def test_load_tester_a_publisher_capped_at_1500_kbits_settles_near_its_cap_instead_of_flooding(
        impaired_server, links, simulcast, width, height):
    cap = 1_500
    link = links()
    link.cap("up", cap)
    # Asks for twice what the link carries (3 Mbit/s on the top layer; the synthetic picture needs a large size
    # to fill it): only following the relay's transport-cc feedback keeps it under the cap. 12 s to settle, then
    # 10 s measured.
    report, shaper = run_capped_publisher(
        impaired_server, link, "--viewers", 1, "--tracked-viewers", 1, "--width", width, "--height", height,
        "--video-kbps", 3_000, "--pace", "--warmup", 12, "--duration", 10, *(["--simulcast"] if simulcast else []))
    (publisher,) = report["publishers"]
    passed, dropped = shaper_between(shaper, publisher["windowStartUnixSeconds"], publisher["windowEndUnixSeconds"])
    drop_percent = 100 * dropped / max(1, passed + dropped)
    # Settled: from the first second after which it never again sends more than the cap.
    seconds = publisher["seconds"]
    over = [i for i, second in enumerate(seconds) if second["sentVideoKbps"] > cap]
    settled_after = (seconds[over[-1] + 1]["unixSeconds"] - seconds[0]["unixSeconds"] if over[-1] + 1 < len(seconds)
                     else float("inf")) if over else 0.0
    overall = shaper[-1][1]
    viewers = report["viewers"]
    print(f"\nload-tester publisher capped at {cap} kbit/s ({'simulcast' if simulcast else 'one stream'}): sends "
          f"{publisher['sentVideoKbps']:.0f} kbit/s of video, estimate {publisher['estimateKbps']:.0f} kbit/s, video "
          f"target {publisher['targetKbps']:.0f} kbit/s (layers {publisher.get('layerTargetsKbps')}); settled under the cap "
          f"{settled_after:.0f} s after its first media; the shaper dropped {dropped} of {passed + dropped} packets "
          f"({drop_percent:.2f}%) in the window, {overall['dropped']} of {overall['packets'] + overall['dropped']} in all; "
          f"viewers: " + ", ".join(f"{v['framesShown']} frames, {v['frozenSeconds']:.2f} s frozen, {v['width']} wide"
                                   for v in viewers))
    print("each second (sent, estimate, target kbit/s): " + ", ".join(
        f"{s['sentVideoKbps']:.0f}/{s.get('estimateKbps', 0):.0f}/{s.get('targetKbps', 0):.0f}" for s in seconds))
    assert publisher["adapts"] and publisher["feedbackReceived"] > 0, publisher
    # Video RTP (after SRTP, headers included) is less than what the shaper counts (UDP, IP, Ethernet): at most
    # the cap, and most of it used.
    assert cap * 0.6 <= publisher["sentVideoKbps"] <= cap, publisher
    assert publisher["estimateKbps"] <= cap * 1.15, publisher
    # Not flooding: the bottleneck queue rarely overflows.
    assert passed > 0 and drop_percent <= 2.0, (passed, dropped)
    assert settled_after <= 10, seconds
    # The viewer keeps decoding a smooth picture (at what the debug-built tester encodes on a busy machine: 20-25
    # frames a second).
    assert len(viewers) == 1, viewers
    for viewer in viewers:
        assert viewer["framesShown"] >= 15 * 10, viewer
        assert viewer["frozenSeconds"] <= FREEZE_BOUND_SECONDS, viewer
    assert report["decoded"]["videoFrames"] > 0 and report["decoded"]["videoFailures"] == 0, report["decoded"]
