"""scripts/compare-janus end to end: the same scenarios on our relay and on Debian's Janus VideoRoom.

Tiny sizes keep it quick; it runs the debug build that `swift build` (scripts/test) made. Needs root
for the network namespace the servers run in, and the `janus` package (scripts/setup installs it).
"""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "compare-janus"


def run_compare(*arguments):
    """scripts/compare-janus with the debug build at 500 kbit/s; returns (its stdout, the JSON report's entries)."""
    out = pathlib.Path(tempfile.mkdtemp()) / "compare.json"
    # Ports away from the other fixtures' and the usual 8080/40000.
    env = dict(os.environ, COMPARE_HTTP_PORT="18380", COMPARE_RELAY_HTTP_PORT="18381", COMPARE_RELAY_PORT="41300",
               COMPARE_NETNS="plcmpci", COMPARE_SUBNET="10.79.0", COMPARE_RTP_PORTS="23000-23999")
    completed = subprocess.run(
        [str(SCRIPT), *arguments, "--video-kbps", "500", "--debug", "--json", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    print(completed.stdout[-4000:])
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed.stdout, json.loads(out.read_text())


@pytest.mark.skipif(os.geteuid() != 0, reason="compare-janus needs root for its network namespace")
@pytest.mark.skipif(shutil.which("janus") is None, reason="Debian's janus package is not installed")
def test_both_servers_forward_every_scenario():
    stdout, entries = run_compare("lecture:3", "seminar:1x3", "churn:4", "--duration", "4")
    assert "ours/Janus" in stdout
    report = {entry["scenario"]: entry for entry in entries}
    assert set(report) == {"lecture:3", "seminar:1x3", "churn:4"}
    expected_viewers = {"lecture:3": 3, "seminar:1x3": 6, "churn:4": 4}
    for spec, entry in report.items():
        for target in ("ours", "janus"):
            result = entry[target]
            assert result["forwardedPacketsPerSecond"] > 50, (spec, target, result)
            assert result["lossPercent"] < 2.0, (spec, target, result)
            assert result["sampledUnprotectFailed"] == 0, (spec, target, result)
            assert result["serverCPUSecondsPer1000Packets"] is not None, (spec, target, result)
            # Send times resolve through both servers (packet index in audio-level / video-orientation).
            assert 0 < result["latencyP50Milliseconds"] < 100, (spec, target, result)
            if spec != "churn:4":
                assert result["joined"] == expected_viewers[spec], (spec, target, result)
        assert entry["metrics"]["serverCPUSecondsPer1000Packets"]["ratio"] > 0
    # Nothing left behind: the namespace is gone.
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "plcmpci" not in namespaces


@pytest.mark.skipif(os.geteuid() != 0, reason="compare-janus needs root for its network namespace")
@pytest.mark.skipif(shutil.which("janus") is None, reason="Debian's janus package is not installed")
def test_repeated_rounds_end_with_each_scenarios_median():
    stdout, entries = run_compare("lecture:3", "--duration", "2", "--repeat", "2")
    assert [entry.get("scenario") for entry in entries[:-1]] == ["lecture:3#1", "lecture:3#2"]
    (median,) = entries[-1]["medians"]
    assert median["scenario"] == "lecture:3" and median["rounds"] == 2
    assert len(median["oursOverJanus"]) == 2 and all(ratio > 0 for ratio in median["oursOverJanus"])
    assert min(median["oursOverJanus"]) <= median["medianOursOverJanus"] <= max(median["oursOverJanus"])
    assert "lecture:3, 2 rounds" in stdout and "ours / Janus:" in stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="compare-janus needs root for its network namespace")
@pytest.mark.skipif(shutil.which("janus") is None, reason="Debian's janus package is not installed")
def test_capacity_runs_a_lecture_at_a_higher_frame_rate_read_in_batches():
    stdout, entries = run_compare("capacity:4", "--duration", "3", "--capacity-frame-rate", "60")
    (entry,) = entries
    assert entry["scenario"] == "capacity:4"
    for target in ("ours", "janus"):
        result = entry[target]
        assert result["joined"] == 4 and result["lossPercent"] < 2.0, (target, result)
        # The decoding viewer reads through NIO; the counting ones in batches.
        assert [viewer["readInBatches"] for viewer in result["viewers"]].count(True) == 3, (target, result)
        # Frames flow (the debug build's grain loop, on a busy machine, cannot be held to the full 60 fps).
        (publisher,) = result["publishers"]
        assert publisher["sentFramesPerSecond"] > 5, (target, publisher)
    assert entry["metrics"]["serverCPUSecondsPer1000Packets"]["ratio"] > 0
    if entry["limit"] is not None:
        assert "ours / limit" in stdout and entry["metrics"]["limit"]["oursOverLimit"] > 0


def test_capacity_frame_rate_out_of_range_is_refused():
    completed = subprocess.run([str(SCRIPT), "capacity:4", "--capacity-frame-rate", "500"], cwd=ROOT,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2 and "--capacity-frame-rate must be 30 to 240" in completed.stderr
