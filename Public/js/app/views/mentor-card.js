// The mentor's card on the session page and their profile page, with the Follow button and the request link.
import { h, formatPrice } from "../dom.js";
import { api, auth, displayName } from "../api.js";
import { tagList, alertBox, busy, announce } from "../ui.js";

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

export function mentorCard(mentor, { withFollow }) {
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
