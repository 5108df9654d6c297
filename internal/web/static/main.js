// main: starts the page: language, server facts, configs, then each part,
// and resumes a run this tab was watching before a reload.
import * as api from "./api.js";
import { app } from "./state.js";
import { setLang, getLang, storedLang, browserLang, onLangChange, t } from "./i18n.js";
import { session } from "./session.js";
import { setStatus, showError } from "./messages.js";
import { initTiles, OWN_RULES } from "./tiles.js";
import * as idea from "./idea.js";
import * as run from "./run.js";
import { initResults, setResultActions, clearResults, showMedia } from "./results.js";
import { initUpload, loadUploadLimits, uploadIds, missingUploads, useAsInput } from "./upload.js";
import { renderGallery, setGalleryOpener } from "./gallery.js";
import { loadWorkshop, allowedOnly, watchWorkshop } from "./workshop.js";

const $ = (id) => document.getElementById(id);

function interceptionBody() {
  const s = session();
  return {
    stages: "interception",
    prompt: idea.promptText(),
    interception: s.config,
    context: s.config === OWN_RULES ? $("rules").value : undefined,
  };
}

function generationBody(text, output) {
  const s = session();
  return {
    stages: "generation",
    text,
    interception: s.config && s.config !== OWN_RULES ? s.config : undefined,
    output,
    uploads: uploadIds(output),
    // the interception run this text came from: the research record links them
    source_run: s.interceptionRun || undefined,
  };
}

function transform() {
  if (run.busy()) return;
  const s = session();
  const body = interceptionBody();
  run.startRun("interception", body, () => idea.setSteps(body.prompt, s.config, body.context || ""));
}

function generate(text, output) {
  if (run.busy()) return;
  const missing = missingUploads(output);
  if (missing > 0) {
    showError("upload", { message: t("uploadNeeded", { n: missing }) });
    $("upload-input").focus();
    return;
  }
  run.startRun("generation", generationBody(text, output));
}

// openRecord shows a past run from the gallery with the texts of each step.
function openRecord(gen, from) {
  if (run.busy() || !gen) return;
  const input = gen.input || {};
  const fin = (from && from.input) || {};
  idea.setSteps(fin.prompt || "", fin.interception || input.interception || "", fin.context || "");
  idea.setInterception(input.text || "");
  const opt = (gen.results || []).find((r) => r.stage === 3);
  idea.setOptimized(opt ? opt.text || "" : "");
  clearResults();
  for (const m of gen.media || []) showMedia(m, { runId: gen.run_id, output: input.output, text: input.text }, true);
}

async function boot() {
  try {
    app.info = await api.getInfo();
  } catch { /* keep the defaults */ }
  setLang(storedLang() || app.info.language || browserLang() || "de");
  api.setApiLang(getLang());
  onLangChange((l) => api.setApiLang(l));
  $("demo-banner").hidden = !app.info.demo;
  try {
    const configs = await api.getConfigs();
    app.interceptions = configs.filter((c) => c.kind === "interception");
    app.outputs = configs.filter((c) => c.kind === "output");
    if (await loadWorkshop()) allowedOnly();
    await loadUploadLimits();
  } catch (err) {
    showError("idea", err);
  }
  initTiles();
  idea.initIdea();
  initResults();
  initUpload();
  renderGallery();
  setResultActions({
    regenerate: (r) => generate(r.text, r.output),
    useAsInput,
  });
  setGalleryOpener(openRecord);
  $("transform").addEventListener("click", transform);
  $("generate").addEventListener("click", () => generate(idea.interceptionText() || idea.promptText(), session().output));
  $("cancel").addEventListener("click", run.cancel);
  $("lang-toggle").addEventListener("click", () => setLang(getLang() === "de" ? "en" : "de"));
  if (!session().run) setStatus("statusIdle");
  watchWorkshop();
  await run.resume();
  document.body.dataset.ready = "true";
}

boot();
