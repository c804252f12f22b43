"""The PeerLearn web app in a real headless Chromium, driven like a person would: the whole story from
registration to feedback, plus audio-only mode, keyboard use and a phone-width layout.

Screenshots of the key pages go to artifacts/screenshots/ (CI keeps them as artifacts).
"""
import json
import os
import re
import time

import pytest
from playwright.sync_api import expect

from conftest import ROOT

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PASSWORD = "s3cret-Passw0rd"

DECODING_FROM_ALL = """async ({count, timeoutMs}) => {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    const page = window.peerlearnRoomPage;
    if (page && page.room) {
      // Per remote user, from the one subscribe connection: their camera decodes and their microphone arrives.
      const summaries = await page.room.receiving();
      const users = Object.keys(summaries);
      const ok = users.length >= count && users.every((u) => {
        const s = summaries[u];
        return s.camera && s.camera.framesDecoded > 5 && s.microphone && s.microphone.packetsReceived > 0;
      });
      last = {summaries, peerConnections: page.room.peerConnections().length};
      if (ok) return {ok: true, ...last};
    }
    await new Promise(r => setTimeout(r, 200));
  }
  return {ok: false, ...last};
}"""

LOCAL_INPUT_IN = """(minutes) => {
  const d = new Date(Date.now() + minutes * 60000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}"""


def shot(page, name, full_page=True):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


@pytest.fixture
def app(browser, server):
    """Opens the app in a fresh browser context (its own localStorage: one signed-in person each)."""
    contexts = []

    def open_app(path="/", viewport=None, init_script=None):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(server.base_url + "/#" + path)
        expect(page.locator("main h1")).to_be_visible()
        return page

    yield open_app
    for context in contexts:
        context.close()


