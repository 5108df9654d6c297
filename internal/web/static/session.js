// session: what must survive a reload of this tab, kept in sessionStorage:
// the texts being written, the choices, and the run being watched with the
// id of the last event applied to the page.
const KEY = "ai4artsed.session";

let state = read();

function read() {
  try { return JSON.parse(sessionStorage.getItem(KEY)) || {}; } catch { return {}; }
}

/** session returns the saved state (a plain object; change it through save). */
export function session() { return state; }

/** save merges patch into the state and writes it at once. */
export function save(patch) {
  Object.assign(state, patch);
  try { sessionStorage.setItem(KEY, JSON.stringify(state)); } catch { /* storage full or blocked */ }
}
