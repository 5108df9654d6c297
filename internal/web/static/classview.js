// classview: the teacher's live view of one workshop (docs/api.md, "Class
// view"): join code and QR code, pause with a message, the quota, the
// export link, and every run of the class as it happens, with filters.
import * as api from "./api.js";
import { t, onLangChange } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const FINAL = new Set(["done", "failed", "blocked", "cancelled", "interrupted"]);
const STATE_KEY = { queued: "stateQueued", running: "stateRunning", done: "stateDone", failed: "stateFailed",
  blocked: "stateBlocked", cancelled: "stateCancelled", interrupted: "stateInterrupted" };

let current = null; // {ws, runs: Map(run_id → ClassRun), state: ClassWorkshop, close}
let say = () => {};

/** initClassView wires the controls; report(text) shows a message. */
export function initClassView(report) {
  say = report;
  $("filter-blocked").addEventListener("change", renderRuns);
  $("filter-student").addEventListener("change", renderRuns);
  $("pause-btn").addEventListener("click", () => act(() => api.pauseWorkshop(current.ws.id, $("pause-msg").value.trim())));
  $("resume-btn").addEventListener("click", () => act(() => api.resumeWorkshop(current.ws.id)));
  onLangChange(() => { if (current) { renderHead(); renderRuns(); } });
}

async function act(fn) {
  say("");
  try { await fn(); } catch (e) { say(e.message); }
}

/** openClassView shows workshop ws live (closing the one shown before). */
export function openClassView(ws) {
  closeClassView();
  current = { ws, runs: new Map(), state: null, close: null };
  $("class-card").hidden = false;
  $("join-qr").src = api.qrURL(ws.id);
  $("join-code").textContent = ws.code;
  $("join-url").href = ws.join_url;
  $("join-url").textContent = ws.join_url;
  $("export-link").href = api.exportURL(ws.id);
  $("pause-msg").value = ws.pause_message || "";
  renderHead();
  renderRuns();
  const mine = current;
  current.close = api.openClass(ws.id, (type, data) => {
    if (current !== mine) return;
    if (type === "workshop") { mine.state = data; renderHead(); }
    if (type === "snapshot") {
      mine.runs.clear();
      for (const r of data.runs) mine.runs.set(r.run_id, r);
      renderRuns();
    }
    if (type === "class_run") { mine.runs.set(data.run_id, data); renderRuns(); }
  }, (closed) => { if (current === mine) say(closed === null ? "" : t("classLost")); });
  $("class-card").scrollIntoView({ block: "start" });
}

/** closeClassView stops following the shown workshop, if any. */
export function closeClassView() {
  if (current && current.close) current.close();
  current = null;
  $("class-card").hidden = true;
}

/** shownWorkshop is the id of the workshop shown, or "". */
export function shownWorkshop() { return current ? current.ws.id : ""; }

function renderHead() {
  const ws = current.ws, st = current.state;
  $("class-h").textContent = t("classHeading", { name: (st && st.name) || ws.name });
  $("join-qr").alt = t("classQR", { url: ws.join_url });
  if (!st) return;
  const card = $("class-card");
  card.dataset.paused = String(st.paused);
  $("class-state").textContent = st.paused ? t("classPausedNow", { msg: st.pause_message || "–" }) : t("classRunning");
  $("pause-btn").hidden = st.paused;
  $("resume-btn").hidden = !st.paused;
  const q = st.quota;
  $("class-quota").textContent = q.generations_left === undefined
    ? t("classQuotaFree", { used: q.generations_used })
    : t("classQuota", { used: q.generations_used, max: q.generations_per_hour, left: q.generations_left });
  card.dataset.quotaLeft = q.generations_left === undefined ? "" : String(q.generations_left);
}

function isBlocked(r) {
  return r.state === "blocked" || (r.verdicts || []).some((v) => v.verdict === "blocked");
}

function renderStudents() {
  const sel = $("filter-student");
  const chosen = sel.value;
  const students = new Map();
  for (const r of current.runs.values()) students.set(r.device, r.nickname);
  const opts = [["", t("classFilterAll")], ...[...students].sort((a, b) => a[1].localeCompare(b[1]))];
  sel.replaceChildren(...opts.map(([v, label]) => {
    const o = document.createElement("option");
    o.value = v;
    o.textContent = label;
    return o;
  }));
  sel.value = students.has(chosen) ? chosen : "";
}

function renderRuns() {
  if (!current) return;
  renderStudents();
  const onlyBlocked = $("filter-blocked").checked, student = $("filter-student").value;
  const runs = [...current.runs.values()]
    .filter((r) => (!onlyBlocked || isBlocked(r)) && (!student || r.device === student))
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
  $("class-runs").replaceChildren(...runs.map(runItem));
  $("class-empty").hidden = runs.length > 0;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function runItem(r) {
  const li = el("li", "class-run" + (isBlocked(r) ? " class-run-blocked" : ""));
  li.dataset.testid = "class-run";
  li.dataset.runId = r.run_id;
  li.dataset.state = r.state;
  const head = el("p", "class-run-head");
  head.append(el("strong", "", r.nickname), " · ", el("span", "class-run-state", t(STATE_KEY[r.state] || r.state)));
  if (r.stage) head.append(" · ", el("span", "", t("classStage", { n: r.stage.stage, name: r.stage.name, status: r.stage.status })));
  if (r.queue && r.queue.position > 0) {
    const q = el("span", "class-run-queue", t("classQueue", { pos: r.queue.position }));
    q.dataset.testid = "class-run-queue";
    head.append(" · ", q);
  }
  li.append(head, el("p", "class-run-prompt step-text", r.prompt));
  for (const x of r.texts || []) li.append(el("p", "class-run-text step-text", x.stage + ": " + x.text));
  for (const v of r.verdicts || []) {
    const p = el("p", v.verdict === "blocked" ? "class-run-verdict msg msg-safety" : "class-run-verdict hint",
      v.verdict === "blocked" ? t("classBlocked", { reason: v.reason || "–" }) : t("classSafe", { n: v.stage }));
    p.dataset.testid = "class-run-verdict";
    li.append(p);
  }
  if (r.progress && !FINAL.has(r.state)) {
    const pr = el("progress");
    pr.max = r.progress.max || 1;
    pr.value = r.progress.value;
    pr.setAttribute("aria-label", r.nickname);
    li.append(pr);
  }
  if ((r.media || []).length) {
    const box = el("div", "class-run-media");
    for (const m of r.media) {
      const a = el("a");
      a.href = m.url;
      a.target = "_blank";
      a.rel = "noopener";
      const img = el("img", "class-thumb");
      img.dataset.testid = "class-thumb";
      img.src = m.url;
      img.alt = t("classImageAlt", { nick: r.nickname });
      img.loading = "lazy";
      a.append(img);
      box.append(a);
    }
    li.append(box);
  }
  if (r.error) li.append(el("p", "hint", r.error.message));
  if (!FINAL.has(r.state)) {
    const b = el("button", "btn btn-quiet", t("classStop"));
    b.type = "button";
    b.dataset.testid = "class-cancel";
    b.addEventListener("click", () => act(() => api.cancelClassRun(current.ws.id, r.run_id)));
    li.append(b);
  }
  return li;
}