UNNAMED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea, button, a[href]')].filter(el => {
  if (el.closest('[hidden]') || el.type === 'hidden') return false;
  const labelled = el.labels && el.labels.length > 0;
  return !labelled && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby') && !el.textContent.trim();
}).map(el => el.outerHTML)"""


def assert_controls_named(page):
    """Every control and link on the page has an accessible name (a label, aria-label or its text)."""
    unnamed = page.evaluate(UNNAMED_CONTROLS)
    assert unnamed == [], f"{page.url}: {unnamed}"


def unique(prefix):
    return f"{prefix}{int(time.time() * 1000) % 100_000_000}"


def register_in_ui(page, username, role, password=PASSWORD):
    page.goto(page.url.split("#")[0] + "#/register")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Teach (mentor)" if role == "mentor" else "Learn (learner)").check()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("First name").fill(username.capitalize())
    page.get_by_role("button", name="Create account").click()


def signed_in_script(server, username, role):
    """Registers through the API and returns an init script that starts the app signed in."""
    response = server.api("POST", "/api/auth/register", json={
        "username": username, "email": f"{username}@example.org", "password": PASSWORD, "role": role})
    assert response.status_code == 201, response.text
    body = response.json()
    return body, f"localStorage.setItem('peerlearn.auth', {json.dumps(json.dumps(body))});"


def open_session(page, session_id):
    target = page.url.split("#")[0] + f"#/sessions/{session_id}"
    if page.url == target:
        page.reload()  # a goto to the same hash would not render the page again
    else:
        page.goto(target)
    expect(page.locator("#price")).to_be_visible()


def join_room(page, session_id):
    page.goto(page.url.split("#")[0] + f"#/sessions/{session_id}/room")
    expect(page.locator("#connection-state")).to_have_text("connected", timeout=20000)


def wait_until(predicate, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def participant_ids(page):
    return page.eval_on_selector_all("#participants li", "items => items.map(li => li.dataset.userId)")


def test_whole_story_register_book_meet_and_give_feedback(server, app):
    mentor_name, first_name, second_name, late_name = (unique(p) for p in ("mentor", "ann", "bob", "cyd"))

    # A mentor registers; the API's validation errors show next to the field they concern.
    mentor = app("/")
    shot(mentor, "01-landing")
    register_in_ui(mentor, mentor_name, "mentor", password="short")
    password_error = mentor.locator("#register-form .field-error").filter(has_text="at least 8 characters")
    expect(password_error).to_be_visible()
    expect(mentor.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "true")
    shot(mentor, "02-register-validation")
    assert_controls_named(mentor)
    mentor.get_by_label("Password", exact=True).fill(PASSWORD)
    mentor.get_by_role("button", name="Create account").click()
    expect(mentor.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    expect(mentor.get_by_role("heading", name="Incoming requests")).to_be_visible()

    # Creates a two-seat session and schedules it.
    mentor.get_by_role("link", name="Create a session").first.click()
    title = f"Group video test {mentor_name}"
    mentor.get_by_label("Title").fill(title)
    mentor.get_by_label("Description").fill("Three browsers in one room through the relay.")
    mentor.get_by_label("Starts at").fill(mentor.evaluate(LOCAL_INPUT_IN, 5))
    mentor.get_by_label("Duration (minutes)").fill("30")
    mentor.get_by_label("Seats").fill("2")
    mentor.get_by_label("Price (USD)").fill("12.50")
    mentor.get_by_label("Skills").fill("webrtc, swift")
    shot(mentor, "03-create-session")
    assert_controls_named(mentor)
    mentor.get_by_role("button", name="Create draft").click()
    expect(mentor.locator("main h1")).to_have_text(title)
    session_id = mentor.url.split("/sessions/")[1].split("?")[0]
    expect(mentor.locator(".status").first).to_have_text("draft")
    mentor.get_by_role("button", name="Schedule").click()
    expect(mentor.locator(".status").first).to_have_text("scheduled")
    expect(mentor.locator("#seats-left")).to_have_text("2 of 2 seats left")

    # Edit: the mentor changes the description.
    mentor.get_by_role("link", name="Edit").click()
    mentor.get_by_label("Description").fill("Three browsers in one room through the relay, with questions.")
    mentor.get_by_role("button", name="Save changes").click()
    expect(mentor.locator(".description")).to_have_text("Three browsers in one room through the relay, with questions.")
    shot(mentor, "04-session-mentor-tools")
    assert_controls_named(mentor)

    # The first learner registers, finds the session by searching, and books: declined card first.
    first = app("/")
    register_in_ui(first, first_name, "learner")
    expect(first.get_by_role("heading", name="My bookings")).to_be_visible()
    first.get_by_role("link", name="Browse sessions").first.click()
    first.get_by_label("Search", exact=True).fill(mentor_name)
    first.get_by_label("Sort by").select_option("popularity")
    first.get_by_role("button", name="Search").click()
    expect(first.locator("#result-count")).to_have_text("1 session found")
    first.get_by_label("Skill", exact=True).fill("WebRTC")  # tags match case-insensitively
    first.get_by_label("Date").fill(first.evaluate(LOCAL_INPUT_IN, 5)[:10])
    first.get_by_role("button", name="Search").click()
    expect(first.locator("#result-count")).to_have_text("1 session found")
    shot(first, "05-browse")
    first.get_by_label("Skill", exact=True).fill("cobol")
    first.get_by_role("button", name="Search").click()
    expect(first.locator("#result-count")).to_have_text("0 sessions found")
    first.get_by_label("Skill", exact=True).fill("")
    first.get_by_role("button", name="Search").click()
    expect(first.locator("#result-count")).to_have_text("1 session found")
    first.locator("#session-results").get_by_role("link", name=title).click()
    expect(first.locator("#price")).to_have_text("$12.50")
    first.get_by_role("button", name="Book").click()
    first.get_by_label("Card token").fill("tok_decline")
    first.get_by_role("button", name="Pay $12.50 and book").click()
    expect(first.locator("#payment-error")).to_contain_text("Payment declined")
    expect(first.get_by_label("Card token")).to_be_visible()  # back to the form
    shot(first, "06-payment-declined")
    assert_controls_named(first)
    first.get_by_label("Card token").fill("tok_visa")
    first.get_by_role("button", name="Pay $12.50 and book").click()
    expect(first.locator("#booked")).to_be_visible()
    expect(first.locator("#seats-left")).to_have_text("1 of 2 seats left")

    # A third learner opens the page while one seat is left, and is beaten to it by the second learner.
    late_auth, late_script = signed_in_script(server, late_name, "learner")
    late = app(f"/sessions/{session_id}", init_script=late_script)
    late.get_by_role("button", name="Book").click()
    second = app("/")
    register_in_ui(second, second_name, "learner")
    expect(second.get_by_role("heading", name="My bookings")).to_be_visible()
    open_session(second, session_id)
    second.get_by_role("button", name="Book").click()
    second.get_by_role("button", name="Pay $12.50 and book").click()
    expect(second.locator("#booked")).to_be_visible()
    late.get_by_role("button", name="Pay $12.50 and book").click()
    expect(late.locator("#session-full")).to_have_text("Session full")
    late.reload()
    expect(late.locator("#session-full")).to_have_text("Session full")
    expect(late.get_by_role("button", name="Book")).to_have_count(0)
    shot(late, "07-session-full")

    # Follow and unfollow the mentor, then send them a request, which they accept.
    open_session(first, session_id)
    first.get_by_role("button", name="Follow this mentor").click()
    expect(first.locator("#follow-button")).to_have_attribute("aria-pressed", "true")
    expect(first.locator("#follower-count")).to_have_text("1 follower")
    first.get_by_role("button", name="Unfollow this mentor").click()
    expect(first.locator("#follower-count")).to_have_text("0 followers")
    first.get_by_role("button", name="Follow this mentor").click()
    expect(first.locator("#follower-count")).to_have_text("1 follower")
    first.get_by_role("link", name="Send a request").click()
    first.get_by_label("Subject").fill("One-to-one on SRTP")
    first.get_by_label("Message").fill("Could we go through SRTP key derivation?")
    first.get_by_label("Duration (minutes)").fill("45")
    first.get_by_label("Preferred time").fill(first.evaluate(LOCAL_INPUT_IN, 10))
    first.get_by_role("button", name="Send request").click()
    expect(first.locator("#request-form .alert-success")).to_contain_text("Request sent")
    mentor.goto(server.base_url + "/#/dashboard")
    request_item = mentor.locator(".request-item").filter(has_text="One-to-one on SRTP")
    expect(request_item).to_contain_text(first_name.capitalize())
    request_item.get_by_label(re.compile("Reply to")).fill("Yes, that time works.")
    request_item.get_by_role("button", name="Accept").click()
    expect(request_item.locator(".status")).to_have_text("accepted")
    # Accepting arranged a private session for the requested time (free: this mentor set no hourly rate,
    # so the learner is booked at once); the learner finds it under "My requests" and can join its room.
    expect(request_item.locator("a.private-session")).to_be_visible()
    shot(mentor, "08-mentor-dashboard")
    assert_controls_named(mentor)
    first.goto(server.base_url + "/#/dashboard")
    expect(first.locator("#followed-mentors")).to_contain_text(mentor_name)
    expect(first.locator("#my-bookings")).to_contain_text(title)
    mine = first.locator("#my-requests .request-item").filter(has_text="One-to-one on SRTP")
    expect(mine.locator(".status")).to_have_text("accepted")
    private_link = mine.get_by_role("link", name="Your private session")
    private_id = private_link.get_attribute("href").rsplit("/", 1)[-1]
    expect(first.locator("#my-bookings")).to_contain_text("One-to-one on SRTP")
    join_room(first, private_id)
    first.goto(server.base_url + "/#/dashboard")
    expect(first.locator("#my-bookings")).to_contain_text(title)
    shot(first, "09-learner-dashboard")
    assert_controls_named(first)

    # The mentor starts the session; all three join the room and each decodes the other two's video.
    open_session(mentor, session_id)
    mentor.get_by_role("button", name="Start").click()
    expect(mentor.locator(".status").first).to_have_text("active")
    for page in (mentor, first, second):
        join_room(page, session_id)
    # The learner who found the session full has no seat: the room turns them away.
    late.goto(server.base_url + f"/#/sessions/{session_id}/room")
    expect(late.locator("#access-denied")).to_contain_text("Access denied")
    for page in (mentor, first, second):
        result = page.evaluate(DECODING_FROM_ALL, {"count": 2, "timeoutMs": 30000})
        assert result["ok"], f"not every video decoded: {result}\n" + server.log()[-3000:]
        assert result["peerConnections"] == 2, result
        expect(page.locator("#participants li")).to_have_count(3)
        expect(page.locator(".tile video")).to_have_count(3)
        # Every camera goes out as simulcast (three layers for a 640-wide camera), and the relay took it.
        layers = page.evaluate("""() => {
          const pc = window.peerlearnRoomPage.room.publisher;
          const video = pc.getTransceivers().find((t) => t.sender.track && t.sender.track.kind === 'video');
          return {encodings: video.sender.getParameters().encodings.map((e) => e.rid),
                  accepted: pc.remoteDescription.sdp.includes('a=simulcast:recv')};
        }""")
        assert layers == {"encodings": ["q", "h", "f"], "accepted": True}, layers
    mentor_id = str(mentor.evaluate("() => JSON.parse(localStorage.getItem('peerlearn.auth')).user.id"))
    expect(first.locator(".tile.host")).to_have_attribute("data-user-id", mentor_id)
    expect(first.locator("#quality")).to_have_class(re.compile("quality-(good|fair)"), timeout=10000)
    shot(first, "10-room")
    assert_controls_named(first)

    # The dominant speaker (every page sends the same fake tone; the relay names one) is highlighted on
    # every page and shown large on the others'.
    first_id = str(first.evaluate("() => JSON.parse(localStorage.getItem('peerlearn.auth')).user.id"))
    second_id = str(second.evaluate("() => JSON.parse(localStorage.getItem('peerlearn.auth')).user.id"))
    for page, me in ((mentor, mentor_id), (first, first_id), (second, second_id)):
        speaker = wait_until(lambda: page.evaluate("() => window.peerlearnRoomPage.speaker"), timeout=15)
        assert speaker, "no dominant speaker named"
        expect(page.locator(".tile.speaking")).to_have_attribute("data-user-id", speaker)
        expect(page.locator(".tile.speaking")).to_have_count(1)
        if speaker != me:
            expect(page.locator("#stage")).to_be_visible()
            expect(page.locator("#stage")).to_have_attribute("data-source", "camera")
            expect(page.locator("#stage")).to_have_attribute("data-user-id", speaker)

    # A screen share: the first learner's screen is shown large on the others' pages, then stops.
    first.get_by_role("button", name="Share screen").click()
    expect(first.locator("#share-button")).to_have_attribute("aria-pressed", "true")
    for page in (mentor, second):
        expect(page.locator("#stage")).to_have_attribute("data-source", "screen", timeout=15000)
        expect(page.locator("#stage")).to_have_attribute("data-user-id", first_id)
        assert wait_until(lambda: page.evaluate("() => document.getElementById('stage-video').videoWidth > 0"), timeout=10)
        assert page.evaluate("() => window.peerlearnRoomPage.room.peerConnections().length") == 2
    expect(mentor.locator(f'.tile[data-user-id="{first_id}"] .flags')).to_contain_text("sharing screen")
    shot(mentor, "10b-room-screen-share")
    first.get_by_role("button", name="Stop sharing").click()
    expect(first.locator("#share-button")).to_have_attribute("aria-pressed", "false")
    for page in (mentor, second):
        expect(page.locator("#stage")).not_to_have_attribute("data-source", "screen", timeout=10000)

    # Mute and camera off reach the others.
    first.get_by_role("button", name="Mute microphone").click()
    first.get_by_role("button", name="Turn camera off").click()
    expect(first.locator("#mute-button")).to_have_attribute("aria-pressed", "true")
    entry = mentor.locator(f'#participants li[data-user-id="{first_id}"]')
    expect(entry).to_contain_text("muted")
    expect(entry).to_contain_text("camera off")
    first.get_by_role("button", name="Unmute microphone").click()
    expect(entry).not_to_contain_text("muted")

    # A network blip: the second learner's room socket drops; the page rejoins by itself and sees again.
    second.evaluate("() => window.peerlearnRoomPage.room.socket.close()")
    expect(second.locator("#connection-state")).to_contain_text("reconnecting", timeout=5000)
    expect(second.locator("#connection-state")).to_have_text("connected", timeout=20000)
    assert second.evaluate("() => window.peerlearnRoomPage.reconnects") == 1
    for page in (second, mentor, first):  # the rejoined learner sees the others, and they see them again
        result = page.evaluate(DECODING_FROM_ALL, {"count": 2, "timeoutMs": 30000})
        assert result["ok"], f"after rejoining: {result}"

    # The second learner leaves; the others' participant lists update live.
    second.get_by_role("button", name="Leave").click()
    expect(second.locator("main h1")).to_have_text(title)
    for page in (mentor, first):
        expect(page.locator("#participants li")).to_have_count(2, timeout=10000)
        assert second_id not in participant_ids(page)
        expect(page.locator(f'.tile[data-user-id="{second_id}"]')).to_have_count(0)

    # The mentor completes the session; the learner still in the room is told, and leaves feedback.
    mentor.get_by_role("button", name="Complete session").click()
    expect(mentor.locator(".status").first).to_have_text("completed")
    expect(first.locator("#session-ended")).to_have_text("The session has ended.", timeout=15000)
    first.get_by_role("link", name="Leave feedback").click()
    expect(first.get_by_role("heading", name=re.compile("How was"))).to_be_visible()
    first.get_by_label("4 stars").check()
    first.get_by_label("Comment").fill("Clear and friendly; the relay held up.")
    first.get_by_label("Post anonymously").check()
    shot(first, "11-feedback-form")
    assert_controls_named(first)
    first.get_by_role("button", name="Send feedback").click()
    expect(first.locator("#feedback-thanks")).to_be_visible()
    feedback = server.api("GET", f"/api/sessions/{session_id}/feedback").json()
    assert [(f["rating"], f["is_anonymous"], f.get("user_id")) for f in feedback] == [(4, True, None)], feedback

    # Notifications: an unread count in the header, a list, and marking them read.
    first.goto(server.base_url + "/#/notifications")
    expect(first.locator("#unread-count")).to_be_visible()
    unread = int(first.locator("#unread-count").inner_text())
    assert unread >= 2, unread  # at least: request accepted, session started
    expect(first.locator("#notifications")).to_contain_text("started")
    shot(first, "12-notifications")
    assert_controls_named(first)
    first.get_by_role("button", name="Mark all as read").click()
    expect(first.locator("#unread-count")).to_be_hidden()
    expect(first.locator("#unread-summary")).to_contain_text("0 unread")

    # The mentor's session page lists the feedback, anonymously.
    open_session(mentor, session_id)
    expect(mentor.locator("#feedback-list")).to_contain_text("anonymous")
    shot(mentor, "13-completed-session")
    for page in (mentor, first, second, late):
        assert page.errors == [], page.errors


def test_cancelling_a_booking_a_session_and_declining_a_request(server, app):
    session, (mentor_auth, mentor_script), (learner_auth, learner_script) = live_session_with(server, unique("undo"), start=False)
    learner = app(f"/sessions/{session['id']}", init_script=learner_script)
    mentor = app(f"/sessions/{session['id']}", init_script=mentor_script)

    # The learner gives their seat back; the Book button returns.
    learner.get_by_role("button", name="Cancel my booking").click()
    expect(learner.get_by_role("button", name="Book")).to_be_visible()
    expect(learner.locator("#seats-left")).to_have_text("3 of 3 seats left")

    # A request the mentor declines.
    learner.get_by_role("link", name="Send a request").click()
    learner.get_by_label("Subject").fill("Weekend session?")
    learner.get_by_label("Message").fill("Could you do Saturdays?")
    learner.get_by_role("button", name="Send request").click()
    expect(learner.locator("#request-form .alert-success")).to_be_visible()
    mentor.goto(server.base_url + "/#/dashboard")
    item = mentor.locator(".request-item").filter(has_text="Weekend session?")
    item.get_by_role("button", name="Decline").click()
    expect(item.locator(".status")).to_have_text("declined")

    # The mentor cancels the session after confirming; the learner is told.
    mentor.goto(server.base_url + f"/#/sessions/{session['id']}")
    mentor.get_by_role("button", name="Cancel session").click()
    mentor.get_by_role("button", name="Keep it").click()
    expect(mentor.locator(".status").first).to_have_text("scheduled")
    mentor.get_by_role("button", name="Cancel session").click()
    mentor.get_by_role("button", name="Yes, cancel it").click()
    expect(mentor.locator(".status").first).to_have_text("cancelled")
    learner.goto(server.base_url + "/#/notifications")
    expect(learner.locator("#notifications")).to_contain_text("declined")
    assert mentor.errors == [] and learner.errors == []


def test_dashboards_list_from_the_server_so_every_browser_sees_the_same(server, app):
    """A mentor's sessions in every status and the mentors a learner follows come from the API, not from
    one browser's storage: a second browser for the same person shows the same lists."""
    import datetime
    mentor_auth, mentor_script = signed_in_script(server, unique("owner"), "mentor")
    learner_auth, learner_script = signed_in_script(server, unique("reader"), "learner")
    token = mentor_auth["access_token"]
    now = datetime.datetime.now(datetime.timezone.utc)

    def create(title, hours, action=None):
        session = server.api("POST", "/api/sessions", token, json={
            "title": title, "description": "Listed by the API", "duration": 30, "price": 0,
            "schedule": (now + datetime.timedelta(hours=hours)).isoformat()}).json()
        if action:
            assert server.api("POST", f"/api/sessions/{session['id']}/{action}", token).status_code == 200
        return session

    draft, scheduled = create("Draft idea", 3), create("Scheduled talk", 2, "schedule")
    cancelled = create("Cancelled talk", 1, "schedule")
    assert server.api("POST", f"/api/sessions/{cancelled['id']}/cancel", token).status_code == 200
    followed = server.api("POST", f"/api/mentors/{mentor_auth['user']['id']}/follow", learner_auth["access_token"])
    assert followed.status_code == 200, followed.text

    # The mentor's dashboard, in a browser that never created anything, lists all three, newest first,
    # without counting a view of any of them.
    mentor = app("/dashboard", init_script=mentor_script)
    items = mentor.locator("#my-sessions .session-item")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("Draft idea")
    expect(items.nth(0).locator(".status")).to_have_text("draft")
    expect(items.nth(1)).to_contain_text("Scheduled talk")
    expect(items.nth(2)).to_contain_text("Cancelled talk")
    expect(items.nth(2).locator(".status")).to_have_text("cancelled")
    for session in (draft, scheduled, cancelled):
        assert server.api("GET", f"/api/sessions/{session['id']}/metrics").json()["view_count"] == 0

    # The learner's follow shows in a fresh browser; unfollowing there shows in another fresh one.
    learner = app("/dashboard", init_script=learner_script)
    expect(learner.locator("#followed-mentors")).to_contain_text(mentor_auth["user"]["username"])
    open_session(learner, scheduled["id"])
    expect(learner.locator("#follow-button")).to_have_attribute("aria-pressed", "true")
    learner.get_by_role("button", name="Unfollow this mentor").click()
    expect(learner.locator("#follower-count")).to_have_text("0 followers")
    other = app("/dashboard", init_script=learner_script)
    expect(other.locator("#followed-mentors")).to_have_text("You do not follow any mentor yet.")
    open_session(other, scheduled["id"])
    expect(other.locator("#follow-button")).to_have_attribute("aria-pressed", "false")
    for page in (mentor, learner, other):
        assert page.evaluate("() => Object.keys(localStorage)") == ["peerlearn.auth"]
        assert page.errors == []


