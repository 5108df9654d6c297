// teacher: sign in, make workshops, open one in the class view, pause,
// resume and delete them. All server calls go through api.js; the session
// is an HttpOnly cookie. Texts come from the i18n tables (German, English).
import * as api from "./api.js";
import { t, setLang, getLang, storedLang, browserLang, onLangChange } from "./i18n.js";
import { initClassView, openClassView, closeClassView, shownWorkshop } from "./classview.js";

const $ = (id) => document.getElementById(id);
const msg = $("msg");
const say = (text) => { msg.textContent = text || ""; };

function show(signedIn) {
  $("login-card").hidden = signedIn;
  $("ws-card").hidden = !signedIn;
  $("logout").hidden = !signedIn;
  if (!signedIn) closeClassView();
}

function button(label, testid, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "btn btn-quiet";
  b.textContent = label;
  b.dataset.testid = testid;
  b.addEventListener("click", async () => {
    say("");
    try { await action(); await refresh(); } catch (e) { say(e.message); }
  });
  return b;
}

let workshops = [];

async function refresh() {
  workshops = await api.listWorkshops();
  render();
}

function render() {
  const list = $("ws-list");
  list.replaceChildren();
  for (const w of workshops) {
    const li = document.createElement("li");
    li.dataset.workshopId = w.id;
    li.append(t("wsItem", { name: w.name, code: w.code }) + (w.paused ? t("wsPausedMark") : ""), " ");
    li.append(button(t("wsOpen"), "workshop-open", () => openClassView(w)));
    li.append(w.paused ? button(t("wsResume"), "workshop-resume", () => api.resumeWorkshop(w.id))
      : button(t("wsPause"), "workshop-pause", () => api.pauseWorkshop(w.id)));
    const exp = document.createElement("a");
    exp.className = "btn btn-quiet";
    exp.href = api.exportURL(w.id);
    exp.textContent = t("classExport");
    exp.dataset.testid = "workshop-export";
    li.append(exp);
    li.append(button(t("wsDeleteData"), "workshop-delete-data", async () => {
      if (confirm(t("wsConfirmData"))) await api.deleteWorkshopData(w.id);
    }));
    li.append(button(t("wsDelete"), "workshop-delete", async () => {
      if (!confirm(t("wsConfirmDelete"))) return;
      await api.deleteWorkshop(w.id);
      if (shownWorkshop() === w.id) closeClassView();
    }));
    list.append(li);
  }
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  say("");
  try {
    await api.login($("name").value, $("password").value);
    $("password").value = "";
    show(true);
    await refresh();
  } catch (e) { say(e.message); }
});

$("logout").addEventListener("click", async () => {
  await api.logout().catch(() => {});
  show(false);
});

$("ws-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  say("");
  const start = new Date();
  const end = new Date(start.getTime() + Number($("ws-hours").value) * 3600e3);
  try {
    const ws = await api.createWorkshop({
      name: $("ws-name").value, safety_level: $("ws-level").value || undefined,
      limits: { runs_at_once: 0, runs_per_hour: Number($("ws-perhour").value),
        generations_per_hour: Number($("ws-images").value), max_devices: Number($("ws-devices").value) },
      starts_at: start.toISOString(), ends_at: end.toISOString(),
    });
    $("ws-name").value = "";
    await refresh();
    openClassView(ws);
  } catch (e) { say(e.message); }
});

async function boot() {
  onLangChange((l) => { api.setApiLang(l); document.title = t("teacherTitle"); render(); });
  setLang(storedLang() || browserLang() || "de");
  $("lang-toggle").addEventListener("click", () => setLang(getLang() === "de" ? "en" : "de"));
  initClassView(say);
  try {
    await api.getMe();
    show(true);
    await refresh();
  } catch { show(false); }
  document.body.dataset.ready = "true";
}

boot();
