// The room: a video grid through the relay with the mentor emphasised, a stage showing a screen share (or,
// when nobody shares, whoever speaks), the speaker's tile highlighted, mute / camera off / share screen /
// leave, the live participant list, audio-only mode when there is no camera, connection state and a quality
// indicator from getStats(), and rejoining by itself after a network blip. Two peer connections at most
// (relay-client.js `Room`), however many take part.
import { h, render } from "../dom.js";
import { api, auth, userProfile, displayName } from "../api.js";
import { Room, inboundSummary } from "../../relay-client.js";
import { alertBox, announce } from "../ui.js";

const STATS_INTERVAL_MS = 2000;
/** How long a dropped media connection gets to come back (an ICE restart included) before the page rejoins. */
const DISCONNECTED_GRACE_MS = 8000;
/** A connection still "disconnected" after this restarts ICE (a changed network rarely recovers alone). */
const ICE_RESTART_AFTER_MS = 1500;

/** Good / fair / poor from one interval's loss ratio and the worst jitter (seconds). */
export function qualityFrom(lossRatio, jitterSeconds) {
  if (lossRatio < 0.02 && jitterSeconds < 0.03) return "good";
  if (lossRatio < 0.08 && jitterSeconds < 0.1) return "fair";
  return "poor";
}

export async function roomView(main, { args, navigate }) {
  const [sessionId] = args;
  const session = await api("GET", `/api/sessions/${encodeURIComponent(sessionId)}`);
  const me = auth.user;
  const back = h("a", { href: `#/sessions/${session.id}` }, "Back to the session");
  if (session.status !== "scheduled" && session.status !== "active") {
    render(main, h("h1", {}, session.title), alertBox("info", `The room is closed: this session is ${session.status}.`),
      h("p", {}, session.status === "completed" ? h("a", { class: "button", href: `#/sessions/${session.id}/feedback` }, "Leave feedback") : null, " ", back));
    return;
  }
  const isHost = String(me.id) === String(session.mentor_id);

  const connectionState = h("output", { id: "connection-state", "aria-live": "polite" }, "connecting");
  const qualityText = h("span", { id: "quality-text" }, "waiting for others");
  const quality = h("span", { id: "quality", class: "indicator", title: "Receive quality from getStats()" }, h("span", { class: "dot", "aria-hidden": "true" }), qualityText);
  const notices = h("div", { id: "room-notices" });
  const grid = h("div", { class: "video-grid", id: "video-grid", role: "region", "aria-label": "Participants' video" });
  const stageVideo = h("video", { autoplay: true, playsinline: true, muted: true, id: "stage-video" });
  stageVideo.muted = true;  // the sound comes from the tiles
  const stageCaption = h("figcaption", { id: "stage-caption" });
  const stage = h("figure", { class: "stage", id: "stage", hidden: true, role: "region", "aria-label": "Shown large" }, stageVideo, stageCaption);
  const participantList = h("ul", { class: "list participants", id: "participants", "aria-live": "polite", "aria-relevant": "additions removals" });
  const micButton = h("button", { type: "button", id: "mute-button", "aria-pressed": "false" }, "Mute microphone");
  const cameraButton = h("button", { type: "button", id: "camera-button", "aria-pressed": "false" }, "Turn camera off");
  const shareButton = h("button", { type: "button", id: "share-button", "aria-pressed": "false", disabled: !navigator.mediaDevices?.getDisplayMedia }, "Share screen");
  const leaveButton = h("button", { type: "button", id: "leave-button", class: "danger" }, "Leave");
  // The mentor can open the room before starting, and start and complete the session from it.
  const startButton = isHost && session.status === "scheduled" ? h("button", { type: "button", id: "start-button", class: "secondary" }, "Start session") : null;
  const endButton = isHost ? h("button", { type: "button", id: "end-button", class: "secondary", hidden: session.status !== "active" }, "Complete session") : null;

  render(main,
    h("h1", {}, session.title),
    h("p", { class: "meta" }, "Connection: ", connectionState, " · Quality: ", quality),
    notices,
    h("div", { class: "room" },
      h("div", {},
        stage,
        grid,
        h("div", { class: "room-controls", role: "group", "aria-label": "Room controls" }, micButton, cameraButton, shareButton, leaveButton, startButton, endButton)),
      h("aside", { class: "card", "aria-labelledby": "participants-title" },
        h("h2", { id: "participants-title" }, "Participants ", h("span", { id: "participant-count" })),
        participantList)));

  // State shared by the handlers below (and exposed for the browser tests).
  const state = {
    room: null, ended: null, stream: null, audioOnly: false, muted: { audio: false, video: false }, leaving: false,
    attempts: 0, reconnects: 0, stats: {}, previous: {}, quality: null, state: "connecting", timers: [],
    /** userId → { microphone, camera, screen }: the remote tracks the subscribe connection carries. */
    tracks: new Map(), speaker: null, staged: null, sharing: null,
  };
  window.peerlearnRoomPage = state;
  const names = new Map();
  const setState = (text) => { state.state = text; connectionState.textContent = text; };

  // Media first: the seed's "Permission granted? NO → Audio-only mode".
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
  } catch (videoError) {
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      state.audioOnly = true;
      notices.append(alertBox("warning", "Camera unavailable or not allowed: you are in audio-only mode. Others can hear you.", { id: "audio-only-notice" }));
      cameraButton.disabled = true;
      cameraButton.textContent = "No camera";
    } catch (_) {
      notices.append(alertBox("warning", "Neither camera nor microphone is available: you can watch and listen only.", { id: "watch-only-notice" }));
      micButton.disabled = true;
      cameraButton.disabled = true;
    }
  }

  // Tiles.
  function tile(userId) {
    let figure = grid.querySelector(`[data-user-id="${CSS.escape(userId)}"]`);
    if (figure) return figure;
    const isMe = userId === String(me.id);
    const video = h("video", { autoplay: true, playsinline: true, muted: isMe });
    video.muted = isMe;  // a property, not only the attribute: never hear yourself
    figure = h("figure", { class: "tile", dataset: { userId } },
      video, h("div", { class: "no-video", hidden: true }, "Audio only"),
      h("figcaption", {}, h("span", { class: "name" }, isMe ? "You" : `#${userId}`), " ", h("span", { class: "flags" })));
    grid.append(figure);
    if (!isMe) nameOf(userId).then((name) => { figure.querySelector(".name").textContent = name; updateTile(userId); });
    return figure;
  }

  async function nameOf(userId) {
    if (!names.has(userId)) {
      names.set(userId, userProfile(userId).then(displayName).catch(() => `Participant #${userId}`));
    }
    return names.get(userId);
  }

  function participantsNow() {
    const list = state.room ? [...state.room.participants.values()] : [];
    const mine = state.room?.me ? { ...state.room.me, muted: state.muted, publishing: state.stream ? state.stream.getTracks().map((t) => t.kind) : [] } : null;
    return mine ? [mine, ...list.filter((p) => String(p.userId) !== String(mine.userId))] : list;
  }

  function updateTile(userId) {
    const figure = grid.querySelector(`[data-user-id="${CSS.escape(userId)}"]`);
    if (!figure) return;
    const p = participantsNow().find((x) => String(x.userId) === userId);
    const isMe = userId === String(me.id);
    const host = isMe ? isHost : p?.role === "host";
    figure.classList.toggle("host", Boolean(host));
    const muted = isMe ? state.muted : (p?.muted || {});
    const video = figure.querySelector("video");
    const hasVideo = isMe
      ? Boolean(state.stream && state.stream.getVideoTracks().length > 0)
      : Boolean(state.tracks.get(userId)?.camera);
    const cameraOff = !hasVideo || muted.video;
    figure.querySelector(".no-video").hidden = !cameraOff;
    figure.querySelector(".no-video").textContent = hasVideo ? "Camera off" : "Audio only";
    const sharing = isMe ? Boolean(state.sharing) : Boolean(state.tracks.get(userId)?.screen);
    const speaking = state.speaker !== null && String(state.speaker) === userId;
    figure.classList.toggle("speaking", speaking);
    const flags = [host ? "mentor" : null, speaking ? "speaking" : null, muted.audio ? "muted" : null, cameraOff ? (hasVideo ? "camera off" : "audio only") : null, sharing ? "sharing screen" : null].filter(Boolean);
    figure.querySelector(".flags").textContent = flags.length ? `(${flags.join(", ")})` : "";
    figure.setAttribute("aria-label", `${figure.querySelector(".name").textContent}${flags.length ? `, ${flags.join(", ")}` : ""}`);
    if (host && grid.firstChild !== figure) grid.prepend(figure);
  }

  async function renderParticipants() {
    const list = participantsNow();
    const ids = new Set(list.map((p) => String(p.userId)));
    for (const li of [...participantList.children]) if (!ids.has(li.dataset.userId)) li.remove();
    for (const p of list) {
      const userId = String(p.userId);
      let li = participantList.querySelector(`[data-user-id="${CSS.escape(userId)}"]`);
      if (!li) {
        li = h("li", { dataset: { userId } }, h("span", { class: "who" }, `#${userId}`), h("span", { class: "meta state" }));
        participantList.append(li);
        const isMe = userId === String(me.id);
        (isMe ? Promise.resolve(`${displayName(me)} (you)`) : nameOf(userId)).then((name) => { li.querySelector(".who").textContent = name; });
      }
      const muted = p.muted || {};
      li.querySelector(".state").textContent = [p.role === "host" ? "mentor" : "learner", muted.audio ? "muted" : null, muted.video ? "camera off" : null].filter(Boolean).join(" · ");
      updateTile(userId);
    }
    document.getElementById("participant-count").textContent = `(${list.length})`;
  }

  /** A participant's tile plays their camera and microphone together. */
  function playTile(userId) {
    const tracks = state.tracks.get(userId) || {};
    const media = [tracks.camera, tracks.microphone].filter(Boolean);
    if (media.length === 0) {
      grid.querySelector(`[data-user-id="${CSS.escape(userId)}"]`)?.remove();
      return;
    }
    const video = tile(userId).querySelector("video");
    const current = video.srcObject ? video.srcObject.getTracks() : [];
    if (current.length !== media.length || media.some((t) => !current.includes(t))) {
      video.srcObject = new MediaStream(media);
      video.play().catch(() => { /* autoplay with sound may need a click; the media still flows */ });
    }
    updateTile(userId);
  }

  /** The stage: a screen share if anyone shares (others' first), else the speaker's camera; hidden otherwise. */
  function updateStage() {
    let staged = null;
    for (const [userId, tracks] of state.tracks) if (tracks.screen) { staged = { userId, source: "screen", track: tracks.screen }; break; }
    if (!staged && state.sharing) staged = { userId: String(me.id), source: "screen", track: state.sharing };
    const speaker = state.speaker !== null ? String(state.speaker) : null;
    if (!staged && speaker && speaker !== String(me.id) && state.tracks.get(speaker)?.camera) {
      staged = { userId: speaker, source: "camera", track: state.tracks.get(speaker).camera };
    }
    state.staged = staged ? { userId: staged.userId, source: staged.source } : null;
    stage.hidden = !staged;
    stage.dataset.userId = staged ? staged.userId : "";
    stage.dataset.source = staged ? staged.source : "";
    if (!staged) { stageVideo.srcObject = null; return; }
    if (stageVideo.srcObject?.getVideoTracks()[0] !== staged.track) {
      stageVideo.srcObject = new MediaStream([staged.track]);
      stageVideo.play().catch(() => {});
    }
    const isMe = staged.userId === String(me.id);
    (isMe ? Promise.resolve("You") : nameOf(staged.userId)).then((name) => {
      stageCaption.textContent = staged.source === "screen" ? `${name}: screen` : `${name} (speaking)`;
    });
  }

  // Joining, and rejoining after a blip.
  const callbacks = {
    onParticipants: () => renderParticipants(),
    onTrack: (userId, source, track) => {
      const id = String(userId);
      const tracks = state.tracks.get(id) || {};
      tracks[source] = track;
      state.tracks.set(id, tracks);
      if (source === "screen") { updateStage(); updateTile(id); } else playTile(id);
      if (source === "camera" && String(state.speaker) === id) updateStage();
    },
    onTrackEnded: (userId, source) => {
      const id = String(userId);
      const tracks = state.tracks.get(id);
      if (!tracks) return;
      delete tracks[source];
      if (!tracks.microphone && !tracks.camera && !tracks.screen) {
        state.tracks.delete(id);
        delete state.stats[id];
        delete state.previous[id];
      }
      if (source !== "screen") playTile(id);
      else updateTile(id);
      updateStage();
    },
    onDominantSpeaker: (userId) => {
      const before = state.speaker;
      state.speaker = userId === null || userId === undefined ? null : String(userId);
      for (const id of [before, state.speaker]) if (id !== null) updateTile(String(id));
      updateStage();
    },
    onMuted: (userId) => updateTile(String(userId)),
    // The server says so on the room socket the moment the mentor completes or cancels: no polling.
    onSessionEnded: (reason) => sessionEnded(reason),
  };

  async function connect() {
    setState(state.attempts ? `reconnecting (attempt ${state.attempts})` : "connecting");
    let token;
    try {
      token = await api("POST", `/api/sessions/${session.id}/room-token`);
    } catch (error) {
      // The seed's "Authorized? NO → Show access denied → END".
      // Rejoining a room whose session ended meanwhile (the socket was down when it was announced).
      if (error.status === 409 && error.code === "room_closed") { await sessionEnded(null); return; }
      if (error.status === 403 || error.status === 404 || error.status === 409) { deny(error.reason || error.message); return; }
      throw error;
    }
    // Callbacks of a room that was replaced by a rejoin must not touch the page any more.
    const holder = {};
    const guarded = Object.fromEntries(Object.entries(callbacks).map(([name, callback]) =>
      [name, (...values) => { if (state.room === holder.room) callback(...values); }]));
    const room = new Room(location.origin, token.meeting_room_id, token.token, guarded);
    holder.room = room;
    state.room = room;
    room.socket.addEventListener("close", (event) => {
      if (state.room !== room || state.leaving) return;
      if (event.code === 4410) { sessionEnded(room.ended || null); return; }  // session-ended was lost (a full outbox)
      if (event.code >= 4400 && event.code < 4500) { deny(`the room refused the connection (${event.code - 4000})`); return; }
      scheduleReconnect("the room connection closed");
    });
    await withTimeout(room.ready, 10000, "the room did not answer");
    if (state.stream) {
      const pc = await withTimeout(room.publish(state.stream, { simulcast: true }), 15000, "publishing timed out");
      watchConnection(room, pc);
      if (state.muted.audio) room.setMuted("audio", true);
      if (state.muted.video) room.setMuted("video", true);
    }
    const local = tile(String(me.id));
    const video = local.querySelector("video");
    if (state.stream && video.srcObject !== state.stream) video.srcObject = state.stream;
    if (!state.stream) local.remove();
    state.attempts = 0;
    setState("connected");
    renderParticipants();
  }

  function deny(reason) {
    teardown();
    setState("access denied");
    render(notices, alertBox("error", `Access denied: ${reason}`, { id: "access-denied" }), h("p", {}, back));
    grid.replaceChildren();
    stage.hidden = true;
    for (const button of [micButton, cameraButton, shareButton, startButton, endButton]) if (button) button.disabled = true;
  }

  /** The session was completed or cancelled: leave the room and say so. Without a reason, the session says which. */
  async function sessionEnded(reason) {
    if (state.ended) return;
    state.ended = reason || "ended";
    teardown();
    if (!reason) {
      try { reason = (await api("GET", `/api/sessions/${encodeURIComponent(session.id)}`)).status; } catch (_) { /* say "ended" */ }
      state.ended = reason || "ended";
    }
    setState("session ended");
    grid.replaceChildren();
    stage.hidden = true;
    for (const button of [micButton, cameraButton, shareButton, startButton, endButton]) if (button) button.disabled = true;
    const text = reason === "cancelled" ? "The session was cancelled." : "The session has ended.";
    const feedback = reason === "completed" && !isHost
      ? h("a", { class: "button", href: `#/sessions/${session.id}/feedback` }, "Leave feedback") : null;
    render(notices, alertBox("info", text, { id: "session-ended" }), h("p", {}, feedback, feedback ? " " : null, back));
    announce(text);
  }

  /**
   * A media connection that drops (a network change) first restarts ICE on the same connections, keeping
   * everyone's tiles; only if that does not bring it back within the grace period does the page rejoin.
   */
  function watchConnection(room, pc) {
    let graceTimer = null;
    let restartTimer = null;
    pc.addEventListener("connectionstatechange", () => {
      if (state.room !== room || state.leaving) return;
      const s = pc.connectionState;
      if (s === "connected") {
        clearTimeout(graceTimer); clearTimeout(restartTimer); graceTimer = restartTimer = null;
        setState("connected");
      } else if (s === "disconnected" || s === "failed") {
        setState("unstable: restarting the media connection…");
        // "failed" restarts ICE by itself (Room); "disconnected" may recover alone, so wait a moment first.
        if (s === "disconnected" && !restartTimer) {
          restartTimer = setTimeout(() => {
            if (state.room === room && pc.connectionState === "disconnected") room.restartIce().catch(() => {});
          }, ICE_RESTART_AFTER_MS);
        }
        if (!graceTimer) {
          graceTimer = setTimeout(() => {
            graceTimer = null;
            if (pc.connectionState !== "connected" && state.room === room) scheduleReconnect("media connection lost");
          }, DISCONNECTED_GRACE_MS);
        }
      }
    });
  }

  // The browser found a network again (Wi-Fi to cellular): new ICE candidates, same connections.
  const onOnline = () => { if (state.room && !state.leaving) state.room.restartIce().catch(() => {}); };
  window.addEventListener("online", onOnline);

  let reconnectTimer = null;
  function scheduleReconnect(why) {
    if (state.leaving || reconnectTimer) return;
    const old = state.room;
    state.room = null;
    if (old) { try { old.leave(); } catch (_) { /* already gone */ } }
    for (const figure of [...grid.querySelectorAll(".tile")]) if (figure.dataset.userId !== String(me.id)) figure.remove();
    state.tracks.clear();
    state.speaker = null;
    stopSharing();
    updateStage();
    state.attempts += 1;
    state.reconnects += 1;
    const delay = Math.min(10000, 500 * 2 ** (state.attempts - 1));
    setState(`reconnecting in ${Math.round(delay / 100) / 10} s (${why})`);
    announce("Connection lost, reconnecting");
    reconnectTimer = setTimeout(async () => {
      reconnectTimer = null;
      try { await connect(); } catch (error) { scheduleReconnect(error.message); }
    }, delay);
  }

  // Controls.
  micButton.addEventListener("click", () => {
    state.muted.audio = !state.muted.audio;
    if (state.room) state.room.setMuted("audio", state.muted.audio);
    else for (const t of state.stream?.getAudioTracks() || []) t.enabled = !state.muted.audio;
    micButton.setAttribute("aria-pressed", String(state.muted.audio));
    micButton.textContent = state.muted.audio ? "Unmute microphone" : "Mute microphone";
    announce(state.muted.audio ? "Microphone muted" : "Microphone on");
    renderParticipants();
  });
  cameraButton.addEventListener("click", () => {
    state.muted.video = !state.muted.video;
    if (state.room) state.room.setMuted("video", state.muted.video);
    else for (const t of state.stream?.getVideoTracks() || []) t.enabled = !state.muted.video;
    cameraButton.setAttribute("aria-pressed", String(state.muted.video));
    cameraButton.textContent = state.muted.video ? "Turn camera on" : "Turn camera off";
    announce(state.muted.video ? "Camera off" : "Camera on");
    renderParticipants();
  });

  function showSharing(track) {
    state.sharing = track;
    shareButton.setAttribute("aria-pressed", String(Boolean(track)));
    shareButton.textContent = track ? "Stop sharing" : "Share screen";
    updateStage();
    updateTile(String(me.id));
  }

  function stopSharing() {
    if (!state.sharing) return;
    const track = state.sharing;
    showSharing(null);
    track.stop();
  }

  shareButton.addEventListener("click", async () => {
    const room = state.room;
    if (!room) return;
    if (state.sharing) {
      showSharing(null);
      announce("Screen sharing stopped");
      try { await room.stopScreenShare(); } catch (error) { notices.append(alertBox("error", `Could not stop sharing: ${error.message}`)); }
      return;
    }
    shareButton.disabled = true;
    try {
      const track = await room.shareScreen();
      if (state.room !== room) { track.stop(); return; }
      // The browser's own "Stop sharing" ends the track; the Room renegotiates, the page follows.
      track.addEventListener("ended", () => { if (state.sharing === track) { showSharing(null); announce("Screen sharing stopped"); } });
      showSharing(track);
      announce("Sharing your screen");
    } catch (error) {
      // Cancelling the browser's picker is not an error worth a notice.
      if (error.name !== "NotAllowedError" && error.name !== "AbortError") notices.append(alertBox("error", `Could not share the screen: ${error.message}`, { id: "share-error" }));
    } finally {
      shareButton.disabled = !navigator.mediaDevices?.getDisplayMedia || state.ended !== null || state.leaving;
    }
  });

  function teardown() {
    state.leaving = true;
    window.removeEventListener("online", onOnline);
    resizes.disconnect();
    clearTimeout(reconnectTimer);
    for (const timer of state.timers) clearInterval(timer);
    if (state.room) { try { state.room.leave(); } catch (_) { /* already closed */ } }
    state.room = null;
    stopSharing();
    for (const track of state.stream?.getTracks() || []) track.stop();
    setState("left");
  }

  leaveButton.addEventListener("click", () => {
    teardown();
    announce("You left the room");
    navigate(`/sessions/${session.id}`);
  });
  startButton?.addEventListener("click", async () => {
    startButton.disabled = true;
    try {
      await api("POST", `/api/sessions/${session.id}/start`);
      startButton.remove();
      endButton.hidden = false;
      announce("Session started");
    } catch (error) {
      notices.append(alertBox("error", error.message));
      startButton.disabled = false;
    }
  });
  endButton?.addEventListener("click", async () => {
    endButton.disabled = true;
    try {
      await api("POST", `/api/sessions/${session.id}/complete`);
      teardown();
      navigate(`/sessions/${session.id}`);
    } catch (error) {
      notices.append(alertBox("error", error.message));
      endButton.disabled = false;
    }
  });

  /**
   * How large each remote video is shown (the larger of its tile and the stage, in device pixels), so the
   * relay sends the simulcast layer that fits and nothing for a video nobody sees. On resizes, layout
   * changes and every second (cheap: the room only sends what changed).
   */
  function reportVideoSizes() {
    const room = state.room;
    if (!room) return;
    const sizes = new Map();
    for (const video of [...grid.querySelectorAll("video"), stageVideo]) {
      const track = video.srcObject?.getVideoTracks?.()[0];
      if (!track || video.closest("[hidden]") || video.hidden) continue;
      const scale = window.devicePixelRatio || 1;
      const size = { width: video.clientWidth * scale, height: video.clientHeight * scale };
      const known = sizes.get(track);
      if (!known || known.width * known.height < size.width * size.height) sizes.set(track, size);
    }
    room.setVideoSizes(sizes);
  }
  const resizes = new ResizeObserver(() => reportVideoSizes());
  resizes.observe(grid);
  resizes.observe(stageVideo);
  state.timers.push(setInterval(reportVideoSizes, 1000));

  // Quality from getStats(): one interval's loss ratio and the worst jitter on the subscribe connection.
  state.timers.push(setInterval(async () => {
    if (!state.room) return;
    const room = state.room;
    const pc = room.subscriber;
    if (room.publisher?.connectionState === "failed" || pc?.connectionState === "failed") { scheduleReconnect("a media connection failed"); return; }
    let summary = null;
    if (pc && room.remote.size > 0) {
      try { summary = await inboundSummary(pc); } catch (_) { /* the connection closed meanwhile */ }
    }
    if (!summary) { quality.className = "indicator"; qualityText.textContent = "waiting for others"; state.quality = null; return; }
    const before = state.previous.subscriber || { packetsLost: 0, audioPacketsReceived: 0, videoPacketsReceived: 0 };
    const got = summary.audioPacketsReceived + summary.videoPacketsReceived;
    const lost = Math.max(0, summary.packetsLost - before.packetsLost);
    const received = Math.max(0, got - before.audioPacketsReceived - before.videoPacketsReceived);
    state.previous.subscriber = summary;
    state.stats.subscriber = summary;
    const ratio = lost + received > 0 ? lost / (lost + received) : 1;
    state.quality = received === 0 ? "poor" : qualityFrom(ratio, summary.jitter);
    quality.className = `indicator quality-${state.quality}`;
    qualityText.textContent = `${state.quality} (loss ${(ratio * 100).toFixed(1)}%, jitter ${Math.round(summary.jitter * 1000)} ms)`;
  }, STATS_INTERVAL_MS));

  try {
    await connect();
  } catch (error) {
    scheduleReconnect(error.message);
  }
  return teardown;
}

function withTimeout(promise, ms, message) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); })])
    .finally(() => clearTimeout(timer));
}
