// Browsing and searching sessions: words, skill, day and order in the address (so a search can be
// bookmarked and paged), ten a page.
import { h, render, field } from "../dom.js";
import { api, query } from "../api.js";
import { sessionItem } from "../ui.js";

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
