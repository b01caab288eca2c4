/**
 * The Explore tab's map of item factors (first three principal components), page side: the camera
 * (orbit in 3-D, pan/zoom in 2-D) and projection from wgpu-matrix, hover picking with the same
 * matrix, and the drawing. With WebGPU the canvas is handed to the engine worker, which draws
 * instanced point sprites on its own device (src/demo/map-render.ts); without it the same
 * projection draws on a 2-D canvas here.
 */
import { mat4, vec4 } from 'wgpu-matrix';
import { PALETTE } from './charts.ts';
import { INSTANCE_FLOATS, type MapFrame } from './map-render.ts';

export interface MapData {
  coords: Float32Array;
  titles: string[];
  counts: Uint32Array;
  groups: Uint8Array;
  groupNames: string[];
  indices: Uint32Array;
}

function hexRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}

export class PointMap {
  private data: MapData | null = null;
  private pos = new Float32Array(0);
  private n = 0;
  dims: 2 | 3 = 3;
  private yaw = 0.6;
  private pitch = 0.35;
  private dist = 2.9;
  private pan = [0, 0];
  private zoom = 1;
  private hover = -1;
  private framePending = false;
  private viewProj = mat4.identity();
  /** Drawing-buffer size (device pixels) of the last frame. */
  private size = [1, 1];
  /** WebGPU drawing in the worker: frames are posted there. */
  private remote: ((f: MapFrame) => void) | null = null;
  private ctx2d: CanvasRenderingContext2D | null = null;
  renderer: 'webgpu' | 'canvas' | 'none' = 'none';
  onHover: (i: number, x: number, y: number) => void = () => {};
  onPick: (i: number) => void = () => {};

