// Small helpers shared by the page's modules: elements, numbers, colours, the JSON API.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

// el("div", {class: "x", dataset: {a: 1}}, child, "text") -> a new element
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

export function fmt(value, digits = 4) {
  if (value === null || value === undefined) return "·";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  const text = value.toFixed(digits);
  return text.startsWith("-") ? "−" + text.slice(1) : text;
}

export const percent = (p) => (100 * p).toFixed(1) + "%";

// The largest |value| of nested arrays, and whether any value is negative.
export function range(nested) {
  let top = 0, negative = false;
  for (const v of nested.flat(Infinity)) {
    if (v === null) continue;
    if (Math.abs(v) > top) top = Math.abs(v);
    if (v < 0) negative = true;
  }
  return {top: top || 1, negative};
}

// Colour of a value scaled by t = value / top in [-1, 1]: white for positive values, blue for
// negative ones, on black (feature maps); or a blue-white-orange scale on white (weights).
export function mapColour(t) {
  if (t >= 0) return [255 * t, 255 * t, 255 * t];
  const s = -t;
  return [70 * s, 140 * s, 255 * s];
}

export function weightColour(t) {
  const s = Math.min(1, Math.abs(t));
  return t >= 0 ? [255, 255 - 120 * s, 255 - 230 * s] : [255 - 220 * s, 255 - 130 * s, 255];
}

// Paint a 2-D array on a canvas of the same size, one pixel per value.
export function paint(canvas, grid, top, colour = mapColour) {
  const height = grid.length, width = grid[0].length;
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  let o = 0;
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const [r, g, b] = colour(grid[i][j] / top);
      image.data[o++] = r; image.data[o++] = g; image.data[o++] = b; image.data[o++] = 255;
    }
  }
  context.putImageData(image, 0, 0);
}

export function cssColour(rgb) {
  return `rgb(${rgb.map((v) => Math.round(v)).join(",")})`;
}

// POST or GET the JSON API; an error answer becomes an Error carrying the server's message.
export async function api(path, {body, type = "application/json", method} = {}) {
  const options = {method: method || (body === undefined ? "GET" : "POST"), headers: {}};
  if (body !== undefined) {
    options.body = type === "application/json" ? JSON.stringify(body) : body;
    options.headers["Content-Type"] = type;
  }
  const response = await fetch(path, options);
  const answer = await response.json().catch(() => ({error: `HTTP ${response.status}`}));
  if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
  return answer;
}
