// workshop: what the student's page shows of the workshop this browser
// joined (GET /api/workshop): its name and the nickname, the configs it
// allows, the quota left, and the teacher's message while it is paused.
import { getStudentWorkshop } from "./api.js";
import { app } from "./state.js";
import { t, onLangChange } from "./i18n.js";

const $ = (id) => document.getElementById(id);
/** How often the page asks again (pause, quota). */
const REFRESH_MS = 10000;

let ws = null;

/** loadWorkshop asks which workshop this browser joined; null when none. */
export async function loadWorkshop() {
  try {
    ws = await getStudentWorkshop();
  } catch {
    ws = null;
  }
  render();
  return ws;
}

/**
 * allowedOnly keeps the configs the workshop allows (an empty list allows
 * all); without a workshop it keeps them all.
 */
export function allowedOnly() {
  if (!ws) return;
  const keep = (list, allowed) => (allowed.length ? list.filter((c) => allowed.includes(c.id)) : list);
  app.interceptions = keep(app.interceptions, ws.interceptions);
  app.outputs = keep(app.outputs, ws.outputs);
}

/** watchWorkshop asks again every few seconds, so a pause shows soon. */
export function watchWorkshop() {
  if (!ws) return;
  onLangChange(render);
  setInterval(loadWorkshop, REFRESH_MS);
}

function render() {
  const box = $("workshop-banner");
  box.hidden = !ws;
  if (!ws) return;
  $("workshop-name").textContent = t("wsBanner", { name: ws.name, nick: ws.nickname });
  const q = ws.quota || {};
  const parts = [];
  if (q.runs_left !== undefined) parts.push(t("wsQuota", { n: q.runs_left }));
  if (q.generations_left !== undefined) parts.push(t("wsQuotaImages", { n: q.generations_left }));
  $("workshop-quota").textContent = parts.join(" ");
  $("workshop-quota").hidden = parts.length === 0;
  box.classList.toggle("workshop-paused", ws.paused);
  box.dataset.paused = String(ws.paused);
  $("workshop-pause").hidden = !ws.paused;
  $("workshop-pause").textContent = ws.paused ? t("wsPaused") + (ws.pause_message ? " " + ws.pause_message : "") : "";
}
