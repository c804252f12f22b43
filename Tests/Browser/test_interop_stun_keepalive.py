"""libnice (GStreamer's webrtcbin) keeps its pair alive with STUN Binding Indications: no USERNAME,
no MESSAGE-INTEGRITY, only FINGERPRINT (RFC 8445 §11). They are not malformed, and /metrics must not
count them as drops, or every GStreamer peer makes `malformed_stun` climb.
"""
from test_relay_browser import live_session, room_token

from interop.gstreamer import GstClient


def drops(server, reason):
    for line in server.api("GET", "/metrics").text.splitlines():
        if line.startswith(f'peerlearn_relay_drops_total{{reason="{reason}"}} '):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_binding_indications_are_keepalives_not_malformed_stun(server):
    session, mentor_token, _ = live_session(server)
    room = session["meeting_room_id"]
    before = drops(server, "malformed_stun")
    publisher = GstClient("publish", f"{server.base_url}/whip/{room}", room_token(server, session, mentor_token), seconds=20)
    try:
        assert publisher.wait_for(lambda e: e["event"] == "state" and e["state"] == "connected", 20), publisher.diagnostics()
        publisher.wait_for(lambda e: False, 3)  # libnice sends its first keepalive indication once connected
        result = publisher.result()
    finally:
        publisher.close()
    assert result is not None and result["error"] is None, publisher.diagnostics()
    assert drops(server, "malformed_stun") == before
