// The runs view: every run under the runs directory, and for the chosen one its loss and
// accuracy curves and confusion matrix; refreshed while it is shown.

import {$, api, el, percent} from "./util.js";

const REFRESH_MS = 2000;
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  return node;
}

// A line chart of train and test values against the epoch.
function chart(history, key, title, scale = 1) {
  const [width, height, left, bottom, top, right] = [380, 236, 46, 30, 30, 10];
  const epochs = history.map((row) => row.epoch);
  const series = ["train", "test"].map((split) => history.map((row) => scale * row[`${split}_${key}`]));
  const values = series.flat().filter(Number.isFinite);
  let [low, high] = [Math.min(...values), Math.max(...values)];
  if (!(high > low)) [low, high] = [low - 1, high + 1];
  const [first, last] = [Math.min(...epochs), Math.max(Math.max(...epochs), Math.min(...epochs) + 1)];
  const x = (epoch) => left + ((epoch - first) / (last - first)) * (width - left - right);
  const y = (v) => top + (1 - (v - low) / (high - low)) * (height - top - bottom);
  const root = svg("svg", {class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, "data-key": key});
  root.append(svg("text", {x: left, y: 14}, title));
  const decimals = Math.min(4, Math.max(0, Math.ceil(-Math.log10((high - low) / 4))));
  for (let n = 0; n <= 4; n++) {
    const v = low + ((high - low) * n) / 4;
    root.append(svg("line", {class: "gridline", x1: left, x2: width - right, y1: y(v), y2: y(v)}));
    root.append(svg("text", {x: left - 4, y: y(v) + 3, "text-anchor": "end"}, v.toFixed(decimals)));
  }
  root.append(svg("line", {class: "axis", x1: left, x2: width - right, y1: height - bottom, y2: height - bottom}));
  root.append(svg("text", {x: (left + width) / 2, y: height - 6, "text-anchor": "middle"}, "epoch"));
  for (const epoch of epochs.filter((e, n) => n % Math.ceil(epochs.length / 10) === 0)) {
    root.append(svg("text", {x: x(epoch), y: height - bottom + 12, "text-anchor": "middle"}, epoch));
  }
  ["train", "test"].forEach((split, s) => {
    const points = epochs.map((epoch, n) => `${x(epoch)},${y(series[s][n])}`).join(" ");
    root.append(svg("polyline", {class: split, points}));
  });
  return root;
}

function confusion(report) {
  const matrix = report.confusion_matrix;
  const top = Math.max(1, ...matrix.flat());
  const table = el("table", {id: "confusion"});
  table.append(el("tr", {}, el("th", {text: "true \\ predicted"}), ...report.classes.map((name) => el("th", {text: name}))));
  matrix.forEach((row, i) => {
    const tr = el("tr", {}, el("th", {text: report.classes[i]}));
    row.forEach((count, j) => {
      const t = count / top;
      const td = el("td", {text: count, title: `${count} images of ${report.classes[i]} predicted as ${report.classes[j]}`});
      td.style.background = i === j ? `rgba(26, 143, 76, ${0.12 + 0.8 * t})` : `rgba(196, 60, 60, ${count ? 0.12 + 0.8 * t : 0})`;
      td.style.color = t > 0.55 ? "#fff" : "";
      tr.append(td);
    });
    table.append(tr);
  });
  return table;
}

function detail(run) {
  const history = run.history || [];
  const parts = [el("h2", {text: run.name}),
    el("p", {class: "note", text:
      `${run.model} on ${run.data}, ${run.engine} engine: epoch ${run.epoch} of ${run.epochs}, ${run.status}` +
      (run.test_acc != null ? `; test accuracy ${percent(run.test_acc)}` : "")})];
  if (history.length) {
    parts.push(el("div", {class: "charts"}, chart(history, "loss", "cross-entropy loss"), chart(history, "acc", "accuracy (%)", 100)),
      el("p", {class: "note legend"}, el("span", {style: "background: var(--accent)"}), "train",
        el("span", {style: "background: #e07b25"}), "test"));
  }
  if (run.report) {
    parts.push(el("h2", {text: "Confusion matrix (test split)"}), confusion(run.report));
  } else {
    parts.push(el("p", {class: "note", text: "The confusion matrix appears when the run has finished."}));
  }
  return parts;
}

export class Runs {
  constructor() {
    this.chosen = null;
    this.timer = null;
  }

  start() {
    this.refresh();
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  async refresh() {
    let answer;
    try {
      answer = await api("/api/runs");
    } catch (error) {
      $("#runs-dir").textContent = `(could not read the runs: ${error.message})`;
      return;
    }
    $("#runs-dir").textContent = `in ${answer.runs_dir}`;
    $("#runs-empty").hidden = answer.runs.length > 0;
    const rows = answer.runs.map((run) => {
      const row = el("tr", {dataset: {run: run.name, status: run.status}},
        el("td", {text: run.name}), el("td", {text: run.model}), el("td", {text: run.data}),
        el("td", {text: run.engine}), el("td", {text: `${run.epoch} / ${run.epochs}`}),
        el("td", {text: run.test_acc == null ? "–" : percent(run.test_acc)}),
        el("td", {}, el("span", {class: `status ${run.status}`, text: run.status})));
      if (run.name === this.chosen) row.classList.add("chosen");
      row.addEventListener("click", () => this.choose(run.name));
      return row;
    });
    $("#runs tbody").replaceChildren(...rows);
    if (this.chosen === null && answer.runs.length) this.chosen = answer.runs[0].name;
    if (this.chosen !== null) await this.showDetail();
  }

  async choose(name) {
    this.chosen = name;
    await this.refresh();
  }

  async showDetail() {
    const panel = $("#run-detail");
    try {
      const run = await api(`/api/runs/${encodeURIComponent(this.chosen)}`);
      panel.dataset.run = run.name;
      panel.dataset.epoch = run.epoch;
      panel.replaceChildren(...detail(run));
    } catch (error) {
      panel.replaceChildren(el("p", {class: "note", text: error.message}));
    }
    panel.hidden = false;
  }
}
