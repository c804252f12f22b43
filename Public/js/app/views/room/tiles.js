// What the room shows: a tile per participant (their camera and microphone, the mentor's first, the
// speaker's highlighted, flags for muted / camera off / audio only / sharing) and the stage above the grid
// (a screen share, else whoever speaks). Follows the room's track, speaker and mute events.
import { h } from "../../dom.js";
import { participantsNow } from "./participants.js";

/**
 * The grid and the stage of one room page. `state.tracks` (userId → { microphone, camera, screen }) holds
 * the remote tracks the subscribe connection carries; `state.speaker` and `state.sharing` the rest.
 */
export function roomTiles({ grid, stage, stageVideo, stageCaption, state, me, isHost, nameOf }) {
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

  function updateTile(userId) {
    const figure = grid.querySelector(`[data-user-id="${CSS.escape(userId)}"]`);
    if (!figure) return;
    const p = participantsNow(state).find((x) => String(x.userId) === userId);
    const isMe = userId === String(me.id);
    const host = isMe ? isHost : p?.role === "host";
    figure.classList.toggle("host", Boolean(host));
    const muted = isMe ? state.muted : (p?.muted || {});
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

  /** Your own tile, once joined: your camera (muted for you), or no tile when you publish nothing. */
  function showLocal() {
    const local = tile(String(me.id));
    const video = local.querySelector("video");
    if (state.stream && video.srcObject !== state.stream) video.srcObject = state.stream;
    if (!state.stream) local.remove();
  }

  /** Forgets everyone else's media (a rejoin brings it back): their tiles, tracks and the speaker. */
  function clearRemote() {
    for (const figure of [...grid.querySelectorAll(".tile")]) if (figure.dataset.userId !== String(me.id)) figure.remove();
    state.tracks.clear();
    state.speaker = null;
  }

  /** The room's media events (relay-client.js `Room` callbacks). */
  const events = {
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
  };

  return { updateTile, updateStage, showLocal, clearRemote, events };
}
