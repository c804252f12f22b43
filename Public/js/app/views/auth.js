// Landing page, registration (with the role choice and the API's inline validation errors) and login.
import { h, render, field } from "../dom.js";
import { api, auth, query } from "../api.js";
import { sessionItem, showErrors, clearErrors, announce } from "../ui.js";

export async function landingView(main, { navigate }) {
  if (auth.token) { navigate("/dashboard"); return; }
  const upcoming = h("ul", { class: "list", "aria-label": "Upcoming sessions" });
  render(main,
    h("section", { class: "hero" },
      h("h1", {}, "Learn live, in small groups, from mentors"),
      h("p", {}, "Book a seat in a mentor's live video session, ask questions face to face, and follow the mentors you like."),
      h("div", { class: "actions" },
        h("a", { class: "button secondary", href: "#/register" }, "Register"),
        h("a", { class: "button secondary", href: "#/login" }, "Log in"),
        h("a", { class: "button secondary", href: "#/sessions" }, "Browse sessions"))),
    h("h2", {}, "Popular sessions"),
    upcoming);
  try {
    const page = await api("GET", `/api/sessions${query({ sort: "popularity", per_page: 6 })}`);
    render(upcoming, page.items.length ? page.items.map((s) => sessionItem(s)) : h("li", {}, "No sessions are scheduled yet."));
  } catch (error) {
    render(upcoming, h("li", {}, error.message));
  }
}

function signedIn(response, navigate) {
  auth.set(response);
  const next = sessionStorage.getItem("peerlearn.afterLogin");
  sessionStorage.removeItem("peerlearn.afterLogin");
  announce(`Signed in as ${response.user.username}`);
  navigate(next || "/dashboard");
}

export async function registerView(main, { navigate }) {
  const form = h("form", { id: "register-form", novalidate: true, "aria-labelledby": "register-title" },
    h("fieldset", {},
      h("legend", {}, "I want to"),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "role", value: "learner", checked: true }), "Learn (learner)"),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "role", value: "mentor" }), "Teach (mentor)"),
      h("span", { id: "role-error", class: "field-error", role: "alert" })),
    field("Username", h("input", { name: "username", autocomplete: "username", required: true }), "3–150 letters, digits or @ . + - _"),
    field("Email", h("input", { name: "email", type: "email", autocomplete: "email", required: true })),
    field("Password", h("input", { name: "password", type: "password", autocomplete: "new-password", required: true }),
      "At least 8 characters with a letter and a digit, not containing your username"),
    h("div", { class: "grid grid-2" },
      field("First name", h("input", { name: "first_name", autocomplete: "given-name" })),
      field("Last name", h("input", { name: "last_name", autocomplete: "family-name" }))),
    field("Skills", h("input", { name: "skills" }), "Comma separated, e.g. swift, webrtc"),
    field("About you", h("textarea", { name: "bio" })),
    h("div", { class: "form-error", tabindex: "-1" }),
    h("button", { type: "submit" }, "Create account"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const data = new FormData(form);
    const body = {
      username: data.get("username").trim(), email: data.get("email").trim(), password: data.get("password"),
      role: data.get("role"), first_name: data.get("first_name").trim() || undefined,
      last_name: data.get("last_name").trim() || undefined, bio: data.get("bio").trim() || undefined,
      skills: data.get("skills").split(",").map((s) => s.trim()).filter(Boolean),
    };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      signedIn(await api("POST", "/api/auth/register", body), navigate);
    } catch (error) {
      if (error.status === 409) error.status = 422;  // username_taken / email_taken name their field
      showErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
  render(main, h("div", { class: "card", style: "max-width: 36rem" },
    h("h1", { id: "register-title" }, "Create your account"), form,
    h("p", {}, "Already have an account? ", h("a", { href: "#/login" }, "Log in"))));
}

export async function loginView(main, { navigate }) {
  const form = h("form", { id: "login-form", novalidate: true, "aria-labelledby": "login-title" },
    field("Username or email", h("input", { name: "username", autocomplete: "username", required: true })),
    field("Password", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("div", { class: "form-error", tabindex: "-1" }),
    h("button", { type: "submit" }, "Log in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      signedIn(await api("POST", "/api/auth/login", { username: data.get("username").trim(), password: data.get("password") }), navigate);
    } catch (error) {
      showErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
  render(main, h("div", { class: "card", style: "max-width: 28rem" },
    h("h1", { id: "login-title" }, "Log in"), form,
    h("p", {}, "New here? ", h("a", { href: "#/register" }, "Create an account"))));
}