  constructor(private readonly canvas: HTMLCanvasElement) {
    new ResizeObserver(() => this.requestFrame()).observe(canvas);
    let drag: { x: number; y: number } | null = null;
    canvas.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY };
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener('pointerup', (e) => {
      const moved = drag ? Math.hypot(e.clientX - drag.x, e.clientY - drag.y) : 99;
      drag = null;
      if (moved < 4 && this.hover >= 0) this.onPick(this.hover);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (drag && e.buttons) {
        const dx = e.clientX - drag.x;
        const dy = e.clientY - drag.y;
        drag = { x: e.clientX, y: e.clientY };
        if (this.dims === 3) {
          this.yaw -= dx * 0.008;
          this.pitch = Math.max(-1.5, Math.min(1.5, this.pitch + dy * 0.008));
        } else {
          const r = canvas.getBoundingClientRect();
          this.pan[0] += (dx / r.height) * 2 * this.zoom;
          this.pan[1] -= (dy / r.height) * 2 * this.zoom;
        }
        this.requestFrame();
        return;
      }
      this.pick(e.offsetX, e.offsetY);
    });
    canvas.addEventListener('pointerleave', () => {
      this.hover = -1;
      this.onHover(-1, 0, 0);
      this.requestFrame();
    });
    canvas.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const f = Math.exp(e.deltaY * 0.0012);
        if (this.dims === 3) this.dist = Math.max(0.6, Math.min(20, this.dist * f));
        else this.zoom = Math.max(0.05, Math.min(10, this.zoom * f));
        this.requestFrame();
      },
      { passive: false },
    );
  }

  /** Hands the canvas to the worker for WebGPU drawing; `post` sends it frames. */
  useRemote(post: (f: MapFrame) => void): OffscreenCanvas {
    const off = this.canvas.transferControlToOffscreen();
    this.remote = post;
    this.renderer = 'webgpu';
    return off;
  }

  /** No WebGPU: draw here on a 2-D canvas. */
  useCanvas2d(): void {
    this.ctx2d = this.canvas.getContext('2d');
    this.renderer = this.ctx2d ? 'canvas' : 'none';
  }

  /** The instance data the WebGPU renderer draws (same layout as map-render.ts). */
  instanceData(): Float32Array {
    const d = this.data!;
    const maxCount = Math.max(1, ...d.counts);
    const inst = new Float32Array(this.n * INSTANCE_FLOATS);
    for (let j = 0; j < this.n; j++) {
      const [r, g, b] = hexRgb(PALETTE[d.groups[j] % PALETTE.length]);
      inst.set([this.pos[j * 3], this.pos[j * 3 + 1], this.pos[j * 3 + 2], r, g, b, 0.7 + 1.3 * Math.sqrt(d.counts[j] / maxCount)], j * INSTANCE_FLOATS);
    }
    return inst;
  }

  setData(d: MapData): void {
    this.data = d;
    this.n = d.titles.length;
    // Normalise: centre, and scale so the bulk of the cloud fits a unit ball.
    const c = d.coords;
    let s = 0;
    for (let k = 0; k < c.length; k++) s += c[k] * c[k];
    const sd = Math.sqrt(s / Math.max(1, this.n)) || 1;
    this.pos = new Float32Array(c.length);
    for (let k = 0; k < c.length; k++) this.pos[k] = c[k] / (1.15 * sd);
    this.hover = -1;
    this.requestFrame();
  }

  setDims(d: 2 | 3): void {
    this.dims = d;
    this.requestFrame();
  }

  requestFrame(): void {
    if (this.framePending) return;
    this.framePending = true;
    requestAnimationFrame(() => {
      this.framePending = false;
      this.frame();
    });
  }

  private matrices(w: number, h: number): void {
    const aspect = w / Math.max(1, h);
    if (this.dims === 3) {
      const eye = [this.dist * Math.cos(this.pitch) * Math.sin(this.yaw), this.dist * Math.sin(this.pitch), this.dist * Math.cos(this.pitch) * Math.cos(this.yaw)];
      const proj = mat4.perspective((50 * Math.PI) / 180, aspect, 0.05, 100);
      const view = mat4.lookAt(eye, [0, 0, 0], [0, 1, 0]);
      mat4.multiply(proj, view, this.viewProj);
    } else {
      const z = 1.5 * this.zoom;
      const proj = mat4.ortho(-z * aspect, z * aspect, -z, z, -10, 10);
      const view = mat4.translation([this.pan[0], this.pan[1], 0]);
      // 2-D: the first two components only (z flattened).
      mat4.multiply(proj, mat4.multiply(view, mat4.scaling([1, 1, 0])), this.viewProj);
    }
  }

  private frame(): void {
    // Hidden (another tab): nothing to present; the next visible frame redraws.
    if (!this.canvas.clientWidth || !this.canvas.clientHeight) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (!this.remote && (this.canvas.width !== w || this.canvas.height !== h)) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.size = [w, h];
    this.matrices(w, h);
    const radius = Math.max(1.5, Math.min(6, 220 / Math.sqrt(Math.max(1, this.n)))) * dpr;
    if (this.remote) {
      this.remote({ viewProj: new Float32Array(this.viewProj), width: w, height: h, radius, hover: this.hover });
    } else if (this.ctx2d && this.data) {
      const g = this.ctx2d;
      g.fillStyle = '#0d1020';
      g.fillRect(0, 0, w, h);
      const maxCount = Math.max(1, ...this.data.counts);
      for (let j = 0; j < this.n; j++) {
        const p = this.project(j, w, h);
        if (!p) continue;
        g.fillStyle = j === this.hover ? '#ffffff' : PALETTE[this.data.groups[j] % PALETTE.length];
        g.globalAlpha = 0.85;
        g.beginPath();
        g.arc(p[0], p[1], radius * (0.7 + 1.3 * Math.sqrt(this.data.counts[j] / maxCount)) * (j === this.hover ? 2.2 : 1), 0, 2 * Math.PI);
        g.fill();
      }
      g.globalAlpha = 1;
    }
  }

  /** Screen position (device pixels) of point j, or null when behind the camera. */
  private project(j: number, w: number, h: number): [number, number, number] | null {
    const v = vec4.transformMat4([this.pos[j * 3], this.pos[j * 3 + 1], this.pos[j * 3 + 2], 1], this.viewProj);
    if (v[3] <= 1e-6) return null;
    return [((v[0] / v[3] + 1) / 2) * w, ((1 - v[1] / v[3]) / 2) * h, v[2] / v[3]];
  }

  private pick(cssX: number, cssY: number): void {
    if (!this.n) return;
    const dpr = window.devicePixelRatio || 1;
    const [w, h] = this.size;
    const x = cssX * dpr;
    const y = cssY * dpr;
    let best = -1;
    let bestD = (10 * dpr) ** 2;
    let bestZ = Infinity;
    for (let j = 0; j < this.n; j++) {
      const p = this.project(j, w, h);
      if (!p) continue;
      const d = (p[0] - x) ** 2 + (p[1] - y) ** 2;
      if (d < bestD - 1 || (Math.abs(d - bestD) <= 1 && p[2] < bestZ)) {
        best = j;
        bestD = d;
        bestZ = p[2];
      }
    }
    if (best !== this.hover) {
      this.hover = best;
      this.requestFrame();
    }
    this.onHover(best, cssX, cssY);
  }

  /** For tests: the CSS-pixel position of point j under the current camera. */
  screenOf(j: number): [number, number] | null {
    const p = this.project(j, this.size[0], this.size[1]);
    const dpr = window.devicePixelRatio || 1;
    return p ? [p[0] / dpr, p[1] / dpr] : null;
  }

  get count(): number {
    return this.n;
  }
}
