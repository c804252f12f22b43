// A learner's request to a mentor for a session ("Ask for a session"), on the mentor's profile page.
import { h, render, field } from "../dom.js";
import { api } from "../api.js";
import { alertBox, showErrors, clearErrors } from "../ui.js";

export function requestForm(mentor) {
  const form = h("form", { id: "request-form", novalidate: true, "aria-labelledby": "request-title" },
    field("Subject", h("input", { name: "subject", required: true, maxlength: 200 })),
    field("Message", h("textarea", { name: "message", required: true })),
    field("Preferred time", h("input", { name: "preferred_schedule", type: "datetime-local" }), "Optional"),
    field("Duration (minutes)", h("input", { name: "duration_requested", type: "number", min: 1, max: 1440, inputmode: "numeric" }), "Optional"),
    h("div", { class: "form-error", tabindex: "-1" }),
    h("div", { class: "form-success", role: "status" }),
    h("button", { type: "submit" }, "Send request"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const data = new FormData(form);
    const preferred = data.get("preferred_schedule");
    const duration = data.get("duration_requested");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await api("POST", "/api/requests", {
        mentor_id: Number(mentor.id), subject: data.get("subject").trim(), message: data.get("message").trim(),
        preferred_schedule: preferred ? new Date(preferred).toISOString() : undefined,
        duration_requested: duration ? Number(duration) : undefined,
      });
      form.reset();
      render(form.querySelector(".form-success"), alertBox("success", `Request sent to ${mentor.username}. You will be notified of the answer.`));
    } catch (error) {
      showErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
  return h("section", { class: "card", "aria-labelledby": "request-title" }, h("h2", { id: "request-title" }, "Ask for a session"), form);
}
