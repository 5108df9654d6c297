// gallery: this browser's past images. Only run ids are kept (localStorage);
// each item is reopened from GET /api/runs/{id} with the texts of each step.
import * as api from "./api.js";
import { t, onLangChange } from "./i18n.js";

const KEY = "ai4artsed.gallery";
const MAX = 24;
let opener = () => {};

function entries() {
  try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch { return []; }
}

/** setGalleryOpener sets what happens when an item is chosen: fn(genRecord, fromRecord|null). */
export function setGalleryOpener(fn) { opener = fn; }

/** addToGallery remembers a finished generation run and the interception run it came from. */
export function addToGallery(run, from) {
  const list = [{ run, from }, ...entries().filter((e) => e.run !== run)].slice(0, MAX);
  try { localStorage.setItem(KEY, JSON.stringify(list)); } catch { /* storage full */ }
  renderGallery();
}

const records = new Map(); // run id → its record (a page's cache)

async function record(id) {
  if (!records.has(id)) records.set(id, api.getRun(id).catch(() => null));
  return records.get(id);
}

/** renderGallery draws the items, newest first. */
export async function renderGallery() {
  const list = entries();
  const box = document.getElementById("gallery");
  document.getElementById("gallery-empty").hidden = list.length > 0;
  const items = await Promise.all(list.map(async (e) => ({ e, rec: await record(e.run) })));
  box.replaceChildren();
  for (const { e, rec } of items) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "gallery-item";
    b.dataset.testid = "gallery-item";
    b.dataset.runId = e.run;
    const media = rec && rec.media && rec.media[0];
    const text = rec && rec.input ? rec.input.text || "" : "";
    if (media) {
      const img = document.createElement("img");
      img.src = media.url;
      img.alt = "";
      img.loading = "lazy";
      b.append(img);
    }
    const label = document.createElement("span");
    label.textContent = rec ? text.slice(0, 60) : t("galleryMissing");
    b.append(label);
    b.setAttribute("aria-label", rec ? t("galleryOpen", { text: text.slice(0, 80) }) : t("galleryMissing"));
    b.disabled = !rec;
    b.addEventListener("click", async () => opener(rec, e.from ? await record(e.from) : null));
    li.append(b);
    box.append(li);
  }
}
onLangChange(() => renderGallery());
