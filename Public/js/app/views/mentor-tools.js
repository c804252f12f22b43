// The mentor's tools on their own session's page: edit, the status transitions (schedule, start,
// complete, cancel with a confirmation), the room link and who booked.
import { h, render } from "../dom.js";
import { api, userProfile, displayName } from "../api.js";
import { statusBadge, busy, announce } from "../ui.js";

export async function ownerTools(session, navigate) {
  const errors = h("div");
  const transition = (name, label, extra = {}) => h("button", { type: "button", id: `${name}-button`, ...extra, onclick: (e) => busy(e.currentTarget, errors, async () => {
    await api("POST", `/api/sessions/${session.id}/${name}`);
    announce(`Session ${label.toLowerCase()}`);
    navigate(`/sessions/${session.id}?${name}=${Date.now()}`);
  }) }, label);
  const cancelArea = h("span");
  const askCancel = () => render(cancelArea,
    h("span", { role: "group", "aria-label": "Confirm cancellation" }, "Cancel this session and refund every booking? ",
      transition("cancel", "Yes, cancel it", { class: "danger" }),
      h("button", { type: "button", class: "secondary", onclick: () => render(cancelArea, cancelButton()) }, "Keep it")));
  const cancelButton = () => h("button", { type: "button", class: "secondary", id: "ask-cancel", onclick: askCancel }, "Cancel session");
  render(cancelArea, cancelButton());
  const s = session.status;
  let bookings = [];
  try { bookings = await api("GET", `/api/sessions/${session.id}/bookings`); } catch (_) { /* shown empty */ }
  const learners = await Promise.all(bookings.map(async (b) => {
    let name = `learner #${b.learner_id}`;
    try { name = displayName(await userProfile(b.learner_id)); } catch (_) { /* keep the id */ }
    return h("li", {}, name, " ", statusBadge(b.status), h("span", { class: "meta" }, ` ${b.payment_status}${b.attendance_status ? ` · ${b.attendance_status}` : ""}`));
  }));
  return h("section", { class: "card", "aria-labelledby": "tools-title", id: "mentor-tools" },
    h("h2", { id: "tools-title" }, "Mentor tools"),
    h("div", { class: "actions" },
      s === "draft" || s === "scheduled" ? h("a", { class: "button secondary", href: `#/sessions/${session.id}/edit` }, "Edit") : null,
      s === "draft" ? transition("schedule", "Schedule") : null,
      s === "scheduled" ? transition("start", "Start") : null,
      s === "scheduled" || s === "active" ? h("a", { class: "button", href: `#/sessions/${session.id}/room`, id: "join-room" }, "Join room") : null,
      s === "active" ? transition("complete", "Complete") : null,
      s === "completed" ? h("a", { class: "button secondary", href: `#/sessions/${session.id}/feedback` }, "Leave feedback") : null,
      s === "draft" || s === "scheduled" ? cancelArea : null),
    errors,
    h("h3", {}, `Bookings (${bookings.filter((b) => b.status !== "cancelled").length})`),
    h("ul", { class: "list", id: "session-bookings" }, learners.length ? learners : h("li", {}, "No bookings yet.")));
}
