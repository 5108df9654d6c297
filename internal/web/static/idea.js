// idea: the student's idea box and the steps view (idea, rules, the
// editable interception text, the text the image model got). Every text
// being written is kept in the session so a reload loses nothing.
import { session, save } from "./session.js";
import { t, onLangChange } from "./i18n.js";
import { interceptionName, OWN_RULES } from "./tiles.js";

const $ = (id) => document.getElementById(id);

/** initIdea restores the texts of this tab and keeps them as they change. */
export function initIdea() {
  const s = session();
  $("prompt").value = s.prompt || "";
  $("interception").value = s.text || "";
  $("prompt").addEventListener("input", () => save({ prompt: $("prompt").value }));
  $("interception").addEventListener("input", () => save({ text: $("interception").value }));
  renderSteps();
  onLangChange(renderSteps);
}

/** promptText is the idea as written now. */
export function promptText() { return $("prompt").value; }

/** setPrompt replaces the idea (e.g. with a safety suggestion). */
export function setPrompt(text) {
  $("prompt").value = text;
  save({ prompt: text });
  $("prompt").focus();
}

/** interceptionText is the (edited) interception result. */
export function interceptionText() { return $("interception").value; }

/** setSteps records the idea and rules a run started with and shows them. */
export function setSteps(idea, config, rules) {
  save({ stepIdea: idea, stepConfig: config, stepRules: rules });
  renderSteps();
}

function renderSteps() {
  const s = session();
  $("step-idea").textContent = s.stepIdea || t("none");
  let rules = t("none");
  if (s.stepConfig === OWN_RULES) rules = s.stepRules || t("none");
  else if (s.stepConfig) rules = interceptionName(s.stepConfig);
  $("step-rules").textContent = rules;
  $("optimized").textContent = s.optimized || t("none");
}

/** setStreaming makes the interception text read-only while it streams in. */
export function setStreaming(on) {
  $("interception").readOnly = on;
  $("interception").setAttribute("aria-busy", String(on));
}

/** setInterception replaces the interception text. */
export function setInterception(text) {
  $("interception").value = text;
  save({ text });
}

/** setOptimized shows the text the image model got (stage 3). */
export function setOptimized(text) {
  save({ optimized: text });
  renderSteps();
}

/** appendInterception adds a streamed piece to the interception text. */
export function appendInterception(piece) {
  $("interception").value += piece;
  save({ text: $("interception").value });
}

/** appendOptimized adds a streamed piece of stage 3's text. */
export function appendOptimized(piece) {
  setOptimized((session().optimized || "") + piece);
}
