// Browsing and searching sessions, the session page (booking with its payment step, "Session full",
// follow, mentor tools), the mentor's profile with the request form, and the create/edit form.
import { h, render, field, formatDate, formatPrice, localInputValue } from "../dom.js";
import { api, ApiError, auth, query, userProfile, displayName } from "../api.js";
import { sessionItem, statusBadge, tagList, alertBox, showErrors, clearErrors, busy, announce } from "../ui.js";

export async function browseView(main, { params, navigate }) {
  const current = Object.fromEntries(params.entries());
  const page = Math.max(1, Number(current.page) || 1);
  const form = h("form", { id: "search-form", role: "search", "aria-label": "Search sessions" },
    h("div", { class: "inline" },
      field("Search", h("input", { name: "q", type: "search", value: current.q || "" }), "Words in the title or description"),
      field("Skill", h("input", { name: "skill", value: current.skill || "" })),
      field("Date", h("input", { name: "date", type: "date", value: current.date || "" })),
      field("Sort by", h("select", { name: "sort" },
        h("option", { value: "schedule", selected: current.sort !== "popularity" }, "Schedule (soonest first)"),
        h("option", { value: "popularity", selected: current.sort === "popularity" }, "Popularity"))),
      h("div", { class: "field" }, h("button", { type: "submit" }, "Search"))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    navigate(`/sessions${query(data)}`);
  });
  let from, to;
  if (current.date) {
    const day = new Date(`${current.date}T00:00`);
    from = day.toISOString();
    to = new Date(day.getTime() + 86400000).toISOString();
  }
  const result = await api("GET", `/api/sessions${query({ q: current.q, skill: current.skill, from, to, sort: current.sort, page, per_page: 10 })}`);
  const pages = Math.max(1, Math.ceil(result.total / result.per_page));
  const pageLink = (n, text) => h("a", { class: "button secondary", href: `#/sessions${query({ ...current, page: n })}` }, text);
  render(main,
    h("h1", {}, "Browse sessions"),
    form,
    h("p", { role: "status", id: "result-count" }, `${result.total} session${result.total === 1 ? "" : "s"} found`),
    h("ul", { class: "list card", id: "session-results", "aria-label": "Sessions" },
      result.items.length ? result.items.map((s) => sessionItem(s)) : h("li", {}, "No sessions match.")),
    pages > 1 ? h("nav", { class: "actions", "aria-label": "Pages" },
      page > 1 ? pageLink(page - 1, "Previous page") : null,
      h("span", {}, `Page ${page} of ${pages}`),
      page < pages ? pageLink(page + 1, "Next page") : null) : null);
}

function followButton(mentorId, countSlot) {
  const button = h("button", { type: "button", class: "secondary", id: "follow-button", disabled: true });
  let following = false;
  const update = (value) => {
    following = value;
    button.textContent = following ? "Unfollow" : "Follow";
    button.setAttribute("aria-pressed", String(following));
    button.setAttribute("aria-label", following ? "Unfollow this mentor" : "Follow this mentor");
  };
  update(false);
  const errors = h("div");
  // The server knows whom the caller follows, so every browser shows the same state.
  api("GET", "/api/me/follows")
    .then((mentors) => { update(mentors.some((m) => String(m.id) === String(mentorId))); })
    .catch((error) => { errors.replaceChildren(alertBox("error", error.message)); })
    .finally(() => { button.disabled = false; });
  button.addEventListener("click", () => busy(button, errors, async () => {
    let state;
    try {
      state = await api(following ? "DELETE" : "POST", `/api/mentors/${mentorId}/follow`);
    } catch (error) {
      if (!(following && error.status === 404)) throw error;
      state = { following: false };  // never followed on the server: already in the wanted state
    }
    update(state.following);
    if (countSlot && state.follower_count !== undefined) countSlot.textContent = `${state.follower_count} follower${state.follower_count === 1 ? "" : "s"}`;
    announce(state.following ? "Following" : "Unfollowed");
  }));
  return h("span", {}, button, errors);
}

