// The operator page: uploads images to /api/predict, shows each verdict with its image (and heatmap), and polls
// /api/stats for the service-wide counts, throughput and latest results. No framework, no CDN.
"use strict";
const $ = id => document.getElementById(id);
let model = null;

function headers() {
  const key = sessionStorage.getItem("castingApiKey");
  return key ? { "X-Api-Key": key } : {};
}

async function api(path, init) {
  const response = await fetch(path, { ...init, headers: { ...headers(), ...(init && init.headers) } });
  if (response.status === 401) { $("key-row").hidden = false; }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const problem = body || {};
    throw new Error((problem.title || response.statusText) + (problem.detail ? ": " + problem.detail : ""));
  }
  return body;
}

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

async function loadModel() {
  try {
    model = await api("/api/model");
    const kind = model.classes.length ? "classes " + model.classes.join(", ") : "OK/NG, threshold " + model.threshold.toFixed(3);
    $("model").textContent = `model ${model.file} (${model.architecture}, ${model.width}x${model.height}, ${kind}), id ${model.id} v${model.version}`;
    $("heatmap").disabled = !model.hasHeatmap;
    $("heatmap").checked = model.hasHeatmap;
  } catch (e) { $("model").textContent = "model: " + e.message; }
}

function card(file, result) {
  const div = document.createElement("div");
  div.className = "result";
  div.dataset.file = result.file;
  const frame = document.createElement("div");
  frame.className = "frame";
  frame.style.aspectRatio = model ? `${model.width} / ${model.height}` : "1";
  const img = document.createElement("img");
  img.src = URL.createObjectURL(file);
  img.alt = result.file;
  frame.appendChild(img);
  if (result.heatmap) {
    const heat = document.createElement("img");
    heat.className = "heat";
    heat.src = result.heatmap.png;
    heat.alt = "heatmap";
    frame.appendChild(heat);
  }
  const verdict = document.createElement("div");
  verdict.className = "verdict " + result.verdict;
  verdict.textContent = result.verdict;
  const detail = document.createElement("div");
  detail.className = "probability";
  detail.textContent = (result.threshold !== null && result.threshold !== undefined ? "p(defect) " : "p ") + result.probability.toFixed(3) + ` · ${result.milliseconds.toFixed(1)} ms`;
  const name = document.createElement("div");
  name.className = "file";
  name.textContent = result.file;
  div.append(frame, verdict, detail, name);
  return div;
}

async function upload(files) {
  showError("");
  const list = Array.from(files).filter(f => f.size > 0);
  for (let i = 0; i < list.length; i += 16) {
    const chunk = list.slice(i, i + 16);
    const form = new FormData();
    chunk.forEach(f => form.append("files", f, f.name));
    try {
      const body = await api("/api/predict?heatmap=" + ($("heatmap").checked ? "true" : "false"), { method: "POST", body: form });
      const results = body.results || [body];
      results.forEach((r, k) => $("results").prepend(card(chunk[k], r)));
    } catch (e) { showError(e.message); }
  }
  refreshStats();
}

async function refreshStats() {
  try {
    const s = await api("/api/stats");
    $("count-ok").textContent = s.verdicts.OK || 0;
    $("count-ng").textContent = s.verdicts.NG || 0;
    $("count-total").textContent = s.images;
    $("throughput").textContent = s.imagesPerSecond.toFixed(1);
    const rows = s.latest.map(r => {
      const tr = document.createElement("tr");
      [new Date(r.time).toLocaleTimeString(), r.file, r.verdict, r.probability.toFixed(3), r.milliseconds.toFixed(1)]
        .forEach(v => { const td = document.createElement("td"); td.textContent = v; tr.appendChild(td); });
      return tr;
    });
    $("latest").tBodies[0].replaceChildren(...rows);
  } catch (e) { /* shown by the upload path; the counters retry */ }
}

$("files").addEventListener("change", e => { upload(e.target.files); e.target.value = ""; });
$("api-key").addEventListener("change", e => { sessionStorage.setItem("castingApiKey", e.target.value); loadModel(); refreshStats(); });
const drop = $("drop");
drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", e => { e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files); });
loadModel();
refreshStats();
setInterval(refreshStats, 2000);
