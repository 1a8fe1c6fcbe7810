// The public API as the page uses it: JSON requests with the key from this browser, uploads, and
// the event stream (a WebSocket that carries the key as a subprotocol, never in a URL).

const KEY = "s2v.apiKey";

// An API error with what the page words it from: `code`, `field`, a 400's `reason` and `limit`, and
// for a 412 the object as it is now (`current`) and its tag, so the page can offer to reload or overwrite.
export class ApiError extends Error {
  constructor(status, body, tag = null) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || (status === 412 ? "precondition_failed" : status === 0 ? "network" : "error");
    this.field = error.field || null;
    this.reason = error.reason || null;
    this.limit = error.limit ?? null;
    this.current = (body && body.current) || null;
    this.tag = tag || (this.current && this.current.etag) || null;
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

// `tag`: the ETag of the object being written as the page last saw it (a shot's or character's
// `etag`, a project's ETag header): the server answers 412 when it changed since. A response's ETag
// becomes the returned object's `etag` when the body has none (a project's).
export async function request(method, path, body, tag = null) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
    if (body !== undefined) init.body = body instanceof FormData ? body : JSON.stringify(body);
    if (body instanceof FormData) delete init.headers["Content-Type"];
    if (tag) init.headers["If-Match"] = tag;
    let answer;
    try {
      answer = await fetch(path, init);
    } catch {
      throw new ApiError(0, null); // the network, not the server: worded as such
    }
    if (answer.status === 401 && (await askForKey())) continue;
    if (answer.status === 204) return null;
    const data = await answer.json().catch(() => null);
    if (!answer.ok) throw new ApiError(answer.status, data, answer.headers.get("ETag"));
    const etag = answer.headers.get("ETag");
    if (etag && data && typeof data === "object" && data.etag === undefined) data.etag = etag;
    return data;
  }
  throw new ApiError(401, { error: { code: "unauthorized" } });
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body = {}, tag = null) => request("POST", path, body, tag),
  patch: (path, body, tag = null) => request("PATCH", path, body, tag),
  del: (path, tag = null) => request("DELETE", path, undefined, tag),
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
  const url = URL.createObjectURL(await fileBlob(path));
  objectUrls.set(path, url);
  return url;
}

// A produced file's response (with the key when keys are on).
export async function fileResponse(path) {
  const answer = await fetch(path, { headers: headers() });
  if (!answer.ok) throw new ApiError(answer.status, null);
  return answer;
}

export async function fileBlob(path) {
  return (await fileResponse(path)).blob();
}

// The name the server gives a download (Content-Disposition), as the browser would read it.
export function servedName(answer) {
  const header = answer.headers.get("Content-Disposition") || "";
  const encoded = /filename\*=utf-8''([^;]+)/i.exec(header);
  if (encoded) return decodeURIComponent(encoded[1]);
  return /filename="([^"]+)"/i.exec(header)?.[1] || "";
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
