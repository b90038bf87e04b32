// The explanation panel: the chapter's equation for the clicked cell, with the numbers the
// server computed from the layer's actual input and weights, next to the value in the map.

import {cssColour, el, fmt, range, weightColour} from "./util.js";

function numberGrid(grid, {best = null, top = null} = {}) {
  const scale = top ?? range(grid).top;
  const table = el("table", {class: "grid"});
  grid.forEach((row, u) => {
    const tr = el("tr");
    row.forEach((v, w) => {
      const td = el("td", {text: v === null ? "pad" : fmt(v, 2), title: v === null ? "padding" : String(v)});
      if (v === null) td.classList.add("pad");
      else td.style.background = cssColour(weightColour(v / scale));
      if (best && best[0] === u && best[1] === w) td.classList.add("best");
      tr.append(td);
    });
    table.append(tr);
  });
  return table;
}

function span(a, b) {
  return a === b ? `${a}` : `${a}–${b}`;
}

function formula(text, equation) {
  return el("p", {class: "formula"}, text, equation ? el("span", {class: "eq", text: `   eq. (${equation})`}) : null);
}

// Where x comes from: the normalized image, or a layer's output (or an op outside modules).
function source(e, model) {
  if (e.input_layer === "input") {
    const [mean, std] = [model.mean.map((v) => fmt(v)), model.std.map((v) => fmt(v))];
    return `the image, normalized as in training: (pixel − ${mean.join("|")}) / ${std.join("|")}`;
  }
  return e.input_layer ? `the output of ${e.input_layer}` : "the layer's input";
}

function convTerms(e, model) {
  const [s, p] = [e.stride[0], e.padding[0]];
  const terms = el("div", {class: "terms"});
  e.window.forEach((patch, n) => {
    terms.append(el("div", {class: "term"},
      el("div", {class: "term-head"}, `k′ = ${e.input_channels[n]}:  Σu Σv x · W = `,
        el("b", {text: fmt(e.channel_sums[n])})),
      el("div", {class: "pair"}, numberGrid(patch), el("span", {class: "op", text: "·"}), numberGrid(e.weights[n]))));
  });
  return [
    formula("z(k,i,j) = b(k) + Σk′ Σu Σv x(k′, i·s+u, j·s+v) · W(k,k′,u,v)", "8.2"),
    el("p", {class: "note", text:
      `x: ${source(e, model)}, rows ${span(...e.rows)}, ` +
      `columns ${span(...e.cols)} (s = ${s}, zero padding ${p}${p ? ", shown as pad" : ""}); ` +
      `W: filter k = ${e.channel}, ${e.window.length} channel${e.window.length > 1 ? "s" : ""} ` +
      `of ${e.kernel.join("×")}. Each row: x window · W = its sum.`}),
    terms,
    el("p", {class: "result", text: `b(k) = ${fmt(e.bias)}`}),
  ];
}

function poolTerms(e, model) {
  const max = e.equation === "8.13";
  const text = max
    ? "z(c,i,j) = max x(c, m, n), i·s ≤ m ≤ i·s+f−1, j·s ≤ n ≤ j·s+f−1"
    : "z(c,i,j) = 1/(f·f) Σm Σn x(c, m, n)";
  return [
    formula(text, e.equation),
    el("p", {class: "note", text:
      `x: ${source(e, model)}, channel ${e.channel}, rows ` +
      `${span(...e.rows)}, columns ${span(...e.cols)}` + (max ? "" : `; divided by ${e.divisor}`)}),
    el("div", {class: "terms"}, numberGrid(e.window, {best: max ? e.argmax : null})),
  ];
}

function batchNormTerms(e) {
  return [
    formula("y = γ (x − μ) / √(σ² + ε) + β", "8.18"),
    el("p", {class: "note", text:
      `x = ${fmt(e.x)}, μ = ${fmt(e.mean)}, σ² = ${fmt(e.var)}, ε = ${e.eps}, ` +
      `γ = ${fmt(e.gamma)}, β = ${fmt(e.beta)} (running statistics, eval mode)`}),
  ];
}

function elementwiseTerms(e, model) {
  return [formula(e.formula, null),
    el("p", {class: "formula", text: `${e.formula.replace(/\bx\b/g, fmt(e.x))} = ${fmt(e.result)}`}),
    el("p", {class: "note", text: `x: ${source(e, model)}, at the same cell`})];
}

function terms(e, model) {
  if (e.equation === "8.2") return convTerms(e, model);
  if (e.equation === "8.13" || e.equation === "8.16") return poolTerms(e, model);
  if (e.equation === "8.18") return batchNormTerms(e);
  if (e.formula) return elementwiseTerms(e, model);
  return [el("p", {class: "note", text: "This layer has no formula shown here."})];
}

function resultLines(e, mapValue) {
  const lines = [];
  if (e.result !== null) {
    const label = e.equation === "8.2" ? "sum" : "result";
    lines.push(el("p", {class: "result"}, `${label} = `,
      el("b", {id: "explain-sum", dataset: {result: e.result}, text: fmt(e.result)})));
  }
  const equal = e.result === null || Math.abs(e.result - mapValue) <= 1e-4 * Math.max(1, Math.abs(mapValue));
  lines.push(el("p", {class: "result"}, `value in the map ${e.layer}[${e.channel}, ${e.row}, ${e.col}] = `,
    el("b", {id: "explain-value", dataset: {value: mapValue}, text: fmt(mapValue)}),
    e.result === null ? null : el("span", {class: `check ${equal ? "ok" : "no"}`, text: equal ? "  ✓ equal" : "  ✗ differs"})));
  return lines;
}

function fieldLine(field) {
  if (!field) return el("p", {class: "note", text: "Receptive field: not traced for this layer."});
  const rows = field.bottom - field.top + 1, cols = field.right - field.left + 1;
  return el("p", {class: "note", id: "explain-field", text:
    `Receptive field on the input (yellow): rows ${span(field.top, field.bottom)}, columns ` +
    `${span(field.left, field.right)}: ${rows} × ${cols} pixels.`});
}

export function showExplanation(panel, e, mapValue, model) {
  Object.assign(panel.dataset, {layer: e.layer, channel: e.channel, row: e.row, col: e.col});
  panel.replaceChildren(
    el("h2", {text: `${e.layer} (${e.kind}): cell k=${e.channel}, i=${e.row}, j=${e.col}`}),
    ...terms(e, model),
    ...resultLines(e, mapValue),
    fieldLine(e.receptive_field));
}

export function showExplainNote(panel, title, message) {
  panel.replaceChildren(el("h2", {text: title}), el("p", {class: "note", text: message}));
}
