/**
 * Which engine a fit runs on, and why:
 *  - 'reference': the f64 CPU reference (src/cpu/reference.ts), slow and exact, for checks;
 *  - 'cpu': the f32 CPU engine (this folder), over a worker pool;
 *  - 'gpu': WebGPU, or an error without an adapter;
 *  - 'auto': a caller's GPU is used as given; otherwise a hardware adapter -> GPU, no WebGPU ->
 *    the f32 CPU engine, and a software adapter (SwiftShader, WARP, llvmpipe) -> whichever of the
 *    two a short measured probe finds faster for this kind of fit at this rank. The probe's
 *    verdict is cached per adapter, kind and rank in memory and, in Node, in
 *    <webmf cache>/engine-probe.json.
 */
import { GpuContext, adapterName, type GpuLimitsRequest } from '../gpu/context.ts';
import { acquireGpu } from '../gpu/acquire.ts';
import { buildViews, type Ratings } from '../data/ratings.ts';
import { strideOf, type SolveSpec } from '../core/layout.ts';
import type { AlsBackend, AlsProblem } from '../train/als/backend.ts';
import { GpuAls } from '../train/als/gpu.ts';
import { FastCpuAls } from './als.ts';
import { lazyExec } from './pool.ts';

export type Backend = 'auto' | 'gpu' | 'cpu' | 'reference';
export type Engine = 'gpu' | 'cpu' | 'reference';

export interface EngineChoice {
  engine: Engine;
  /** One line: why this engine runs ("software adapter ...: probe at rank 32 ..."). */
  reason: string;
  gpu: GpuContext | null;
  /** The context the fit created and must destroy. */
  own: GpuContext | null;
}

export interface ChooseOptions {
  backend: Backend;
  gpu?: GpuContext;
  gpuSource?: GPU;
  gpuLimits?: GpuLimitsRequest;
  onWarning?: (m: string) => void;
  /** Worker threads for the CPU engine (default: the core count). */
  threads?: number;
}

interface Verdict {
  engine: 'gpu' | 'cpu';
  gpuMs: number;
  cpuMs: number;
}

const memo = new Map<string, Verdict>();

/** Forgets the probes kept in memory (the Node cache file stays): the next 'auto' fit reads the file or probes again. */
export function forgetProbes(): void {
  memo.clear();
}

/** The probe's cache key: adapter, kind of fit, rank, CPU threads. */
const keyOf = (adapter: string, kind: string, rank: number, threads: number | undefined) => `${adapter}|${kind}|r${rank}|t${threads ?? 'cores'}`;

const isNode = () => typeof process !== 'undefined' && !!process.versions?.node;

async function cacheFile(): Promise<string | null> {
  if (!isNode()) return null;
  if (process.env.WEBMF_PROBE_CACHE === 'off') return null;
  const { join } = (await import(/* @vite-ignore */ 'node:path')) as typeof import('node:path');
  const { homedir } = (await import(/* @vite-ignore */ 'node:os')) as typeof import('node:os');
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.trim() ? xdg : join(homedir(), '.cache'), 'webmf', 'engine-probe.json');
}

async function readCache(key: string): Promise<Verdict | undefined> {
  const hit = memo.get(key);
  if (hit) return hit;
  const file = await cacheFile();
  if (!file) return undefined;
  try {
    const fs = (await import(/* @vite-ignore */ 'node:fs/promises')) as typeof import('node:fs/promises');
    const all = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, Verdict>;
    const v = all[key];
    if (v && (v.engine === 'gpu' || v.engine === 'cpu') && Number.isFinite(v.gpuMs) && Number.isFinite(v.cpuMs)) {
      memo.set(key, v);
      return v;
    }
  } catch {
    // no cache yet, or unreadable: probe again
  }
  return undefined;
}

async function writeCache(key: string, v: Verdict): Promise<void> {
  memo.set(key, v);
  const file = await cacheFile();
  if (!file) return;
  try {
    const fs = (await import(/* @vite-ignore */ 'node:fs/promises')) as typeof import('node:fs/promises');
    const { dirname } = (await import(/* @vite-ignore */ 'node:path')) as typeof import('node:path');
    let all: Record<string, Verdict> = {};
    try {
      all = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch {
      all = {};
    }
    all[key] = v;
    await fs.mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(all, null, 1));
    await fs.rename(tmp, file);
  } catch {
    // a read-only cache folder only costs a probe next time
  }
}

/** A seeded synthetic problem of the probe's size: 600 users x 400 items, 24 ratings per user. */
function probeRatings(): Ratings {
  const nUsers = 600;
  const nItems = 400;
  const per = 24;
  const users = new Int32Array(nUsers * per);
  const items = new Int32Array(nUsers * per);
  const values = new Float32Array(nUsers * per);
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let u = 0; u < nUsers; u++) {
    const start = Math.floor(rnd() * nItems);
    for (let k = 0; k < per; k++) {
      const at = u * per + k;
      users[at] = u;
      items[at] = (start + k * 7) % nItems;
      values[at] = 1 + Math.floor(rnd() * 5);
    }
  }
  return { users, items, values, nUsers, nItems };
}

