// Joining the room and staying in it: a room token, the room socket, publishing (simulcast), and after a
// network blip first an ICE restart on the same connections, then, if that fails, a rejoin with backoff.
// Two peer connections at most (relay-client.js `Room`), however many take part.
import { api } from "../../api.js";
import { Room } from "../../../relay-client.js";
import { announce } from "../../ui.js";

/** How long a dropped media connection gets to come back (an ICE restart included) before the page rejoins. */
const DISCONNECTED_GRACE_MS = 8000;
/** A connection still "disconnected" after this restarts ICE (a changed network rarely recovers alone). */
const ICE_RESTART_AFTER_MS = 1500;

/**
 * The room connection of one page. `callbacks` are the `Room` callbacks (only the current room's reach the
 * page); `onJoined` runs once published, `onDenied(reason)` when the server refuses, `onEnded(reason)` when
 * the session is over (reason null: ask the session), `onReset` when a rejoin drops everyone's media.
 */
export function roomConnection({ session, state, setState, callbacks, onJoined, onDenied, onEnded, onReset }) {
  async function connect() {
    setState(state.attempts ? `reconnecting (attempt ${state.attempts})` : "connecting");
    let token;
    try {
      token = await api("POST", `/api/sessions/${session.id}/room-token`);
    } catch (error) {
      // The seed's "Authorized? NO → Show access denied → END".
      // Rejoining a room whose session ended meanwhile (the socket was down when it was announced).
      if (error.status === 409 && error.code === "room_closed") { await onEnded(null); return; }
      if (error.status === 403 || error.status === 404 || error.status === 409) { onDenied(error.reason || error.message); return; }
      throw error;
    }
    // Callbacks of a room that was replaced by a rejoin must not touch the page any more.
    const holder = {};
    const guarded = Object.fromEntries(Object.entries(callbacks).map(([name, callback]) =>
      [name, (...values) => { if (state.room === holder.room) callback(...values); }]));
    // Signal where the control plane placed the room: a relay node of its own, or this origin.
    const room = new Room(token.relay ? token.relay.url : location.origin, token.meeting_room_id, token.token, guarded);
    holder.room = room;
    state.room = room;
    room.socket.addEventListener("close", (event) => {
      if (state.room !== room || state.leaving) return;
      if (event.code === 4410) { onEnded(room.ended || null); return; }  // session-ended was lost (a full outbox)
      if (event.code >= 4400 && event.code < 4500) { onDenied(`the room refused the connection (${event.code - 4000})`); return; }
      scheduleReconnect("the room connection closed");
    });
    await withTimeout(room.ready, 10000, "the room did not answer");
    if (state.stream) {
      const pc = await withTimeout(room.publish(state.stream, { simulcast: true }), 15000, "publishing timed out");
      watchConnection(room, pc);
      if (state.muted.audio) room.setMuted("audio", true);
      if (state.muted.video) room.setMuted("video", true);
    }
    state.attempts = 0;
    setState("connected");
    onJoined();
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
  /** Leaves the current room and joins again after a backoff (0.5 s doubling up to 10 s), once at a time. */
  function scheduleReconnect(why) {
    if (state.leaving || reconnectTimer) return;
    const old = state.room;
    state.room = null;
    if (old) { try { old.leave(); } catch (_) { /* already gone */ } }
    onReset();
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

  /** Leaves the room for good: no rejoin, no ICE restart. */
  function stop() {
    window.removeEventListener("online", onOnline);
    clearTimeout(reconnectTimer);
    if (state.room) { try { state.room.leave(); } catch (_) { /* already closed */ } }
    state.room = null;
  }

  return { connect, scheduleReconnect, stop };
}

function withTimeout(promise, ms, message) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); })])
    .finally(() => clearTimeout(timer));
}
