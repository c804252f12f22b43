#!/usr/bin/env python3
"""Relay CPU with real browsers: one Chromium publisher (640x360 VP8 + Opus) and N WHEP watchers.

Runs the debug or release `peerlearn` (PEERLEARN_BINARY), lets media flow, then samples the server's
CPU time from /proc/<pid>/stat and forwarded packets from /metrics over a window. Usage:

    python3 Benchmarks/Browser/relay_cpu.py [--watchers 3] [--seconds 20]
"""
import argparse
import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "Tests" / "Browser"))
import conftest  # noqa: E402  (the browser tests' server and Chromium set-up)
from test_relay_browser import FIRST_FRAME, PUBLISH, WATCH, live_session, room_token  # noqa: E402

from playwright.sync_api import sync_playwright  # noqa: E402


def cpu_seconds(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def forwarded(server):
    for line in server.api("GET", "/metrics").text.splitlines():
        if line.startswith("peerlearn_relay_rtp_forwarded_total "):
            return float(line.split()[1])
    return 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--watchers", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    if os.environ.get("PEERLEARN_BINARY"):
        conftest.BINARY = pathlib.Path(os.environ["PEERLEARN_BINARY"])
    server_gen = conftest.server.__wrapped__()
    server = next(server_gen)
    try:
        session, mentor_token, learner_tokens = live_session(server, max_participants=args.watchers, learners=args.watchers)
        room = session["meeting_room_id"]
        with sync_playwright() as p:
            wav = pathlib.Path("/tmp/peerlearn-tone.wav")
            conftest.tone_wav(wav)
            browser = p.chromium.launch(executable_path=conftest.CHROMIUM, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run", "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream=fps=30", f"--use-file-for-fake-audio-capture={wav}",
                "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"])
            pages = []
            for _ in range(args.watchers + 1):
                page = browser.new_context().new_page()
                page.goto(server.base_url + "/relay-demo.html")
                page.wait_for_function("window.peerlearn !== undefined")
                pages.append(page)
            pages[0].evaluate(PUBLISH, {"room": room, "token": room_token(server, session, mentor_token)})
            for page, token in zip(pages[1:], learner_tokens):
                page.evaluate(WATCH, {"room": room, "token": room_token(server, session, token)})
                assert page.evaluate(FIRST_FRAME, 15000) is not None
            time.sleep(3)
            cpu0, pkts0, t0 = cpu_seconds(server.process.pid), forwarded(server), time.time()
            time.sleep(args.seconds)
            cpu1, pkts1, t1 = cpu_seconds(server.process.pid), forwarded(server), time.time()
            wall = t1 - t0
            rate = (pkts1 - pkts0) / wall
            print(f"1 publisher → {args.watchers} watchers over {wall:.1f} s: server CPU {100 * (cpu1 - cpu0) / wall:.1f}% "
                  f"of one core, {rate:.0f} forwarded packets/s, "
                  f"{1e6 * (cpu1 - cpu0) / max(1, pkts1 - pkts0):.1f} µs CPU per forwarded packet (whole process)")
            browser.close()
    finally:
        next(server_gen, None)


if __name__ == "__main__":
    main()
