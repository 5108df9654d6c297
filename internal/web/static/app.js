// ai4artsed browser UI: pick a config, stream the interception, edit it, generate an image.
const T = {
  de: { configs: "1. Wähle eine Verwandlung", rules: "Deine eigenen Regeln", prompt: "2. Deine Idee",
        start: "Verwandeln", cancel: "Abbrechen", result: "3. Die Verwandlung (du kannst sie bearbeiten)",
        generate: "Bild erzeugen", demo: "Demo: simulierte Backends", running: "Läuft...",
        done: "Fertig.", cancelled: "Abgebrochen.", starting: "Starte..." },
  en: { configs: "1. Choose a transformation", rules: "Your own rules", prompt: "2. Your idea",
        start: "Transform", cancel: "Cancel", result: "3. The transformation (you may edit it)",
        generate: "Make image", demo: "Demo: simulated backends", running: "Running...",
        done: "Done.", cancelled: "Cancelled.", starting: "Starting..." },
};
const $ = (id) => document.getElementById(id);
let lang = localStorage.getItem("lang") || "de";
let selected = null, configs = [], current = null, source = null;
const clientID = localStorage.getItem("client") || crypto.randomUUID();
localStorage.setItem("client", clientID);

function tr() {
  document.documentElement.lang = lang;
  $("lang").textContent = lang === "de" ? "EN" : "DE";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = T[lang][el.dataset.t];
  $("demo").textContent = T[lang].demo;
  renderConfigs();
}

function status(text, error = false) { $("status").textContent = text; $("status").classList.toggle("error", error); }

const ICONS = { lightbulb: "💡", clipboard: "📋", camera: "📷", pencil: "✏️", palette: "🎨" };
function renderConfigs() {
  const box = $("configs");
  box.replaceChildren();
  for (const c of configs.filter((c) => c.kind === "interception")) {
    const b = document.createElement("button");
    b.type = "button"; b.className = "config"; b.setAttribute("role", "radio");
    b.setAttribute("aria-checked", String(c.id === selected));
    b.style.background = c.color + "22";
    const icon = document.createElement("span"); icon.className = "icon"; icon.textContent = ICONS[c.icon] || c.icon;
    const name = document.createElement("strong"); name.textContent = " " + c.name[lang];
    const desc = document.createElement("small"); desc.textContent = c.description[lang];
    b.append(icon, name, desc);
    b.onclick = () => { selected = c.id; renderConfigs(); };
    box.append(b);
  }
  $("context-label").hidden = selected !== "user_defined";
  const sel = $("output"); const keep = sel.value; sel.replaceChildren();
  for (const c of configs.filter((c) => c.kind === "output")) {
    const o = document.createElement("option"); o.value = c.id; o.textContent = c.name[lang]; sel.append(o);
  }
  if (keep) sel.value = keep;
}

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json", "X-Client-ID": clientID }, body: JSON.stringify(body) });
  const data = await res.json();
  if (!res.ok) throw new Error(data.error ? data.error.message : res.statusText);
  return data;
}

function follow(runID, handlers) {
  if (source) source.close();
  current = runID; $("cancel").hidden = false;
  source = new EventSource(`/api/runs/${runID}/events`);
  source.addEventListener("queue_status", (e) => { const d = JSON.parse(e.data); status(d.message); });
  source.addEventListener("stage", (e) => { const d = JSON.parse(e.data); if (d.detail) status(d.detail); else if (d.status === "started") status(T[lang].running); });
  source.addEventListener("chunk", (e) => handlers.chunk && handlers.chunk(JSON.parse(e.data)));
  source.addEventListener("text", (e) => handlers.text && handlers.text(JSON.parse(e.data)));
  source.addEventListener("progress", (e) => { const d = JSON.parse(e.data); $("progress").hidden = false; $("progress").max = d.max; $("progress").value = d.value; });
  source.addEventListener("media", (e) => { const d = JSON.parse(e.data); const img = new Image(); img.src = d.url; img.alt = $("result").value; $("images").prepend(img); });
  source.addEventListener("error", (e) => { if (e.data) status(JSON.parse(e.data).message, true); });
  source.addEventListener("done", (e) => {
    const d = JSON.parse(e.data); source.close(); source = null; current = null; $("cancel").hidden = true;
    $("progress").hidden = true;
    if (d.state === "done") status(T[lang].done); else if (d.state === "cancelled") status(T[lang].cancelled, true);
  });
}

$("start").onclick = async () => {
  $("result").value = ""; status(T[lang].starting);
  try {
    const r = await api("/api/runs", { stages: "interception", prompt: $("prompt").value, interception: selected || undefined,
      context: selected === "user_defined" ? $("context").value : undefined, lang });
    let first = true;
    follow(r.run_id, {
      chunk: (d) => { if (first) { $("result").value = ""; first = false; } $("result").value += d.text; },
      text: (d) => { $("result").value = d.text; },
    });
  } catch (err) { status(err.message, true); }
};

$("generate").onclick = async () => {
  status(T[lang].starting);
  try {
    const r = await api("/api/runs", { stages: "generation", text: $("result").value || $("prompt").value,
      interception: selected || undefined, output: $("output").value, lang });
    follow(r.run_id, {});
  } catch (err) { status(err.message, true); }
};

$("cancel").onclick = async () => { if (current) { try { await api(`/api/runs/${current}/cancel`, {}); } catch (err) { status(err.message, true); } } };
$("lang").onclick = () => { lang = lang === "de" ? "en" : "de"; localStorage.setItem("lang", lang); tr(); };

(async () => {
  try {
    const info = await api("/api/info"); $("demo").hidden = !info.demo;
    configs = (await api("/api/configs")).configs;
    const first = configs.find((c) => c.kind === "interception" && c.id !== "user_defined"); selected = first ? first.id : null;
    tr();
  } catch (err) { status(err.message, true); }
})();
