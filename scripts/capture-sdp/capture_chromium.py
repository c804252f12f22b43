#!/usr/bin/env python3
"""Captures real SDP offers from Debian's Chromium into Tests/SDPTests/Fixtures/.

Serves capture.html from 127.0.0.1 (a secure context, so getUserMedia works with the fake devices),
drives headless Chromium through Playwright and writes each scenario's SDP byte-for-byte.

Needs: /usr/bin/chromium and `pip install playwright` (never `playwright install`: we use the system browser).
"""
import functools
import http.server
import pathlib
import sys
import tempfile
import threading

from playwright.sync_api import sync_playwright

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE.parent.parent / "Tests" / "SDPTests" / "Fixtures"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

SCENARIOS = {
    "chromium-sendrecv-offer.sdp": "sendrecvOffer",
    "chromium-recvonly-offer.sdp": "recvonlyOffer",
    "chromium-simulcast-offer.sdp": "simulcastOffer",
    "chromium-datachannel-offer.sdp": "datachannelOffer",
    "chromium-sendrecv-answer.sdp": "sendrecvAnswer",
}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main() -> int:
    handler = functools.partial(QuietHandler, directory=str(HERE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/capture.html"
    FIXTURES.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix="sdp-capture-") as profile, sync_playwright() as p:
            # A persistent context is how Playwright passes --user-data-dir: a fresh, throwaway profile.
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path="/usr/bin/chromium",
                headless=True,
                args=CHROMIUM_ARGS,
            )
            page = context.new_page()
            page.goto(url)
            for name, scenario in SCENARIOS.items():
                sdp = page.evaluate(f"{scenario}()")
                # newline="" keeps the CRLF line endings Chromium produced.
                with open(FIXTURES / name, "w", newline="", encoding="utf-8") as f:
                    f.write(sdp)
                print(f"wrote {name} ({len(sdp)} bytes)")
            context.close()
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
