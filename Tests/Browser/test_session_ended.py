"""Completing or cancelling a session ends its room at once: the room WebSocket says `session-ended`, the page
shows it without polling or a reload, and the relay closes every connection in the room, the web app's and a
plain WHEP watcher's alike (DTLS close_notify; attendance records the departure).
"""
import re
import tempfile
import time

import pytest
from playwright.sync_api import expect

from conftest import Server
from test_webapp import DECODING_FROM_ALL, app, join_room, live_session_with, start_server, stop_server, unique  # noqa: F401 (app: fixture)


@pytest.fixture(scope="module")
def server():
    """A server of this module's own: /metrics must count only these rooms' participants, not what other
    tests left connecting on the shared one."""
    data_dir = tempfile.mkdtemp(prefix="peerlearn-session-ended-")
    process, base_url, log_path = start_server(data_dir)
    yield Server(base_url, None, process, data_dir, log_path)
    stop_server(process)

WATCH = """async ({room, token}) => {
  window.watched = await window.peerlearn.watch(location.origin, room, token, {});
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    const s = await window.peerlearn.inboundSummary(window.watched.pc);
    if (s.framesDecoded > 0) return true;
    await new Promise(r => setTimeout(r, 50));
  }
  return false;
}"""


def gauge(server, name):
    for line in server.api("GET", "/metrics").text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.rsplit(" ", 1)[1]))
    raise AssertionError(f"{name} not in /metrics")


def no_polling(page):
    """Records every /api/bookings request the page makes from now on."""
    page.bookings_polls = []
    page.on("request", lambda request: page.bookings_polls.append(request.url) if "/api/bookings" in request.url else None)


def test_completing_the_session_ends_the_room_for_everyone(server, app, page_factory):  # noqa: F811
    session, (mentor_auth, mentor_script), (learner_auth, learner_script) = live_session_with(server, unique("ender"))
    room = session["meeting_room_id"]
    mentor = app(f"/sessions/{session['id']}", init_script=mentor_script)
    learner = app(f"/sessions/{session['id']}", init_script=learner_script)
    join_room(mentor, session["id"])
    join_room(learner, session["id"])
    assert learner.evaluate(DECODING_FROM_ALL, {"count": 1, "timeoutMs": 20000})["ok"], "the learner sees the mentor"

    # A plain WHEP watcher in the same room (the relay demo's client), with the learner's room token.
    learner_token = learner_auth["access_token"]
    token = server.api("POST", f"/api/sessions/{session['id']}/room-token", learner_token).json()["token"]
    whep = page_factory()
    assert whep.evaluate(WATCH, {"room": room, "token": token}), "the WHEP watcher decodes the mentor"
    assert gauge(server, "peerlearn_relay_participants") >= 3

    no_polling(learner)
    started = time.monotonic()
    completed = server.api("POST", f"/api/sessions/{session['id']}/complete", mentor_auth["access_token"])
    assert completed.status_code == 200, completed.text

    # The learner's page is told over the room socket: no reload, no polling.
    expect(learner.locator("#session-ended")).to_have_text("The session has ended.", timeout=5000)
    shown_after = time.monotonic() - started
    assert shown_after < 5, shown_after
    expect(learner.locator("#connection-state")).to_have_text("session ended")
    expect(learner.get_by_role("link", name="Leave feedback")).to_be_visible()
    expect(learner.locator("#video-grid video")).to_have_count(0)
    assert learner.evaluate("() => window.peerlearnRoomPage.ended") == "completed"
    assert learner.bookings_polls == [], learner.bookings_polls
    # The mentor's page too (they completed it elsewhere, through the API).
    expect(mentor.locator("#session-ended")).to_have_text("The session has ended.", timeout=5000)
    expect(mentor.get_by_role("link", name="Leave feedback")).to_have_count(0)

    # The relay holds nobody: the web app's connections and the WHEP watcher's were all closed.
    deadline = time.monotonic() + 5
    while gauge(server, "peerlearn_relay_participants") != 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gauge(server, "peerlearn_relay_participants") == 0
    assert gauge(server, "peerlearn_relay_rooms") == 0
    # The WHEP watcher's browser saw the relay close the connection: its DTLS transport got close_notify
    # (ICE alone would only report `disconnected`, and fail at consent expiry 30 s later).
    dtls = whep.evaluate("""async () => {
      const transport = window.watched.pc.getReceivers()[0].transport;
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && transport.state !== 'closed') await new Promise(r => setTimeout(r, 50));
      return transport.state;
    }""")
    assert dtls == "closed", dtls
    # Attendance: the learner's departure is recorded, as for any leave.
    deadline = time.monotonic() + 10
    booking = None
    while time.monotonic() < deadline:
        booking = next(b for b in server.api("GET", "/api/bookings", learner_token).json()
                       if b["session_id"].lower() == session["id"].lower())
        if booking.get("left_at"):
            break
        time.sleep(0.2)
    assert booking["status"] == "completed" and booking["joined_at"] and booking["left_at"], booking

    # Nobody gets back in with a token issued before the end: the relay refuses it as not joinable.
    refused = whep.evaluate("""async ({room, token}) => {
      try { await window.peerlearn.watch(location.origin, room, token, {}); return 'admitted'; }
      catch (error) { return error.message; }
    }""", {"room": room, "token": token})
    assert refused.startswith("409"), refused
    for page in (mentor, learner):
        assert page.errors == [], page.errors


def test_cancelling_a_scheduled_session_tells_the_waiting_room(server, app):  # noqa: F811
    session, (mentor_auth, mentor_script), (learner_auth, learner_script) = live_session_with(
        server, unique("waiter"), start=False)
    learner = app(f"/sessions/{session['id']}", init_script=learner_script)
    join_room(learner, session["id"])
    no_polling(learner)
    cancelled = server.api("POST", f"/api/sessions/{session['id']}/cancel", mentor_auth["access_token"])
    assert cancelled.status_code == 200, cancelled.text
    expect(learner.locator("#session-ended")).to_have_text("The session was cancelled.", timeout=5000)
    expect(learner.get_by_role("link", name=re.compile("feedback"))).to_have_count(0)
    assert learner.bookings_polls == []
    deadline = time.monotonic() + 5
    while gauge(server, "peerlearn_relay_participants") != 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gauge(server, "peerlearn_relay_participants") == 0
    assert learner.errors == []


def test_a_page_rejoining_after_the_end_says_it_ended(server, app):  # noqa: F811
    """The socket was down when `session-ended` went out: the page's rejoin is refused (`room_closed`) and it
    shows the same message, reading the reason from the session, instead of "access denied"."""
    session, (mentor_auth, _), (_, learner_script) = live_session_with(server, unique("blip"))
    learner = app(f"/sessions/{session['id']}", init_script=learner_script)
    join_room(learner, session["id"])
    held = []
    learner.route("**/room-token", lambda route: held.append(route))  # the rejoin waits for the end
    learner.evaluate("() => window.peerlearnRoomPage.room.socket.close()")
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        learner.wait_for_timeout(50)
    assert held, "the page tried to rejoin"
    completed = server.api("POST", f"/api/sessions/{session['id']}/complete", mentor_auth["access_token"])
    assert completed.status_code == 200, completed.text
    held[0].continue_()
    expect(learner.locator("#session-ended")).to_have_text("The session has ended.", timeout=5000)
    assert learner.evaluate("() => window.peerlearnRoomPage.ended") == "completed"
    expect(learner.locator("#access-denied")).to_have_count(0)
    assert learner.errors == []
