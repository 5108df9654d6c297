// join: the student's join page. The code may come in the URL (?code=)
// from the teacher's link; after joining the student goes to the main page.
import { joinWorkshop, setApiLang } from "./api.js";

const form = document.getElementById("join-form");
const msg = document.getElementById("join-msg");
const lang = navigator.language && navigator.language.startsWith("en") ? "en" : "de";
setApiLang(lang);

const fromURL = new URLSearchParams(location.search).get("code");
if (fromURL) document.getElementById("code").value = fromURL;

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  msg.textContent = "";
  const code = document.getElementById("code").value.trim();
  const nickname = document.getElementById("nickname").value.trim();
  try {
    const joined = await joinWorkshop(code, nickname);
    msg.textContent = (lang === "en" ? "Welcome to " : "Willkommen bei ") + joined.workshop + "!";
    setTimeout(() => { location.href = "./"; }, 800);
  } catch (e) {
    msg.textContent = e.message || (lang === "en" ? "That did not work." : "Das hat nicht geklappt.");
  }
});
