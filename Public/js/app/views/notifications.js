// After the session: the feedback form (1–5 stars, comment, anonymous), and the notifications list.
import { h, render, field, formatDate } from "../dom.js";
import { api, auth } from "../api.js";
import { alertBox, showErrors, clearErrors, busy, announce } from "../ui.js";

const unreadChanged = () => window.dispatchEvent(new Event("peerlearn:unread"));

export async function notificationsView(main) {
  const items = await api("GET", "/api/notifications");
  const list = h("ul", { class: "list card", id: "notifications", "aria-label": "Notifications" });
  const count = h("p", { role: "status", id: "unread-summary" });
  const errors = h("div");
  const update = () => {
    const unread = items.filter((n) => !n.is_read).length;
    count.textContent = `${unread} unread of ${items.length}`;
    render(list, items.length ? items.map(item) : h("li", {}, "No notifications yet."));
    unreadChanged();
  };
  const item = (n) => h("li", { class: n.is_read ? "" : "unread", dataset: { notificationId: n.id } },
    h("strong", {}, n.title), n.is_read ? null : h("span", { class: "visually-hidden" }, " (unread)"),
    h("div", { class: "meta" }, `${formatDate(n.created_at)} · ${n.notification_type} · ${n.priority} priority`),
    h("p", {}, n.message),
    h("div", { class: "actions" },
      n.action_url ? h("a", { class: "button secondary", href: appLink(n.action_url), "aria-label": `Open “${n.title}”` }, "Open") : null,
      n.is_read ? null : h("button", { type: "button", class: "secondary", "aria-label": `Mark “${n.title}” as read`,
        onclick: (e) => busy(e.currentTarget, errors, async () => {
          Object.assign(n, await api("POST", `/api/notifications/${n.id}/read`));
          update();
          announce("Marked as read");
        }) }, "Mark as read")));
  render(main,
    h("h1", {}, "Notifications"),
    count,
    h("div", { class: "actions" }, h("button", { type: "button", id: "read-all", onclick: (e) => busy(e.currentTarget, errors, async () => {
      await api("POST", "/api/notifications/read-all");
      for (const n of items) n.is_read = true;
      update();
      announce("All notifications marked as read");
    }) }, "Mark all as read")),
    errors,
    list);
  update();
}

/** The API's action URLs point at API paths (/api/sessions/{id}) or app paths; show the app page. */
function appLink(url) {
  const match = /\/sessions\/([0-9a-fA-F-]{36})(\/feedback)?/.exec(url);
  if (match) return `#/sessions/${match[1]}${match[2] || ""}`;
  return url.startsWith("#") ? url : "#/dashboard";
}

export async function feedbackView(main, { args }) {
  const [id] = args;
  const session = await api("GET", `/api/sessions/${encodeURIComponent(id)}`);
  const heading = h("h1", {}, `How was “${session.title}”?`);
  if (session.status !== "completed") {
    render(main, heading, alertBox("info", "Feedback opens once the mentor completes the session."),
      h("p", {}, h("a", { href: `#/sessions/${session.id}` }, "Back to the session")));
    return;
  }
  const stars = h("fieldset", { class: "stars-field" },
    h("legend", {}, "Rating"),
    h("div", { class: "stars" }, [1, 2, 3, 4, 5].map((n) => h("label", { class: "choice" },
      h("input", { type: "radio", name: "rating", value: String(n), required: true }),
      `${"★".repeat(n)} ${n} star${n === 1 ? "" : "s"}`))),
    h("span", { id: "rating-error", class: "field-error", role: "alert" }));
  const form = h("form", { id: "feedback-form", novalidate: true, "aria-labelledby": "feedback-form-title" },
    stars,
    field("Comment", h("textarea", { name: "comment", maxlength: 5000 }), "Optional: what worked, what could be better"),
    h("label", { class: "choice" }, h("input", { type: "checkbox", name: "is_anonymous" }), "Post anonymously"),
    h("div", { class: "form-error", tabindex: "-1" }),
    h("button", { type: "submit" }, "Send feedback"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const data = new FormData(form);
    if (!data.get("rating")) {
      form.querySelector("#rating-error").textContent = "Choose a rating from 1 to 5 stars.";
      form.querySelector("input[name=rating]").focus();
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await api("POST", `/api/sessions/${session.id}/feedback`, {
        rating: Number(data.get("rating")), comment: data.get("comment").trim() || undefined,
        is_anonymous: data.get("is_anonymous") === "on",
      });
      render(main, h("h1", {}, "Thank you!"),
        alertBox("success", "Your feedback was recorded.", { id: "feedback-thanks" }),
        h("p", {}, h("a", { href: `#/sessions/${session.id}` }, "Back to the session"), " · ", h("a", { href: "#/dashboard" }, "Dashboard")));
      main.querySelector("h1").focus?.();
      announce("Feedback sent");
    } catch (error) {
      showErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
  render(main, h("div", { class: "card", style: "max-width: 36rem" },
    heading,
    h("p", { class: "meta" }, `With ${auth.user?.role === "mentor" ? "your learners" : "your mentor"} · ${formatDate(session.schedule)}`),
    h("h2", { id: "feedback-form-title", class: "visually-hidden" }, "Feedback form"),
    form));
}
