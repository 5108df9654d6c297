// teacher: sign in, make workshops, pause, resume and delete them. All
// server calls go through api.js; the session is an HttpOnly cookie.
import * as api from "./api.js";

const $ = (id) => document.getElementById(id);
const msg = $("msg");
const say = (text) => { msg.textContent = text || ""; };

function show(signedIn) {
  $("login-card").hidden = signedIn;
  $("ws-card").hidden = !signedIn;
  $("logout").hidden = !signedIn;
}

function button(label, testid, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "btn btn-quiet";
  b.textContent = label;
  b.dataset.testid = testid;
  b.addEventListener("click", async () => {
    try { await action(); await refresh(); } catch (e) { say(e.message); }
  });
  return b;
}

async function refresh() {
  const list = $("ws-list");
  list.replaceChildren();
  for (const w of await api.listWorkshops()) {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = w.join_url;
    link.textContent = w.join_url;
    li.append(`${w.name} – Code ${w.code}${w.paused ? " (angehalten)" : ""} – `, link, " ");
    li.append(w.paused ? button("Fortsetzen", "workshop-resume", () => api.resumeWorkshop(w.id))
      : button("Anhalten", "workshop-pause", () => api.pauseWorkshop(w.id)));
    const exp = document.createElement("a");
    exp.className = "btn btn-quiet";
    exp.href = "/api/teacher/workshops/" + encodeURIComponent(w.id) + "/export";
    exp.textContent = "Forschungsdaten (zip)";
    exp.dataset.testid = "workshop-export";
    li.append(exp, " ");
    li.append(button("Daten löschen", "workshop-delete-data", async () => {
      if (confirm("Alle Läufe und Bilder dieses Workshops jetzt löschen?")) await api.deleteWorkshopData(w.id);
    }));
    li.append(button("Workshop löschen", "workshop-delete", async () => {
      if (confirm("Workshop mit allen Daten löschen?")) await api.deleteWorkshop(w.id);
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
  const start = new Date();
  const end = new Date(start.getTime() + Number($("ws-hours").value) * 3600e3);
  try {
    await api.createWorkshop({
      name: $("ws-name").value, safety_level: $("ws-level").value || undefined,
      limits: { runs_at_once: 0, runs_per_hour: Number($("ws-perhour").value), generations_per_hour: 0, max_devices: Number($("ws-devices").value) },
      starts_at: start.toISOString(), ends_at: end.toISOString(),
    });
    $("ws-name").value = "";
    await refresh();
  } catch (e) { say(e.message); }
});

api.getMe().then(() => { show(true); return refresh(); }).catch(() => show(false));
