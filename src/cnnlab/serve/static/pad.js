// The drawing pad: white ink on black, as MNIST digits are, for mouse, touch and pen
// (pointer events). Calls onChange() whenever the drawing changes.

const STROKE = 20; // pixels on the 280-pixel pad: about 2 of the 28 the network sees

export class Pad {
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.onChange = onChange;
    this.inked = false;
    this.last = null;
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) {
      canvas.addEventListener(name, () => this.up());
    }
    this.clear();
  }

  clear() {
    this.context.fillStyle = "#000";
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.inked = false;
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * this.canvas.width) / box.width,
      y: ((event.clientY - box.top) * this.canvas.height) / box.height,
      // a pen's pressure thickens the line; a mouse reports 0.5 while a button is down
      width: event.pointerType === "pen" ? STROKE * (0.5 + event.pressure) : STROKE,
    };
  }

  down(event) {
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    this.last = this.point(event);
    this.segment(this.last, this.last);
  }

  move(event) {
    if (this.last === null) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) {
      const next = this.point(e);
      this.segment(this.last, next);
      this.last = next;
    }
  }

  up() {
    if (this.last === null) return;
    this.last = null;
    this.onChange();
  }

  segment(from, to) {
    const c = this.context;
    c.strokeStyle = "#fff";
    c.lineCap = "round";
    c.lineJoin = "round";
    c.lineWidth = to.width;
    c.beginPath();
    c.moveTo(from.x, from.y);
    c.lineTo(to.x, to.y);
    c.stroke();
    this.inked = true;
    this.onChange();
  }

  png() {
    return new Promise((resolve) => this.canvas.toBlob(resolve, "image/png"));
  }
}
