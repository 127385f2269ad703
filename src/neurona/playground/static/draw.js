// Drawing for the playground page: heat maps, data points, the network (neurons and links) and charts.
// Heat maps arrive from the server as base64 bytes (0..255 for values -1..1); everything is drawn on
// <canvas> or <svg> by hand, no libraries.
"use strict";

const NEG = [245, 147, 34], POS = [8, 119, 189], WHITE = [255, 255, 255];
const PALETTE = [[245, 147, 34], [8, 119, 189], [46, 160, 67], [200, 60, 160], [120, 90, 200], [180, 50, 50]];
const EXTENT = 6;

function decode(b64) {
  const raw = atob(b64), out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function mix(a, b, t) { return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]; }

// value in [-1, 1] -> orange (negative) .. white .. blue (positive), as in TF Playground
function diverging(v) { return v < 0 ? mix(WHITE, NEG, -v) : mix(WHITE, POS, v); }

function labelColour(label, task, nClasses) {
  if (task === "regression") return diverging(Math.max(-1, Math.min(1, label)));
  if (nClasses === 2) return label >= 0.5 ? POS : NEG;
  return PALETTE[label % PALETTE.length];
}

// Paint a size x size heat map onto a canvas. opts: {classes: bytes, tint: colour, discretize, task, nClasses}
function paintMap(canvas, bytes, size, opts) {
  opts = opts || {};
  canvas.width = size; canvas.height = size;
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    let c;
    if (opts.tint) {  // one class's probability 0..1: white to the class colour
      c = mix(WHITE, opts.tint, bytes[i] / 255);
    } else if (opts.classes) {
      const conf = opts.discretize ? 1 : bytes[i] / 255;
      c = mix(WHITE, PALETTE[opts.classes[i] % PALETTE.length], 0.25 + 0.6 * conf);
    } else {
      let v = bytes[i] / 255 * 2 - 1;
      if (opts.discretize) v = v >= 0 ? 1 : -1;
      c = diverging(v * 0.85);
    }
    img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// The output map: the heat map scaled up, then the points on top.
function drawOutput(canvas, maps, points, view) {
  const tmp = document.createElement("canvas");
  const classes = maps.classes ? decode(maps.classes) : null;
  paintMap(tmp, decode(maps.output), maps.size, {classes, discretize: view.discretize, task: view.task, nClasses: view.nClasses});
  const W = canvas.width = canvas.clientWidth || 300, H = canvas.height = canvas.clientHeight || 300;
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(tmp, 0, 0, W, H);
  drawPoints(ctx, points.train, W, H, view, "#fff");
  if (view.showTest) drawPoints(ctx, points.test, W, H, view, "#000");
}

function drawPoints(ctx, rows, W, H, view, stroke) {
  for (const [x1, x2, label] of rows) {
    const px = (x1 + EXTENT) / (2 * EXTENT) * W, py = (EXTENT - x2) / (2 * EXTENT) * H;
    const c = labelColour(label, view.task, view.nClasses);
    ctx.beginPath();
    ctx.arc(px, py, 3, 0, 2 * Math.PI);
    ctx.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`;
    ctx.fill();
    ctx.lineWidth = 1; ctx.strokeStyle = stroke; ctx.stroke();
  }
}

// A thumbnail of a data set from its points (the dataset picker).
function drawThumb(canvas, rows, task, nClasses) {
  const W = canvas.width = 64, H = canvas.height = 64, ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
  for (const [x1, x2, label] of rows) {
    const c = labelColour(label, task, nClasses);
    ctx.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`;
    ctx.fillRect((x1 + EXTENT) / 12 * W - 1, (EXTENT - x2) / 12 * H - 1, 2, 2);
  }
}

// Line chart of several series [[x, y0, y1, ...], ...]; log scale when opts.log.
function drawChart(canvas, rows, colours, opts) {
  opts = opts || {};
  const W = canvas.width, H = canvas.height, ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, W, H);
  if (!rows || rows.length < 2) return;
  const f = v => (v === null || !isFinite(v) || (opts.log && v <= 0)) ? null : (opts.log ? Math.log10(v) : v);
  let lo = Infinity, hi = -Infinity;
  for (const r of rows) for (let k = 1; k < r.length; k++) { const v = f(r[k]); if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
  if (!isFinite(lo)) return;
  if (!opts.log) lo = Math.min(lo, 0);
  if (hi - lo < 1e-9) hi = lo + 1;
  const x0 = rows[0][0], x1 = rows[rows.length - 1][0] || 1;
  for (let k = 1; k < rows[0].length; k++) {
    ctx.beginPath(); ctx.strokeStyle = colours[(k - 1) % colours.length]; ctx.lineWidth = 1.5;
    let started = false;
    for (const r of rows) {
      const v = f(r[k]); if (v === null) continue;
      const x = (r[0] - x0) / Math.max(x1 - x0, 1) * (W - 2) + 1, y = H - 2 - (v - lo) / (hi - lo) * (H - 4);
      if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
    }
    ctx.stroke();
  }
}

// Network layout: column c holds the neurons of layer c (inputs first, output last).
const NODE = 40, COL = 110, ROW = 50, TOP = 64;
function nodePos(col, i) { return {x: 60 + col * COL, y: TOP + i * ROW}; }

// Links coloured by weight sign, width by magnitude; each path knows (layer, to, from) for editing.
function drawLinks(svg, weights, highlight) {
  let maxRows = 0, html = "";
  weights.forEach((w, l) => {
    maxRows = Math.max(maxRows, w.length, w.length ? w[0].length : 0);
    w.forEach((row, j) => row.forEach((value, i) => {
      if (value === null) return;  // an input feature that is switched off
      const a = nodePos(l, i), b = nodePos(l + 1, j);
      const x0 = a.x + NODE, y0 = a.y + NODE / 2, x1 = b.x, y1 = b.y + NODE / 2, mx = (x0 + x1) / 2;
      const c = value >= 0 ? POS : NEG, width = Math.min(0.5 + Math.abs(value) * 2, 7);
      const extra = highlight ? ` grad ${fmt(highlight[l][j][i])}` : "";
      html += `<path d="M${x0},${y0} C${mx},${y0} ${mx},${y1} ${x1},${y1}" stroke="rgb(${c})" stroke-width="${width}"` +
              ` stroke-opacity="0.7" data-layer="${l}" data-to="${j}" data-from="${i}" data-value="${value}"` +
              ` data-extra="${extra}"></path>`;
    }));
  });
  svg.setAttribute("width", 60 + (weights.length + 1) * COL);
  svg.setAttribute("height", TOP + maxRows * ROW + 10);
  svg.innerHTML = html;
}

function fmt(v) { return v === null || v === undefined ? "NaN" : Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(3) : v.toExponential(1); }

window.draw = {decode, paintMap, drawOutput, drawThumb, drawChart, drawLinks, nodePos, fmt, NODE, COL, ROW, TOP, PALETTE};
