// Who is in the room: everyone the room socket lists (you first, with your own mute state), their display
// names, and the live participant list beside the video.
import { h } from "../../dom.js";
import { userProfile, displayName } from "../../api.js";

/** The room's participants now, you first; empty before the room answers. */
export function participantsNow(state) {
  const list = state.room ? [...state.room.participants.values()] : [];
  const mine = state.room?.me ? { ...state.room.me, muted: state.muted, publishing: state.stream ? state.stream.getTracks().map((t) => t.kind) : [] } : null;
  return mine ? [mine, ...list.filter((p) => String(p.userId) !== String(mine.userId))] : list;
}

/** userId → a promise of their display name, fetched once per page (tiles, list and stage ask for the same people). */
export function nameLookup() {
  const names = new Map();
  return async function nameOf(userId) {
    if (!names.has(userId)) {
      names.set(userId, userProfile(userId).then(displayName).catch(() => `Participant #${userId}`));
    }
    return names.get(userId);
  };
}

/**
 * The participant list (`items`, a <ul>) and its `count`: one item per participant with their role and mute
 * state; each change also refreshes that participant's tile (`updateTile`). Returns the function that redraws it.
 */
export function participantList({ items, count, state, me, nameOf, updateTile }) {
  return async function renderParticipants() {
    const list = participantsNow(state);
    const ids = new Set(list.map((p) => String(p.userId)));
    for (const li of [...items.children]) if (!ids.has(li.dataset.userId)) li.remove();
    for (const p of list) {
      const userId = String(p.userId);
      let li = items.querySelector(`[data-user-id="${CSS.escape(userId)}"]`);
      if (!li) {
        li = h("li", { dataset: { userId } }, h("span", { class: "who" }, `#${userId}`), h("span", { class: "meta state" }));
        items.append(li);
        const isMe = userId === String(me.id);
        (isMe ? Promise.resolve(`${displayName(me)} (you)`) : nameOf(userId)).then((name) => { li.querySelector(".who").textContent = name; });
      }
      const muted = p.muted || {};
      li.querySelector(".state").textContent = [p.role === "host" ? "mentor" : "learner", muted.audio ? "muted" : null, muted.video ? "camera off" : null].filter(Boolean).join(" · ");
      updateTile(userId);
    }
    count.textContent = `(${list.length})`;
  };
}
