// Staff tools (is_staff / is_superuser accounts): find a user and deactivate or reactivate them, see their
// bookings; cancel or hide a session, hide a feedback entry; read payments, refunds and the audit log.
// Every change asks for a reason, which the server writes to the audit log.
import { h, render, field, formatDate, formatPrice } from "../dom.js";
import { api } from "../api.js";
import { alertBox, statusBadge, busy, announce } from "../ui.js";

export async function staffView(main) {
  const [payments, refunds, audit] = await Promise.all([
    api("GET", "/api/staff/payments?per_page=20"),
    api("GET", "/api/staff/refunds?per_page=20"),
    api("GET", "/api/staff/audit?per_page=50"),
  ]);
  const auditList = h("ul", { class: "list", id: "staff-audit" });
  const showAudit = (lines) => render(auditList, lines.length ? lines.map((line) => h("li", {},
    h("strong", {}, line.action), ` ${line.target_type} ${line.target_id} · ${formatDate(line.created_at)} · by #${line.staff_id}`,
    h("div", { class: "meta" }, line.reason))) : h("li", {}, "No staff action yet."));
  const refreshAudit = async () => showAudit(await api("GET", "/api/staff/audit?per_page=50"));
  showAudit(audit);

  render(main,
    h("h1", {}, "Staff tools"),
    usersCard(refreshAudit),
    h("div", { class: "grid grid-2" }, sessionCard(refreshAudit), feedbackCard(refreshAudit)),
    h("section", { class: "card", "aria-labelledby": "audit-title" }, h("h2", { id: "audit-title" }, "Audit log"), auditList),
    h("div", { class: "grid grid-2" },
      h("section", { class: "card", "aria-labelledby": "payments-title" }, h("h2", { id: "payments-title" }, "Payments"),
        h("ul", { class: "list", id: "staff-payments" }, payments.length ? payments.map((p) => h("li", {},
          `#${p.id} · ${formatPrice(p.amount)} · learner #${p.learner_id} · `, statusBadge(p.status),
          p.failure_reason ? h("div", { class: "meta" }, p.failure_reason) : null)) : h("li", {}, "No payments."))),
      h("section", { class: "card", "aria-labelledby": "refunds-title" }, h("h2", { id: "refunds-title" }, "Refunds"),
        h("ul", { class: "list", id: "staff-refunds" }, refunds.length ? refunds.map((r) => h("li", {},
          `#${r.id} · ${formatPrice(r.amount)} · charge ${r.charge_id} · `, statusBadge(r.status))) : h("li", {}, "No refunds.")))));
}

function reasonInput(id) {
  return h("input", { id, name: "reason", required: true, maxlength: 1000 });
}

function usersCard(afterChange) {
  const q = h("input", { id: "staff-user-query", name: "q", type: "search", required: true });
  const results = h("ul", { class: "list", id: "staff-users" });
  const errors = h("div");
  const search = async (event) => {
    event.preventDefault();
    await busy(event.submitter || event.currentTarget, errors, async () => {
      const users = await api("GET", `/api/staff/users?q=${encodeURIComponent(q.value.trim())}`);
      render(results, users.length ? users.map((u) => userItem(u, afterChange)) : h("li", {}, "Nobody matches."));
    });
  };
  return h("section", { class: "card", "aria-labelledby": "users-title" },
    h("h2", { id: "users-title" }, "Users"),
    h("form", { id: "staff-user-search", onsubmit: search }, field("Username or email", q),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Find"))),
    errors, results);
}

function userItem(entry, afterChange) {
  const { user } = entry;
  const errors = h("div");
  const reason = reasonInput(`reason-user-${user.id}`);
  const state = h("span", { class: "account-state" }, entry.is_active ? "active" : "deactivated");
  const bookings = h("ul", { class: "list" });
  const toggle = async (event) => busy(event.currentTarget, errors, async () => {
    const action = entry.is_active ? "deactivate" : "reactivate";
    Object.assign(entry, await api("POST", `/api/staff/users/${user.id}/${action}`, { reason: reason.value.trim() }));
    state.textContent = entry.is_active ? "active" : "deactivated";
    button.textContent = entry.is_active ? "Deactivate" : "Reactivate";
    announce(`${user.username} ${state.textContent}`);
    await afterChange();
  });
  const button = h("button", { type: "button", class: "secondary", onclick: toggle }, entry.is_active ? "Deactivate" : "Reactivate");
  const showBookings = async (event) => busy(event.currentTarget, errors, async () => {
    const list = await api("GET", `/api/staff/users/${user.id}/bookings`);
    render(bookings, list.length ? list.map((b) => h("li", {}, `session ${b.session_id} · `, statusBadge(b.status),
      ` · ${formatPrice(b.payment_amount)} (${b.payment_status})`)) : h("li", {}, "No bookings."));
  });
  return h("li", { class: "staff-user", dataset: { userId: user.id } },
    h("strong", {}, user.username), ` · ${user.email || ""} · ${user.role} · `, state,
    h("label", { for: reason.id }, `Reason for ${user.username}`), reason,
    h("div", { class: "actions" }, button,
      h("button", { type: "button", class: "secondary", onclick: showBookings }, "Bookings")),
    errors, bookings);
}

function sessionCard(afterChange) {
  const id = h("input", { id: "staff-session-id", name: "session_id", required: true });
  const reason = reasonInput("staff-session-reason");
  const errors = h("div");
  const act = (path, body, done) => async (event) => busy(event.currentTarget, errors, async () => {
    await api("POST", `/api/staff/sessions/${encodeURIComponent(id.value.trim())}/${path}`, { ...body, reason: reason.value.trim() });
    errors.append(alertBox("success", done));
    await afterChange();
  });
  return h("section", { class: "card", "aria-labelledby": "staff-sessions-title" },
    h("h2", { id: "staff-sessions-title" }, "A session"),
    field("Session id", id), field("Reason", reason, "Learners see it when a session is cancelled"),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: act("cancel", {}, "Cancelled; bookings refunded") }, "Cancel with refunds"),
      h("button", { type: "button", class: "secondary", onclick: act("hidden", { hidden: true }, "Hidden from the catalog") }, "Hide"),
      h("button", { type: "button", class: "secondary", onclick: act("hidden", { hidden: false }, "Shown in the catalog") }, "Show")),
    errors);
}

function feedbackCard(afterChange) {
  const id = h("input", { id: "staff-feedback-id", name: "feedback_id", type: "number", min: 1, required: true });
  const reason = reasonInput("staff-feedback-reason");
  const errors = h("div");
  const act = (hidden) => async (event) => busy(event.currentTarget, errors, async () => {
    await api("POST", `/api/staff/feedback/${encodeURIComponent(id.value)}/hidden`, { hidden, reason: reason.value.trim() });
    errors.append(alertBox("success", hidden ? "Feedback hidden" : "Feedback shown"));
    await afterChange();
  });
  return h("section", { class: "card", "aria-labelledby": "staff-feedback-title" },
    h("h2", { id: "staff-feedback-title" }, "A feedback entry"),
    field("Feedback id", id), field("Reason", reason),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: act(true) }, "Hide feedback"),
      h("button", { type: "button", class: "secondary", onclick: act(false) }, "Show feedback")),
    errors);
}
