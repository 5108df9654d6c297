// i18n: the UI's language, its texts, and re-rendering on a switch.
import de from "./texts.de.js";
import en from "./texts.en.js";

const tables = { de, en };
let lang = "de";
const listeners = [];

/** The current language, "de" or "en". */
export function getLang() { return lang; }

/** t returns the text of key in the current language, with {name} filled from vars. */
export function t(key, vars = {}) {
  const s = tables[lang][key] ?? tables.de[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
}

/** pick returns a catalog text ({de, en}) in the current language. */
export function pick(text) {
  if (!text) return "";
  return text[lang] || text.de || text.en || "";
}

/** onLangChange registers fn to run after every language switch. */
export function onLangChange(fn) { listeners.push(fn); }

/** setLang switches the language, translates the static page and tells every part. */
export function setLang(l) {
  lang = l === "en" ? "en" : "de";
  try { sessionStorage.setItem("ai4artsed.lang", lang); } catch { /* private mode */ }
  document.documentElement.lang = lang;
  translateStatic(document);
  for (const fn of listeners) fn(lang);
}

/** storedLang is the language this browser chose before, if any. */
export function storedLang() {
  try { return sessionStorage.getItem("ai4artsed.lang"); } catch { return null; }
}

/** browserLang is "de" or "en" from the browser's preferences, or null. */
export function browserLang() {
  for (const l of navigator.languages || [navigator.language || ""]) {
    const p = l.slice(0, 2).toLowerCase();
    if (p === "de" || p === "en") return p;
  }
  return null;
}

/**
 * translateStatic fills data-i18n (text), data-i18n-label (aria-label) and
 * data-i18n-placeholder, and the title from the key in the html element's
 * data-i18n-title (default "title").
 */
export function translateStatic(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  document.title = t(document.documentElement.dataset.i18nTitle || "title");
}
