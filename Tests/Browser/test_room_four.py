"""Four Chromium pages in one room over the room WebSocket (protocol v2, issue 11).

Each page holds at most two RTCPeerConnections however many publish (a publish connection it offers, a
subscribe connection the relay offers and re-offers); each decodes the other three's camera and hears their
audio; a screen share (real getDisplayMedia: headless Chromium with --use-fake-ui-for-media-stream and the
fake capture device gives a 1280x720 fake screen) reaches the other three on their existing subscribe
connections; a member leaving and rejoining changes nobody else's connections; and the dominant speaker
follows whoever makes sound.

"Who makes sound" is controllable per page: the fake microphone (--use-file-for-fake-audio-capture) is one
file for the whole browser process, so each page publishes a WebAudio oscillator through a gain node instead,
silent until the test turns that page's gain up.
"""
import time

from test_relay_browser import live_session, room_token, wait_for

JOIN = """async ({room, token, frequency}) => {
  if (!window.createdPeerConnections) {
    // Every RTCPeerConnection the page ever makes, to show none is made after joining.
    const Native = window.RTCPeerConnection;
    window.createdPeerConnections = [];
    window.RTCPeerConnection = function (...args) {
      const pc = new Native(...args);
      window.createdPeerConnections.push(pc);
      return pc;
    };
    window.RTCPeerConnection.prototype = Native.prototype;
  }
  if (!window.voice) {
    const context = new AudioContext();
    const oscillator = context.createOscillator();
    oscillator.frequency.value = frequency;
    const gain = context.createGain();
    gain.gain.value = 0;
    const destination = context.createMediaStreamDestination();
    oscillator.connect(gain).connect(destination);
    oscillator.start();
    window.voice = gain;
    window.voiceTrack = destination.stream.getAudioTracks()[0];
  }
  const camera = await navigator.mediaDevices.getUserMedia({video: {width: 320, height: 240}});
  window.speakers = [];
  window.players = window.players || {};
  window.room = new window.peerlearn.Room(location.origin, room, token, {
    onDominantSpeaker: (userId) => window.speakers.push(userId),
    // Chromium measures received audio (totalAudioEnergy) only for audio it plays out.
    onTrack: (userId, source, track) => {
      if (source !== 'microphone') return;
      const player = window.players[userId] || (window.players[userId] = new Audio());
      player.srcObject = new MediaStream([track]);
      player.play().catch(() => {});
    },
  });
  await window.room.ready;
  await window.room.publish(new MediaStream([window.voiceTrack, camera.getVideoTracks()[0]]));
  return window.room.me.userId;
}"""

STATE = """async () => {
  const room = window.room;
  const sub = room.subscriber;
  return {
    receiving: await room.receiving(),
    live: room.peerConnections().length,
    created: window.createdPeerConnections.length,
    openCreated: window.createdPeerConnections.filter((pc) => pc.signalingState !== 'closed').length,
    subscriberId: sub ? sub.testId || null : null,
    subscriberState: sub ? sub.connectionState : null,
    transceivers: sub ? sub.getTransceivers().length : 0,
    participants: [...room.participants.keys()],
    remote: [...room.remote.values()].map((e) => e.userId + '/' + e.source).sort(),
    speaker: room.dominantSpeaker,
  };
}"""


def state(page):
    return page.evaluate(STATE)


def frames(s, user, source="camera"):
    return s["receiving"].get(user, {}).get(source, {}).get("framesDecoded", 0)


def audio(s, user, field="packetsReceived"):
    return s["receiving"].get(user, {}).get("microphone", {}).get(field, 0)


def decodes_all(page, users, baseline=None, min_frames=10):
    """The page decodes every user's camera (min_frames beyond `baseline`) and receives their audio."""
    s = state(page)
    base = baseline or {}
    ok = all(frames(s, u) > base.get(u, 0) + min_frames and audio(s, u) > 0 for u in users)
    return s if ok else None


