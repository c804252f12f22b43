"""A publisher behind a 5%-loss uplink, repaired by the relay's NACKs (scripts/uplink-loss end to end).

The script runs `peerlearn serve` with its relay on the host end of a veth pair, puts only the
publisher's UDP socket in a network namespace whose egress drops 5% of packets (netem, or an
nftables random drop where the kernel has no sch_netem), and runs one publisher and three watchers
for 20 s; every watcher decodes and counts VP8 frames that were still incomplete 200 ms after it
first knew of them. Runs the debug build that `swift build` (scripts/test) made. Needs root.
"""
import json
import os
import pathlib
import subprocess
import tempfile

import pytest

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "uplink-loss"
NAMESPACE = "plupci"
VIEWERS = 3
SECONDS = 20

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="uplink-loss needs root for its network namespace")


@pytest.fixture(scope="module")
def report():
    out = pathlib.Path(tempfile.mkdtemp()) / "uplink.json"
    # Ports and addresses away from the other fixtures' and scripts/compare-janus's.
    env = dict(os.environ, UPLINK_NETNS=NAMESPACE, UPLINK_SUBNET="10.81.0", UPLINK_HTTP_PORT="18490",
               UPLINK_RELAY_PORT="41600")
    completed = subprocess.run(
        [str(SCRIPT), "--debug", "--loss", "5", "--viewers", str(VIEWERS), "--duration", str(SECONDS),
         "--json", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    print(completed.stdout[-5000:])
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(out.read_text())


def test_the_uplink_really_loses_five_percent(report):
    uplink = report["uplink"]
    # ~20 s of VP8 + Opus plus the joins went through the namespace, and about 1 in 20 was dropped.
    assert uplink["packets"] > 2_000, uplink
    assert 3.5 <= uplink["lossPercent"] <= 6.5, uplink
    # The loss reached the relay: audio is never retransmitted, so the watchers miss about as much.
    assert 2.0 <= report["load"]["audioLossPercent"] <= 9.0, report["load"]
    # Nothing left behind.
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert NAMESPACE not in namespaces


def test_relay_nacks_repair_the_uplink_for_every_watcher(report):
    load = report["load"]
    assert load["joined"] == VIEWERS
    # The relay asked the publisher for what it missed, and got it back.
    repair = load["publisherRepair"]
    assert repair["nacksReceived"] > 0 and repair["retransmissionsSent"] > 0, repair
    frames = load["frameLoss"]
    assert len(frames["viewers"]) == VIEWERS, frames
    # What a failure needs to be read from CI's output alone: the viewer's packets, decryption and the
    # relay's counters.
    context = {"viewers": load.get("viewers"), "decoded": load["decoded"], "relay": report["relayCounters"],
               "serverLog": report.get("serverLogTail", [])[-8:]}
    for viewer in frames["viewers"]:
        # At least half the frames a 30 fps publisher sends in the window (the debug encoder is slower).
        assert viewer["framesExpected"] > SECONDS * 15, (viewer, context)
        assert viewer["frameLossPercent"] < 1.0, (viewer, context)
    assert frames["frameLossPercent"] < 1.0, frames
    assert load["decoded"]["videoFailures"] == 0
