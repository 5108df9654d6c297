// admin: the admin's settings page (docs/api.md, "Admin settings"): the
// safety floor of workshops, which configs workshops may use, and the
// backends' state (read only). All server calls go through api.js; the
// session is an HttpOnly cookie.
import * as api from "./api.js";
import { t, pick, setLang, getLang, storedLang, browserLang, onLangChange } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const LEVELS = ["kids", "youth", "adult", "research"]; // strictest first
let current = null; // the last AdminSettings the server answered

function say(text) { $("msg").textContent = text || ""; }
function sayError(e) {
  say(e.status === 403 ? t("adminNotAdmin") : e.message || (e.code === "network" ? t("networkError") : t("unknownError")));
}

function show(signedIn) {
  $("login-card").hidden = signedIn;
  $("settings-card").hidden = !signedIn;
  $("backends-card").hidden = !signedIn;
  $("logout").hidden = !signedIn;
}

// renderSettings fills the form from an AdminSettings answer.
function renderSettings(s) {
  current = s;
  $("server-level").textContent = t("level_" + s.server_safety_level);
  const floor = $("floor");
  floor.replaceChildren();
  const max = LEVELS.indexOf(s.server_safety_level);
  LEVELS.forEach((l, i) => {
    if (i > max) return; // looser than the server: not offered
    const o = document.createElement("option");
    o.value = l;
    o.textContent = t("level_" + l);
    floor.append(o);
  });
  floor.value = s.safety_floor;
  renderSwitches($("interceptions"), "ic", s.interceptions);
  renderSwitches($("outputs"), "out", s.outputs);
  $("saved").textContent = s.updated_at
    ? t("adminSavedBy", { name: s.updated_by, time: new Date(s.updated_at).toLocaleString(getLang()) })
    : t("adminNeverSaved");
}

function renderSwitches(box, prefix, configs) {
  box.replaceChildren();
  for (const c of configs) {
    const id = `${prefix}-${c.id}`;
    const row = document.createElement("div");
    row.className = "switch";
    const cb = document.createElement("input");
    cb.type = "checkbox";
    cb.id = id;
    cb.value = c.id;
    cb.checked = c.enabled;
    cb.dataset.testid = "admin-config-" + c.id;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = `${pick(c.name) || c.id} (${c.id})`;
    row.append(cb, label);
    box.append(row);
  }
}

function disabledIn(box) {
  return [...box.querySelectorAll("input[type=checkbox]")].filter((cb) => !cb.checked).map((cb) => cb.value);
}

function renderBackends(list) {
  const body = $("backends");
  body.replaceChildren();
  if (!list.length) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 5;
    td.textContent = t("adminNoBackends");
    tr.append(td);
    body.append(tr);
    return;
  }
  for (const b of list) {
    const tr = document.createElement("tr");
    tr.dataset.state = b.state;
    const q = b.queue ? t("adminQueue", { in_use: b.queue.in_use, slots: b.queue.slots, waiting: b.queue.waiting }) : "–";
    const stateKey = "adminState_" + b.state;
    const state = t(stateKey) === stateKey ? b.state : t(stateKey); // a supervisor state has no text of its own
    for (const text of [b.name, b.kind === "llm" ? t("adminKindLLM") : t("adminKindImage"), state, q, b.detail || ""]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
}

async function loadBackends() {
  try { renderBackends(await api.getBackends()); } catch (e) { sayError(e); }
}

async function load() {
  renderSettings(await api.getAdminSettings());
  await loadBackends();
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  say("");
  try {
    const me = await api.login($("name").value, $("password").value);
    $("password").value = "";
    if (me.role !== "admin") { say(t("adminNotAdmin")); return; }
    show(true);
    await load();
  } catch (e) { sayError(e); }
});

$("logout").addEventListener("click", async () => {
  await api.logout().catch(() => {});
  show(false);
});

$("settings-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  say("");
  try {
    renderSettings(await api.putAdminSettings({
      safety_floor: $("floor").value,
      disabled_interceptions: disabledIn($("interceptions")),
      disabled_outputs: disabledIn($("outputs")),
    }));
    say(t("adminSaved"));
  } catch (e) { sayError(e); }
});

$("backends-refresh").addEventListener("click", loadBackends);

$("lang-toggle").addEventListener("click", () => setLang(getLang() === "de" ? "en" : "de"));
onLangChange((l) => {
  api.setApiLang(l);
  if (current) renderSettings(current);
  if (!$("backends-card").hidden) loadBackends();
});
setLang(storedLang() || browserLang() || "de");

api.getMe()
  .then((me) => {
    if (me.role !== "admin") { say(t("adminNotAdmin")); show(false); return; }
    show(true);
    return load();
  })
  .catch(() => show(false));
