// The page: draw (or upload) -> POST /api/predict -> prediction, bars, the input the network
// saw and every feature map; click a map cell -> POST /api/explain -> its equation and its
// receptive field; the Runs tab lists the training runs.

import {$, $$, api, el, percent} from "./util.js";
import {Pad} from "./pad.js";
import {Maps} from "./maps.js";
import {showExplainNote, showExplanation} from "./explain.js";
import {Runs} from "./runs.js";

const state = {
  model: null, pad: null, maps: null, runs: new Runs(),
  input: null, // the image the network saw last: [H][W] (grey) or [C][H][W]
  selected: null, // {layer, channel, row, col}
  field: null, // receptive field of the selected cell
  window: null, // the part of the input the selected cell reads, when it reads the input
  busy: false, dirty: false,
};

function setStatus(text, error = false) {
  const status = $("#status");
  status.textContent = text;
  status.classList.toggle("error", error);
}

function buildBars(classes) {
  $("#probabilities").replaceChildren(...classes.map((name, k) =>
    el("div", {class: "bar", dataset: {class: k}},
      el("span", {class: "name", text: name}),
      el("span", {class: "track"}, el("span", {class: "fill"})),
      el("span", {class: "percent", text: "–"}))));
}

function showPrediction(result) {
  const prediction = $("#prediction");
  prediction.dataset.class = result.class;
  prediction.replaceChildren(result.label, el("small", {text: percent(result.probabilities[result.class])}));
  $$("#probabilities .bar").forEach((bar, k) => {
    const p = result.probabilities[k];
    $(".fill", bar).style.width = `${100 * p}%`;
    $(".percent", bar).textContent = percent(p);
    bar.classList.toggle("best", k === result.class);
  });
}

function drawSeen() {
  const canvas = $("#seen");
  const context = canvas.getContext("2d");
  context.fillStyle = "#000";
  context.fillRect(0, 0, canvas.width, canvas.height);
  delete canvas.dataset.rf;
  if (!state.input) return;
  const [channels, height, width] = state.model.input_shape;
  const small = document.createElement("canvas");
  [small.width, small.height] = [width, height];
  const image = small.getContext("2d").createImageData(width, height);
  for (let i = 0, o = 0; i < height; i++) {
    for (let j = 0; j < width; j++, o += 4) {
      const rgb = channels === 1 ? [0, 0, 0].map(() => state.input[i][j]) : [0, 1, 2].map((c) => state.input[c][i][j]);
      rgb.forEach((v, c) => (image.data[o + c] = 255 * v));
      image.data[o + 3] = 255;
    }
  }
  small.getContext("2d").putImageData(image, 0, 0);
  context.imageSmoothingEnabled = false;
  context.drawImage(small, 0, 0, canvas.width, canvas.height);
  const [sy, sx] = [canvas.height / height, canvas.width / width];
  const box = (b, stroke, fill) => {
    const [x, y, w, h] = [b.left * sx, b.top * sy, (b.right - b.left + 1) * sx, (b.bottom - b.top + 1) * sy];
    context.fillStyle = fill;
    context.fillRect(x, y, w, h);
    context.strokeStyle = stroke;
    context.lineWidth = 2;
    context.strokeRect(x + 1, y + 1, w - 2, h - 2);
  };
  if (state.field) {
    box(state.field, "#ffd23f", "rgba(255, 210, 63, 0.28)");
    canvas.dataset.rf = [state.field.top, state.field.left, state.field.bottom, state.field.right].join(",");
  }
  if (state.window) box(state.window, "#39c5e6", "rgba(57, 197, 230, 0.15)");
}

async function explain() {
  const selected = state.selected;
  if (!selected || !state.input) return;
  let e;
  try {
    e = await api("/api/explain", {body: {image: state.input, ...selected}});
  } catch (error) {
    showExplainNote($("#explain"), "Could not explain this cell", error.message);
    return;
  }
  if (selected !== state.selected) return; // another cell was clicked meanwhile
  const maps = state.maps;
  maps.unmark();
  const cell = {top: selected.row, bottom: selected.row, left: selected.col, right: selected.col};
  maps.mark({layer: selected.layer, channels: [selected.channel], ...cell, kind: "cell"});
  const rows = e.rows ?? [selected.row, selected.row];
  const cols = e.cols ?? [selected.col, selected.col];
  const window = {top: rows[0], bottom: rows[1], left: cols[0], right: cols[1]};
  state.window = null;
  if (e.input_layer === "input") state.window = window;
  else if (e.input_layer) {
    maps.mark({layer: e.input_layer, channels: e.input_channels ?? [selected.channel], ...window, kind: "window"});
  }
  if (e.kind === "Conv2d") maps.chooseFilter(selected.layer, selected.channel);
  state.field = e.receptive_field;
  drawSeen();
  showExplanation($("#explain"), e, maps.value(selected), state.model);
}

