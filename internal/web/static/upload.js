// upload: the input images of image-to-image outputs. Shown only for an
// output whose config takes uploads; drag and drop, a file picker, a camera
// picker for tablets, previews, and "use a result as input".
import * as api from "./api.js";
import { app } from "./state.js";
import { t, onLangChange } from "./i18n.js";
import { session, save } from "./session.js";
import { showError, clearMessages, setStatus } from "./messages.js";
import { chooseOutput, onOutputChange } from "./tiles.js";

const $ = (id) => document.getElementById(id);
const previews = new Map(); // upload id → object URL of a file picked in this page

/** limits is the output's uploads {min, max} ({0, 0} when it takes none). */
export function limits(output) { return app.outputUploads[output] || { min: 0, max: 0 }; }

/** loadUploadLimits reads each output config's uploads from its full config. */
export async function loadUploadLimits() {
  await Promise.all(app.outputs.map(async (c) => {
    try {
      const d = await api.getConfig(c.id);
      const u = d.config.uploads || {};
      app.outputUploads[c.id] = { min: u.min || 0, max: u.max || 0 };
    } catch { app.outputUploads[c.id] = { min: 0, max: 0 }; }
  }));
}

/** initUpload wires the drop zone and the pickers. */
export function initUpload() {
  for (const id of ["upload-input", "camera-input"]) {
    $(id).addEventListener("change", (e) => {
      for (const f of e.target.files) addFile(f);
      e.target.value = "";
    });
  }
  const zone = $("dropzone");
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("drag"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("drag"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("drag");
    for (const f of e.dataTransfer.files) if (f.type.startsWith("image/")) addFile(f);
  });
  onOutputChange(refresh);
  onLangChange(refresh);
  refresh();
}

/** uploadIds are the uploads the chosen output takes. */
export function uploadIds(output) {
  return (session().uploads || []).slice(0, limits(output).max).map((u) => u.id);
}

/** missingUploads is how many more images output needs (0 when enough). */
export function missingUploads(output) {
  return Math.max(0, limits(output).min - uploadIds(output).length);
}

function remember(u) {
  const max = Math.max(1, limits(session().output).max);
  const list = [...(session().uploads || []), u].slice(-max);
  save({ uploads: list });
  clearMessages("upload");
  refresh();
}

async function addFile(file) {
  clearMessages("upload");
  setStatus("uploading");
  try {
    const u = await api.uploadImage(file, file.name || "image");
    previews.set(u.upload_id, URL.createObjectURL(file));
    remember({ id: u.upload_id, width: u.width, height: u.height });
    setStatus("");
  } catch (err) {
    setStatus("");
    showError("upload", err);
  }
}

/** useAsInput uploads a result image as input, switching to an output that takes images. */
export async function useAsInput(result) {
  if (limits(session().output).max === 0) {
    const next = app.outputs.find((c) => limits(c.id).min > 0) || app.outputs.find((c) => limits(c.id).max > 0);
    if (next) chooseOutput(next.id);
  }
  $("upload").hidden = false;
  setStatus("uploading");
  try {
    const blob = await api.fetchMedia(result.url);
    const u = await api.uploadImage(blob, "result.png");
    remember({ id: u.upload_id, src: result.url, width: u.width, height: u.height });
    setStatus("");
    $("upload").scrollIntoView({ behavior: "smooth", block: "center" });
  } catch (err) {
    setStatus("");
    showError("upload", err);
  }
}

function refresh() {
  const lim = limits(session().output);
  $("upload").hidden = lim.max === 0;
  const list = $("previews");
  list.replaceChildren();
  (session().uploads || []).forEach((u, i) => {
    const li = document.createElement("li");
    const src = u.src || previews.get(u.id);
    if (src) {
      const img = document.createElement("img");
      img.src = src;
      img.alt = t("uploadAlt", { n: i + 1 });
      li.append(img);
    } else {
      const p = document.createElement("span");
      p.className = "preview-missing";
      p.textContent = t("uploadAlt", { n: i + 1 });
      li.append(p);
    }
    const rm = document.createElement("button");
    rm.type = "button";
    rm.className = "btn btn-quiet";
    rm.textContent = t("uploadRemove");
    rm.setAttribute("aria-label", t("uploadRemove") + " " + (i + 1));
    rm.addEventListener("click", () => {
      save({ uploads: session().uploads.filter((x) => x.id !== u.id) });
      refresh();
    });
    li.append(rm);
    list.append(li);
  });
}
