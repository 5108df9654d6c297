// run: starting runs, following their events and showing them. One run at a
// time: the start buttons are disabled from the first click until the run
// ends. The run's id and the id of the last event applied are kept in the
// session with the texts they produced, so a reload or a dropped connection
// continues the run without losing or repeating text.
import * as api from "./api.js";
import { getLang, t } from "./i18n.js";
import { session, save } from "./session.js";
import { setStatus, showError, showSafety, clearMessages } from "./messages.js";
import { queueWaiting, queueAcquired, queueHide } from "./queue.js";
import { setTilesLocked } from "./tiles.js";
import * as idea from "./idea.js";
import { showMedia, clearResults, setResultsLocked } from "./results.js";
import { addToGallery } from "./gallery.js";

const $ = (id) => document.getElementById(id);
let starting = false;
let closeStream = null;
let stageKey = ""; // the status of the current stage, restored after a reconnect

/** busy reports whether a run is starting or running. */
export function busy() { return starting || !!session().run; }

// slot is where a run's messages appear: by the idea box or by the generate button.
const slot = (kind) => (kind === "interception" ? "idea" : "generate");

function lockUI(on, kind) {
  $("transform").disabled = on;
  $("generate").disabled = on;
  idea.setStreaming(on && kind === "interception");
  setTilesLocked(on);
  setResultsLocked(on);
  const cancel = $("cancel");
  cancel.hidden = !on;
  const panel = $("run-panel");
  const anchor = kind === "generation" ? $("generate").parentElement : $("transform").parentElement;
  if (on && panel.previousElementSibling !== anchor) anchor.after(panel);
  if (!on) $("progress").hidden = true;
}

/**
 * startRun starts a run of kind "interception" or "generation" with body
 * (lang is added); onStarted runs once the server accepted it. A second call
 * while one starts or runs does nothing.
 */
export async function startRun(kind, body, onStarted = () => {}) {
  if (busy()) return;
  starting = true;
  clearMessages();
  lockUI(true, kind);
  setStatus("statusStarting");
  let created;
  try {
    created = await api.startRun({ ...body, lang: getLang() });
  } catch (err) {
    starting = false;
    lockUI(false, kind);
    setStatus("");
    showError(slot(kind), err);
    return;
  }
  starting = false;
  onStarted();
  if (kind === "interception") {
    idea.setInterception("");
    idea.setOptimized("");
    save({ interceptionRun: created.run_id });
  } else {
    idea.setOptimized("");
    clearResults();
  }
  save({ run: { id: created.run_id, kind, lastSeq: 0, output: body.output || "", text: body.text || "" } });
  follow();
}

/**
 * resume continues the run this tab watched before a reload: a finished run
 * is shown from its record, an unfinished one from its event stream.
 */
export async function resume() {
  const run = session().run;
  if (!run) return;
  lockUI(true, run.kind);
  let rec;
  try {
    rec = await api.getRun(run.id);
  } catch (err) {
    if (err.status === 404) { save({ run: null }); lockUI(false, run.kind); showError(slot(run.kind), { message: t("runLost") }); return; }
    rec = null; // the server is unreachable: the stream will retry
  }
  if (rec && finalState(rec.state)) { finishFromRecord(run, rec); return; }
  follow();
}

function finalState(s) { return ["done", "failed", "blocked", "cancelled", "interrupted"].includes(s); }

function follow() {
  const run = session().run;
  if (closeStream) closeStream();
  closeStream = api.openEvents(run.id, apply, trouble);
}

// trouble is told about the connection: null when (re)opened, false while
// the browser reconnects by itself, true when it gave up.
function trouble(closed) {
  if (!session().run) return;
  if (closed === null) { if (stageKey) setStatus(stageKey); return; }
  setStatus("statusReconnecting");
  if (closed) setTimeout(resume, 2000);
}

function stage(key) { stageKey = key; setStatus(key); }

// apply shows one event; an event whose id was applied before is skipped.
function apply(type, d, id) {
  const run = session().run;
  if (!run) return;
  if (id !== null && id <= run.lastSeq) return;
  switch (type) {
    case "stage":
      if (d.status === "started") {
        if (d.stage === 2) stage("statusWriting");
        if (d.stage === 3) stage("statusOptimizing");
        if (d.stage === 4) stage(d.detail ? "statusBackend" : "statusGenerating");
      }
      break;
    case "queue_status":
      if (d.status === "waiting") { queueWaiting(d.position, d.waited_ms); setStatus("statusWaiting"); } else { queueAcquired(); if (stageKey) setStatus(stageKey); }
      break;
    case "chunk":
      if (d.stage === 2) idea.appendInterception(d.text);
      if (d.stage === 3) idea.appendOptimized(d.text);
      break;
    case "text":
      if (d.stage === 2) idea.setInterception(d.text);
      if (d.stage === 3) idea.setOptimized(d.text);
      break;
    case "safety":
      if (d.verdict === "blocked") { showBlock(d.stage, d.reason, d.suggestion); run.blockShown = true; }
      break;
    case "progress": {
      const p = $("progress");
      p.hidden = false;
      p.max = d.max || 1;
      p.value = d.value;
      if (stageKey === "statusBackend") stage("statusGenerating");
      break;
    }
    case "media":
      showMedia(d, { runId: run.id, output: run.output, text: run.text }, true);
      break;
    case "error":
      // A blocked run's error repeats what its safety message already says.
      if (d.code !== "cancelled" && !(d.code === "blocked" && run.blockShown)) showError(slot(run.kind), d);
      break;
    case "done":
      finish(run, d.state);
      return;
  }
  if (id !== null) { run.lastSeq = id; save({ run }); }
}

function showBlock(stageNo, reason, suggestion) {
  if (stageNo === 1) showSafety("idea", reason, suggestion, idea.setPrompt);
  else showSafety("generate", reason, suggestion, (s) => idea.setInterception(s));
}

const STATUS = { done: "statusDone", failed: "statusFailed", blocked: "statusBlocked", cancelled: "statusCancelled", interrupted: "statusInterrupted" };

function finish(run, state) {
  if (closeStream) { closeStream(); closeStream = null; }
  save({ run: null });
  stageKey = "";
  queueHide();
  lockUI(false, run.kind);
  setStatus(run.kind === "generation" && state === "done" ? "statusImageDone" : STATUS[state] || "statusFailed");
  if (run.kind === "generation" && state === "done") addToGallery(run.id, session().interceptionRun || "");
}

function finishFromRecord(run, rec) {
  for (const r of rec.results || []) {
    if (r.stage === 2 && r.text) idea.setInterception(r.text);
    if (r.stage === 3 && r.text) idea.setOptimized(r.text);
  }
  if (run.kind === "generation") {
    clearResults();
    for (const m of rec.media || []) showMedia(m, { runId: run.id, output: run.output, text: run.text }, false);
  }
  if (rec.error && rec.error.code !== "cancelled") {
    if (rec.state === "blocked") showBlock(run.kind === "interception" ? 1 : 3, rec.error.message, "");
    else showError(slot(run.kind), rec.error);
  }
  finish(run, rec.state);
}

/** cancel asks the server to cancel the active run; its stream then ends it. */
export async function cancel() {
  const run = session().run;
  if (!run) return;
  try {
    await api.cancelRun(run.id);
  } catch (err) {
    if (err.code !== "run_finished") showError(slot(run.kind), err);
  }
}
