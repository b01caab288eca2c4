/**
 * Kernels: the engine's own GPU kernels, one at a time, at ranks 16..256, as achieved GFLOP/s and
 * GB/s (analytic counts from bench/lib/roofline.ts) and as a percentage of the calibrated peaks.
 *  - Gram build: NormalEqSolver.encodeBuild (segment build + finish), rows of 100 ratings.
 *  - Gram build, Cholesky and top-k come in two variants (src/kernels/normal-eq.ts, topk.ts):
 *    'tiled' (workgroup-cooperative, for hardware GPUs) and 'direct' (barrier-free, what the engine
 *    picks on software adapters). --quick measures the engine's variant; the full run both.
 *  - Cholesky: the NormalEqSolver's own Cholesky dispatch alone, on systems it built (A restored
 *    from a pristine copy before each run, outside the timed pass).
 *  - Build + solve: NormalEqSolver.encode (what an ALS half-iteration runs per side).
 *  - CG step: CgSolver (3 steps, warm start), rows of 100 ratings.
 *  - SGD update: SgdKernel Hogwild pass over pre-shuffled packed ratings (shuffle not timed).
 *  - Top-k scoring: tiled score product + multi-pass top-10 selection over 4096 candidates.
 * Each kernel's size grows until one timed run takes about `targetMs` on this adapter (growToTarget: a fast GPU
 * gets big problems, the software rasterizer smaller ones, and neither a size where per-dispatch overhead
 * dominates); the size is in the table.
 */
import type { GpuContext } from '../../src/gpu/context.ts';
import { buildCsr, type Csr, type Ratings } from '../../src/data/ratings.ts';
import { uploadCsr, destroyCsr } from '../../src/kernels/device-csr.ts';
import { NormalEqSolver, defaultVariant, type KernelVariant, type SolveParams } from '../../src/kernels/normal-eq.ts';
import { CgSolver } from '../../src/kernels/cg.ts';
import { SgdKernel, ratingsBuffer } from '../../src/kernels/sgd.ts';
import { encodeTopK } from '../../src/kernels/topk.ts';
import { encodeScores } from '../../src/kernels/score.ts';
import { Scratch } from '../../src/kernels/scratch.ts';
import { packRatings } from '../../src/core/sgd-plan.ts';
import { Rng } from '../../src/util/random.ts';
import { choleskyWork, dualSolveWork, cgWork, gramBuildWork, sgdWork, topkWork, type Work } from '../lib/roofline.ts';
import { stats, timeGpu, type GpuTiming, type Stats } from '../lib/timing.ts';
import { peakGbps, peakGflops, type BenchCtx, type CalibrationResult, type KernelRow } from '../lib/types.ts';

export const KERNEL_RANKS = [16, 32, 64, 128, 256];

const PARAMS: SolveParams = { mu: 0, lambda: 0.1, lambdaBias: 0.1, weighted: false, alpha: 0 };

interface Instance {
  encode: (enc: GPUCommandEncoder) => void | (() => void);
  work: Work;
  size: string;
  destroy: () => void;
}

interface KernelDef {
  name: string;
  /** Smallest size, where the full run's size search starts (a share of an ml-1m fit; --quick starts at min), the largest allowed. */
  min: number;
  start: number;
  max: (K: number) => number;
  make: (gpu: GpuContext, K: number, size: number, variant: KernelVariant) => Instance;
  /** Has 'tiled' and 'direct' variants (src/kernels/normal-eq.ts, topk.ts). */
  variants?: boolean;
}

/** rows x len CSR over nCols columns, distinct columns per row, values 1..5 (seeded). */
export function fixedCsr(rows: number, len: number, nCols: number, seed: number): Csr {
  const rng = new Rng(seed);
  const n = rows * len;
  const r = new Int32Array(n);
  const c = new Int32Array(n);
  const v = new Float32Array(n);
  for (let i = 0; i < rows; i++) {
    const start = rng.int(nCols);
    const step = 1 + 2 * rng.int(Math.max(1, (nCols >> 1) - 1)); // odd step: distinct columns when nCols is a power of 2
    for (let k = 0; k < len; k++) {
      const p = i * len + k;
      r[p] = i;
      c[p] = (start + k * step) % nCols;
      v[p] = 1 + rng.int(5);
    }
  }
  return buildCsr(r, c, v, rows, nCols);
}

