"""Builds pionclient (this folder's Go program) and runs it, reading its JSON lines like GstClient does.

The build is offline: Debian's Go 1.19 in GOPATH mode against the Pion sources Debian packages in
/usr/share/gocode (see ./build). A missing Go or Pion fails the build with the compiler's message.
"""
import pathlib
import queue
import subprocess
import threading
import time

from interop.gstreamer import GstClient

HERE = pathlib.Path(__file__).resolve().parent
PION_PACKAGE = "golang-github-pion-webrtc.v3-dev"


def build(output):
    """Compiles pionclient to `output`; returns (path, seconds, versions)."""
    started = time.time()
    built = subprocess.run([str(HERE / "build"), str(output)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, f"pionclient did not build:\n{built.stdout}\n{built.stderr}"
    return pathlib.Path(output), time.time() - started, versions()


def versions():
    """Go's and the Debian Pion package's versions, for the test's report."""
    go = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    pion = subprocess.run(["dpkg-query", "-W", "-f=${Version}", PION_PACKAGE], capture_output=True, text=True).stdout
    return {"go": go, "pion": pion}


class PionClient(GstClient):
    """One pionclient process: `publish` (ivf and ogg to send) or `watch` (ivf and ogg to write).

    Only the process differs from GstClient; its events, result (SIGTERM → DELETE → report),
    diagnostics and close are the same protocol."""

    def __init__(self, binary, mode, url, token, ivf, ogg, seconds=30, video=60, audio=100):
        self.process = subprocess.Popen(
            [str(binary), mode, url, token, "-ivf", str(ivf), "-ogg", str(ogg),
             "-seconds", str(seconds), "-video", str(video), "-audio", str(audio)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.events = queue.Queue()
        self.seen = []
        self.stderr = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.events.put), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.stderr.append), daemon=True).start()
