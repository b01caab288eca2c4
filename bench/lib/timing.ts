/**
 * Timing for the benchmark: summary statistics (median, min, max), and GPU time from timestamp
 * queries when the adapter offers them, else wall time including a readback.
 *
 * The engine's kernels encode their own compute passes, so the timer hands them a wrapped command
 * encoder whose `beginComputePass` adds `timestampWrites` (a begin and an end query per pass). The
 * GPU time of a submission is the sum of its passes' durations (copies between passes are not
 * counted; the kernels measured here have none inside the timed region).
 */
import type { GpuContext } from '../../src/gpu/context.ts';

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stats(samples: number[]): Stats {
  if (samples.length === 0) throw new Error('stats of no samples');
  for (const s of samples) if (!Number.isFinite(s)) throw new Error(`non-finite timing sample ${s}`);
  const s = [...samples].sort((a, b) => a - b);
  const m = s.length >> 1;
  const median = s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

/** Scales every field of a Stats (e.g. ms -> s, or time -> rate: pass an inverting map). */
export function mapStats(st: Stats, f: (v: number) => number): Stats {
  const a = f(st.min);
  const b = f(st.max);
  return { median: f(st.median), min: Math.min(a, b), max: Math.max(a, b), n: st.n };
}

const MAX_PASSES = 64;

export class GpuTimer {
  private readonly qs: GPUQuerySet;
  private readonly resolveBuf: GPUBuffer;
  private used = 0;

  constructor(private readonly gpu: GpuContext) {
    if (!gpu.hasTimestamps) throw new Error('GpuTimer needs the timestamp-query feature');
    this.qs = gpu.device.createQuerySet({ label: 'bench.timestamps', type: 'timestamp', count: 2 * MAX_PASSES });
    this.resolveBuf = gpu.buffer('bench.timestamps.resolve', 2 * MAX_PASSES * 8, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
  }

  /** A command encoder whose compute passes write begin/end timestamps. Call `read` after submitting it. */
  wrap(enc: GPUCommandEncoder): GPUCommandEncoder {
    this.used = 0;
    const self = this;
    return new Proxy(enc, {
      get(target, prop) {
        if (prop === 'beginComputePass') {
          return (desc: GPUComputePassDescriptor = {}) => {
            if (self.used >= MAX_PASSES) throw new Error(`GpuTimer: more than ${MAX_PASSES} passes in one submission`);
            const i = self.used++;
            return target.beginComputePass({
              ...desc,
              timestampWrites: { querySet: self.qs, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
            });
          };
        }
        if (prop === 'finish') {
          return (desc?: GPUCommandBufferDescriptor) => {
            if (self.used > 0) target.resolveQuerySet(self.qs, 0, 2 * self.used, self.resolveBuf, 0);
            return target.finish(desc);
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }

  /** Milliseconds of GPU time of the passes of the last wrapped submission; null if the counters are unusable. */
  async read(): Promise<number | null> {
    if (this.used === 0) return 0;
    const t = new BigUint64Array(await this.gpu.read(this.resolveBuf, 0, 2 * this.used * 8));
    let ns = 0;
    for (let i = 0; i < this.used; i++) {
      const d = Number(t[2 * i + 1] - t[2 * i]);
      if (!(t[2 * i + 1] >= t[2 * i])) return null;
      ns += d;
    }
    return ns > 0 ? ns / 1e6 : null;
  }

  destroy(): void {
    this.qs.destroy();
    this.resolveBuf.destroy();
  }
}

export interface GpuTiming {
  /** The statistic reported: GPU time when timestamps worked for every run, else wall time. */
  ms: Stats;
  source: 'timestamp' | 'wall';
  wallMs: Stats;
}

/**
 * Times `encode` (which records work into the encoder it is given): `warmup` uncounted runs, then
 * `runs` counted ones, each one submission. Wall time covers submit → work done → a readback.
 * `encode` may return a cleanup run after its submission completes (per-run scratch buffers).
 */
export async function timeGpu(
  gpu: GpuContext,
  encode: (enc: GPUCommandEncoder) => void | (() => void),
  opts: { warmup?: number; runs?: number; label?: string; before?: () => void } = {},
): Promise<GpuTiming> {
  const warmup = opts.warmup ?? 1;
  const runs = opts.runs ?? 5;
  const timer = gpu.hasTimestamps ? new GpuTimer(gpu) : null;
  const probe = gpu.storage('bench.probe', 16);
  const gpuMs: number[] = [];
  const wallMs: number[] = [];
  let tsOk = !!timer;
  try {
    for (let r = 0; r < warmup + runs; r++) {
      opts.before?.();
      const t0 = performance.now();
      const raw = gpu.device.createCommandEncoder({ label: opts.label ?? 'bench.timed' });
      const enc = timer ? timer.wrap(raw) : raw;
      const cleanup = encode(enc);
      gpu.submit(enc);
      // the readback that ends the wall-clock interval (a real round trip, as the engine's loops do)
      await gpu.read(probe, 0, 4);
      const wall = performance.now() - t0;
      const ts = timer ? await timer.read() : null;
      if (cleanup) cleanup();
      if (r < warmup) continue;
      wallMs.push(wall);
      if (ts === null) tsOk = false;
      else gpuMs.push(ts);
    }
    gpu.check();
  } finally {
    timer?.destroy();
    probe.destroy();
  }
  const wall = stats(wallMs);
  return tsOk ? { ms: stats(gpuMs), source: 'timestamp', wallMs: wall } : { ms: wall, source: 'wall', wallMs: wall };
}

/** Times an async host function (CPU work, or a whole fit): warm-up, then the median of `runs`. */
export async function timeHost(fn: () => Promise<unknown> | unknown, opts: { warmup?: number; runs?: number } = {}): Promise<Stats> {
  const warmup = opts.warmup ?? 1;
  const runs = opts.runs ?? 3;
  const ms: number[] = [];
  for (let r = 0; r < warmup + runs; r++) {
    const t0 = performance.now();
    await fn();
    if (r >= warmup) ms.push(performance.now() - t0);
  }
  return stats(ms);
}
