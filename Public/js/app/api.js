// The control plane's JSON API (GET /openapi.yaml), with the signed-in user kept in localStorage.

const STORAGE_KEY = "peerlearn.auth";

export class ApiError extends Error {
  constructor(status, code, reason) {
    super(reason || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.reason = reason || "";
  }

  /** A 422's reason lists every problem, separated by "; ". */
  get problems() { return this.reason.split("; ").filter(Boolean); }
}

export const auth = {
  get() {
    try { return JSON.parse(localStorage.getItem(STORAGE_KEY)) || null; } catch (_) { return null; }
  },
  set(value) { localStorage.setItem(STORAGE_KEY, JSON.stringify(value)); },
  clear() { localStorage.removeItem(STORAGE_KEY); },
  get user() { return this.get()?.user || null; },
  get token() {
    const value = this.get();
    if (!value) return null;
    if (value.expires_at && Date.parse(value.expires_at) < Date.now()) { this.clear(); return null; }
    return value.access_token;
  },
};

/** Calls the API; resolves to the JSON body (or null), rejects with ApiError. */
export async function api(method, path, body, { headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  const token = auth.token;
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {
    throw new ApiError(0, "network", "The server could not be reached. Check your connection and try again.");
  }
  const text = await response.text();
  let json = null;
  if (text) { try { json = JSON.parse(text); } catch (_) { json = null; } }
  if (!response.ok) {
    if (response.status === 401 && token) auth.clear();
    throw new ApiError(response.status, json?.error, json?.reason || response.statusText);
  }
  return json;
}

/** Query string from an object, skipping empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : "";
}

const userCache = new Map();

/** A public profile, fetched once per page load. */
export function userProfile(id) {
  const key = String(id);
  if (!userCache.has(key)) userCache.set(key, api("GET", `/api/users/${encodeURIComponent(key)}`).catch((error) => { userCache.delete(key); throw error; }));
  return userCache.get(key);
}

export function displayName(user) {
  if (!user) return "";
  const full = [user.first_name, user.last_name].filter(Boolean).join(" ");
  return full ? `${full} (@${user.username})` : `@${user.username}`;
}

/** Every item of a paginated list (`{items, page, per_page, total}`), fetched a page at a time. */
export async function allPages(path, params = {}) {
  const items = [];
  for (let page = 1; ; page++) {
    const result = await api("GET", `${path}${query({ ...params, page, per_page: 100 })}`);
    items.push(...result.items);
    if (!result.items.length || items.length >= result.total) return items;
  }
}
