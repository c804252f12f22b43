"""`peerlearn-load` against the real server: simulated browsers with real VP8/Opus through the relay."""
import json
import pathlib
import subprocess
import tempfile

from conftest import ROOT

LOAD = ROOT / ".build" / "debug" / "peerlearn-load"


def run_load(server, *arguments):
    out = pathlib.Path(tempfile.mkdtemp()) / "result.json"
    completed = subprocess.run(
        [str(LOAD), *arguments, "--url", server.base_url, "--duration", "3", "--server-pid", str(server.process.pid),
         "--json", str(out)], capture_output=True, text=True, timeout=180)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return json.loads(out.read_text()), completed.stdout


def test_lecture_delivers_every_packet_to_every_viewer(server):
    (result,), table = run_load(server, "lecture", "--viewers", "3", "--video-kbps", "600")
    print("\n" + table)
    assert result["joined"] == 3
    assert result["lossPercent"] < 1.0
    # One publisher's VP8 + Opus fanned out to three viewers.
    assert result["forwardedPacketsPerSecond"] > 3 * 50
    assert result["sampledUnprotectOK"] > 0 and result["sampledUnprotectFailed"] == 0
    assert result["serverCPUPercent"] is not None and result["serverResidentMegabytes"] > 0
    assert 0 < result["latencyP50Milliseconds"] < 100


def test_decoding_viewer_decodes_what_the_relay_forwards(server):
    (result,), table = run_load(server, "lecture", "--viewers", "2", "--video-kbps", "400")
    decoded = result["decoded"]
    # 3 s at 30 fps and 50 Opus frames/s reach the decoding viewer, and all of them decode.
    assert decoded["videoFrames"] > 30 and decoded["videoFailures"] == 0
    assert decoded["audioFrames"] > 50 and decoded["audioFailures"] == 0
    assert "decoded" in table


def test_paced_video_arrives_whole_with_send_times_taken_as_it_leaves(server):
    (result,), _ = run_load(server, "lecture", "--viewers", "2", "--video-kbps", "600", "--pace")
    assert result["joined"] == 2 and result["lossPercent"] < 1.0
    assert result["decoded"]["videoFrames"] > 30 and result["decoded"]["videoFailures"] == 0
    # Restamped at the pacer's send, so its queueing is not counted as the relay's latency.
    assert 0 < result["latencyP50Milliseconds"] < 20


def test_frame_rate_sets_how_many_frames_the_publisher_sends(server):
    # A capacity run loads the relay with more frame bursts of a lecture's size: 60 frames a second of the same
    # size as 30 at half the bitrate.
    for frame_rate, kbps in ((30, 400), (60, 800)):
        (result,), table = run_load(
            server, "lecture", "--viewers", "1", "--video-kbps", str(kbps), "--frame-rate", str(frame_rate))
        (publisher,) = result["publishers"]
        print(f"\n--frame-rate {frame_rate}: sent {publisher['sentFramesPerSecond']:.1f} frames/s")
        # On a fixed-rate clock: NIO's fixed-delay repeat gave about 50 of 60 (each frame's encoding added to the wait).
        assert frame_rate * 0.93 < publisher["sentFramesPerSecond"] < frame_rate * 1.05
        assert "frames/s" in table and result["lossPercent"] < 1.0
        # The decoding viewer gets them all, at that rate.
        assert result["decoded"]["videoFrames"] > frame_rate * 2 and result["decoded"]["videoFailures"] == 0


def test_frame_rate_out_of_range_is_refused():
    completed = subprocess.run([str(LOAD), "lecture", "--frame-rate", "0"], capture_output=True, text=True, timeout=60)
    assert completed.returncode != 0 and "--frame-rate must be 1...240" in completed.stderr


def test_batched_reads_count_what_the_relay_forwards(server):
    # The decoding viewer reads through NIO; the other four in batches. Both must see the same packets.
    (result,), table = run_load(server, "lecture", "--viewers", "5", "--video-kbps", "600", "--batched-reads",
                                "--no-transport-feedback", "--decoding-viewers", "1", "--grain", "8")
    print("\n" + table)
    assert result["joined"] == 5 and result["lossPercent"] < 1.0
    viewers = result["viewers"]
    batched = [viewer for viewer in viewers if viewer["readInBatches"]]
    unbatched = [viewer for viewer in viewers if not viewer["readInBatches"]]
    assert len(batched) == 4 and len(unbatched) == 1
    reference = unbatched[0]["videoPacketsExpected"]
    assert reference > 100
    for viewer in batched:
        # The window's ends are read at slightly different moments on the two paths: a frame's packets apart at most.
        assert abs(viewer["videoPacketsExpected"] - reference) < 0.05 * reference, viewer
        assert viewer["lossPercent"] < 1.0 and viewer["receivedKbps"] > 400 and viewer["unprotectFailed"] == 0
    assert result["sampledUnprotectOK"] > 0 and result["sampledUnprotectFailed"] == 0
    assert result["decoded"]["videoFrames"] > 0 and result["decoded"]["videoFailures"] == 0


def test_batched_reads_need_viewers_without_transport_feedback():
    completed = subprocess.run([str(LOAD), "lecture", "--batched-reads"], capture_output=True, text=True, timeout=60)
    assert completed.returncode != 0 and "--batched-reads needs --no-transport-feedback" in completed.stderr


def test_grain_out_of_range_is_refused():
    completed = subprocess.run([str(LOAD), "lecture", "--grain", "65"], capture_output=True, text=True, timeout=60)
    assert completed.returncode != 0 and "--grain must be 0...64" in completed.stderr


def test_pacing_refuses_an_index_send_time():
    completed = subprocess.run([str(LOAD), "lecture", "--pace", "--send-time", "index"], capture_output=True, text=True,
                               timeout=60)
    assert completed.returncode != 0 and "--pace needs --send-time private" in completed.stderr


def test_seminar_everyone_receives_everyone(server):
    (result,), _ = run_load(server, "seminar", "--rooms", "1", "--size", "3", "--video-kbps", "300")
    # 3 members, each watching the 2 others: 6 viewer connections, all receiving.
    assert result["joined"] == 6
    assert result["lossPercent"] < 1.0
