// Booking a seat from the session page: availability, the booking form with its payment step, the
// booked state (join, feedback, cancel), and "Session full" when the seats run out, even mid-payment.
import { h, render, field, formatPrice } from "../dom.js";
import { api } from "../api.js";
import { alertBox, showErrors, clearErrors, busy, announce } from "../ui.js";

/** The seed's booking flow: availability → booking form → payment → booked (or the payment error, back to the form). */
export async function bookingPanel(panel, session, me, seats) {
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