def live_session_with(server, learner_name, start=True):
    """A scheduled, started session with one booked learner (set up through the API)."""
    mentor_auth, mentor_script = signed_in_script(server, unique("host"), "mentor")
    learner_auth, learner_script = signed_in_script(server, learner_name, "learner")
    import datetime
    schedule = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=2)).isoformat()
    token = mentor_auth["access_token"]
    session = server.api("POST", "/api/sessions", token, json={
        "title": "Audio-only test", "description": "No camera here", "schedule": schedule, "duration": 30,
        "max_participants": 3, "price": 0}).json()
    assert server.api("POST", f"/api/sessions/{session['id']}/schedule", token).status_code == 200
    booked = server.api("POST", f"/api/sessions/{session['id']}/bookings", learner_auth["access_token"], json={"card_token": "tok_visa"})
    assert booked.status_code == 201, booked.text
    if start:
        assert server.api("POST", f"/api/sessions/{session['id']}/start", token).status_code == 200
    return session, (mentor_auth, mentor_script), (learner_auth, learner_script)


NO_CAMERA = """(() => {
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => constraints && constraints.video
    ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))
    : original(constraints);
})();"""


def test_audio_only_join_when_the_camera_is_denied(server, app):
    session, (mentor_auth, mentor_script), (learner_auth, learner_script) = live_session_with(server, unique("nocam"))
    mentor = app(f"/sessions/{session['id']}", init_script=mentor_script)
    learner = app(f"/sessions/{session['id']}", init_script=learner_script + NO_CAMERA)
    join_room(mentor, session["id"])
    join_room(learner, session["id"])
    expect(learner.locator("#audio-only-notice")).to_contain_text("audio-only")
    expect(learner.locator("#camera-button")).to_be_disabled()
    # The learner still sees the mentor; the mentor hears the learner, who sends no video.
    assert learner.evaluate(DECODING_FROM_ALL, {"count": 1, "timeoutMs": 20000})["ok"]
    heard = mentor.evaluate("""async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const room = window.peerlearnRoomPage.room;
        const [s] = Object.values(room ? await room.receiving() : {});
        if (s && s.microphone && s.microphone.packetsReceived > 50) return s;
        await new Promise(r => setTimeout(r, 200));
      }
      return null;
    }""", 20000)
    assert heard is not None and "camera" not in heard, heard
    learner_id = str(learner_auth["user"]["id"])
    expect(mentor.locator(f'.tile[data-user-id="{learner_id}"] .flags')).to_contain_text("audio only")
    shot(learner, "14-room-audio-only")

    # The mentor's media connection reports failure (as after a network change): the page rejoins and
    # the learner decodes the mentor's video again.
    mentor.evaluate("""() => {
      const pc = window.peerlearnRoomPage.room.publisher;
      Object.defineProperty(pc, 'connectionState', { get: () => 'failed' });
      pc.dispatchEvent(new Event('connectionstatechange'));
    }""")
    expect(mentor.locator("#connection-state")).to_have_text("connected", timeout=20000)
    assert mentor.evaluate("() => window.peerlearnRoomPage.reconnects") == 1
    assert learner.evaluate(DECODING_FROM_ALL, {"count": 1, "timeoutMs": 20000})["ok"]
    assert mentor.errors == [] and learner.errors == []