function mentorCard(mentor, { withFollow }) {
  const followers = h("span", { class: "meta", id: "follower-count" });
  const me = auth.token ? auth.user : null;
  return h("section", { class: "card", "aria-labelledby": "mentor-title" },
    h("h2", { id: "mentor-title" }, "Mentor"),
    mentor.profile_image_url ? h("img", { class: "avatar", src: mentor.profile_image_url, alt: `Photo of ${displayName(mentor)}`, width: 72, height: 72 }) : null,
    h("p", {}, h("a", { href: `#/mentors/${mentor.id}` }, h("strong", {}, displayName(mentor)))),
    mentor.bio ? h("p", {}, mentor.bio) : null,
    tagList(mentor.skills),
    mentor.hourly_rate !== undefined && mentor.hourly_rate !== null ? h("p", { class: "meta" }, `Hourly rate ${formatPrice(mentor.hourly_rate)}`) : null,
    withFollow && me && String(me.id) !== String(mentor.id) ? h("div", { class: "actions" },
      followButton(mentor.id, followers),
      me.role === "learner" ? h("a", { class: "button secondary", href: `#/mentors/${mentor.id}?request=1` }, "Send a request") : null) : null,
    followers);
}

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

/** The seed's booking flow: availability → booking form → payment → booked (or the payment error, back to the form). */
async function bookingPanel(panel, session, me, seats) {
  const title = h("h2", { id: "booking-title" }, "Book a seat");
  if (!me) {
    render(panel, title, h("p", {}, h("a", { href: "#/login" }, "Log in"), " or ", h("a", { href: "#/register" }, "register"), " as a learner to book."));
    sessionStorage.setItem("peerlearn.afterLogin", `/sessions/${session.id}`);
    return;
  }
  if (me.role !== "learner") { render(panel, title, h("p", {}, "Only learners book seats.")); return; }
  const bookings = await api("GET", "/api/bookings");
  const booking = bookings.find((b) => b.session_id.toLowerCase() === session.id.toLowerCase() && b.status !== "cancelled");
  const full = () => render(panel, title, h("p", { class: "session-full alert alert-warning", role: "status", id: "session-full" }, "Session full"),
    h("p", {}, "Every seat is taken. Follow the mentor to hear about their next session."));

  if (booking) {
    const cancelErrors = h("div");
    title.textContent = "Your booking";
    render(panel, title,
      alertBox("success", booking.status === "completed" ? "You took part in this session." : "You are booked for this session.", { id: "booked" }),
      h("p", { class: "meta" }, Number(booking.payment_amount) > 0
        ? `Paid ${formatPrice(booking.payment_amount)} · payment ${booking.payment_status}` : "Free session: nothing to pay"),
      h("div", { class: "actions" },
        session.status === "active" || session.status === "scheduled"
          ? h("a", { class: "button", href: `#/sessions/${session.id}/room`, id: "join-room" }, session.status === "active" ? "Join room" : "Open room") : null,
        session.status === "completed" ? h("a", { class: "button", href: `#/sessions/${session.id}/feedback` }, "Leave feedback") : null,
        session.status === "scheduled" ? h("button", { type: "button", class: "secondary", onclick: (e) => busy(e.currentTarget, cancelErrors, async () => {
          await api("POST", `/api/bookings/${booking.id}/cancel`);
          announce("Booking cancelled");
          location.reload();
        }) }, "Cancel my booking") : null),
      cancelErrors);
    return;
  }
  if (session.status !== "scheduled") { render(panel, title, h("p", {}, `Booking is closed: this session is ${session.status}.`)); return; }
  if (session.seats_left <= 0) { full(); return; }

  const showForm = () => {
    const card = h("input", { name: "card_token", value: "tok_visa", autocomplete: "off", required: true });
    const form = h("form", { id: "payment-form", novalidate: true, "aria-label": "Payment" },
      h("p", {}, "Total: ", h("strong", {}, formatPrice(session.price))),
      field("Card token", card, "Sandbox payments: tok_visa is accepted, tok_decline is declined."),
      h("div", { class: "form-error", tabindex: "-1" }),
      h("div", { class: "actions" },
        h("button", { type: "submit", id: "pay-button" }, Number(session.price) > 0 ? `Pay ${formatPrice(session.price)} and book` : "Confirm booking"),
        h("button", { type: "button", class: "secondary", onclick: showStart }, "Back")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const button = form.querySelector("#pay-button");
      button.disabled = true;
      try {
        await api("POST", `/api/sessions/${session.id}/bookings`, { card_token: card.value.trim() },
          { headers: { "Idempotency-Key": crypto.randomUUID() } });
        announce("Booked");
        const fresh = await api("GET", `/api/sessions/${session.id}`);
        seats.textContent = `${fresh.seats_left} of ${fresh.max_participants} seats left`;
        await bookingPanel(panel, fresh, me, seats);
      } catch (error) {
        if (error.status === 409 && error.code === "session_full") { seats.textContent = `All ${session.max_participants} seats are taken`; full(); return; }
        if (error.status === 402) error.message = `Payment declined: ${error.reason.replace(/\.$/, "")}. Nothing was charged and no seat was taken; try another card.`;
        showErrors(form, error);
        const slot = form.querySelector(".form-error .alert");
        if (slot) slot.id = "payment-error";
      } finally {
        button.disabled = false;
      }
    });
    render(panel, title, form);
    card.focus();
  };
  function showStart() {
    render(panel, title, h("p", {}, `${formatPrice(session.price)} · ${session.seats_left} seat${session.seats_left === 1 ? "" : "s"} left`),
      h("button", { type: "button", id: "book-button", onclick: showForm }, "Book"));
  }
  showStart();
}

