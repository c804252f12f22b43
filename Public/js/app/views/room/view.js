// The room page: a video grid through the relay with the mentor emphasised and a stage above it, the
// controls (mute / camera off / share screen / leave, and for the mentor start / complete), the connection
// state and quality, the participant list, and how the page ends (left, access denied, session ended).
// The pieces: local-media.js (your media and its buttons), connection.js (joining and rejoining),
// tiles.js (grid and stage), participants.js (the list), quality.js (getStats), video-sizes.js.
import { h, render } from "../../dom.js";
import { api, auth } from "../../api.js";
import { alertBox, announce } from "../../ui.js";
import { openLocalMedia, mediaControls } from "./local-media.js";
import { roomConnection } from "./connection.js";
import { roomTiles } from "./tiles.js";
import { nameLookup, participantList } from "./participants.js";
import { watchQuality } from "./quality.js";
import { watchVideoSizes } from "./video-sizes.js";

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
  const participantItems = h("ul", { class: "list participants", id: "participants", "aria-live": "polite", "aria-relevant": "additions removals" });
  const participantCount = h("span", { id: "participant-count" });
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
        h("h2", { id: "participants-title" }, "Participants ", participantCount),
        participantItems)));

  // State shared by the pieces below (and exposed for the browser tests).
  const state = {
    room: null, ended: null, stream: null, audioOnly: false, muted: { audio: false, video: false }, leaving: false,
    attempts: 0, reconnects: 0, stats: {}, previous: {}, quality: null, state: "connecting", timers: [],
    /** userId → { microphone, camera, screen }: the remote tracks the subscribe connection carries. */
    tracks: new Map(), speaker: null, staged: null, sharing: null,
  };
  window.peerlearnRoomPage = state;
  const setState = (text) => { state.state = text; connectionState.textContent = text; };

  await openLocalMedia(state, { notices, micButton, cameraButton });

  const nameOf = nameLookup();
  const tiles = roomTiles({ grid, stage, stageVideo, stageCaption, state, me, isHost, nameOf });
  const renderParticipants = participantList({ items: participantItems, count: participantCount, state, me, nameOf, updateTile: tiles.updateTile });
  const { stopSharing } = mediaControls({
    state, micButton, cameraButton, shareButton, notices,
    onMuteChange: () => renderParticipants(),
    onSharingChange: () => { tiles.updateStage(); tiles.updateTile(String(me.id)); },
  });
  const connection = roomConnection({
    session, state, setState,
    callbacks: {
      onParticipants: () => renderParticipants(),
      ...tiles.events,
      // The server says so on the room socket the moment the mentor completes or cancels: no polling.
      onSessionEnded: (reason) => sessionEnded(reason),
    },
    onJoined: () => { tiles.showLocal(); renderParticipants(); },
    onDenied: (reason) => deny(reason),
    onEnded: (reason) => sessionEnded(reason),
    onReset: () => { tiles.clearRemote(); stopSharing(); tiles.updateStage(); },
  });

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

  function teardown() {
    state.leaving = true;
    stopVideoSizes();
    for (const timer of state.timers) clearInterval(timer);
    connection.stop();
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

  const stopVideoSizes = watchVideoSizes({ state, grid, stageVideo });
  watchQuality({ state, indicator: quality, text: qualityText, onFailed: (why) => connection.scheduleReconnect(why) });

  try {
    await connection.connect();
  } catch (error) {
    connection.scheduleReconnect(error.message);
  }
  return teardown;
}
