// The mentor's create/edit form for a session: a new one starts as a draft an hour from now.
import { h, render, field, localInputValue } from "../dom.js";
import { api, ApiError, auth } from "../api.js";
import { showErrors, clearErrors, announce } from "../ui.js";

export async function sessionFormView(main, { args, navigate }) {
  const [id] = args;
  const me = auth.user;
  if (me.role !== "mentor") { render(main, h("h1", {}, "Mentors only"), h("p", {}, "Only mentors create sessions.")); return; }
  const existing = id ? await api("GET", `/api/sessions/${encodeURIComponent(id)}`) : null;
  const defaultStart = new Date(Date.now() + 3600000);
  defaultStart.setMinutes(0, 0, 0);
  const v = existing || { title: "", description: "", schedule: defaultStart.toISOString(), duration: 60, max_participants: 10, price: 0, skills_required: [], is_public: true };
  const form = h("form", { id: "session-form", novalidate: true, "aria-labelledby": "form-title" },
    field("Title", h("input", { name: "title", required: true, maxlength: 200, value: v.title })),
    field("Description", h("textarea", { name: "description", required: true }, v.description)),
    h("div", { class: "grid grid-2" },
      field("Starts at", h("input", { name: "schedule", type: "datetime-local", required: true, value: localInputValue(new Date(v.schedule)) }), "Your local time"),
      field("Duration (minutes)", h("input", { name: "duration", type: "number", min: 1, max: 1440, required: true, value: String(v.duration) })),
      field("Seats", h("input", { name: "max_participants", type: "number", min: 1, max: 1000, required: true, value: String(v.max_participants) }), "Maximum number of learners"),
      field("Price (USD)", h("input", { name: "price", type: "number", min: 0, step: "0.01", required: true, value: String(v.price) }), "0 for a free session")),
    field("Skills", h("input", { name: "skills_required", value: (v.skills_required || []).join(", ") }), "Comma separated"),
    h("label", { class: "choice" }, h("input", { type: "checkbox", name: "is_public", checked: v.is_public }), "Listed publicly"),
    h("div", { class: "form-error", tabindex: "-1" }),
    h("div", { class: "actions" },
      h("button", { type: "submit", id: "save-session" }, existing ? "Save changes" : "Create draft"),
      h("a", { class: "button secondary", href: existing ? `#/sessions/${existing.id}` : "#/dashboard" }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const data = new FormData(form);
    const schedule = data.get("schedule");
    const body = {
      title: data.get("title").trim(), description: data.get("description").trim(),
      schedule: schedule ? new Date(schedule).toISOString() : undefined,
      duration: Number(data.get("duration")), max_participants: Number(data.get("max_participants")),
      price: Number(data.get("price")),
      skills_required: data.get("skills_required").split(",").map((s) => s.trim()).filter(Boolean),
      is_public: data.get("is_public") === "on",
    };
    if (!schedule) { showErrors(form, new ApiError(422, "validation_failed", "schedule is required")); return; }
    const button = form.querySelector("#save-session");
    button.disabled = true;
    try {
      const saved = existing
        ? await api("PATCH", `/api/sessions/${existing.id}`, body)
        : await api("POST", "/api/sessions", body);
      announce(existing ? "Session saved" : "Draft created");
      navigate(`/sessions/${saved.id}`);
    } catch (error) {
      showErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
  render(main, h("div", { class: "card", style: "max-width: 44rem" },
    h("h1", { id: "form-title" }, existing ? `Edit “${existing.title}”` : "Create a session"),
    existing ? null : h("p", {}, "A new session starts as a draft; schedule it to publish it and open bookings."),
    form));
}