function factors(n: number, K: number, seed: number, scale: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * K }, () => rng.normal() * scale);
}

const N_COLS = 4096;
const ROW_LEN = 100;
/**
 * Where the full run's size search starts: a sixth of ml-1m's 6,040 users (rows of 100 ratings, ml-1m has 165 on
 * average), and a quarter of its 1M ratings for SGD, 256 users for top-k.
 */
const ML1M_ROWS = 1024;

function solverInstance(gpu: GpuContext, K: number, rows: number, len: number, solve: boolean, variant: KernelVariant): Instance & { solver: NormalEqSolver } {
  const csr = fixedCsr(rows, len, N_COLS, 11 + K);
  const d = uploadCsr(gpu, 'bench.csr', csr);
  // (rows of 100 ratings are shorter than K = 128, 256: the dual is off, so the row is Gram + Cholesky)
  const solver = new NormalEqSolver(gpu, d, { rank: K, bias: false, side: 'user' }, 'bench.ne', variant, undefined, 'auto', 'blocked', false);
  solver.setParams(PARAMS);
  const Y = gpu.storage('bench.Y', factors(N_COLS, K, 5, 1 / Math.sqrt(K)));
  const X = gpu.storage('bench.X', rows * K * 4);
  return {
    solver,
    encode: (enc) => (solve ? solver.encode(enc, X, Y) : solver.encodeBuild(enc, X, Y)),
    work: solve ? sumWork(gramBuildWork(rows * len, rows, K), choleskyWork(rows, K)) : gramBuildWork(rows * len, rows, K),
    size: `${rows} rows × ${len} ratings`,
    destroy: () => {
      solver.destroy();
      destroyCsr(d);
      X.destroy();
      Y.destroy();
    },
  };
}

const GRAM: KernelDef = {
  name: 'Gram build',
  min: 4,
  start: ML1M_ROWS,
  max: (K) => Math.floor((96 * 1024 * 1024) / (K * K * 4)),
  make: (gpu, K, rows, variant) => solverInstance(gpu, K, rows, ROW_LEN, false, variant),
  variants: true,
};

const sumWork = (a: Work, b: Work): Work => ({ flops: a.flops + b.flops, bytes: a.bytes + b.bytes });

/** The whole row solve as the engine encodes it (on software adapters up to rank 16 + bias: build and Cholesky fused in registers). */
const SOLVE: KernelDef = {
  name: 'Build + solve (ALS rows)',
  min: 4,
  start: ML1M_ROWS,
  max: (K) => Math.floor((96 * 1024 * 1024) / (K * K * 4)),
  make: (gpu, K, rows, variant) => solverInstance(gpu, K, rows, ROW_LEN, true, variant),
  variants: true,
};

const CG_STEPS = 3;
const CG: KernelDef = {
  name: `CG (${CG_STEPS} steps)`,
  min: 4,
  start: ML1M_ROWS,
  max: () => 200_000,
  make: (gpu, K, rows) => {
    const csr = fixedCsr(rows, ROW_LEN, N_COLS, 13 + K);
    const d = uploadCsr(gpu, 'bench.csr', csr);
    const cg = new CgSolver(gpu, d, { rank: K, bias: false, side: 'user' }, CG_STEPS, 'bench.cg');
    cg.setParams(PARAMS);
    const Y = gpu.storage('bench.Y', factors(N_COLS, K, 5, 1 / Math.sqrt(K)));
    const X0 = factors(rows, K, 6, 0.1);
    const X = gpu.storage('bench.X', X0);
    return {
      // every run starts from the same warm start (the write lands before the submission)
      encode: (enc) => {
        gpu.write(X, X0);
        cg.encode(enc, X, Y);
      },
      work: cgWork(rows * ROW_LEN, rows, K, CG_STEPS),
      size: `${rows} rows × ${ROW_LEN} ratings`,
      destroy: () => {
        cg.destroy();
        destroyCsr(d);
        X.destroy();
        Y.destroy();
      },
    };
  },
};

