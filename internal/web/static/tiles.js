// tiles: rows of config tiles (interception and output configs) as toggle
// buttons with a roving tabindex: Tab enters the row once, the arrow keys,
// Home and End move between tiles, Enter or Space chooses.
import { iconElement } from "./icons.js";
import { app, LEVEL_AGE } from "./state.js";
import { session, save } from "./session.js";
import { getConfig } from "./api.js";
import { t, pick, onLangChange } from "./i18n.js";
import { showError, clearMessages } from "./messages.js";

/**
 * renderTiles fills box with one button per config. opts: testid, selected
 * (an id), onSelect(id), disabled (bool).
 */
export function renderTiles(box, configs, opts) {
  const focusedId = box.contains(document.activeElement) ? document.activeElement.dataset.configId : null;
  box.replaceChildren();
  const ids = configs.map((c) => c.id);
  const tabStop = ids.includes(opts.selected) ? opts.selected : ids[0];
  for (const c of configs) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "tile";
    b.dataset.testid = opts.testid;
    b.dataset.configId = c.id;
    b.setAttribute("aria-pressed", String(c.id === opts.selected));
    b.tabIndex = c.id === tabStop ? 0 : -1;
    // aria-disabled, not disabled: a tile keeps the keyboard focus while a run streams.
    if (opts.disabled) b.setAttribute("aria-disabled", "true");
    b.style.setProperty("--tile-color", c.color || "#5c6bc0");
    const name = document.createElement("span");
    name.className = "tile-name";
    name.textContent = pick(c.name);
    const desc = document.createElement("span");
    desc.className = "tile-desc";
    desc.textContent = pick(c.description);
    b.append(iconElement(c.icon), name, desc);
    b.addEventListener("click", () => { if (!opts.disabled) opts.onSelect(c.id); });
    box.append(b);
  }
  // In a sideways-scrolling row (phones) the chosen tile is brought into view.
  const chosen = box.querySelector('[aria-pressed="true"]');
  if (chosen && box.scrollWidth > box.clientWidth) {
    const left = chosen.offsetLeft - box.offsetLeft;
    if (left < box.scrollLeft || left + chosen.offsetWidth > box.scrollLeft + box.clientWidth) box.scrollLeft = left - 8;
  }
  if (focusedId) {
    const again = box.querySelector(`[data-config-id="${CSS.escape(focusedId)}"]`);
    if (again) again.focus();
  }
}

/** enableRovingKeys makes the arrow keys move the focus between box's tiles. */
export function enableRovingKeys(box) {
  box.addEventListener("keydown", (e) => {
    const tiles = [...box.querySelectorAll(".tile")];
    const i = tiles.indexOf(document.activeElement);
    if (i < 0) return;
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
    let next = -1;
    if (step) next = (i + step + tiles.length) % tiles.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = tiles.length - 1;
    if (next < 0) return;
    e.preventDefault();
    tiles[i].tabIndex = -1;
    tiles[next].tabIndex = 0;
    tiles[next].focus();
    tiles[next].scrollIntoView({ block: "nearest", inline: "nearest" });
  });
}

// ---- the two rows of the page: transformations and outputs ----


const OWN = "user_defined";
let locked = false;
const changeListeners = [];

/** onOutputChange registers fn(outputId) to run when the output choice changes. */
export function onOutputChange(fn) { changeListeners.push(fn); }

/** allowedInterceptions are the configs suitable for the server's safety level. */
export function allowedInterceptions() {
  const age = LEVEL_AGE[app.info.safety_level] ?? 13;
  return app.interceptions.filter((c) => (c.min_age || 0) <= age);
}

/** setTilesLocked disables every tile while a run streams. */
export function setTilesLocked(on) {
  locked = on;
  renderInterceptions();
  renderOutputs();
}

/** initTiles chooses defaults, draws both rows and wires their keys. */
export function initTiles() {
  const s = session();
  const allowed = allowedInterceptions();
  if (!allowed.some((c) => c.id === s.config)) {
    const first = allowed.find((c) => c.id !== OWN) || allowed[0];
    save({ config: first ? first.id : OWN });
  }
  if (!app.outputs.some((c) => c.id === s.output)) save({ output: app.outputs[0] ? app.outputs[0].id : "" });
  enableRovingKeys(document.getElementById("tiles"));
  enableRovingKeys(document.getElementById("outputs"));
  const rules = document.getElementById("rules");
  rules.value = s.rules || "";
  rules.addEventListener("input", () => save({ rules: rules.value }));
  document.getElementById("edit-rules").addEventListener("click", loadRules);
  renderAll();
  onLangChange(renderAll);
}

function renderAll() {
  renderCategories();
  renderInterceptions();
  renderOutputs();
}

let category = ""; // "" is every category (compared by the German name, stable across languages)

function renderCategories() {
  const box = document.getElementById("categories");
  const seen = new Map();
  for (const c of allowedInterceptions()) if (c.category && !seen.has(c.category.de)) seen.set(c.category.de, c.category);
  box.replaceChildren();
  const chip = (key, label) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "chip";
    b.textContent = label;
    b.setAttribute("aria-pressed", String(category === key));
    b.addEventListener("click", () => { category = key; renderCategories(); renderInterceptions(); });
    box.append(b);
  };
  chip("", t("categoryAll"));
  for (const [key, text] of seen) chip(key, pick(text));
}

function renderInterceptions() {
  const s = session();
  const shown = allowedInterceptions().filter((c) => !category || (c.category && c.category.de === category) || c.id === s.config);
  renderTiles(document.getElementById("tiles"), shown, {
    testid: "config-tile", selected: s.config, disabled: locked,
    onSelect: (id) => { save({ config: id }); clearMessages("idea"); renderInterceptions(); },
  });
  document.getElementById("rules-box").hidden = s.config !== OWN;
  document.getElementById("edit-rules").hidden = s.config === OWN || locked;
}

/** loadRules copies the chosen config's rules into "your own rules" to be changed. */
async function loadRules() {
  const s = session();
  try {
    const d = await getConfig(s.config);
    const ctx = d.config.context;
    const text = typeof ctx === "string" ? ctx : pick(ctx);
    document.getElementById("rules").value = text;
    save({ config: OWN, rules: text });
    renderInterceptions();
    document.getElementById("rules").focus();
  } catch (err) {
    showError("idea", err);
  }
}

function renderOutputs() {
  const s = session();
  renderTiles(document.getElementById("outputs"), app.outputs, {
    testid: "output-tile", selected: s.output, disabled: locked,
    onSelect: (id) => chooseOutput(id),
  });
}

/** chooseOutput selects an output config and tells who listens. */
export function chooseOutput(id) {
  save({ output: id });
  clearMessages("generate");
  renderOutputs();
  for (const fn of changeListeners) fn(id);
}

/** interceptionName is the chosen config's name, for the steps view. */
export function interceptionName(id) {
  const c = app.interceptions.find((x) => x.id === id);
  return c ? pick(c.name) : id;
}

/** OWN_RULES is the id of the user-defined config. */
export const OWN_RULES = OWN;
