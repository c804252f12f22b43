"""A real browser publishes through the relay (WHIP) and real browsers watch (WHEP), on loopback.

Asserts from getStats() that video frames are decoded and audio packets arrive, that attendance and
statistics rows are written, and that a late joiner gets a picture within a second.
"""
import datetime
import socket
import time

import pytest

PUBLISH = """async ({room, token}) => {
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: {width: 640, height: 360}});
  window.publishStartedAt = Date.now();
  window.published = await window.peerlearn.publish(location.origin, room, token, stream);
  return window.publishStartedAt;
}"""

WATCH = """async ({room, token}) => {
  window.watchStartedAt = Date.now();
  window.watched = await window.peerlearn.watch(location.origin, room, token, {});
  return window.watchStartedAt;
}"""

FIRST_FRAME = """async (timeoutMs) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s = await window.peerlearn.inboundSummary(window.watched.pc);
    if (s.framesDecoded > 0) return {at: Date.now(), ...s};
    await new Promise(r => setTimeout(r, 20));
  }
  return null;
}"""

SUMMARY = "async () => await window.peerlearn.inboundSummary(window.watched.pc)"


def live_session(server, max_participants=5, learners=1):
    """A mentor, booked learners and an active session; returns tokens and ids."""
    suffix = str(int(time.time() * 1000) % 10_000_000)
    mentor_token, _ = server.register("mentor" + suffix, "mentor")
    schedule = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)).isoformat()
    created = server.api("POST", "/api/sessions", mentor_token, json={
        "title": "Relay test", "description": "Browser test session", "schedule": schedule,
        "duration": 30, "max_participants": max_participants, "price": 0})
    assert created.status_code == 201, created.text
    session = created.json()
    assert server.api("POST", f"/api/sessions/{session['id']}/schedule", mentor_token).status_code == 200
    learner_tokens = []
    for i in range(learners):
        token, _ = server.register(f"learner{suffix}x{i}", "learner")
        booked = server.api("POST", f"/api/sessions/{session['id']}/bookings", token, json={"card_token": "tok_visa"})
        assert booked.status_code == 201, booked.text
        learner_tokens.append(token)
    assert server.api("POST", f"/api/sessions/{session['id']}/start", mentor_token).status_code == 200
    return session, mentor_token, learner_tokens


