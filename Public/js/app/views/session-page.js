// A session's page: what it is, its mentor, the booking panel for learners or the mentor's tools for its
// owner, and the feedback once it is completed.
import { h, render, formatDate, formatPrice } from "../dom.js";
import { api, auth, userProfile } from "../api.js";
import { statusBadge, tagList } from "../ui.js";
import { mentorCard } from "./mentor-card.js";
import { bookingPanel } from "./booking.js";
import { ownerTools } from "./mentor-tools.js";

export async function sessionView(main, { args, navigate }) {
  const [id] = args;
  const session = await api("GET", `/api/sessions/${encodeURIComponent(id)}`);
  const mentor = await userProfile(session.mentor_id);
  const me = auth.token ? auth.user : null;
  const isOwner = me && String(me.id) === String(session.mentor_id);
  const seats = h("p", { id: "seats-left" }, session.seats_left > 0
    ? `${session.seats_left} of ${session.max_participants} seats left` : `All ${session.max_participants} seats are taken`);
  const panel = h("section", { class: "card", id: "booking-panel", "aria-labelledby": "booking-title" });

  render(main,
    h("h1", {}, session.title),
    h("p", {}, statusBadge(session.status), " ", h("span", { class: "meta" }, `${formatDate(session.schedule)} · ${session.duration} minutes`)),
    h("div", { class: "grid grid-2" },
      h("div", {},
        h("section", { class: "card", "aria-labelledby": "about-title" },
          h("h2", { id: "about-title" }, "About this session"),
          h("p", { class: "description" }, session.description),
          tagList(session.skills_required, "Skills required"),
          h("p", { class: "price", id: "price" }, formatPrice(session.price)),
          seats),
        panel),
      h("div", {}, mentorCard(mentor, { withFollow: true }), isOwner ? await ownerTools(session, navigate) : null,
        session.status === "completed" ? await feedbackList(session) : null)));

  if (isOwner) { panel.remove(); return; }
  await bookingPanel(panel, session, me, seats);
}

async function feedbackList(session) {
  let items = [];
  try { items = await api("GET", `/api/sessions/${session.id}/feedback`); } catch (_) { /* none */ }
  return h("section", { class: "card", "aria-labelledby": "feedback-title" },
    h("h2", { id: "feedback-title" }, "Feedback"),
    h("ul", { class: "list", id: "feedback-list" }, items.length ? items.map((f) => h("li", {},
      h("span", { "aria-label": `${f.rating} out of 5 stars` }, "★".repeat(f.rating) + "☆".repeat(5 - f.rating)), " ",
      h("span", { class: "meta" }, f.is_anonymous ? "anonymous" : `user #${f.user_id}`),
      f.comment ? h("p", {}, f.comment) : null)) : h("li", {}, "No feedback yet.")));
}