function show(result) {
  state.input = result.input;
  showPrediction(result);
  state.maps.show(result.layers);
  drawSeen();
  if (result.inverted) setStatus("The image was dark on light, so it was inverted.");
  explain();
}

// Predict the pad's drawing as it changes: one request at a time, at most one every
// THROTTLE_MS; a change meanwhile sends one more request after.
const THROTTLE_MS = 120;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function predictDrawing() {
  $("#prediction").dataset.settled = "false";
  if (state.busy) {
    state.dirty = true;
    return;
  }
  state.busy = true;
  try {
    do {
      state.dirty = false;
      if (!state.pad.inked) break;
      const started = performance.now();
      const body = await state.pad.png();
      const result = await api("/api/predict?invert=no", {body, type: "image/png"});
      if (state.pad.inked) show(result);
      setStatus("");
      if (state.dirty) await pause(THROTTLE_MS - (performance.now() - started));
    } while (state.dirty);
  } catch (error) {
    setStatus(error.message, true);
  } finally {
    state.busy = false;
    $("#prediction").dataset.settled = "true";
  }
}

async function upload(file) {
  if (!file) return;
  $("#prediction").dataset.settled = "false";
  state.pad?.clear();
  try {
    const result = await api("/api/predict", {body: file, type: file.type || "application/octet-stream"});
    show(result);
    if (!result.inverted) setStatus(`${file.name}`);
    else setStatus(`${file.name}: dark on light, so it was inverted.`);
  } catch (error) {
    setStatus(`${file.name}: ${error.message}`, true);
  } finally {
    $("#prediction").dataset.settled = "true";
    $("#upload").value = "";
  }
}

function clearAll() {
  state.pad.clear();
  Object.assign(state, {input: null, field: null, window: null});
  const prediction = $("#prediction");
  prediction.textContent = "–";
  prediction.dataset.class = "";
  $$("#probabilities .fill").forEach((fill) => (fill.style.width = "0"));
  $$("#probabilities .percent").forEach((p) => (p.textContent = "–"));
  $$("canvas.map").forEach((canvas) => canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height));
  state.maps.unmark();
  drawSeen();
  setStatus("");
  if (state.selected) {
    const {layer, channel, row, col} = state.selected;
    showExplainNote($("#explain"), `${layer}: cell k=${channel}, i=${row}, j=${col}`, "Draw a digit to see this cell worked out.");
  }
}

function select(cell) {
  state.selected = cell;
  explain();
}

function showTab(name) {
  const runs = name === "runs";
  $("#draw-view").hidden = runs;
  $("#runs-view").hidden = !runs;
  for (const [id, on] of [["#tab-draw", !runs], ["#tab-runs", runs]]) {
    $(id).classList.toggle("active", on);
    $(id).setAttribute("aria-pressed", String(on));
  }
  if (runs) state.runs.start();
  else state.runs.stop();
}

async function start() {
  const model = (state.model = await api("/api/model"));
  const [channels, height, width] = model.input_shape;
  $("#model-name").textContent =
    `${model.model} trained on ${model.data} (epoch ${model.epoch}), from ${model.source}`;
  buildBars(model.classes);
  state.maps = new Maps($("#maps"), model.layers, select);
  state.pad = new Pad($("#pad"), predictDrawing);
  if (channels !== 1) {
    $("#pad-title").textContent = "Upload an image";
    $("#pad").hidden = true;
    $("#clear").hidden = true;
  }
  $("#seen-note").textContent = model.digits
    ? `${width}×${height}, made as MNIST digits were: the drawing's bounding box scaled to 20×20, centred by its centre of mass.`
    : `The image resized to ${width}×${height}${channels === 3 ? " (RGB)" : ""}.`;
  $("#clear").addEventListener("click", clearAll);
  $("#upload").addEventListener("change", (event) => upload(event.target.files[0]));
  $("#tab-draw").addEventListener("click", () => showTab("draw"));
  $("#tab-runs").addEventListener("click", () => showTab("runs"));
  drawSeen();
  document.body.dataset.ready = "true";
}

start().catch((error) => setStatus(`The model could not be loaded: ${error.message}`, true));