/** Median wall time (ms) of `reps` ALS iterations on `b`, after one iteration of warm-up. */
async function timeAls(b: AlsBackend, reps: number): Promise<number> {
  await b.step(1, 0);
  const t: number[] = [];
  for (let k = 0; k < reps; k++) {
    const t0 = performance.now();
    await b.step(k + 2, 0);
    t.push(performance.now() - t0);
  }
  t.sort((x, y) => x - y);
  return t[Math.floor(t.length / 2)];
}

/**
 * Times one ALS iteration of a small seeded problem at `rank` on the GPU and on the f32 CPU
 * engine (warm-up excluded, median of 3) and returns the faster. The same probe serves SGD: both
 * are bound by the same per-rating work, and it keeps the probe to one shape.
 */
export async function probeEngines(gpu: GpuContext, rank: number, threads?: number): Promise<Verdict> {
  const r = probeRatings();
  const { byUser, byItem } = buildViews(r);
  const spec: SolveSpec = { rank, bias: false, side: 'user', mu: 0, lambda: 0.1, lambdaBias: 0.1, weighted: false };
  const p: AlsProblem = {
    rank, stride: strideOf(rank, false), nUsers: r.nUsers, nItems: r.nItems, userSpec: spec, itemSpec: { ...spec, side: 'item' },
    solver: 'cholesky', kernels: 'auto', cgSteps: 3, implicit: false, alpha: 0, trackDelta: false,
  };
  const init = (n: number) => Float32Array.from({ length: n * rank }, (_, i) => 0.1 * Math.sin(i * 12.9898 + 1));
  const W0 = init(r.nUsers);
  const H0 = init(r.nItems);
  const g = new GpuAls(gpu, p, byUser, byItem, r, undefined, W0, H0);
  let gpuMs: number;
  try {
    gpuMs = await timeAls(g, 3);
  } finally {
    g.destroy();
  }
  const c = new FastCpuAls(p, byUser, byItem, r, undefined, W0, H0, lazyExec({ threads }));
  let cpuMs: number;
  try {
    cpuMs = await timeAls(c, 3);
  } finally {
    c.destroy();
  }
  return { engine: cpuMs < gpuMs ? 'cpu' : 'gpu', gpuMs, cpuMs };
}

/** Picks the engine for a fit of `kind` at `rank` (see the file comment). */
export async function chooseEngine(o: ChooseOptions, kind: 'als' | 'sgd', rank: number): Promise<EngineChoice> {
  const b = o.backend;
  if (b === 'reference') return { engine: 'reference', reason: "backend 'reference': the f64 CPU reference engine", gpu: null, own: null };
  if (b === 'cpu') return { engine: 'cpu', reason: "backend 'cpu': the f32 CPU engine", gpu: null, own: null };
  if (o.gpu) return { engine: 'gpu', reason: `the caller's GPU (${adapterName(o.gpu.adapter)})`, gpu: o.gpu, own: null };
  // The one way to a GPU (src/gpu/acquire.ts): it warns and returns none when 'auto' finds no adapter.
  const got = await acquireGpu({ backend: b, gpuSource: o.gpuSource, gpuLimits: o.gpuLimits, onWarning: o.onWarning }, 'the f32 CPU engine');
  if (!got.gpu) return { engine: 'cpu', reason: `no WebGPU adapter (${got.noGpu}); the f32 CPU engine instead`, gpu: null, own: null };
  const gpu = got.gpu;
  const name = adapterName(gpu.adapter);
  if (b === 'gpu') return { engine: 'gpu', reason: `backend 'gpu' (${name})`, gpu, own: gpu };
  if (!gpu.adapter.software) return { engine: 'gpu', reason: `hardware adapter ${name}`, gpu, own: gpu };
  const key = keyOf(name, kind, rank, o.threads);
  let v = await readCache(key);
  const cached = !!v;
  if (!v) {
    try {
      v = await probeEngines(gpu, rank, o.threads);
    } catch (e) {
      gpu.destroy();
      throw e;
    }
    await writeCache(key, v);
  }
  const why = `software adapter ${name}: ${cached ? 'cached ' : ''}probe at rank ${rank}, GPU ${v.gpuMs.toFixed(1)} ms vs f32 CPU ${v.cpuMs.toFixed(1)} ms per ALS iteration`;
  if (v.engine === 'gpu') return { engine: 'gpu', reason: why, gpu, own: gpu };
  gpu.destroy();
  return { engine: 'cpu', reason: why, gpu: null, own: null };
}

/**
 * The engine a fit's backend `b` is (the one that ran last: a lost GPU's CPU fallback replaces it)
 * and why, for the fit result.
 */
export function engineOf(b: { kind: 'gpu' | 'cpu'; reason?: string }, choice: EngineChoice): { engine: Engine; reason: string } {
  if (b.kind === 'gpu') return { engine: 'gpu', reason: choice.reason };
  const fast = typeof b.reason === 'string';
  const engine: Engine = fast ? 'cpu' : 'reference';
  const why = choice.engine === 'gpu' ? 'the GPU device was lost; the fit continued on the f32 CPU engine from the last finished iteration' : choice.reason;
  return { engine, reason: fast ? `${why} (${b.reason})` : why };
}