def test_four_pages_two_connections_each_screen_share_rejoin_and_dominant_speaker(server, page_factory):
    session, mentor_token, learner_tokens = live_session(server, max_participants=5, learners=3)
    room = session["meeting_room_id"]
    tokens = [mentor_token, *learner_tokens]
    pages = [page_factory() for _ in tokens]
    names = "ABCD"
    started = time.monotonic()
    ids = [page.evaluate(JOIN, {"room": room, "token": room_token(server, session, token), "frequency": 300 + 150 * i})
           for i, (page, token) in enumerate(zip(pages, tokens))]
    ids = [str(i) for i in ids]
    by_name = dict(zip(names, zip(pages, ids)))

    # 1. Everyone decodes the other three; one publish and one subscribe connection each, never more.
    for page, me in zip(pages, ids):
        others = [u for u in ids if u != me]
        s = wait_for(lambda: decodes_all(page, others), timeout=30)
        assert s, f"page {me} does not decode {others}: {state(page)}\n" + server.log()[-3000:]
        assert s["live"] == 2 and s["created"] == 2 and s["openCreated"] == 2, s
        assert sorted(s["remote"]) == sorted(f"{u}/{src}" for u in others for src in ("camera", "microphone")), s
    print(f"\nfour pages joined, each decoding the other three: {time.monotonic() - started:.1f} s")
    for page in pages:
        page.evaluate("() => { window.room.subscriber.testId = 'subscriber-' + Math.random(); }")
    marks = {me: state(page)["subscriberId"] for page, me in zip(pages, ids)}

    # 2. A shares a screen: a renegotiation of A's publish connection, a re-offer on everyone else's.
    a_page, a_id = by_name["A"]
    shared_at = time.monotonic()
    screen = a_page.evaluate("""async () => {
      const track = await window.room.shareScreen();
      return {label: track.label, width: track.getSettings().width};
    }""")
    assert screen["width"] == 1280, screen  # Chromium's fake screen, through the real getDisplayMedia
    for page, me in zip(pages, ids):
        if me == a_id:
            continue
        s = wait_for(lambda: (lambda s: s if frames(s, a_id, "screen") > 10 else None)(state(page)), timeout=20)
        assert s, f"page {me} does not decode A's screen: {state(page)}"
        assert s["created"] == 2 and s["subscriberId"] == marks[me], s
    print(f"screen share → decoded by the other three: {time.monotonic() - shared_at:.1f} s")
    s = state(a_page)
    assert s["live"] == 2 and s["created"] == 2, f"the share renegotiated A's publish connection: {s}"
    assert a_page.evaluate("() => window.room.publisher.getTransceivers().filter(t => t.currentDirection === 'sendonly').length") == 3
    a_page.evaluate("async () => await window.room.stopScreenShare()")
    for page, me in zip(pages, ids):
        if me != a_id:
            assert wait_for(lambda: f"{a_id}/screen" not in state(page)["remote"], timeout=10), state(page)

    # 3. D leaves and rejoins: A, B and C keep their subscribe connections (same objects, still connected).
    d_page, d_id = by_name["D"]
    stay = [(p, u) for p, u in zip(pages, ids) if u != d_id]
    before = {u: state(p) for p, u in stay}
    d_page.evaluate("() => window.room.leave()")
    for page, me in stay:
        gone = wait_for(lambda: (lambda s: s if d_id not in s["participants"]
                                 and not any(r.startswith(d_id + "/") for r in s["remote"]) else None)(state(page)), timeout=10)
        assert gone, f"page {me} still has D: {state(page)}"
        assert gone["subscriberId"] == marks[me] and gone["subscriberState"] == "connected", gone
    rejoined_at = time.monotonic()
    again = str(d_page.evaluate(JOIN, {"room": room, "token": room_token(server, session, tokens[3]), "frequency": 750}))
    assert again == d_id
    joined_in = time.monotonic() - rejoined_at
    for page, me in stay:
        s = wait_for(lambda: decodes_all(page, [d_id], baseline={d_id: frames(before[me], d_id)}), timeout=20)
        assert s, f"page {me} does not decode D again: {state(page)}"
        assert s["subscriberId"] == marks[me] and s["subscriberState"] == "connected", s
        assert s["created"] == 2 and s["live"] == 2, f"page {me} made a connection: {s}"
        # D's tracks came back in the slots they had left: the subscribe connection did not grow.
        assert s["transceivers"] == before[me]["transceivers"], (before[me]["transceivers"], s["transceivers"])
    print(f"D rejoined → decoded by the other three: {time.monotonic() - rejoined_at:.1f} s (its join: {joined_in:.1f} s)")
    s = state(d_page)
    assert s["live"] == 2 and s["openCreated"] == 2, s

    # 4. The dominant speaker follows whoever makes sound, on every page; their audio is heard (decoded
    # with energy) by the others.
    for name in "BCAD":
        speaking_page, speaking_id = by_name[name]
        energy = {me: audio(state(page), speaking_id, "totalAudioEnergy") for page, me in zip(pages, ids)}
        for page in pages:
            page.evaluate(f"() => {{ window.voice.gain.value = {0.5 if page is speaking_page else 0}; }}")
        switched_at = time.monotonic()
        for page, me in zip(pages, ids):
            seen = wait_for(lambda: page.evaluate("() => window.room.dominantSpeaker") == speaking_id, timeout=10)
            assert seen, (f"{name} speaks but page {me} has {page.evaluate('() => window.room.dominantSpeaker')} "
                          f"(heard: {page.evaluate('() => window.speakers')})")
        print(f"{name} speaks → dominant speaker on all four pages: {time.monotonic() - switched_at:.1f} s")
        for page, me in zip(pages, ids):
            if me != speaking_id:
                assert audio(state(page), speaking_id, "totalAudioEnergy") > energy[me], f"page {me} hears no {name}"

    for page, me in zip(pages, ids):
        s = state(page)
        assert s["live"] == 2, s
        if me != d_id:
            assert s["created"] == 2 and s["subscriberId"] == marks[me], s
