// Your own media in the room: the camera and microphone (audio-only when there is no camera, watch-only
// when there is neither), and the buttons that mute them, turn the camera off and share the screen.
import { alertBox, announce } from "../../ui.js";

/**
 * Media first: the seed's "Permission granted? NO → Audio-only mode". Sets `state.stream` (null when
 * nothing is available) and `state.audioOnly`, says so in `notices` and disables the buttons that cannot work.
 */
export async function openLocalMedia(state, { notices, micButton, cameraButton }) {
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
}

/**
 * Wires the mute, camera and share buttons. Muting goes through the room when joined (others see it) and
 * straight to the tracks otherwise. `onMuteChange` and `onSharingChange` let the page redraw; the returned
 * `stopSharing` ends a share (on a rejoin or when leaving).
 */
export function mediaControls({ state, micButton, cameraButton, shareButton, notices, onMuteChange, onSharingChange }) {
  micButton.addEventListener("click", () => {
    state.muted.audio = !state.muted.audio;
    if (state.room) state.room.setMuted("audio", state.muted.audio);
    else for (const t of state.stream?.getAudioTracks() || []) t.enabled = !state.muted.audio;
    micButton.setAttribute("aria-pressed", String(state.muted.audio));
    micButton.textContent = state.muted.audio ? "Unmute microphone" : "Mute microphone";
    announce(state.muted.audio ? "Microphone muted" : "Microphone on");
    onMuteChange();
  });
  cameraButton.addEventListener("click", () => {
    state.muted.video = !state.muted.video;
    if (state.room) state.room.setMuted("video", state.muted.video);
    else for (const t of state.stream?.getVideoTracks() || []) t.enabled = !state.muted.video;
    cameraButton.setAttribute("aria-pressed", String(state.muted.video));
    cameraButton.textContent = state.muted.video ? "Turn camera on" : "Turn camera off";
    announce(state.muted.video ? "Camera off" : "Camera on");
    onMuteChange();
  });

  function showSharing(track) {
    state.sharing = track;
    shareButton.setAttribute("aria-pressed", String(Boolean(track)));
    shareButton.textContent = track ? "Stop sharing" : "Share screen";
    onSharingChange();
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

  return { stopSharing };
}
