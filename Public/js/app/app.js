// The PeerLearn single-page app: hash routes, the header navigation and the unread-notification count.
import { h, render } from "./dom.js";
import { api, auth } from "./api.js";
import { alertBox } from "./ui.js";
import { landingView, loginView, registerView } from "./views/auth.js";
import { dashboardView } from "./views/dashboard.js";
import { browseView } from "./views/browse.js";
import { sessionView } from "./views/session-page.js";
import { sessionFormView } from "./views/session-form.js";
import { mentorView } from "./views/mentor.js";
import { notificationsView, feedbackView } from "./views/notifications.js";
import { roomView } from "./views/room/view.js";
import { staffView } from "./views/staff.js";

const routes = [
  [/^\/?$/, landingView, { title: "Welcome" }],
  [/^\/login$/, loginView, { title: "Log in" }],
  [/^\/register$/, registerView, { title: "Register" }],
  [/^\/dashboard$/, dashboardView, { title: "Dashboard", signedIn: true }],
  [/^\/sessions$/, browseView, { title: "Browse sessions" }],
  [/^\/sessions\/new$/, sessionFormView, { title: "New session", signedIn: true }],
  [/^\/sessions\/([^/]+)\/edit$/, sessionFormView, { title: "Edit session", signedIn: true }],
  [/^\/sessions\/([^/]+)\/room$/, roomView, { title: "Session room", signedIn: true }],
  [/^\/sessions\/([^/]+)\/feedback$/, feedbackView, { title: "Feedback", signedIn: true }],
  [/^\/sessions\/([^/]+)$/, sessionView, { title: "Session" }],
  [/^\/mentors\/([^/]+)$/, mentorView, { title: "Mentor" }],
  [/^\/notifications$/, notificationsView, { title: "Notifications", signedIn: true }],
  [/^\/staff$/, staffView, { title: "Staff tools", signedIn: true }],
];

const main = document.getElementById("main");
let cleanup = null;
let renderCount = 0;

export function navigate(path) {
  if (location.hash === `#${path}`) route();
  else location.hash = path;
}

async function route() {
  if (cleanup) { try { cleanup(); } catch (_) { /* the old view is gone anyway */ } cleanup = null; }
  const path = decodeURIComponent(location.hash.replace(/^#/, "").split("?")[0]) || "/";
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const match = routes.find(([pattern]) => pattern.test(path));
  renderNav();
  const thisRender = ++renderCount;
  if (!match) {
    render(main, h("h1", {}, "Page not found"), h("p", {}, h("a", { href: "#/" }, "Go to the start page")));
    return;
  }
  const [pattern, view, options] = match;
  if (options.signedIn && !auth.token) {
    sessionStorage.setItem("peerlearn.afterLogin", path);
    navigate("/login");
    return;
  }
  document.title = `${options.title} · PeerLearn`;
  render(main, h("p", { "aria-busy": "true" }, "Loading…"));
  try {
    const args = pattern.exec(path).slice(1);
    const result = await view(main, { args, params, navigate, stale: () => thisRender !== renderCount });
    if (thisRender !== renderCount) { if (typeof result === "function") result(); return; }
    if (typeof result === "function") cleanup = result;
  } catch (error) {
    if (thisRender !== renderCount) return;
    if (error.status === 401) {  // the access token expired: sign in again, then come back here
      sessionStorage.setItem("peerlearn.afterLogin", path);
      navigate("/login");
      return;
    }
    render(main, h("h1", {}, "Something went wrong"), alertBox("error", error.message),
      h("p", {}, h("a", { href: "#/" }, "Back to the start page")));
  }
  // After a navigation, move focus to the new page's heading so keyboard and screen-reader users start
  // at the top (on the first load the browser's own order applies: the skip link first).
  const heading = main.querySelector("h1");
  if (heading && thisRender > 1) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: false }); }
  refreshUnread();
}

function renderNav() {
  const nav = document.getElementById("nav");
  const user = auth.token ? auth.user : null;
  const link = (href, text, extra) => h("li", {}, h("a", { href }, text, extra));
  if (!user) {
    render(nav, link("#/sessions", "Browse sessions"), link("#/login", "Log in"), link("#/register", "Register"));
    return;
  }
  render(nav,
    link("#/dashboard", "Dashboard"),
    link("#/sessions", "Browse sessions"),
    user.role === "mentor" ? link("#/sessions/new", "New session") : null,
    user.is_staff ? link("#/staff", "Staff") : null,
    link("#/notifications", "Notifications", h("span", { id: "unread-count", class: "badge", hidden: true, "aria-label": "unread" })),
    h("li", { class: "meta-user" }, h("span", {}, `@${user.username} (${user.role})`)),
    h("li", {}, h("button", { type: "button", id: "logout", onclick: () => { auth.clear(); navigate("/"); } }, "Log out")));
}

/** Refreshes the unread badge in the header. */
export async function refreshUnread() {
  if (!auth.token) return;
  try {
    const unread = await api("GET", "/api/notifications?unread=true");
    const badge = document.getElementById("unread-count");
    if (!badge) return;
    badge.textContent = String(unread.length);
    badge.hidden = unread.length === 0;
    badge.setAttribute("aria-label", `${unread.length} unread`);
  } catch (_) { /* the badge is a convenience */ }
}

window.addEventListener("hashchange", route);
window.addEventListener("peerlearn:unread", refreshUnread);
setInterval(refreshUnread, 20000);
route();
