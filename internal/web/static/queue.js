// queue: the indicator of a run waiting for a free slot. While waiting the
// spinner turns red and the message pulses with the place in line; once the
// slot is acquired the spinner turns back and the message goes away.
import { t, onLangChange } from "./i18n.js";

const box = () => document.getElementById("queue");
let last = null; // the last waiting status, for a language switch

/** queueWaiting shows the run's place in line (1 is next) and its wait so far. */
export function queueWaiting(position, waitedMs) {
  last = { position, waitedMs };
  const el = box();
  el.hidden = false;
  el.dataset.state = "waiting";
  el.dataset.position = String(position);
  render();
}

/** queueAcquired shows that the run has its slot. */
export function queueAcquired() {
  last = null;
  const el = box();
  el.hidden = false;
  el.dataset.state = "acquired";
  delete el.dataset.position;
  render();
}

/** queueHide removes the indicator (no run is active). */
export function queueHide() {
  last = null;
  const el = box();
  el.hidden = true;
  delete el.dataset.state;
  delete el.dataset.position;
  render();
}

function render() {
  const msg = document.getElementById("queue-msg");
  if (!last) { msg.textContent = ""; return; }
  const secs = Math.round(last.waitedMs / 1000);
  msg.textContent = last.position > 1
    ? t("queueWaiting", { pos: last.position, secs })
    : t("queueWaitingNext", { secs });
}
onLangChange(render);