def room_token(server, session, access_token):
    response = server.api("POST", f"/api/sessions/{session['id']}/room-token", access_token)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def wait_for(predicate, timeout=10.0, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def test_browser_sees_and_hears_another_browser_through_the_relay(server, page_factory):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    host_page, viewer_page = page_factory(), page_factory()

    published_at = host_page.evaluate(PUBLISH, {"room": room, "token": room_token(server, session, mentor_token)})
    viewer_page.evaluate(WATCH, {"room": room, "token": room_token(server, session, learner_token)})
    first = viewer_page.evaluate(FIRST_FRAME, 15000)
    assert first is not None, "no video frame decoded through the relay:\n" + server.log()[-3000:]
    print(f"\nWHIP POST → first decoded frame at the WHEP viewer: {first['at'] - published_at} ms")

    time.sleep(2)
    summary = viewer_page.evaluate(SUMMARY)
    assert summary["framesDecoded"] > 20, summary
    assert summary["audioPacketsReceived"] > 50, summary
    assert summary["frameWidth"] == 640, summary

    # Attendance: the learner's booking says when they joined, and that they were on time.
    def booking():
        bookings = server.api("GET", "/api/bookings", learner_token).json()
        mine = [b for b in bookings if b["session_id"] == session["id"]]
        return mine[0] if mine and mine[0].get("joined_at") else None
    joined = wait_for(booking)
    assert joined is not None and joined["attendance_status"] == "present", joined

    # Leaving through the WHEP resource closes the attendance and persists statistics.
    viewer_page.evaluate("async () => await window.watched.close()")
    left = wait_for(lambda: (lambda b: b if b and b.get("left_at") else None)(booking()))
    assert left is not None, "left_at was not recorded"
    statistics = wait_for(lambda: (lambda s: s if s.get("participants") else None)(
        server.api("GET", f"/api/sessions/{session['id']}/statistics", mentor_token).json()))
    assert statistics, "no statistics were saved"
    viewer_rows = [p for p in statistics["participants"] if p.get("packets_out", p.get("packetsOut", 0)) > 0]
    assert viewer_rows, statistics


def test_late_joiner_gets_a_picture_within_one_second(server, page_factory):
    session, mentor_token, (first_token, late_token) = live_session(server, learners=2)
    room = session["meeting_room_id"]
    host_page, first_page, late_page = page_factory(), page_factory(), page_factory()
    host_page.evaluate(PUBLISH, {"room": room, "token": room_token(server, session, mentor_token)})
    first_page.evaluate(WATCH, {"room": room, "token": room_token(server, session, first_token)})
    assert first_page.evaluate(FIRST_FRAME, 15000) is not None
    time.sleep(4)  # well past the publisher's first keyframe
    started = late_page.evaluate(WATCH, {"room": room, "token": room_token(server, session, late_token)})
    first = late_page.evaluate(FIRST_FRAME, 5000)
    assert first is not None, "the late joiner never decoded a frame"
    elapsed = first["at"] - started
    print(f"\nlate joiner: WHEP POST → first decoded frame {elapsed} ms")
    assert elapsed < 1000, f"late joiner waited {elapsed} ms for a picture"


def test_signaling_refuses_bad_tokens_wrong_rooms_and_closed_sessions(server):
    session, mentor_token, (learner_token,) = live_session(server)
    other, other_mentor, _ = live_session(server)
    room = session["meeting_room_id"]
    offer = "v=0\r\n"  # never reaches the relay: authorization comes first

    def whip(token, target=room, body=offer):
        headers = {"Content-Type": "application/sdp"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return server.api("POST", f"/whip/{target}", headers=headers, data=body)

    missing = whip(None)
    assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
    assert whip("not.a.token").status_code == 401
    forged = room_token(server, session, learner_token)[:-4] + "AAAA"
    assert whip(forged).status_code == 401
    wrong_room = whip(room_token(server, other, other_mentor))
    assert wrong_room.status_code == 403 and "another room" in wrong_room.json()["reason"]
    garbage = whip(room_token(server, session, mentor_token), body="this is not SDP")
    assert garbage.status_code == 400 and garbage.json()["error"] == "bad_request"

    token = room_token(server, session, mentor_token)
    assert server.api("POST", f"/api/sessions/{session['id']}/complete", mentor_token).status_code == 200
    closed = whip(token, body="v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n")
    assert closed.status_code == 409 and closed.json()["error"] == "session_not_joinable"


def test_malformed_datagrams_are_counted_and_do_not_hurt_the_relay(server):
    before = server.api("GET", "/metrics").text
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for payload in [b"", b"\x00", b"\x80" * 12, b"\x16\xfe\xfd" + b"\x00" * 40, bytes(range(256)) * 4]:
            s.sendto(payload, ("127.0.0.1", server.relay_port))
    time.sleep(0.5)
    after = server.api("GET", "/metrics").text
    assert server.api("GET", "/healthz").status_code == 200

    def total_drops(text):
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("peerlearn_relay_drops_total{"))
    assert total_drops(after) - total_drops(before) >= 4
    # What the kernel refused to take is its own counter, present from the start.
    assert any(line.startswith("peerlearn_relay_send_dropped_total ") for line in after.splitlines())


JOIN_ROOM = """async ({room, token}) => {
  window.seen = {};
  window.room = new window.peerlearn.Room(location.origin, room, token, {
    onTrack: (userId, source, track) => { window.seen[userId + '/' + source] = track; },
  });
  await window.room.ready;
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: {width: 320, height: 240}});
  await window.room.publish(stream);
  return window.room.me.userId;
}"""

DECODED_FROM = """async ({userId, timeoutMs}) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s = (await window.room.receiving())[userId];
    if (s && s.camera && s.camera.framesDecoded > 5 && s.microphone && s.microphone.packetsReceived > 0) {
      return {...s, peerConnections: window.room.peerConnections().length};
    }
    await new Promise(r => setTimeout(r, 50));
  }
  return null;
}"""


def test_room_websocket_everyone_sees_everyone(server, page_factory):
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    mentor_page, learner_page = page_factory(), page_factory()
    mentor_id = mentor_page.evaluate(JOIN_ROOM, {"room": room, "token": room_token(server, session, mentor_token)})
    learner_id = learner_page.evaluate(JOIN_ROOM, {"room": room, "token": room_token(server, session, learner_token)})

    # Each side receives the other's microphone and camera on its one subscribe connection, which the
    # relay offered, and decodes them: two peer connections per page (publish + subscribe).
    for page, other in ((learner_page, mentor_id), (mentor_page, learner_id)):
        decoded = page.evaluate(DECODED_FROM, {"userId": other, "timeoutMs": 15000})
        assert decoded is not None, server.log()[-3000:]
        assert decoded["peerConnections"] == 2, decoded
        assert page.evaluate(f"() => Object.keys(window.seen).sort()") == [f"{other}/camera", f"{other}/microphone"]

    # Mute states and departures reach the others.
    learner_page.evaluate("() => window.room.setMuted('video', true)")
    wait_for(lambda: mentor_page.evaluate(
        f"() => window.room.participants.get('{learner_id}').muted.video === true"), timeout=5)
    assert mentor_page.evaluate(f"() => window.room.participants.get('{learner_id}').muted.video") is True
    learner_page.evaluate("() => window.room.leave()")
    assert wait_for(lambda: mentor_page.evaluate(f"() => !window.room.participants.has('{learner_id}')"), timeout=5)
    # The mentor's subscribe connection was re-offered without the learner's tracks, not closed.
    assert wait_for(lambda: mentor_page.evaluate("() => window.room.remote.size === 0"), timeout=5)
    assert mentor_page.evaluate("() => window.room.subscriber.connectionState") == "connected"


ROOM_RESTART_ICE = """async () => {
  const ufrag = (sdp) => sdp.match(/a=ice-ufrag:(\\S+)/)[1];
  const room = window.room;
  const [pub, sub] = [room.publisher, room.subscriber];
  const before = {pub: ufrag(pub.localDescription.sdp), relayPub: ufrag(pub.remoteDescription.sdp),
                  sub: ufrag(sub.localDescription.sdp), relaySub: ufrag(sub.remoteDescription.sdp)};
  await room.restartIce();
  const deadline = Date.now() + 10000;
  const up = (pc) => pc.iceConnectionState === "connected" || pc.iceConnectionState === "completed";
  while (Date.now() < deadline && !(ufrag(sub.remoteDescription.sdp) !== before.relaySub
         && sub.signalingState === "stable" && up(sub) && up(pub))) {
    await new Promise(r => setTimeout(r, 50));
  }
  const after = {pub: ufrag(pub.localDescription.sdp), relayPub: ufrag(pub.remoteDescription.sdp),
                 sub: ufrag(sub.localDescription.sdp), relaySub: ufrag(sub.remoteDescription.sdp)};
  return {before, after, samePCs: room.publisher === pub && room.subscriber === sub,
          states: [pub.iceConnectionState, sub.iceConnectionState]};
}"""


def test_room_ice_restart_keeps_both_connections_and_the_pictures(server, page_factory):
    """A member whose network changed restarts ICE over the room socket: the publish connection offers with
    new credentials, the relay re-offers the subscribe connection with new ones (`restart-ice`), and both
    pages keep decoding each other on the same peer connections; nobody leaves or rejoins."""
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    mentor_page, learner_page = page_factory(), page_factory()
    mentor_id = mentor_page.evaluate(JOIN_ROOM, {"room": room, "token": room_token(server, session, mentor_token)})
    learner_id = learner_page.evaluate(JOIN_ROOM, {"room": room, "token": room_token(server, session, learner_token)})
    for page, other in ((learner_page, mentor_id), (mentor_page, learner_id)):
        assert page.evaluate(DECODED_FROM, {"userId": other, "timeoutMs": 15000}) is not None, server.log()[-3000:]
    left = []
    mentor_page.evaluate("() => { window.left = []; window.room.callbacks.onTrackEnded = (u, s) => window.left.push(u + '/' + s); }")

    restarted = learner_page.evaluate(ROOM_RESTART_ICE)
    for side in ("pub", "relayPub", "sub", "relaySub"):
        assert restarted["before"][side] != restarted["after"][side], (side, restarted)
    assert restarted["samePCs"], restarted
    assert all(state in ("connected", "completed") for state in restarted["states"]), restarted

    # Both directions keep decoding on the same connections, and the mentor never saw the learner leave.
    def frames(page, other):
        summary = page.evaluate(DECODED_FROM, {"userId": other, "timeoutMs": 5000})
        return summary["camera"]["framesDecoded"] if summary else 0
    learner_before, mentor_before = frames(learner_page, mentor_id), frames(mentor_page, learner_id)
    time.sleep(2)
    assert frames(learner_page, mentor_id) > learner_before + 20
    assert frames(mentor_page, learner_id) > mentor_before + 20
    assert mentor_page.evaluate("() => window.left") == left
    assert learner_page.evaluate("() => window.room.peerConnections().length") == 2


REFUSED = """async ({url}) => await new Promise((resolve) => {
  const socket = new WebSocket(url);
  let error = null;
  socket.onmessage = (event) => { error = JSON.parse(event.data); };
  socket.onclose = (event) => resolve({code: event.code, error});
})"""


def test_room_websocket_refuses_bad_tokens(server, page_factory):
    session, mentor_token, _ = live_session(server)
    other, other_mentor, _ = live_session(server)
    room = session["meeting_room_id"]
    ws = server.base_url.replace("http", "ws") + f"/ws/rooms/{room}?token="
    page = page_factory()
    bad = page.evaluate(REFUSED, {"url": ws + "nope"})
    assert bad["code"] == 4401 and bad["error"]["error"] == "unauthorized", bad
    wrong = page.evaluate(REFUSED, {"url": ws + room_token(server, other, other_mentor)})
    assert wrong["code"] == 4403 and "another room" in wrong["error"]["reason"], wrong
    # Without an upgrade the same checks answer as plain HTTP.
    assert server.api("GET", f"/ws/rooms/{room}?token=nope").status_code == 401
    assert server.api("GET", f"/ws/rooms/{room}?token={room_token(server, session, mentor_token)}").status_code == 426


def test_standalone_relay_admits_by_token_alone(server, page_factory):
    """`peerlearn relay` in its own process shares only the room-token key with the control plane."""
    import os
    import subprocess
    import requests as http
    from conftest import BINARY, ROOT, free_port
    http_port, udp_port = free_port(), free_port(socket.SOCK_DGRAM)
    log_path = os.path.join(server.data_dir, "relay.log")
    env = dict(os.environ, PEERLEARN_DATA_DIRECTORY=server.data_dir, PEERLEARN_RELAY_PORT=str(udp_port))
    relay = subprocess.Popen([str(BINARY), "relay", "--config", str(ROOT / "config" / "peerlearn.json"),
                              "--port", str(http_port)], env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    relay_url = f"http://127.0.0.1:{http_port}"
    try:
        assert wait_for(lambda: _healthy(http, relay_url), timeout=30), open(log_path).read()
        session, mentor_token, (learner_token,) = live_session(server)
        room = session["meeting_room_id"]
        host_page, viewer_page = page_factory(), page_factory()
        host_page.evaluate("""async ({base, room, token}) => {
          const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
          window.published = await window.peerlearn.publish(base, room, token, stream);
        }""", {"base": relay_url, "room": room, "token": room_token(server, session, mentor_token)})
        viewer_page.evaluate("""async ({base, room, token}) => {
          window.watched = await window.peerlearn.watch(base, room, token, {});
        }""", {"base": relay_url, "room": room, "token": room_token(server, session, learner_token)})
        assert viewer_page.evaluate(FIRST_FRAME, 15000) is not None, open(log_path).read()[-2000:]
        assert http.post(f"{relay_url}/whip/{room}", data="v=0", timeout=5,
                         headers={"Content-Type": "application/sdp", "Authorization": "Bearer forged"}).status_code == 401
    finally:
        relay.terminate()
        relay.wait(timeout=20)
    assert "left" in open(log_path).read(), "graceful shutdown records who left"


def _healthy(http, url):
    try:
        return http.get(url + "/healthz", timeout=1).status_code == 200
    except http.RequestException:
        return False


def test_audio_only_publisher_is_heard_and_recorded_audio_only(server, page_factory):
    """The seed's "Permission Granted? NO → Audio-only mode": no camera, the room still works."""
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    host_page, viewer_page = page_factory(), page_factory()
    host_page.evaluate("""async ({room, token}) => {
      const stream = await navigator.mediaDevices.getUserMedia({audio: true});
      window.published = await window.peerlearn.publish(location.origin, room, token, stream);
    }""", {"room": room, "token": room_token(server, session, mentor_token)})
    viewer_page.evaluate(WATCH, {"room": room, "token": room_token(server, session, learner_token)})
    heard = wait_for(lambda: viewer_page.evaluate(SUMMARY)["audioPacketsReceived"] > 50, timeout=15)
    assert heard, viewer_page.evaluate(SUMMARY)
    host_page.evaluate("async () => await window.published.close()")
    statistics = wait_for(lambda: (lambda s: s if any(p.get("audio_only", p.get("audioOnly")) for p in s.get("participants", [])) else None)(
        server.api("GET", f"/api/sessions/{session['id']}/statistics", mentor_token).json()))
    assert statistics, "the mentor's connection was not recorded as audio-only"


RESTART_ICE = """async () => {
  const before = window.published.pc.localDescription.sdp.match(/a=ice-ufrag:(\\S+)/)[1];
  await window.published.restartIce();
  const after = window.published.pc.localDescription.sdp.match(/a=ice-ufrag:(\\S+)/)[1];
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline && window.published.pc.iceConnectionState !== "connected"
         && window.published.pc.iceConnectionState !== "completed") {
    await new Promise(r => setTimeout(r, 50));
  }
  return {before, after, state: window.published.pc.iceConnectionState, etag: window.published.etag};
}"""


def test_an_ice_restart_keeps_the_publisher_in_the_room(server, page_factory):
    """RFC 9725 §4.3: the publisher restarts ICE by PATCH (as after a network change) and the viewer keeps
    decoding on the same connections: nobody leaves or rejoins."""
    session, mentor_token, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    host_page, viewer_page = page_factory(), page_factory()
    host_page.evaluate(PUBLISH, {"room": room, "token": room_token(server, session, mentor_token)})
    viewer_page.evaluate(WATCH, {"room": room, "token": room_token(server, session, learner_token)})
    assert viewer_page.evaluate(FIRST_FRAME, 15000) is not None
    restarted = host_page.evaluate(RESTART_ICE)
    assert restarted["before"] != restarted["after"], restarted
    assert restarted["state"] in ("connected", "completed"), restarted
    assert restarted["etag"], restarted
    decoded = viewer_page.evaluate(SUMMARY)["framesDecoded"]
    time.sleep(2)
    assert viewer_page.evaluate(SUMMARY)["framesDecoded"] > decoded + 20
    assert host_page.evaluate("() => window.published.pc.connectionState") == "connected"
