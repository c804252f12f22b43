// Mentorship requests: the mentor's inbox (accept arranges a private session, decline answers) and the
// learner's "My requests", which links an accepted one to its session to book and pay.
import { h, render, formatDate } from "../dom.js";
import { api, userProfile, displayName } from "../api.js";
import { statusBadge, busy, announce } from "../ui.js";

/** One incoming request, answerable while pending; `onUpdate` gets the answered request. */
export function mentorRequestItem(request, onUpdate) {
  const errors = h("div");
  const learner = h("span", {}, `learner #${request.learner_id}`);
  userProfile(request.learner_id).then((u) => { learner.textContent = displayName(u); }).catch(() => {});
  const reply = h("input", { id: `reply-${request.id}`, name: "response_message", placeholder: "Optional" });
  // The learner may have given no time (or one that passed): the mentor then picks it.
  const when = h("input", { id: `when-${request.id}`, name: "schedule", type: "datetime-local" });
  const answer = (action) => async (event) => busy(event.currentTarget, errors, async () => {
    const body = { response_message: reply.value.trim() || undefined };
    if (action === "accept" && when.value) body.schedule = new Date(when.value).toISOString();
    const updated = await api("POST", `/api/requests/${request.id}/${action}`, body);
    announce(`Request ${updated.status}`);
    onUpdate(updated);
  });
  return h("li", { class: "request-item", dataset: { requestId: request.id } },
    h("strong", {}, request.subject), " ", statusBadge(request.status),
    h("div", { class: "meta" }, "From ", learner,
      request.preferred_schedule ? ` · prefers ${formatDate(request.preferred_schedule)}` : " · no preferred time",
      request.duration_requested ? ` · ${request.duration_requested} min` : ""),
    h("p", {}, request.message),
    request.response_message ? h("p", { class: "meta" }, `Your reply: ${request.response_message}`) : null,
    request.session_id ? h("p", {}, h("a", { href: `#/sessions/${request.session_id}`, class: "private-session" }, "Private session arranged")) : null,
    request.status === "pending" ? h("div", {},
      h("label", { for: reply.id }, `Reply to “${request.subject}”`), reply,
      h("label", { for: when.id }, request.preferred_schedule ? "Another time (optional)" : "Time (needed to accept)"), when,
      h("div", { class: "actions" },
        h("button", { type: "button", onclick: answer("accept") }, "Accept"),
        h("button", { type: "button", class: "secondary", onclick: answer("decline") }, "Decline")),
      errors) : null);
}

/** The learner's own requests, newest first. */
export function learnerRequestList(requests) {
  return h("ul", { class: "list", id: "my-requests" }, requests.length ? requests.map((request) => {
    const mentor = h("span", {}, `mentor #${request.mentor_id}`);
    userProfile(request.mentor_id).then((u) => { mentor.textContent = displayName(u); }).catch(() => {});
    return h("li", { class: "request-item", dataset: { requestId: request.id } },
      h("strong", {}, request.subject), " ", statusBadge(request.status),
      h("div", { class: "meta" }, "To ", mentor,
        request.preferred_schedule ? ` · for ${formatDate(request.preferred_schedule)}` : ""),
      request.response_message ? h("p", { class: "meta" }, `Reply: ${request.response_message}`) : null,
      request.session_id ? h("div", { class: "actions" },
        h("a", { class: "button", href: `#/sessions/${request.session_id}` }, "Your private session")) : null);
  }) : h("li", {}, "No requests yet. Ask a mentor from their profile."));
}