const SGD_USERS = 8192;
const SGD_ITEMS = 4096;
const SGD: KernelDef = {
  name: 'SGD update (Hogwild)',
  min: 4096,
  start: 262_144,
  max: (K) => Math.min(20_000_000, Math.floor((200 * 1024 * 1024) / 12)),
  make: (gpu, K, n) => {
    const rng = new Rng(17 + K);
    const r: Ratings = {
      users: Int32Array.from({ length: n }, () => rng.int(SGD_USERS)),
      items: Int32Array.from({ length: n }, () => rng.int(SGD_ITEMS)),
      values: Float32Array.from({ length: n }, () => 1 + rng.int(5)),
      nUsers: SGD_USERS,
      nItems: SGD_ITEMS,
    };
    const rt = ratingsBuffer(gpu, 'bench.sgd.ratings', packRatings(r));
    const X = gpu.storage('bench.sgd.X', factors(SGD_USERS, K, 7, Math.sqrt(3 / K)));
    const Y = gpu.storage('bench.sgd.Y', factors(SGD_ITEMS, K, 8, Math.sqrt(3 / K)));
    const k = new SgdKernel(gpu, 'bench.sgd', n, { rank: K, bias: false, adagrad: false, nUsers: SGD_USERS, nItems: SGD_ITEMS }, X, Y);
    k.setStep({ mu: 0, lr: 0.001, lambda: 0.05, lambdaBias: 0.05 });
    return {
      encode: (enc) => {
        const pass = enc.beginComputePass({ label: 'bench.sgd.hogwild' });
        k.encodeHogwild(pass, rt);
        pass.end();
      },
      work: sgdWork(n, K),
      size: `${n} ratings (${SGD_USERS}×${SGD_ITEMS})`,
      destroy: () => {
        k.destroy();
        for (const b of [rt, X, Y]) b.destroy();
      },
    };
  },
};

const TOPK_ITEMS = 4096;
const TOPK_K = 10;
const TOPK: KernelDef = {
  name: `Top-${TOPK_K} scoring`,
  min: 4,
  start: 256,
  max: () => Math.floor((48 * 1024 * 1024) / (TOPK_ITEMS * 4)),
  variants: true,
  make: (gpu, K, rows, variant) => {
    const Q = gpu.storage('bench.topk.Q', factors(rows, K, 9, 1 / Math.sqrt(K)));
    const Y = gpu.storage('bench.topk.Y', factors(TOPK_ITEMS, K, 10, 1 / Math.sqrt(K)));
    const rowIdx = Uint32Array.from({ length: rows }, (_, i) => i);
    return {
      encode: (enc) => {
        const s = new Scratch(gpu, 'bench.topk');
        const { S, nCols } = encodeScores(gpu, enc, s, { Q, rowIdx, Y, nY: TOPK_ITEMS, stride: K, cols: K, mu: 0, mode: 'dot', variant });
        encodeTopK(gpu, enc, s, S, rows, nCols, TOPK_K, variant);
        return () => s.destroy();
      },
      work: topkWork(rows, TOPK_ITEMS, K),
      size: `${rows} users × ${TOPK_ITEMS} items, k=${TOPK_K}`,
      destroy: () => {
        Q.destroy();
        Y.destroy();
      },
    };
  },
};

/**
 * The size at which one run of `measure` takes about `targetMs`. A small run is mostly fixed cost (submission,
 * dispatch set-up, the readback), so scaling straight from the smallest size picks problems far too small (the
 * previous probe gave 4-user top-k and 143-row Gram builds). The search starts at `min` (cheap; it also warms the
 * pipeline) and grows x4 while a run takes under a quarter of the target, or while the size is below `start` (a
 * share of an ml-1m fit) and a run is under the target; then scales linearly to the target. It never returns less
 * than `start` when `start` ran within 2x the target, nor less than the largest size that did. Capped by `max`.
 */
export async function growToTarget(
  range: { min: number; start: number; max: number },
  targetMs: number,
  measure: (size: number, first: boolean) => Promise<number>,
): Promise<number> {
  const { min, start, max } = range;
  let size = min;
  let ms = await measure(size, true);
  let ok = ms <= 2 * targetMs ? size : min;
  while (size < max && (ms < targetMs / 4 || (size < start && ms < targetMs))) {
    size = Math.min(max, size * 4);
    ms = await measure(size, false);
    if (ms <= 2 * targetMs) ok = size;
  }
  return Math.max(min, Math.min(max, Math.max(Math.min(start, ok), Math.floor((size * targetMs) / Math.max(ms, 0.05)))));
}

