// A mentor's profile page: their card, their upcoming sessions and, for a learner, the request form.
import { h, render } from "../dom.js";
import { api, auth, query, userProfile, displayName } from "../api.js";
import { sessionItem } from "../ui.js";
import { mentorCard } from "./mentor-card.js";
import { requestForm } from "./request-form.js";

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
