// api: the only module that talks to the server (fetch and EventSource).
// Every failure becomes an ApiError carrying the server's code and its
// message for the student.

/** ApiError is a failed request: HTTP status, the server's code and message. */
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || "";
  }
}

let lang = "de";
/** setApiLang sets the language the server's messages should use. */
export function setApiLang(l) { lang = l; }

/**
 * clientId names this browser for the server's per-client run limit. It is
 * made with crypto.getRandomValues, which (unlike crypto.randomUUID) works
 * on plain-HTTP school networks, and kept in localStorage.
 */
export const clientId = (() => {
  const key = "ai4artsed.client";
  try {
    const old = localStorage.getItem(key);
    if (old) return old;
  } catch { /* storage blocked: a fresh id per page */ }
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  try { localStorage.setItem(key, id); } catch { /* ignore */ }
  return id;
})();

function headers(extra = {}) {
  return { "Accept-Language": lang, "X-Client-ID": clientId, ...extra };
}

async function request(method, path, body) {
  const init = { method, headers: headers() };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network", "");
  }
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || "http_" + res.status, e.message || "", e.field);
  }
  return data;
}

/** getInfo: demo mode, limits, default language, safety level. */
export const getInfo = () => request("GET", "/api/info");
/** getConfigs lists the catalog's summaries. */
export const getConfigs = () => request("GET", "/api/configs").then((d) => d.configs);
/** getConfig is one config in full: {kind, config}. */
export const getConfig = (id) => request("GET", "/api/configs/" + encodeURIComponent(id));
/** startRun posts a run request and answers {run_id, events_url}. */
export const startRun = (body) => request("POST", "/api/runs", body);
/** getRun is a run's stored record. */
export const getRun = (id) => request("GET", "/api/runs/" + encodeURIComponent(id));
/** cancelRun asks the server to cancel a run. */
export const cancelRun = (id) => request("POST", "/api/runs/" + encodeURIComponent(id) + "/cancel", {});

/** uploadImage posts one image (a File or Blob) and answers {upload_id, width, height, mime}. */
export function uploadImage(blob, name = "image.png") {
  const form = new FormData();
  form.append("image", blob, name);
  return request("POST", "/api/uploads", form);
}

/** fetchMedia loads a stored result image as a Blob. */
export async function fetchMedia(url) {
  let res;
  try { res = await fetch(url); } catch { throw new ApiError(0, "network", ""); }
  if (!res.ok) throw new ApiError(res.status, "http_" + res.status, "");
  return res.blob();
}

/** The event types of a run's stream (docs/api.md, "Events"). */
const EVENT_TYPES = ["run", "stage", "queue_status", "chunk", "text", "safety", "progress", "media", "error", "done"];

/**
 * openEvents follows a run's SSE stream. onEvent(type, data, id) gets each
 * event (id is null for transient queue ticks); onTrouble(closed) is told
 * when the connection drops (closed: the browser gave up reconnecting).
 * EventSource reconnects by itself and sends Last-Event-ID. It returns a
 * function that closes the stream.
 */
export function openEvents(runId, onEvent, onTrouble) {
  const src = new EventSource("/api/runs/" + encodeURIComponent(runId) + "/events");
  for (const type of EVENT_TYPES) {
    src.addEventListener(type, (e) => {
      if (type === "error" && !e.data) return; // a connection error, not the run's
      let data;
      try { data = JSON.parse(e.data); } catch { return; }
      // A queue tick carries no id, yet EventSource reports the previous
      // one on it: queue events never count as applied ids (they are
      // idempotent, so applying a replayed one again is harmless).
      const id = type !== "queue_status" && /^\d+$/.test(e.lastEventId) ? Number(e.lastEventId) : null;
      onEvent(type, data, id);
    });
  }
  src.onerror = (e) => { if (!e.data) onTrouble(src.readyState === EventSource.CLOSED); };
  src.onopen = () => onTrouble(null);
  return () => src.close();
}

// Workshops: students join by code; teachers sign in and manage workshops
// (docs/api.md, "Accounts" and "Workshops"). Cookies carry the identity.

/** joinWorkshop joins by code; the server sets the device cookie. */
export const joinWorkshop = (code, nickname) => request("POST", "/api/join", { code, nickname });
/** login signs a teacher in; the server sets the session cookie. */
export const login = (name, password) => request("POST", "/api/login", { name, password });
export const logout = () => request("POST", "/api/logout");
export const getMe = () => request("GET", "/api/me");
export const listWorkshops = () => request("GET", "/api/teacher/workshops").then((d) => d.workshops);
export const createWorkshop = (body) => request("POST", "/api/teacher/workshops", body);
const wsPath = (id) => "/api/teacher/workshops/" + encodeURIComponent(id);
/** pauseWorkshop pauses; message (optional) is shown to the students. */
export const pauseWorkshop = (id, message) => request("POST", wsPath(id) + "/pause", message ? { message } : undefined);
export const resumeWorkshop = (id) => request("POST", wsPath(id) + "/resume");
export const deleteWorkshop = (id) => request("DELETE", wsPath(id));
export const deleteWorkshopData = (id) => request("DELETE", wsPath(id) + "/data");

/** getBackends lists the LLM and image services and their state. */
export const getBackends = () => request("GET", "/api/backends").then((d) => d.backends);
// The admin's settings (docs/api.md, "Admin settings").
export const getAdminSettings = () => request("GET", "/api/admin/settings");
export const putAdminSettings = (body) => request("PUT", "/api/admin/settings", body);
/** qrURL is the PNG of a workshop's join link as a QR code. */
export const qrURL = (id) => wsPath(id) + "/qr";
/** exportURL is the zip of a workshop's research record. */
export const exportURL = (id) => wsPath(id) + "/export";
/** cancelClassRun stops a run of a workshop's students. */
export const cancelClassRun = (id, runId) => request("POST", wsPath(id) + "/runs/" + encodeURIComponent(runId) + "/cancel");
/** getStudentWorkshop is the workshop this browser joined (404 when none). */
export const getStudentWorkshop = () => request("GET", "/api/workshop");

/** The event types of a workshop's class view (docs/api.md, "Class view"). */
const CLASS_EVENT_TYPES = ["workshop", "snapshot", "class_run"];

/**
 * openClass follows a workshop's class view: onEvent(type, data) gets each
 * event; onTrouble(closed) is told when the connection drops (EventSource
 * reconnects and the server sends a new snapshot), onTrouble(null) when it
 * is open. It returns a function that closes the stream.
 */
export function openClass(id, onEvent, onTrouble) {
  const src = new EventSource(wsPath(id) + "/live");
  for (const type of CLASS_EVENT_TYPES) {
    src.addEventListener(type, (e) => {
      let data;
      try { data = JSON.parse(e.data); } catch { return; }
      onEvent(type, data);
    });
  }
  src.onerror = () => onTrouble(src.readyState === EventSource.CLOSED);
  src.onopen = () => onTrouble(null);
  return () => src.close();
}
