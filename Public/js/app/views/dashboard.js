// The dashboards: a mentor's sessions, incoming requests and upcoming sessions; a learner's bookings,
// requests, followed mentors and popular sessions.
import { h, render, formatDate, formatPrice } from "../dom.js";
import { api, auth, query, allPages, displayName } from "../api.js";
import { sessionItem, statusBadge } from "../ui.js";
import { mentorRequestItem, learnerRequestList } from "./requests.js";

export async function dashboardView(main) {
  const user = auth.user;
  return user.role === "mentor" ? mentorDashboard(main, user) : learnerDashboard(main, user);
}

async function mentorDashboard(main, user) {
  // The mentor's own sessions in every status, newest first (listing them counts no views).
  const [sessions, requests] = await Promise.all([allPages("/api/me/sessions"), api("GET", "/api/requests")]);
  const upcoming = sessions.filter((s) => s.status === "scheduled" || s.status === "active")
    .sort((a, b) => Date.parse(a.schedule) - Date.parse(b.schedule));
  const requestsList = h("ul", { class: "list", id: "incoming-requests" });
  const renderRequests = () => render(requestsList, requests.length
    ? requests.map((r) => mentorRequestItem(r, (updated) => { Object.assign(r, updated); renderRequests(); }))
    : h("li", {}, "No requests yet."));
  renderRequests();
  render(main,
    h("h1", {}, `Welcome, ${user.first_name || user.username}`),
    h("div", { class: "actions" }, h("a", { class: "button", href: "#/sessions/new" }, "Create a session")),
    h("div", { class: "grid grid-2" },
      h("section", { class: "card", "aria-labelledby": "upcoming-title" },
        h("h2", { id: "upcoming-title" }, "Upcoming"),
        h("ul", { class: "list" }, upcoming.length ? upcoming.map((s) => sessionItem(s, s.status === "active"
          ? h("a", { class: "button", href: `#/sessions/${s.id}/room` }, "Join room") : null)) : h("li", {}, "Nothing scheduled."))),
      h("section", { class: "card", "aria-labelledby": "requests-title" },
        h("h2", { id: "requests-title" }, "Incoming requests"), requestsList)),
    h("section", { class: "card", "aria-labelledby": "mine-title" },
      h("h2", { id: "mine-title" }, "My sessions"),
      h("ul", { class: "list", id: "my-sessions" }, sessions.length ? sessions.map((s) => sessionItem(s)) : h("li", {}, "You have not created a session yet."))));
}

async function learnerDashboard(main, user) {
  const [bookings, popular, mentors, requests] = await Promise.all([
    api("GET", "/api/bookings"),
    api("GET", `/api/sessions${query({ sort: "popularity", per_page: 5 })}`),
    api("GET", "/api/me/follows"),
    api("GET", "/api/requests"),
  ]);
  const sessions = new Map();
  await Promise.all([...new Set(bookings.map((b) => b.session_id))].map(async (id) => {
    try { sessions.set(id, await api("GET", `/api/sessions/${id}`)); } catch (_) { /* deleted or hidden */ }
  }));
  const followed = h("ul", { class: "list", id: "followed-mentors" });
  render(followed, mentors.length
    ? mentors.map((m) => h("li", {}, h("a", { href: `#/mentors/${m.id}` }, displayName(m))))
    : h("li", {}, "You do not follow any mentor yet."));
  render(main,
    h("h1", {}, `Welcome, ${user.first_name || user.username}`),
    h("section", { class: "card", "aria-labelledby": "bookings-title" },
      h("h2", { id: "bookings-title" }, "My bookings"),
      h("ul", { class: "list", id: "my-bookings" }, bookings.length ? bookings.map((b) => bookingItem(b, sessions.get(b.session_id)))
        : h("li", {}, "No bookings yet. ", h("a", { href: "#/sessions" }, "Browse sessions")))),
    h("section", { class: "card", "aria-labelledby": "requests-title" },
      h("h2", { id: "requests-title" }, "My requests"), learnerRequestList(requests)),
    h("div", { class: "grid grid-2" },
      h("section", { class: "card", "aria-labelledby": "followed-title" }, h("h2", { id: "followed-title" }, "Mentors I follow"), followed),
      h("section", { class: "card", "aria-labelledby": "popular-title" },
        h("h2", { id: "popular-title" }, "Popular sessions"),
        h("ul", { class: "list" }, popular.items.length ? popular.items.map((s) => sessionItem(s)) : h("li", {}, "Nothing scheduled.")))));
}

function bookingItem(booking, session) {
  const title = session ? session.title : `Session ${booking.session_id}`;
  let action = null;
  if (session && booking.status === "confirmed" && (session.status === "active" || session.status === "scheduled")) {
    action = h("a", { class: "button", href: `#/sessions/${session.id}/room` }, session.status === "active" ? "Join room" : "Open room");
  } else if (session && session.status === "completed" && booking.attendance_status !== "absent") {
    action = h("a", { class: "button secondary", href: `#/sessions/${session.id}/feedback` }, "Leave feedback");
  }
  return h("li", { class: "booking-item", dataset: { sessionId: booking.session_id } },
    h("a", { href: `#/sessions/${booking.session_id}` }, h("strong", {}, title)), " ", statusBadge(booking.status),
    h("div", { class: "meta" },
      session ? `${formatDate(session.schedule)} · session ${session.status} · ` : "",
      `paid ${formatPrice(booking.payment_amount)} (${booking.payment_status})`,
      booking.attendance_status ? ` · ${booking.attendance_status}` : ""),
    action ? h("div", { class: "actions" }, action) : null);
}
