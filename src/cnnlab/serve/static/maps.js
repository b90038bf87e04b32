// The feature maps: one section per conv/activation/pool layer, one canvas per channel, and
// each conv layer's filters. A click on a map cell calls onSelect({layer, channel, row, col}).

import {$, $$, el, paint, range, weightColour} from "./util.js";

function mapSize(width) {
  return Math.max(60, Math.min(width * 3, 96)); // CSS pixels of one map
}

function describe(layer) {
  const w = layer.window;
  if (!w) return layer.kind;
  const size = w.kernel.join("×");
  const padding = w.padding.some((p) => p) ? `, padding ${w.padding.join("×")}` : "";
  return `${layer.kind} ${size}, stride ${w.stride.join("×")}${padding}`;
}

function filterGrid(layer) {
  const [outChannels, inChannels] = [layer.filters.length, layer.filters[0].length];
  const top = range(layer.filters).top;
  const grid = el("div", {class: "filter-grid"});
  layer.filters.forEach((filter, k) => {
    const row = el("div", {class: "filter-row", dataset: {k}}, el("span", {class: "k", text: `k=${k}`}));
    filter.forEach((weights, c) => {
      const canvas = el("canvas", {class: "filter", dataset: {k, c}, title: `W(${k}, ${c}, :, :)`});
      paint(canvas, weights, top, weightColour);
      row.append(canvas);
    });
    grid.append(row);
  });
  const [f1, f2] = [layer.filters[0][0].length, layer.filters[0][0][0].length];
  return el("details", {class: "filters"},
    el("summary", {text: `filters W: ${outChannels} × ${inChannels} × ${f1} × ${f2} (blue < 0 < orange)`}),
    grid);
}

export class Maps {
  constructor(root, layers, onSelect) {
    this.root = root;
    this.layers = layers;
    this.onSelect = onSelect;
    this.values = {}; // layer name -> [C][H][W] of the last prediction
    root.replaceChildren(...layers.map((layer) => this.section(layer)));
  }

  section(layer) {
    const [channels, height, width] = layer.shape;
    const size = mapSize(width);
    const maps = el("div", {class: "channels"});
    for (let c = 0; c < channels; c++) {
      const canvas = el("canvas", {class: "map", width, height, dataset: {channel: c}});
      canvas.style.width = `${size}px`;
      canvas.style.height = `${(size * height) / width}px`;
      canvas.addEventListener("click", (event) => this.click(layer, c, canvas, event));
      maps.append(el("div", {class: "map-wrap"}, canvas, el("span", {class: "label", text: c})));
    }
    return el("section", {class: "panel layer", dataset: {layer: layer.name, kind: layer.kind}},
      el("h3", {},
        el("span", {text: layer.name}),
        el("span", {class: "kind", text: describe(layer)}),
        el("span", {class: "shape", text: layer.shape.join(" × ")})),
      maps,
      layer.filters ? filterGrid(layer) : null);
  }

  click(layer, channel, canvas, event) {
    const box = canvas.getBoundingClientRect();
    const [, height, width] = layer.shape;
    const col = Math.min(width - 1, Math.floor(((event.clientX - box.left) / box.width) * width));
    const row = Math.min(height - 1, Math.floor(((event.clientY - box.top) / box.height) * height));
    this.onSelect({layer: layer.name, channel, row, col});
  }

  show(predicted) {
    for (const layer of predicted) {
      this.values[layer.name] = layer.maps;
      const section = $(`.layer[data-layer="${CSS.escape(layer.name)}"]`, this.root);
      if (!section) continue;
      const {top} = range(layer.maps);
      $$("canvas.map", section).forEach((canvas, c) => paint(canvas, layer.maps[c], top));
    }
  }

  value({layer, channel, row, col}) {
    const maps = this.values[layer];
    return maps ? maps[channel][row][col] : null;
  }

  // Outline cells: {layer, channels (null: all), top, left, bottom, right, kind}
  mark({layer, channels, top, left, bottom, right, kind}) {
    const section = $(`.layer[data-layer="${CSS.escape(layer)}"]`, this.root);
    const shape = this.layers.find((l) => l.name === layer)?.shape;
    if (!section || !shape) return;
    const [, height, width] = shape;
    const [t, l] = [Math.max(0, top), Math.max(0, left)];
    const [b, r] = [Math.min(height - 1, bottom), Math.min(width - 1, right)];
    $$(".map-wrap", section).forEach((wrap, c) => {
      if (channels && !channels.includes(c)) return;
      const marker = el("div", {class: `marker ${kind}`});
      Object.assign(marker.style, {
        left: `${(100 * l) / width}%`, top: `${(100 * t) / height}%`,
        width: `${(100 * (r - l + 1)) / width}%`, height: `${(100 * (b - t + 1)) / height}%`,
      });
      wrap.append(marker);
    });
  }

  unmark() {
    $$(".marker", this.root).forEach((m) => m.remove());
    $$("canvas.filter.chosen", this.root).forEach((c) => c.classList.remove("chosen"));
  }

  chooseFilter(layer, k) {
    const section = $(`.layer[data-layer="${CSS.escape(layer)}"]`, this.root);
    if (section) $$(`canvas.filter[data-k="${k}"]`, section).forEach((c) => c.classList.add("chosen"));
  }
}