async function sized(ctx: BenchCtx, def: KernelDef, K: number, targetMs: number, runs: number, variant: KernelVariant): Promise<{ inst: Instance; t: GpuTiming; size: number }> {
  const { gpu } = ctx;
  const range = { min: def.min, start: ctx.quick ? def.min : def.start, max: def.max(K) };
  let last = 0;
  const size = await growToTarget(range, targetMs, async (n, first) => {
    const probe = def.make(gpu, K, n, variant);
    try {
      return (last = (await gpu.scoped(() => timeGpu(gpu, probe.encode, { warmup: first ? 1 : 0, runs: 1 }))).ms.median);
    } finally {
      probe.destroy();
    }
  });
  const inst = def.make(gpu, K, size, variant);
  // a kernel that is slow even at its smallest size (a tiled variant on a software adapter) gets 3 runs
  const t = await gpu.scoped(() => timeGpu(gpu, inst.encode, { warmup: 1, runs: last > 4 * targetMs ? Math.min(runs, 3) : runs }));
  return { inst, t, size };
}

function row(def: string, K: number, size: string, w: Work, ms: Stats, source: GpuTiming['source'], cal: CalibrationResult | undefined, note?: string): KernelRow {
  const sec = ms.median / 1000;
  const gflops = w.flops / sec / 1e9;
  const gbps = w.bytes / sec / 1e9;
  return {
    kernel: def,
    rank: K,
    size,
    flops: w.flops,
    bytes: w.bytes,
    ms,
    source,
    gflops,
    gbps,
    pctPeakFlops: cal ? (100 * gflops) / peakGflops(cal) : null,
    pctPeakBw: cal ? (100 * gbps) / peakGbps(cal) : null,
    ...(note ? { note } : {}),
  };
}

/**
 * The Cholesky solve alone, or with `dual` the dual solve of short rows (rows of K / 4 ratings,
 * which the solver's Cholesky then skips).
 */
async function timeCholesky(ctx: BenchCtx, K: number, targetMs: number, runs: number, variant: KernelVariant, cal?: CalibrationResult, dual = false): Promise<KernelRow | null> {
  const { gpu } = ctx;
  const len = dual ? Math.max(2, Math.floor(K / 4)) : 4;
  const maxRows = Math.max(4, Math.floor((64 * 1024 * 1024) / (K * K * 4)));
  let taken = true;
  const once = async (rows: number, n: number) => {
    const csr = fixedCsr(rows, len, N_COLS, 21 + K);
    const d = uploadCsr(gpu, 'bench.chol.csr', csr);
    const solver = new NormalEqSolver(gpu, d, { rank: K, bias: false, side: 'user' }, 'bench.chol', variant, undefined, 'auto', 'blocked', dual);
    solver.setParams(PARAMS);
    // (where the solve is fused in registers, up to rank 16 + bias, there is no dual solve)
    if (dual && solver.dualMax <= len) taken = false;
    const Y = gpu.storage('bench.chol.Y', factors(N_COLS, K, 5, 1 / Math.sqrt(K)));
    const X = gpu.storage('bench.chol.X', rows * K * 4);
    const pristine = gpu.storage('bench.chol.A0', rows * K * K * 4);
    try {
      if (solver.batches.length !== 1) throw new Error(`Cholesky timing expects one batch, got ${solver.batches.length}`);
      const { A } = solver.systems;
      const enc = gpu.device.createCommandEncoder({ label: 'bench.chol.build' });
      solver.encodeBuild(enc, X, Y);
      enc.copyBufferToBuffer(A, 0, pristine, 0, rows * K * K * 4);
      gpu.submit(enc);
      const t = await gpu.scoped(() =>
        timeGpu(gpu, (e) => {
          e.copyBufferToBuffer(pristine, 0, A, 0, rows * K * K * 4);
          solver.encodeCholesky(e, X, Y);
        }, { warmup: 1, runs: n }),
      );
      await solver.checkStatus({ rank: K, bias: false, side: 'user', ...PARAMS });
      const x = await gpu.readF32(X, 0, Math.min(rows * K, 64));
      for (const v of x) if (!Number.isFinite(v)) throw new Error(`Cholesky produced ${v}`);
      return t;
    } finally {
      solver.destroy();
      destroyCsr(d);
      for (const b of [X, Y, pristine]) b.destroy();
    }
  };
  await once(4, 1);
  if (!taken) return null;
  const rows = await growToTarget({ min: 4, start: ctx.quick ? 4 : ML1M_ROWS, max: maxRows }, targetMs, async (n) => (await once(n, 1)).ms.median);
  const t = await once(rows, runs);
  const note = t.source === 'wall' ? 'wall time includes restoring A (copy)' : undefined;
  if (dual) return row(`Dual solve of short rows (${variant})`, K, `${rows} rows × ${len} ratings`, dualSolveWork(rows, len, K), t.ms, t.source, cal, note);
  return row(`Cholesky solve (${variant})`, K, `${rows} systems ${K}×${K}`, choleskyWork(rows, K), t.ms, t.source, cal, note);
}

