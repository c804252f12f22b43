"""Runs gst_webrtc.py (GStreamer's webrtcbin) under Debian's Python, which has python3-gi.

The test runner's Python may not be Debian's (it can be a pyenv one without gi), so the GStreamer side
is a process of its own that reports JSON lines; this class reads them on a thread.
"""
import json
import pathlib
import queue
import signal
import subprocess
import threading
import time

DEBIAN_PYTHON = "/usr/bin/python3"
DRIVER = pathlib.Path(__file__).with_name("gst_webrtc.py")


class GstClient:
    def __init__(self, mode, url, token, seconds=30, video=30, audio=50, extra_video=False):
        self.process = subprocess.Popen(
            [DEBIAN_PYTHON, str(DRIVER), mode, url, token, "--seconds", str(seconds),
             "--video", str(video), "--audio", str(audio)] + (["--extra-video"] if extra_video else []),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.events = queue.Queue()
        self.seen = []
        self.stderr = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.events.put), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.stderr.append), daemon=True).start()

    @staticmethod
    def _read(stream, sink):
        for line in stream:
            sink(line)

    def next_event(self, timeout):
        line = self.events.get(timeout=timeout)
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            event = {"event": "output", "line": line}
        self.seen.append(event)
        return event

    def wait_for(self, predicate, timeout=20.0):
        """The first event the predicate accepts; None at the deadline or at the final result."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                event = self.next_event(max(0.05, deadline - time.time()))
            except queue.Empty:
                break
            if predicate(event):
                return event
            if event["event"] == "result":
                return None
        return None

    def result(self, timeout=30.0):
        """The final report; asks the process to finish (SIGTERM → it leaves with DELETE and reports)."""
        for event in self.seen:
            if event["event"] == "result":
                return event
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        event = self.wait_for(lambda e: e["event"] == "result", timeout)
        if event is None:
            event = next((e for e in self.seen if e["event"] == "result"), None)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        return event

    def diagnostics(self):
        return "events: " + json.dumps([e for e in self.seen if e["event"] != "result"])[:2000] + \
            "\nstderr: " + "".join(self.stderr)[-3000:]

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
