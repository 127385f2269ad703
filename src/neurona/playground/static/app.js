// The playground page: one websocket to the neurona server, the controls, and the state in the URL.
// The server trains; this file only sends what the user changed and draws what comes back.
"use strict";

const FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin(x1)", "sin(x2)"];
const FEATURE_LABELS = {"x1": "X₁", "x2": "X₂", "x1^2": "X₁²", "x2^2": "X₂²", "x1x2": "X₁X₂", "sin(x1)": "sin(X₁)", "sin(x2)": "sin(X₂)"};
const DATASETS = {classification: ["circle", "xor", "gauss", "spiral", "blobs", "boundary"], regression: ["reg_plane", "reg_gauss"]};
const MAX_LAYERS = 8, MAX_NEURONS = 32;
const $ = id => document.getElementById(id);

const app = {ws: null, settings: null, defaults: null, state: null, points: null, inputs: {}, task: "classification",
             nClasses: 2, backprop: null, frames: 0, lastError: ""};
window.playground = app;

// ---- state in the URL -----------------------------------------------------------------------
function toHash(s) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(s)) p.set(k, Array.isArray(v) ? v.map(x => x === null ? "" : x).join(",") : String(v));
  return "#" + p.toString();
}

function fromHash(hash, defaults) {
  const p = new URLSearchParams(hash.replace(/^#/, "")), s = {};
  for (const [k, d] of Object.entries(defaults)) {
    if (!p.has(k)) continue;
    const raw = p.get(k);
    if (Array.isArray(d)) {
      const parts = raw === "" ? [] : raw.split(",");
      s[k] = k === "hidden" ? parts.map(Number) : k === "layer_activations" ? parts.map(x => x || null) : parts;
    } else if (typeof d === "boolean") s[k] = raw === "true";
    else if (typeof d === "number") s[k] = Number(raw);
    else s[k] = raw;
  }
  return s;
}

// ---- websocket --------------------------------------------------------------------------------
function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  app.ws = ws;
  ws.onopen = () => { $("conn").textContent = "connected"; };
  ws.onclose = () => { $("conn").textContent = "disconnected (reload to start again)"; };
  ws.onmessage = ev => receive(JSON.parse(ev.data));
}

function send(msg) { if (app.ws && app.ws.readyState === 1) app.ws.send(JSON.stringify(msg)); }
app.send = send;

function configure(changes) {
  app.backprop = null;
  const s = Object.assign({}, app.settings, changes);
  s.layer_activations = (s.layer_activations || []).slice(0, s.hidden.length);
  send({type: "configure", settings: s});
}

function receive(msg) {
  if (msg.type === "settings") {
    const first = app.defaults === null;
    if (first) app.defaults = msg.settings;
    app.settings = msg.settings; app.points = msg.points; app.inputs = msg.inputs;
    app.task = msg.task; app.nClasses = msg.n_classes;
    if (first && location.hash.length > 1) {
      const wanted = Object.assign({}, msg.settings, fromHash(location.hash, msg.settings));
      if (JSON.stringify(wanted) !== JSON.stringify(msg.settings)) send({type: "configure", settings: wanted});
    }
    history.replaceState(null, "", toHash(app.settings));
    syncControls();
    drawThumbs();
  } else if (msg.type === "state") {
    app.state = msg; app.frames++;
    render();
  } else if (msg.type === "backprop") {
    app.backprop = msg;
    showBackprop(msg);
  } else if (msg.type === "export") {
    $("export-text").value = msg.text;
    const link = $("export-link");
    link.download = msg.filename;
    link.href = URL.createObjectURL(new Blob([msg.text], {type: "text/plain"}));
    link.textContent = "download " + msg.filename;
  } else if (msg.type === "error") {
    app.lastError = msg.message;
    $("error").textContent = msg.message;
    setTimeout(() => { if ($("error").textContent === msg.message) $("error").textContent = ""; }, 8000);
  }
}

// ---- controls -----------------------------------------------------------------------------------
const SELECTS = ["learning_rate", "activation", "regularization", "reg_rate", "optimizer", "schedule", "init", "dropout", "curve"];
const RANGES = ["ratio", "noise", "batch_size", "n_points", "classes"];

function syncControls() {
  const s = app.settings;
  for (const id of SELECTS) {
    const el = $(id), value = String(s[id]);
    if (![...el.options].some(o => o.value === value)) el.add(new Option(value, value));
    el.value = value;
  }
  for (const id of RANGES) { $(id).value = s[id]; $(id + "-value").textContent = s[id]; }
  $("problem").value = s.problem;
  $("schedule_epochs").value = s.schedule_epochs;
  for (const id of ["batchnorm", "discretize", "show_test"]) $(id).checked = s[id];
  $("classes-row").style.display = ["spiral", "blobs"].includes(s.dataset) ? "" : "none";
  $("curve-row").style.display = s.dataset === "boundary" ? "" : "none";
  $("n-layers").textContent = s.hidden.length;
}

function bindControls() {
  for (const id of SELECTS) $(id).onchange = () => {
    const v = $(id).value, numeric = ["learning_rate", "reg_rate", "dropout"].includes(id);
    const changes = {[id]: numeric ? Number(v) : v};
    if (id === "activation") changes.layer_activations = [];  // the global choice resets per-layer ones
    configure(changes);
  };
  for (const id of RANGES) {
    $(id).oninput = () => { $(id + "-value").textContent = $(id).value; };
    $(id).onchange = () => configure({[id]: Number($(id).value)});
  }
  $("schedule_epochs").onchange = () => configure({schedule_epochs: Number($("schedule_epochs").value)});
  for (const id of ["batchnorm", "discretize", "show_test"]) $(id).onchange = () => configure({[id]: $(id).checked});
  $("problem").onchange = () => {
    const problem = $("problem").value;
    configure({problem, dataset: DATASETS[problem][0]});
  };
  $("play").onclick = () => { app.backprop = null; send({type: app.state && app.state.playing ? "pause" : "play"}); };
  $("step").onclick = () => { app.backprop = null; send({type: "step", epochs: 1}); };
  $("reset").onclick = () => { app.backprop = null; send({type: "reset"}); };
  $("regenerate").onclick = () => send({type: "regenerate"});
  $("add-layer").onclick = () => {
    const h = app.settings.hidden;
    if (h.length < MAX_LAYERS) configure({hidden: [...h, 2]});
  };
  $("remove-layer").onclick = () => {
    const h = app.settings.hidden;
    if (h.length > 0) configure({hidden: h.slice(0, -1)});
  };
  $("backprop").onclick = () => send({type: "backprop", index: Number($("bp-index").value) || 0, apply: $("bp-apply").checked});
  for (const b of document.querySelectorAll("[data-export]")) b.onclick = () => send({type: "export", format: b.dataset.export});
  $("upload").onchange = async () => {
    const file = $("upload").files[0];
    if (!file) return;
    if (file.size > 200000) { $("error").textContent = `upload: ${file.size} bytes is over the 200000-byte limit`; return; }
    send({type: "upload", csv: await file.text(), task: $("upload_task").value});
  };
  const svg = $("links"), hover = $("hover");
  svg.addEventListener("mousemove", ev => {
    const t = ev.target;
    if (t.tagName !== "path") { hover.style.display = "none"; return; }
    hover.style.display = "block";
    hover.style.left = (ev.offsetX + 14) + "px"; hover.style.top = (ev.offsetY + 40) + "px";
    hover.textContent = `weight ${Number(t.dataset.value).toFixed(3)}${t.dataset.extra}`;
  });
  svg.addEventListener("mouseleave", () => { hover.style.display = "none"; });
  svg.addEventListener("click", ev => {
    const t = ev.target;
    if (t.tagName !== "path") return;
    const v = prompt("New weight value", Number(t.dataset.value).toFixed(3));
    if (v !== null && isFinite(Number(v))) send({type: "set_weight", layer: Number(t.dataset.layer), to: Number(t.dataset.to), from: Number(t.dataset.from), value: Number(v)});
  });
}

// The data set picker: thumbnails from the server's preview points, only the current problem's sets.
const thumbs = {};
async function drawThumbs() {
  const box = $("datasets");
  if (!box.childElementCount) {
    for (const name of [...DATASETS.classification, ...DATASETS.regression]) {
      const c = document.createElement("canvas");
      c.id = "data-" + name; c.title = name;
      c.onclick = () => configure({dataset: name});
      box.appendChild(c);
      const r = await fetch(`/api/preview/${name}`);
      if (r.ok) { const p = await r.json(); thumbs[name] = p; draw.drawThumb(c, p.points, p.task, p.n_classes); }
    }
  }
  for (const c of box.children) {
    const name = c.id.slice(5);
    c.classList.toggle("selected", name === app.settings.dataset);
    c.classList.toggle("hidden", !DATASETS[app.settings.problem].includes(name));
  }
}

// ---- rendering --------------------------------------------------------------------------------
function pad(n) { const s = String(n).padStart(6, "0"); return s.slice(0, 3) + "," + s.slice(3); }

function render() {
  const st = app.state, s = app.settings;
  if (!st || !s) return;
  $("epoch").textContent = pad(st.epoch);
  $("play").textContent = st.playing ? "❚❚" : "▶";
  $("train-loss").textContent = st.train_loss === null ? "NaN" : st.train_loss.toFixed(3);
  $("test-loss").textContent = st.test_loss === null ? "NaN" : st.test_loss.toFixed(3);
  $("lr-now").textContent = s.schedule !== "none" ? `lr now ${draw.fmt(st.lr)}` : "";
  draw.drawChart($("loss-chart"), st.history, ["#999", "#000"]);
  draw.drawChart($("grad-chart"), st.grad_norms, ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666", "#000"], {log: true});
  draw.drawOutput($("output-map"), st.maps, app.points, {discretize: s.discretize, showTest: s.show_test, task: app.task, nClasses: app.nClasses});
  renderNetwork(st);
  $("alerts").innerHTML = "";
  for (const a of st.alerts) {
    const d = document.createElement("div");
    d.className = "alert-" + a.kind; d.textContent = a.message;
    $("alerts").appendChild(d);
  }
}

function renderNetwork(st) {
  const s = app.settings, nodes = $("nodes"), L = s.hidden.length;
  nodes.innerHTML = "";
  const alerted = new Set(st.alerts.filter(a => a.neuron !== null).map(a => `${a.layer}:${a.neuron}`));
  FEATURES.forEach((f, i) => {
    const on = s.features.includes(f);
    const n = node(0, i, "feature" + (on ? "" : " off"), f);
    const label = document.createElement("span"); label.className = "label"; label.textContent = FEATURE_LABELS[f];
    n.appendChild(label);
    if (app.inputs[f]) draw.paintMap(n.firstChild, draw.decode(app.inputs[f]), st.maps.size);
    n.onclick = () => {
      const next = on ? s.features.filter(x => x !== f) : FEATURES.filter(x => x === f || s.features.includes(x));
      if (next.length) configure({features: next});
    };
  });
  for (let l = 0; l < L; l++) {
    const head = document.createElement("div"), pos = draw.nodePos(l + 1, 0);
    head.className = "layer-head"; head.style.left = (pos.x - 25) + "px"; head.style.top = "0px";
    head.innerHTML = `<span class="neuron-buttons"><button data-l="${l}" data-d="1">+</button><button data-l="${l}" data-d="-1">−</button></span> ${s.hidden[l]} neurons<br>`;
    const sel = document.createElement("select");
    sel.id = `layer-act-${l}`;
    sel.innerHTML = `<option value="">(${s.activation})</option><option>relu</option><option>tanh</option><option>sigmoid</option><option>linear</option>`;
    sel.value = s.layer_activations[l] || "";
    sel.onchange = () => {
      const acts = s.hidden.map((_, k) => s.layer_activations[k] || null);
      acts[l] = sel.value || null;
      configure({layer_activations: acts});
    };
    head.appendChild(sel);
    nodes.appendChild(head);
    for (const b of head.querySelectorAll("button")) b.onclick = () => {
      const h = [...s.hidden]; h[l] = Math.max(1, Math.min(MAX_NEURONS, h[l] + Number(b.dataset.d)));
      configure({hidden: h});
    };
    for (let j = 0; j < s.hidden[l]; j++) {
      const n = node(l + 1, j, alerted.has(`${l}:${j}`) ? "alert" : "", `neuron ${j + 1} of layer ${l + 1}`);
      draw.paintMap(n.firstChild, draw.decode(st.maps.neurons[l][j]), st.maps.size);
      n.onclick = () => {
        const b = st.biases[l][j], v = prompt(`Bias of neuron ${j + 1}, layer ${l + 1}`, b.toFixed(3));
        if (v !== null && isFinite(Number(v))) send({type: "set_weight", layer: l, to: j, from: null, value: Number(v)});
      };
    }
  }
  const nOut = st.weights[L].length;
  for (let j = 0; j < nOut; j++) {
    const n = node(L + 1, j, "", nOut === 1 ? "output" : `output: probability of class ${j}`);
    if (nOut === 1) draw.paintMap(n.firstChild, draw.decode(st.maps.output), st.maps.size);
    else draw.paintMap(n.firstChild, draw.decode(st.maps.class_probs[j]), st.maps.size, {tint: draw.PALETTE[j % draw.PALETTE.length]});
  }
  // links: the first layer's inputs are the selected features, drawn at their rows
  const rows = s.features.map(f => FEATURES.indexOf(f));
  const weights = st.weights.map((w, l) => l === 0 ? w.map(row => { const full = new Array(FEATURES.length).fill(null); row.forEach((v, i) => { full[rows[i]] = v; }); return full; }) : w);
  let grads = app.backprop ? app.backprop.weight_grads : null;
  if (grads) grads = grads.map((g, l) => l === 0 ? g.map(row => { const full = new Array(FEATURES.length).fill(0); row.forEach((v, i) => { full[rows[i]] = v; }); return full; }) : g);
  draw.drawLinks($("links"), weights, grads);
  if (app.backprop) labelBackprop(app.backprop);
}

function node(col, i, cls, title) {
  const pos = draw.nodePos(col, i), n = document.createElement("div");
  n.className = "node " + cls; n.style.left = pos.x + "px"; n.style.top = pos.y + "px"; n.title = title;
  n.id = `node-${col}-${i}`;
  n.appendChild(document.createElement("canvas"));
  $("nodes").appendChild(n);
  return n;
}

function showBackprop(bp) {
  const lines = [`sample ${bp.index} at (${bp.point[0].toFixed(2)}, ${bp.point[1].toFixed(2)}), label ${draw.fmt(bp.point[2])}, loss ${bp.loss.toFixed(4)}`];
  bp.values.forEach((v, l) => lines.push(`layer ${l + 1}: a = [${v.map(draw.fmt).join(", ")}]  δ = [${bp.deltas[l].map(draw.fmt).join(", ")}]`));
  $("bp-out").textContent = lines.join("\n");
}

function labelBackprop(bp) {
  bp.values.forEach((v, l) => v.forEach((a, j) => {
    const n = $(`node-${l + 1}-${j}`);
    if (!n) return;
    const t = document.createElement("span"); t.className = "bp";
    t.textContent = `a ${draw.fmt(a)} δ ${draw.fmt(bp.deltas[l][j])}`;
    n.appendChild(t);
  }));
}

bindControls();
connect();
