// A tiny element builder: user text always goes in as text nodes, never as HTML.

/** h("button", {type: "button", onclick}, "Save") → <button type="button">Save</button>. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value);
    else if (key === "class") element.className = value;
    // Through the CSSOM: the Content-Security-Policy (style-src 'self') refuses style="" attributes.
    else if (key === "style") element.style.cssText = value;
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key in element && typeof value !== "string") element[key] = value;
    else element.setAttribute(key, value === true ? "" : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function render(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

let fieldCounter = 0;

/** A labelled form field: label, control, hint and an inline error slot tied by aria-describedby. */
export function field(labelText, control, hint) {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  control.setAttribute("aria-describedby", hint ? `${hintId} ${errorId}` : errorId);
  return h("div", { class: "field" },
    h("label", { for: id }, labelText),
    control,
    hint ? h("small", { id: hintId, class: "hint" }, hint) : null,
    h("span", { id: errorId, class: "field-error", role: "alert" }));
}

export function formatDate(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

export function formatPrice(price) {
  return Number(price) === 0 ? "Free" : `$${Number(price).toFixed(2)}`;
}

/** A datetime-local value (local time) for a Date. */
export function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