export async function runKernels(ctx: BenchCtx, cal?: CalibrationResult, ranks = KERNEL_RANKS, opts: { targetMs?: number } = {}): Promise<KernelRow[]> {
  const targetMs = opts.targetMs ?? (ctx.quick ? 60 : 200);
  const runs = ctx.quick ? 3 : 5;
  // the engine picks 'direct' on software adapters and 'tiled' on hardware; the full run measures both
  const engine = defaultVariant(ctx.gpu);
  const variants: KernelVariant[] = ctx.quick ? [engine] : [engine, engine === 'tiled' ? 'direct' : 'tiled'];
  const vnote = (v: KernelVariant) => (v === engine ? 'the engine\'s variant on this adapter' : 'not used by the engine on this adapter');
  const out: KernelRow[] = [];
  const fail = (name: string, K: number, e: unknown) => {
    ctx.log(`kernels: rank ${K} ${name} failed: ${(e as Error).message}`);
    out.push({ ...row(name, K, '-', { flops: 0, bytes: 0 }, stats([0]), 'wall', cal), note: `failed: ${(e as Error).message}` });
  };
  const stop = () => ctx.stopped?.() ?? false;
  for (const K of ranks) {
    for (const v of variants) {
      if (stop()) return out;
      const name = `${GRAM.name} (${v})`;
      try {
        const g = await sized(ctx, GRAM, K, targetMs, runs, v);
        g.inst.destroy();
        out.push(row(name, K, g.inst.size, g.inst.work, g.t.ms, g.t.source, cal, vnote(v)));
        ctx.log(`kernels: rank ${K} ${name}: ${fmtRow(out[out.length - 1])}`);
      } catch (e) {
        fail(name, K, e);
      }
      // Cholesky alone: build the systems once, keep a pristine copy of A (the solve factors in place),
      // and time only the solver's Cholesky dispatch; the restoring copy is outside the timed pass.
      if (stop()) return out;
      try {
        const r = (await timeCholesky(ctx, K, targetMs, runs, v, cal))!;
        r.note = [vnote(v), r.note].filter(Boolean).join('; ');
        out.push(r);
        ctx.log(`kernels: rank ${K} ${r.kernel}: ${fmtRow(r)}`);
      } catch (e) {
        fail(`Cholesky solve (${v})`, K, e);
      }
      if (v !== 'direct' || stop()) continue;
      try {
        const r = await timeCholesky(ctx, K, targetMs, runs, v, cal, true);
        if (!r) continue;
        r.note = [vnote(v), r.note].filter(Boolean).join('; ');
        out.push(r);
        ctx.log(`kernels: rank ${K} ${r.kernel}: ${fmtRow(r)}`);
      } catch (e) {
        fail(`Dual solve of short rows (${v})`, K, e);
      }
    }
    for (const def of [SOLVE, CG, SGD, TOPK]) {
      for (const v of def.variants ? variants : [engine]) {
        if (stop()) return out;
        const name = def.variants ? `${def.name} (${v})` : def.name;
        try {
          const s = await sized(ctx, def, K, targetMs, runs, v);
          s.inst.destroy();
          out.push(row(name, K, s.inst.size, s.inst.work, s.t.ms, s.t.source, cal, def.variants ? vnote(v) : undefined));
          ctx.log(`kernels: rank ${K} ${name}: ${fmtRow(out[out.length - 1])}`);
        } catch (e) {
          fail(name, K, e);
        }
      }
    }
  }
  return out;
}

export function fmtRow(r: KernelRow): string {
  const p = (v: number | null) => (v === null ? '' : ` (${v.toFixed(1)}%)`);
  return `${r.ms.median.toFixed(2)} ms, ${r.gflops.toFixed(3)} GFLOP/s${p(r.pctPeakFlops)}, ${r.gbps.toFixed(3)} GB/s${p(r.pctPeakBw)} [${r.size}]`;
}