async function ownerTools(session, navigate) {
  const errors = h("div");
  const transition = (name, label, extra = {}) => h("button", { type: "button", id: `${name}-button`, ...extra, onclick: (e) => busy(e.currentTarget, errors, async () => {
    await api("POST", `/api/sessions/${session.id}/${name}`);
    announce(`Session ${label.toLowerCase()}`);
    navigate(`/sessions/${session.id}?${name}=${Date.now()}`);
  }) }, label);
  const cancelArea = h("span");
  const askCancel = () => render(cancelArea,
    h("span", { role: "group", "aria-label": "Confirm cancellation" }, "Cancel this session and refund every booking? ",
      transition("cancel", "Yes, cancel it", { class: "danger" }),
      h("button", { type: "button", class: "secondary", onclick: () => render(cancelArea, cancelButton()) }, "Keep it")));
  const cancelButton = () => h("button", { type: "button", class: "secondary", id: "ask-cancel", onclick: askCancel }, "Cancel session");
  render(cancelArea, cancelButton());
  const s = session.status;
  let bookings = [];
  try { bookings = await api("GET", `/api/sessions/${session.id}/bookings`); } catch (_) { /* shown empty */ }
  const learners = await Promise.all(bookings.map(async (b) => {
    let name = `learner #${b.learner_id}`;
    try { name = displayName(await userProfile(b.learner_id)); } catch (_) { /* keep the id */ }
    return h("li", {}, name, " ", statusBadge(b.status), h("span", { class: "meta" }, ` ${b.payment_status}${b.attendance_status ? ` · ${b.attendance_status}` : ""}`));
  }));
  return h("section", { class: "card", "aria-labelledby": "tools-title", id: "mentor-tools" },
    h("h2", { id: "tools-title" }, "Mentor tools"),
    h("div", { class: "actions" },
      s === "draft" || s === "scheduled" ? h("a", { class: "button secondary", href: `#/sessions/${session.id}/edit` }, "Edit") : null,
      s === "draft" ? transition("schedule", "Schedule") : null,
      s === "scheduled" ? transition("start", "Start") : null,
      s === "scheduled" || s === "active" ? h("a", { class: "button", href: `#/sessions/${session.id}/room`, id: "join-room" }, "Join room") : null,
      s === "active" ? transition("complete", "Complete") : null,
      s === "completed" ? h("a", { class: "button secondary", href: `#/sessions/${session.id}/feedback` }, "Leave feedback") : null,
      s === "draft" || s === "scheduled" ? cancelArea : null),
    errors,
    h("h3", {}, `Bookings (${bookings.filter((b) => b.status !== "cancelled").length})`),
    h("ul", { class: "list", id: "session-bookings" }, learners.length ? learners : h("li", {}, "No bookings yet.")));
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

export async function mentorView(main, { args, params }) {
  const [id] = args;
  const mentor = await userProfile(id);
  const sessions = (await api("GET", `/api/sessions${query({ mentor: id, per_page: 20 })}`)).items;
  const me = auth.token ? auth.user : null;
  const requestSection = me && me.role === "learner" && String(me.id) !== String(id) ? requestForm(mentor) : null;
  render(main,
    h("h1", {}, displayName(mentor)),
    h("div", { class: "grid grid-2" },
      h("div", {}, mentorCard(mentor, { withFollow: true }),
        h("section", { class: "card", "aria-labelledby": "their-sessions" },
          h("h2", { id: "their-sessions" }, "Upcoming sessions"),
          h("ul", { class: "list" }, sessions.length ? sessions.map((s) => sessionItem(s)) : h("li", {}, "Nothing scheduled.")))),
      requestSection));
  if (requestSection && params.get("request")) requestSection.querySelector("input")?.focus();
}

function requestForm(mentor) {
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
