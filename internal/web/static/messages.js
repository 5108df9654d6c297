// messages: the status line and the messages shown in place, next to what
// caused them (the idea box, the upload area, the generate button). Texts
// are kept as keys where they are ours, so a language switch re-renders them;
// the server's messages come already in the run's language.
import { t, onLangChange } from "./i18n.js";

const status = { key: "", vars: {} };

/** setStatus shows the UI text key in the status line ("" clears it). */
export function setStatus(key, vars = {}) {
  status.key = key;
  status.vars = vars;
  renderStatus();
}

function renderStatus() {
  document.getElementById("status").textContent = status.key ? t(status.key, status.vars) : "";
}
onLangChange(renderStatus);

const slots = { idea: "idea-msg", upload: "upload-msg", generate: "generate-msg" };

/** clearMessages removes the messages of slot (all slots without one). */
export function clearMessages(slot) {
  for (const [name, id] of Object.entries(slots)) {
    if (!slot || slot === name) document.getElementById(id).replaceChildren();
  }
}

/**
 * showError shows an error in slot. err is an ApiError (its message is the
 * server's, in the run's language) or {message}; a missing message falls
 * back to one of ours.
 */
export function showError(slot, err) {
  let text = err && err.message;
  let key = "";
  if (!text) key = err && err.code === "network" ? "networkError" : "unknownError";
  const box = messageBox(slot, "error", "error-message");
  const p = document.createElement("p");
  if (key) { p.dataset.i18n = key; p.textContent = t(key); } else p.textContent = text;
  box.append(p);
}

/**
 * showSafety shows a safety block in slot: the reason for the student and,
 * if the server made one, a suggestion with a button that uses it.
 */
export function showSafety(slot, reason, suggestion, useSuggestion) {
  const box = messageBox(slot, "safety", "safety-message");
  const p = document.createElement("p");
  p.textContent = reason || t("statusBlocked");
  box.append(p);
  if (suggestion) {
    const s = document.createElement("p");
    s.className = "suggestion";
    s.textContent = t("suggestion", { text: suggestion });
    const b = document.createElement("button");
    b.type = "button";
    b.className = "btn";
    b.dataset.i18n = "useSuggestion";
    b.textContent = t("useSuggestion");
    b.addEventListener("click", () => { useSuggestion(suggestion); box.remove(); });
    box.append(s, b);
  }
}

function messageBox(slot, kind, testid) {
  const box = document.createElement("div");
  box.className = "msg msg-" + kind;
  box.dataset.testid = testid;
  box.setAttribute("role", "alert");
  document.getElementById(slots[slot]).append(box);
  // The message may be far from the button that was pressed (on a phone the
  // idea box is above the tiles): bring it into view.
  requestAnimationFrame(() => box.scrollIntoView({ behavior: "smooth", block: "nearest" }));
  return box;
}
