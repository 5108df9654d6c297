// results: the images of the latest generation run, with enlarge (a
// dialog), download under a readable file name, regenerate with a new seed
// and use as input image. The shown results are kept in the session.
import { t, onLangChange } from "./i18n.js";
import { session, save } from "./session.js";

const $ = (id) => document.getElementById(id);
let actions = { regenerate: () => {}, useAsInput: () => {} };
let locked = false;

/** setResultActions wires the buttons: regenerate(meta) and useAsInput(media). */
export function setResultActions(a) { actions = a; }

/** initResults shows the results kept in this tab's session. */
export function initResults() {
  render(false);
  onLangChange(() => render(false));
}

/** clearResults removes every shown result. */
export function clearResults() {
  save({ results: [] });
  render(false);
}

/**
 * showMedia adds one image (a media event or a record's media) with meta
 * {runId, output, text}; scroll brings it into view.
 */
export function showMedia(m, meta, scroll) {
  const results = (session().results || []).filter((r) => r.media_id !== m.media_id);
  results.push({ media_id: m.media_id, url: m.url, mime: m.mime, seed: m.seed, width: m.width, height: m.height, ...meta, at: Date.now() });
  save({ results });
  render(scroll);
}

/** setResultsLocked disables regenerate and use-as-input while a run is active. */
export function setResultsLocked(on) {
  locked = on;
  for (const b of document.querySelectorAll("#results button")) b.disabled = on;
}

/** fileName is a readable download name: config, date and seed. */
export function fileName(r) {
  const d = new Date(r.at || Date.now());
  const pad = (n) => String(n).padStart(2, "0");
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const ext = { "image/jpeg": "jpg", "image/webp": "webp" }[r.mime] || "png";
  const safe = String(r.output || "bild").replace(/[^a-zA-Z0-9_-]+/g, "_");
  return `ai4artsed_${safe}_${date}_seed${r.seed}.${ext}`;
}

function button(key, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "btn";
  b.textContent = t(key);
  b.disabled = locked;
  b.addEventListener("click", onClick);
  return b;
}

function render(scroll) {
  const results = session().results || [];
  const box = $("results");
  box.replaceChildren();
  $("results-card").hidden = results.length === 0;
  let last = null;
  for (const r of results) {
    const fig = document.createElement("figure");
    fig.className = "result";
    const img = document.createElement("img");
    img.src = r.url;
    img.alt = t("resultAlt", { text: (r.text || "").slice(0, 120) });
    img.dataset.testid = "result-image";
    img.dataset.mediaId = r.media_id;
    if (r.width && r.height) { img.width = r.width; img.height = r.height; }
    const bar = document.createElement("div");
    bar.className = "result-actions";
    const dl = document.createElement("a");
    dl.className = "btn";
    dl.href = r.url;
    dl.download = fileName(r);
    dl.textContent = t("download");
    dl.dataset.testid = "download-link";
    bar.append(
      button("enlarge", () => enlarge(img)),
      dl,
      button("regenerate", () => actions.regenerate(r)),
      button("useAsInput", () => actions.useAsInput(r)),
    );
    fig.append(img, bar);
    box.append(fig);
    last = fig;
  }
  if (scroll && last) last.scrollIntoView({ behavior: "smooth", block: "center" });
}

function enlarge(img) {
  const dlg = $("enlarge");
  $("enlarge-img").src = img.src;
  $("enlarge-img").alt = img.alt;
  dlg.showModal();
}
