// The public API as the page uses it: JSON requests with the key from this browser, uploads, and
// the event stream (a WebSocket that carries the key as a subprotocol, never in a URL).

const KEY = "s2v.apiKey";

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "error";
    this.field = error.field || null;
  }
}

export function storedKey() {
  return localStorage.getItem(KEY) || "";
}

export function storeKey(key) {
  if (key) localStorage.setItem(KEY, key);
  else localStorage.removeItem(KEY);
}

let askForKey = async () => false; // set by the page: shows the key dialog, resolves true when a key was given

export function onKeyNeeded(handler) {
  askForKey = handler;
}

function headers(extra = {}) {
  const key = storedKey();
  return key ? { ...extra, "X-API-Key": key } : extra;
}

export async function request(method, path, body) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
    if (body !== undefined) init.body = body instanceof FormData ? body : JSON.stringify(body);
    if (body instanceof FormData) delete init.headers["Content-Type"];
    const answer = await fetch(path, init);
    if (answer.status === 401 && (await askForKey())) continue;
    if (answer.status === 204) return null;
    const data = await answer.json().catch(() => null);
    if (!answer.ok) throw new ApiError(answer.status, data);
    return data;
  }
  throw new ApiError(401, { error: { message: "a valid API key is required" } });
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body = {}) => request("POST", path, body),
  patch: (path, body) => request("PATCH", path, body),
  del: (path) => request("DELETE", path),
  upload: (file) => {
    const form = new FormData();
    form.append("file", file);
    return request("POST", "/uploads", form);
  },
};

// A file URL the browser can open directly (<video>, <img>, a download): with keys on, files need the
// key too, so those are fetched and shown as object URLs.
const objectUrls = new Map();

export async function fileUrl(path) {
  if (!path) return "";
  if (!storedKey()) return path;
  if (objectUrls.has(path)) return objectUrls.get(path);
  const answer = await fetch(path, { headers: headers() });
  if (!answer.ok) throw new ApiError(answer.status, null);
  const url = URL.createObjectURL(await answer.blob());
  objectUrls.set(path, url);
  return url;
}

function keyProtocol(key) {
  const bytes = new TextEncoder().encode(key);
  const base64 = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `s2v.key.${base64}`;
}

// Every event of this key's tasks; reconnects after a drop, and calls `onOpen` each time it is
// (re)connected, so the page can catch up with what happened meanwhile. Returns a function that closes it.
export function events(onEvent, onOpen = () => {}) {
  let socket = null;
  let closed = false;
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const key = storedKey();
    socket = key ? new WebSocket(`${scheme}://${location.host}/ws`, [keyProtocol(key)]) : new WebSocket(`${scheme}://${location.host}/ws`);
    socket.onopen = onOpen;
    socket.onmessage = (message) => onEvent(JSON.parse(message.data));
    socket.onclose = () => {
      if (!closed) setTimeout(open, 1500);
    };
  };
  open();
  return () => {
    closed = true;
    socket && socket.close();
  };
}