def test_keyboard_only_registration_and_visible_focus(server, app):
    page = app("/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    # Tab to the hero's Register link and follow it with Enter.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.closest('main') && document.activeElement.textContent === 'Register'"):
            break
    else:
        pytest.fail("the Register link is not reachable with Tab")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), f"no visible focus indicator: {outline}"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Create your account")).to_be_focused()
    # The role radios, then every field, in order, by keyboard alone.
    page.keyboard.press("Tab")
    expect(page.get_by_label("Learn (learner)")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Teach (mentor)")).to_be_checked()
    username = unique("keys")
    page.keyboard.press("Tab")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(f"{username}@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")  # submits the form
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    expect(page.get_by_role("heading", name="Incoming requests")).to_be_visible()  # a mentor's dashboard
    shot(page, "15-keyboard-dashboard")
    assert_controls_named(page)


def test_phone_width_375px(server, app):
    phone = {"width": 375, "height": 812}
    session, (mentor_auth, _), (learner_auth, learner_script) = live_session_with(server, unique("phone"))
    page = app("/", viewport=phone)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    shot(page, "16-phone-landing")
    page = app("/sessions", viewport=phone, init_script=learner_script)
    expect(page.locator("#session-results")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page = app("/dashboard", viewport=phone, init_script=learner_script)
    expect(page.locator("#my-bookings .booking-item")).to_have_count(1)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    shot(page, "16-phone-dashboard")
    page = app(f"/sessions/{session['id']}", viewport=phone, init_script=learner_script)
    expect(page.locator("#join-room")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    shot(page, "17-phone-session")
    join_room(page, session["id"])
    expect(page.locator("#leave-button")).to_be_in_viewport()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    shot(page, "18-phone-room")


def start_server(data_dir, *extra, env_extra=None):
    """Another `peerlearn serve` on free ports over `data_dir`; returns (process, base_url, log_path)."""
    import os
    import socket
    import subprocess
    import requests
    from conftest import BINARY, free_port
    http_port, relay_port = free_port(), free_port(socket.SOCK_DGRAM)
    env = dict(os.environ, PEERLEARN_DATA_DIRECTORY=data_dir, PEERLEARN_HTTP_PORT=str(http_port),
               PEERLEARN_RELAY_PORT=str(relay_port), PEERLEARN_BCRYPT_COST="4", PEERLEARN_DATABASE_URL="")
    env.update(env_extra or {})
    log_path = os.path.join(data_dir, f"server-{http_port}.log")
    process = subprocess.Popen(
        [str(BINARY), "serve", "--config", str(ROOT / "config" / "peerlearn.json"), "--public-directory", str(ROOT / "Public"), *extra],
        cwd=ROOT, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{http_port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        assert process.poll() is None, open(log_path).read()
        try:
            if requests.get(base_url + "/healthz", timeout=1).status_code == 200:
                return process, base_url, log_path
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not come up:\n" + open(log_path).read())


def stop_server(process):
    process.terminate()
    try:
        process.wait(timeout=20)
    except Exception:
        process.kill()


def log_in_ui(page, username, password):
    page.goto(page.url.split("#")[0] + "#/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def test_demo_flag_gives_a_first_page_with_something_to_show(browser):
    """`peerlearn serve --demo` on an empty database: the logged credentials work and the room opens."""
    import tempfile
    data_dir = tempfile.mkdtemp(prefix="peerlearn-demo-")
    process, base_url, log_path = start_server(data_dir, "--demo")
    contexts = []
    try:
        log = open(log_path).read()
        credentials = dict(re.findall(r"account (\S+) / password (\S+)", log))
        assert set(credentials) == {"demo_mentor", "demo_learner"}, log

        def open_page():
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            contexts.append(context)
            page = context.new_page()
            page.goto(base_url + "/")
            return page

        visitor = open_page()
        expect(visitor.locator("main .session-item")).to_have_count(3)
        shot(visitor, "19-demo-landing")
        learner, mentor = open_page(), open_page()
        log_in_ui(learner, "demo_learner", credentials["demo_learner"])
        log_in_ui(mentor, "demo_mentor", credentials["demo_mentor"])
        expect(learner.locator("#my-bookings .booking-item")).to_have_count(1)
        expect(mentor.locator("#my-sessions .session-item")).to_have_count(3)
        learner.get_by_role("link", name="Open room").click()
        mentor.locator("#my-sessions .session-item").filter(has_text="Swift concurrency in practice").locator("a").first.click()
        mentor.get_by_role("link", name="Join room").click()
        for page in (learner, mentor):
            expect(page.locator("#connection-state")).to_have_text("connected", timeout=20000)
            assert page.evaluate(DECODING_FROM_ALL, {"count": 1, "timeoutMs": 20000})["ok"]
    finally:
        for context in contexts:
            context.close()
        stop_server(process)
    # Restarting with --demo adds nothing: the database is no longer empty.
    process, base_url, log_path = start_server(data_dir, "--demo")
    try:
        import requests
        assert "already has users" in open(log_path).read()
        # The catalog lists bookable (scheduled) sessions: the first became active when its mentor
        # connected, so two remain, and no new ones were added.
        assert requests.get(base_url + "/api/sessions", timeout=5).json()["total"] == 2
    finally:
        stop_server(process)


def test_staff_deactivate_a_user_who_is_then_refused(server, app):
    """Staff tools: `peerlearn admin create-superuser` makes the first staff account; on the staff page it
    finds a learner and deactivates them with a reason; the learner's token is refused at once, the app
    sends them to the login page, logging in again is refused, and the audit log says who, what and why."""
    import subprocess
    from conftest import BINARY
    staff_name, learner_name = unique("staff"), unique("lena")
    learner_auth, learner_script = signed_in_script(server, learner_name, "learner")
    env = dict(os.environ, PEERLEARN_DATA_DIRECTORY=server.data_dir, PEERLEARN_DATABASE_URL="",
               PEERLEARN_SUPERUSER_PASSWORD=PASSWORD)
    made = subprocess.run(
        [str(BINARY), "admin", "create-superuser", "--config", str(ROOT / "config" / "peerlearn.json"),
         "--username", staff_name, "--email", f"{staff_name}@example.org"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0 and "created superuser" in made.stdout, made.stdout + made.stderr

    staff = app("/")
    log_in_ui(staff, staff_name, PASSWORD)
    staff.get_by_role("link", name="Staff").click()
    expect(staff.get_by_role("heading", name="Staff tools")).to_be_visible()
    staff.locator("#staff-user-query").fill(learner_name)
    staff.get_by_role("button", name="Find").click()
    item = staff.locator(".staff-user").filter(has_text=learner_name)
    expect(item.locator(".account-state")).to_have_text("active")
    item.get_by_label(re.compile("Reason for")).fill("Reported for spam")
    item.get_by_role("button", name="Deactivate").click()
    expect(item.locator(".account-state")).to_have_text("deactivated")
    audit = staff.locator("#staff-audit li").first
    expect(audit).to_contain_text("deactivate_user")
    expect(audit).to_contain_text("Reported for spam")
    shot(staff, "20-staff-tools")
    assert_controls_named(staff)

    # The learner's token stops at once: the signed-in app falls back to the login page, which refuses them.
    assert server.api("GET", "/api/me", learner_auth["access_token"]).status_code == 401
    learner = app("/dashboard", init_script=learner_script)
    expect(learner.get_by_role("heading", name="Log in")).to_be_visible()
    learner.get_by_label("Username or email").fill(learner_name)
    learner.get_by_label("Password", exact=True).fill(PASSWORD)
    learner.get_by_role("button", name="Log in").click()
    expect(learner.locator(".alert-error, .field-error").filter(has_text="deactivated").first).to_be_visible()


def test_a_forgotten_session_starts_with_its_mentor_and_completes_by_itself(browser):
    """Sessions that run themselves: a scheduled session becomes active when its mentor's browser connects
    to the room; nobody completes it, and after its scheduled end (plus a grace of 0 s here; 30 min by
    default) the server does: the learner who never came is marked absent, the one who came is asked for
    feedback in the app and by email (read on the development mail page, /dev/mail.json)."""
    import datetime
    import tempfile
    import requests
    data_dir = tempfile.mkdtemp(prefix="peerlearn-autopilot-")
    process, base_url, log_path = start_server(data_dir, env_extra={
        "PEERLEARN_AUTO_COMPLETE_GRACE_SECONDS": "0", "PEERLEARN_AUTOPILOT_INTERVAL_SECONDS": "1",
        "PEERLEARN_OUTBOX_POLL_SECONDS": "1"})
    contexts = []

    def call(method, path, token=None, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, base_url + path, headers=headers, timeout=15, **kwargs)

    def account(prefix, role):
        name = unique(prefix)
        response = call("POST", "/api/auth/register", json={
            "username": name, "email": f"{name}@example.org", "password": PASSWORD, "role": role})
        assert response.status_code == 201, response.text
        return response.json()

    def signed_in(body, path):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        context.add_init_script(f"localStorage.setItem('peerlearn.auth', {json.dumps(json.dumps(body))});")
        page = context.new_page()
        page.goto(base_url + "/#" + path)
        return page

    try:
        mentor, attendee, absentee = account("mira", "mentor"), account("ada", "learner"), account("abe", "learner")
        start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)
        session = call("POST", "/api/sessions", mentor["access_token"], json={
            "title": "A session its mentor forgets", "description": "Ends by itself", "duration": 1, "price": 0,
            "schedule": start.isoformat()}).json()
        sid = session["id"]
        assert call("POST", f"/api/sessions/{sid}/schedule", mentor["access_token"]).status_code == 200
        for learner in (attendee, absentee):
            assert call("POST", f"/api/sessions/{sid}/bookings", learner["access_token"]).status_code == 201

        # Nobody presses Start: the mentor's browser connecting to the room makes the session active.
        mentor_page = signed_in(mentor, f"/sessions/{sid}/room")
        expect(mentor_page.locator("#connection-state")).to_have_text("connected", timeout=20000)
        assert wait_until(lambda: call("GET", f"/api/sessions/{sid}").json()["status"] == "active", timeout=10)
        attendee_page = signed_in(attendee, f"/sessions/{sid}/room")
        expect(attendee_page.locator("#connection-state")).to_have_text("connected", timeout=20000)

        # Nobody presses Complete either: a second after its scheduled end (start + 1 min) it completes.
        assert wait_until(lambda: call("GET", f"/api/sessions/{sid}").json()["status"] == "completed", timeout=120), \
            open(log_path).read()[-3000:]
        absent = call("GET", "/api/bookings", absentee["access_token"]).json()
        assert [b["attendance_status"] for b in absent if b["session_id"] == sid] == ["absent"], absent
        came = call("GET", "/api/bookings", attendee["access_token"]).json()
        assert [b["attendance_status"] for b in came if b["session_id"] == sid] in (["present"], ["late"]), came
        notes = call("GET", "/api/notifications", attendee["access_token"]).json()
        assert any(n["title"] == "How was it?" for n in notes), notes
        mail = wait_until(lambda: [m for m in call("GET", "/dev/mail.json").json()
                                   if m["subject"] == "How was A session its mentor forgets?"], timeout=10)
        assert [m["to"] for m in mail] == [attendee["user"]["email"]], mail
        attendee_page.goto(base_url + "/#/dashboard")
        expect(attendee_page.locator("#my-bookings").get_by_role("link", name="Leave feedback")).to_be_visible()
    finally:
        for context in contexts:
            context.close()
        stop_server(process)
