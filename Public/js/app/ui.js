// Shared pieces of the views: alerts, inline form errors, session cards, announcements.
import { h, formatDate, formatPrice } from "./dom.js";
import { ApiError } from "./api.js";

/** Speaks a short message to screen readers (and is harmless for everyone else). */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 30);
}

export function alertBox(kind, text, attributes = {}) {
  return h("div", { class: `alert alert-${kind}`, role: kind === "error" ? "alert" : "status", ...attributes }, text);
}

/** Clears a form's inline errors. */
export function clearErrors(form) {
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
  const general = form.querySelector(".form-error");
  if (general) general.replaceChildren();
}

/**
 * Shows an API error on a form: a 422's problems go next to the field they name ("password must…"),
 * anything else into the form's general error box. The first invalid control gets focus.
 */
export function showErrors(form, error) {
  clearErrors(form);
  const general = form.querySelector(".form-error");
  const leftovers = [];
  const problems = error instanceof ApiError && error.status === 422 ? error.problems : [error.message];
  let first = null;
  for (const problem of problems) {
    const name = problem.split(/[\s:]/)[0];
    const control = error.status === 422 ? form.elements.namedItem(name) : null;
    const slot = control && control.id ? form.querySelector(`#${CSS.escape(control.id)}-error`) : null;
    if (control && slot && control.setAttribute) {
      control.setAttribute("aria-invalid", "true");
      slot.textContent = slot.textContent ? `${slot.textContent}; ${problem}` : problem;
      first = first || control;
    } else {
      leftovers.push(problem);
    }
  }
  if (general && leftovers.length) general.append(alertBox("error", leftovers.join(". ")));
  (first || general)?.focus?.();
  if (!first && general) general.scrollIntoView?.({ block: "nearest" });
}

export function statusBadge(status) {
  return h("span", { class: `status status-${status}` }, status);
}

export function tagList(tags, label = "Skills") {
  if (!tags || !tags.length) return null;
  return h("ul", { class: "tags", "aria-label": label }, tags.map((t) => h("li", {}, t)));
}

/** One session in a list: title link, when, seats, price. */
export function sessionItem(session, extra = []) {
  return h("li", { class: "session-item", dataset: { sessionId: session.id } },
    h("a", { href: `#/sessions/${session.id}` }, h("strong", {}, session.title)), " ", statusBadge(session.status),
    h("div", { class: "meta" },
      `${formatDate(session.schedule)} · ${session.duration} min · ${formatPrice(session.price)} · `,
      session.seats_left > 0 ? `${session.seats_left} of ${session.max_participants} seats left` : "Session full"),
    tagList(session.skills_required),
    extra);
}

/** Runs an async action from a button, disabling it meanwhile; errors go to `errorBox`. */
export async function busy(button, errorBox, action) {
  button.disabled = true;
  if (errorBox) errorBox.replaceChildren();
  try {
    return await action();
  } catch (error) {
    if (errorBox) errorBox.append(alertBox("error", error.message));
    else throw error;
  } finally {
    button.disabled = false;
  }
}
