/**
 * The f32 CPU engine (src/cpu-engine) against the f64 reference, per kernel and per whole fit.
 * These run in Node and in headless Chrome, where the page is cross-origin isolated so the
 * engine runs in Web Workers over SharedArrayBuffer (each case that needs workers asserts it).
 */
import type { GpuContext } from '../../src/gpu/context.ts';
import { fitAls, type AlsOptions } from '../../src/train/als/index.ts';
import { fitSgd, type SgdOptions } from '../../src/train/sgd/index.ts';
import { buildViews, type Csr, type Ratings } from '../../src/data/ratings.ts';
import { cholesky, choleskySolve, cgSolveRow, gramOfColumns, normalEquations } from '../../src/reference/reference.ts';
import { colOf, layoutOf, type SolveSpec } from '../../src/core/layout.ts';
import { adagradLead, gdStepF64, gdViews, sgdUpdateF64, type SgdStepParams } from '../../src/reference/sgd-reference.ts';
import { feistelParams, feistelPermutation } from '../../src/core/sgd-plan.ts';
import { engineScratch, gramBlocked, gramRows, gramWasm, solveRows, type SolveJob, type SolveResult } from '../../src/cpu-engine/kernels.ts';
import { createExec, lazyExec, type Exec } from '../../src/cpu-engine/pool.ts';
import { FastCpuSgd } from '../../src/cpu-engine/sgd.ts';
import { FastCpuAls } from '../../src/cpu-engine/als.ts';
import { strideOf } from '../../src/core/layout.ts';
import type { AlsProblem } from '../../src/train/als/backend.ts';
import type { EngineSpec } from '../../src/train/sgd/backend.ts';
import { SingularSystemError } from '../../src/core/errors.ts';
import { gramWasmBytes } from '../../src/cpu-engine/wasm.ts';
import { chooseEngine, probeEngines } from '../../src/cpu-engine/auto.ts';
import { Rng } from '../../src/util/random.ts';
import { expect, expectBelow, expectClose } from './check.ts';
import { plantedRatings, predictions, randomFactors, setConstColumn, sparseRatings } from './fixtures.ts';
import type { GpuCase } from './types.ts';

/** A pool of two workers; fails (no silent single-thread fallback) when shared memory is missing. */
async function pool2(): Promise<Exec> {
  const exec = await createExec({ threads: 2 });
  if (!exec.shared || exec.threads !== 2) {
    exec.destroy();
    throw new Error(`expected 2 worker threads over shared memory, got: ${exec.reason}`);
  }
  return exec;
}

function bitwiseEqual(label: string, a: Float32Array, b: Float32Array): void {
  expect(a.length === b.length, `${label}: lengths ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!(Object.is(a[i], b[i]) && Number.isFinite(a[i]))) throw new Error(`${label}: index ${i}: ${a[i]} vs ${b[i]}`);
  }
}

/** The engine's job for one side (as src/cpu-engine/als.ts builds it), on arrays from `exec`. */
function jobOf(exec: Exec, csr: Csr, X: Float32Array, Y: Float32Array, spec: SolveSpec, nY: number, solver: 'cholesky' | 'cg', wasm: Uint8Array | null): SolveJob {
  const L = layoutOf(spec);
  const sh = <T extends Uint32Array | Float32Array>(a: T, make: (n: number) => T) => {
    const o = make(a.length);
    o.set(a as never);
    return o;
  };
  let base: Float64Array | null = null;
  if (spec.implicit) {
    base = exec.f64(L.stride * L.stride);
    base.set(gramRows(Y, Y, nY, L.stride, true));
  }
  return {
    indptr: sh(csr.indptr, exec.u32), indices: sh(csr.indices, exec.u32), values: sh(csr.values, exec.f32), nRows: csr.nRows,
    X: sh(X, exec.f32), Y: sh(Y, exec.f32), stride: L.stride, rank: spec.rank, K: L.K, bias: spec.bias, xBias: L.xBias, yBias: L.yBias,
    mu: spec.mu, lambda: spec.lambda, lambdaBias: spec.lambdaBias, weighted: spec.weighted, implicit: !!spec.implicit, alpha: spec.implicit?.alpha ?? 0,
    base, cholesky: solver === 'cholesky', cgSteps: 4, counter: exec.i32(1), chunk: 3, wasm,
  };
}

const specBase = { mu: 0, lambda: 0.1, lambdaBias: 0.05, weighted: false, bias: false } as const;

const solveVariants: [string, Partial<SolveSpec>, 'cholesky' | 'cg'][] = [
  ['explicit', {}, 'cholesky'],
  ['biased + ALS-WR', { bias: true, mu: 3.1, weighted: true }, 'cholesky'],
  ['implicit', { implicit: { alpha: 4 }, lambda: 0.5 }, 'cholesky'],
  ['explicit CG', {}, 'cg'],
  ['implicit CG', { implicit: { alpha: 4 }, lambda: 0.5 }, 'cg'],
];

export const cpuCases: GpuCase[] = [
  {
    name: 'f32 CPU engine: the 4x4-blocked Gram of f32 rows (JS, and WebAssembly SIMD bit for bit) equals the f64 Gram for K = 1..33, weighted and plain',
    run: async () => {
      const rng = new Rng(3);
      for (const K of [1, 2, 3, 4, 5, 8, 13, 33]) {
        const K4 = (K + 3) & ~3;
        const n = 37;
        const Q = new Float32Array(n * K4);
        const P = new Float32Array(n * K4);
        for (let j = 0; j < n; j++) {
          const w = rng.next() * 3;
          for (let t = 0; t < K; t++) {
            Q[j * K4 + t] = rng.normal();
            P[j * K4 + t] = w * Q[j * K4 + t];
          }
        }
        for (const [label, PP] of [['plain', Q], ['weighted', P]] as const) {
          const A4 = new Float64Array(K4 * K4);
          gramBlocked(PP, Q, n, K4, A4);
          // The kernel fills the lower triangle (c <= a) of a K4 x K4 matrix, which is what Cholesky reads.
          const A: number[] = [];
          const ref: number[] = [];
          const mag: number[] = [];
          for (let a = 0; a < K; a++) {
            for (let c = 0; c <= a; c++) {
              A.push(A4[a * K4 + c]);
              let s = 0;
              let m = 0;
              for (let j = 0; j < n; j++) {
                s += PP[j * K4 + a] * Q[j * K4 + c];
                m += Math.abs(PP[j * K4 + a] * Q[j * K4 + c]);
              }
              ref.push(s);
              mag.push(m);
            }
          }
          // Products of two f32 are exact in f64; n f64 additions err by <= n 2^-53 sum|p q| (4e-15 here).
          expectClose(`Gram K=${K} ${label}`, A, ref, { rtol: 1e-13, scale: mag });
          // The SIMD kernel sums each entry in the same order with the same operations: the same bits.
          const w = gramWasm(gramWasmBytes()!)!;
          const need = (2 * n * K4 + K4 * K4) * 8;
          if (need > w.memory.buffer.byteLength) w.memory.grow(Math.ceil((need - w.memory.buffer.byteLength) / 65536));
          new Float64Array(w.memory.buffer, 0, n * K4).set(PP);
          new Float64Array(w.memory.buffer, n * K4 * 8, n * K4).set(Q);
          w.gram(0, n * K4 * 8, n, K4, 2 * n * K4 * 8);
          const AW = new Float64Array(w.memory.buffer, 2 * n * K4 * 8, K4 * K4);
          for (let a = 0; a < K; a++) {
            for (let c = 0; c <= a; c++) {
              expect(Object.is(AW[a * K4 + c], A4[a * K4 + c]), `SIMD Gram K=${K} ${label} (${a}, ${c}): ${AW[a * K4 + c]} vs JS ${A4[a * K4 + c]}`);
            }
          }
        }
      }
    },
  },
  {
    name: 'f32 CPU engine: every row solve (explicit, biased ALS-WR, implicit; Cholesky and CG) matches the f64 reference on 2 workers with the WebAssembly SIMD Gram and with engine.wat, and equals the one-thread blocked-JS result bit for bit',
    run: async () => {
      const r = sparseRatings(31, 41, 29, [0, 1, 2, 5, 9, 17, 29]);
      const { byUser } = buildViews(r);
      const exec = await pool2();
      const inline = await createExec({ threads: 1 });
      const wasm = gramWasmBytes();
      expect(!!wasm, 'WebAssembly SIMD validates here');
      try {
        for (const [label, o, solver] of solveVariants) {
          const rank = 6;
          const spec: SolveSpec = { ...specBase, rank, side: 'user', ...o };
          const L = layoutOf(spec);
          const Y = randomFactors(5, r.nItems, L.stride, 0.6);
          const X0 = randomFactors(6, r.nUsers, L.stride, 0.3);
          if (spec.bias) {
            setConstColumn(Y, r.nItems, rank, 'item');
            setConstColumn(X0, r.nUsers, rank, 'user');
          }
          const jp = jobOf(exec, byUser, X0, Y, spec, r.nItems, solver, wasm);
          const ji = jobOf(inline, byUser, X0, Y, spec, r.nItems, solver, null);
          const res = await exec.run<SolveResult>('solveRows', [jp, jp]);
          expect(res.length === 2 && res[0].rows + res[1].rows === r.nUsers, `${label}: the workers solved ${res.map((x) => x.rows).join(' + ')} of ${r.nUsers} rows`);
          expect(res.every((x) => x.singular === 0 && x.overflow === 0), `${label}: no singular or overflowing rows`);
          solveRows(ji);
          bitwiseEqual(`${label}: 2 workers (SIMD Gram) vs 1 thread (JS Gram)`, jp.X, ji.X);
          // engine.wat's row solver (Cholesky), on the engine's shared memory: the same operations in the same order.
          if (solver === 'cholesky') {
            const jw = jobOf(exec, byUser, X0, Y, spec, r.nItems, solver, wasm);
            const heap = exec.heapFor(jw.indptr, jw.indices, jw.values, jw.X, jw.Y);
            expect(heap !== null, `${label}: the job's arrays live in the engine's WebAssembly memory`);
            const cap = Math.max(...Array.from({ length: r.nUsers }, (_, u) => byUser.indptr[u + 1] - byUser.indptr[u]));
            const scratch = [0, 1].map(() => exec.f64(engineScratch(L.K, cap)));
            const rw = await exec.run<SolveResult>('solveRows', scratch.map((s) => ({ ...jw, heap, scratch: s, cap })));
            expect(rw[0].rows + rw[1].rows === r.nUsers && rw.every((x) => x.singular === 0 && x.overflow === 0), `${label}: engine.wat solved every row`);
            bitwiseEqual(`${label}: engine.wat on 2 workers vs 1 thread (JS)`, jw.X, ji.X);
          }
          const base = spec.implicit ? gramOfColumns(Float64Array.from(Y), r.nItems, spec) : undefined;
          for (let row = 0; row < r.nUsers; row++) {
            const n = byUser.indptr[row + 1] - byUser.indptr[row];
            let x: Float64Array;
            if (n === 0) x = new Float64Array(L.K);
            else if (solver === 'cholesky') {
              const { A, b } = normalEquations(byUser, row, Float64Array.from(Y), spec, base);
              x = choleskySolve(cholesky(A, L.K)!, b, L.K);
            } else {
              x = Float64Array.from({ length: L.K }, (_, t) => X0[row * L.stride + colOf(t, rank, L)]);
              cgSolveRow(byUser, row, Float64Array.from(Y), spec, x, 4, base);
            }
            const got = Float64Array.from({ length: L.K }, (_, t) => jp.X[row * L.stride + colOf(t, rank, L)]);
            // The engine's only f32 rounding is the store of x (2^-24 relative); its f64 arithmetic differs from
            // the reference's by ~K cond(A) 1e-16 (cond <~ 1e3 here). 2^-22 of the row's largest entry covers both.
            const m = Math.max(1e-30, ...x.map(Math.abs));
            expectClose(`${label}: row ${row} (${n} ratings)`, got, x, { rtol: 2 ** -22, scale: new Float64Array(L.K).fill(m) });
          }
        }
      } finally {
        exec.destroy();
        inline.destroy();
      }
    },
  },
  ...(
    [
      ['explicit', { rank: 6, lambda: 0.1 }],
      ['biased ALS-WR', { rank: 6, lambda: 0.05, lambdaBias: 0.02, weightedLambda: true, useBias: true }],
      ['explicit CG', { rank: 6, lambda: 0.1, solver: 'cg', cgSteps: 3 }],
      ['implicit', { rank: 5, implicit: true, alpha: 5, lambda: 0.5 }],
      ['implicit CG', { rank: 5, implicit: true, alpha: 5, lambda: 0.5, solver: 'cg', cgSteps: 3 }],
    ] as [string, AlsOptions][]
  ).map(
    ([label, o]): GpuCase => ({
      name: `f32 CPU engine: 5 ALS iterations (${label}) on 2 workers match the f64 reference engine`,
      run: async () => {
        const data = sparseRatings(17, 70, 50, [0, 1, 3, 8, 20, 50]);
        const validation = o.implicit ? undefined : sparseRatings(18, 70, 50, [2, 5]);
        const base: AlsOptions = { iterations: 5, seed: 9, validation, ...o };
        const c = await fitAls(data, { ...base, backend: 'cpu', threads: 2 });
        const f = await fitAls(data, { ...base, backend: 'reference' });
        expect(c.backend === 'cpu' && f.backend === 'reference', `backends ${c.backend}, ${f.backend}`);
        expect(/2 worker threads/.test(c.backendReason ?? ''), `ran on workers: ${c.backendReason}`);
        // The engine solves in f64 and stores f32 factors: each store rounds by u = 2^-24 relative, and the
        // next solve passes that through A^-1 (cond(A) ~1e2 for these systems, computed from the f64 fit):
        // <= cond(A) u ~ 7e-6 in a row's worst direction, far less for rounding errors of random sign and
        // direction, and no growth over the 5 iterations. Measured: predictions <= 2.2e-7 of the rating
        // scale (implicit CG); bound 2e-6 (9x). RMSE, loss, validation RMSE: residuals are summed in f64 on both sides, so they
        // differ only through the factors; |RMSE_c - RMSE_f| <= RMS of the prediction gaps (Minkowski),
        // and gaps not aligned with the residuals move it by ~gap / sqrt(n) ~ 3e-8 relative; measured
        // <= 9.4e-9, bound 1e-7. delta (f64 Grams on both sides): measured <= 1.3e-7 relative, bound 1e-6.
        const scale = new Float64Array(data.values.length).fill(o.implicit ? 1 : 5);
        expectClose('predictions', predictions(c, data), predictions(f, data), { rtol: 2e-6, scale });
        expectClose('train RMSE per iteration', c.history.map((h) => h.trainRmse), f.history.map((h) => h.trainRmse), { rtol: 1e-7 });
        expectClose('train loss per iteration', c.history.map((h) => h.trainLoss!), f.history.map((h) => h.trainLoss!), { rtol: 1e-7 });
        expectClose('delta per iteration', c.history.map((h) => h.delta!), f.history.map((h) => h.delta!), { rtol: 1e-6 });
        if (validation) expectClose('validation RMSE per iteration', c.history.map((h) => h.validationRmse!), f.history.map((h) => h.validationRmse!), { rtol: 1e-7 });
      },
    }),
  ),
  {
    name: 'f32 CPU engine: one-thread Hogwild SGD (plain and AdaGrad, biased) equals the f64 update replayed in the same order, bit for bit',
    run: async () => {
      const { train } = plantedRatings(23, 60, 40, 3, 0.4, 0.1, 0);
      const rank = 5;
      const S = rank + 2;
      const X0 = setConstColumn(randomFactors(1, train.nUsers, S, 0.1), train.nUsers, rank, 'user');
      const Y0 = setConstColumn(randomFactors(2, train.nItems, S, 0.1), train.nItems, rank, 'item');
      for (const schedule of ['constant', 'adagrad'] as const) {
        const lr = schedule === 'adagrad' ? 0.1 : 0.02;
        const o: SgdOptions = { rank, useBias: true, lambda: 0.03, lambdaBias: 0.01, learningRate: lr, epochs: 3, seed: 4, schedule, init: { users: X0, items: Y0 } };
        const c = await fitSgd(train, { ...o, backend: 'cpu', threads: 1 });
        expect(c.backend === 'cpu', `backend ${c.backend}`);
        const X = X0.slice();
        const Y = Y0.slice();
        const mu = c.model.mu;
        const ag = schedule === 'adagrad' ? { GU: new Float32Array(2 * train.nUsers).fill(1), GI: new Float32Array(2 * train.nItems).fill(1), lead: adagradLead(rank) } : undefined;
        const p: SgdStepParams = { rank, bias: true, mu, lr, lambda: 0.03, lambdaBias: 0.01, lanes: 1, adagrad: ag };
        for (let e = 1; e <= 3; e++) {
          for (const k of feistelPermutation(feistelParams(train.values.length, 4, e))) sgdUpdateF64(X, Y, train.users[k], train.items[k], train.values[k], p);
        }
        bitwiseEqual(`${schedule}: user factors`, c.model.userFactors, X);
        bitwiseEqual(`${schedule}: item factors`, c.model.itemFactors, Y);
      }
    },
  },
  {
    name: 'f32 CPU engine: stratified SGD gives the same factors on 2 workers as on 1 thread, and matches the f32 reference engine',
    run: async () => {
      const { train } = plantedRatings(29, 80, 60, 3, 0.35, 0.1, 0);
      const { train: validation } = plantedRatings(30, 80, 60, 3, 0.1, 0.1, 0);
      const o: SgdOptions = { mode: 'stratified', blocks: 5, rank: 6, useBias: true, lambda: 0.02, learningRate: 0.03, epochs: 4, seed: 7, validation };
      const two = await fitSgd(train, { ...o, backend: 'cpu', threads: 2 });
      const one = await fitSgd(train, { ...o, backend: 'cpu', threads: 1 });
      const ref = await fitSgd(train, { ...o, backend: 'reference' });
      expect(/2 worker threads/.test(two.backendReason ?? ''), `ran on workers: ${two.backendReason}`);
      bitwiseEqual('user factors, 2 workers vs 1 thread', two.model.userFactors, one.model.userFactors);
      bitwiseEqual('item factors, 2 workers vs 1 thread', two.model.itemFactors, one.model.itemFactors);
      // Same visiting order; the reference rounds every operation to f32, the engine only its stores, so each
      // update differs by a few u (2^-24) of O(1) factors, with random signs; SGD at this rate is
      // non-expansive, so after T ~ 80 updates per row the gap is ~sqrt(T) 3 u ~ 1.6e-6 of a factor.
      // Measured: predictions 3.5e-8 of the rating scale (1.7e-7 absolute), RMSE 3.7e-9 relative; bounds
      // 3e-7 of the scale (1.5e-6 absolute, the estimate above) and, for the RMSE (the prediction gaps are
      // not aligned with the residuals: ~gap / sqrt(n)), 4e-8. A lost or reordered update is >= 1e-3.
      const scale = new Float64Array(train.values.length).fill(5);
      expectClose('predictions vs the f32 reference', predictions(two, train), predictions(ref, train), { rtol: 3e-7, scale });
      expectClose('train RMSE per epoch', two.history.map((h) => h.trainRmse), ref.history.map((h) => h.trainRmse), { rtol: 4e-8 });
      expectClose('validation RMSE per epoch', two.history.map((h) => h.validationRmse!), ref.history.map((h) => h.validationRmse!), { rtol: 4e-8 });
    },
  },
  {
    name: 'f32 CPU engine: Hogwild SGD on 2 workers learns as well as on 1 thread (never an epoch behind it; final train RMSE within 1.5%)',
    run: async () => {
      const { train } = plantedRatings(37, 120, 90, 3, 0.3, 0.1, 0);
      const o: SgdOptions = { rank: 6, useBias: true, lambda: 0.02, learningRate: 0.03, schedule: 'constant', epochs: 20, seed: 3 };
      const two = await fitSgd(train, { ...o, backend: 'cpu', threads: 2 });
      const one = await fitSgd(train, { ...o, backend: 'cpu', threads: 1 });
      expect(/2 worker threads/.test(two.backendReason ?? ''), `ran on workers: ${two.backendReason}`);
      // Races make some updates read a stale row (nondeterministic: how much the workers overlap depends on the
      // machine's load). That shifts the learning curve a little in time, and in the steep part of the curve
      // (epochs 5-10 here, where one epoch lowers the RMSE by 15-25%) a small shift is a large gap at a fixed
      // epoch: over 18 runs the 2-worker RMSE was up to 1.9% above the 1-thread one at epochs 7-9 (2.2% once
      // with the machine busy), then the gap closed to 0.05-0.38% at epoch 20. So: never more than one epoch
      // behind (the 1-thread curve drops by at least 1% per epoch at the start and 2.5% at the end, at least
      // 5x the measured gap there), and the final RMSE within 1.5% (4x the largest measured). A lost update
      // per row per epoch, or a worker that skips its share, is far outside both.
      const a = two.history.map((h) => h.trainRmse);
      const b = one.history.map((h) => h.trainRmse);
      for (let t = 1; t < a.length; t++) expectBelow(`epoch ${t + 1}: 2-worker train RMSE ${a[t].toFixed(5)} minus the 1-thread one an epoch earlier ${b[t - 1].toFixed(5)}`, a[t] - b[t - 1], 0);
      expectBelow('final train RMSE, 2 workers vs 1 thread, relative excess', (a.at(-1)! - b.at(-1)!) / b.at(-1)!, 0.015);
      expect(a.at(-1)! < 0.2 * a[0], `learned: ${a.map((x) => x.toFixed(3)).join(' ')}`);
    },
  },
  {
    name: 'f32 CPU engine: full-batch GD on 2 workers equals the f64 step (f32 factors between steps) bit for bit',
    run: async () => {
      const { train } = plantedRatings(41, 50, 35, 3, 0.4, 0.1, 0);
      const rank = 4;
      const S = rank + 2;
      const X0 = setConstColumn(randomFactors(3, train.nUsers, S, 0.2), train.nUsers, rank, 'user');
      const Y0 = setConstColumn(randomFactors(4, train.nItems, S, 0.2), train.nItems, rank, 'item');
      const o: SgdOptions = { algo: 'gd', schedule: 'constant', rank, useBias: true, lambda: 0.1, lambdaBias: 0.05, learningRate: 0.002, epochs: 4, init: { users: X0, items: Y0 } };
      const c = await fitSgd(train, { ...o, backend: 'cpu', threads: 2 });
      expect(/2 worker threads/.test(c.backendReason ?? ''), `ran on workers: ${c.backendReason}`);
      const v = gdViews(train);
      let X = Float64Array.from(X0);
      let Y = Float64Array.from(Y0);
      for (let e = 0; e < 4; e++) {
        gdStepF64(v, X, Y, { rank, bias: true, mu: c.model.mu, lr: 0.002, lambda: 0.1, lambdaBias: 0.05 });
        X = Float64Array.from(Float32Array.from(X));
        Y = Float64Array.from(Float32Array.from(Y));
      }
      bitwiseEqual('user factors', c.model.userFactors, Float32Array.from(X));
      bitwiseEqual('item factors', c.model.itemFactors, Float32Array.from(Y));
    },
  },
  {
    name: 'f32 CPU engine: outlier ratings (1e20) are a float-overflow error naming the row, from engine.wat on 2 workers and from the JS kernels, and no factor is written',
    run: async () => {
      const r: Ratings = { users: Int32Array.of(0, 0, 1, 1, 2), items: Int32Array.of(0, 1, 1, 2, 0), values: Float32Array.of(1e20, 3, 4, 1e20, 2), nUsers: 3, nItems: 3 };
      // The whole fit: the f64 reference names float overflow for these ratings, and so must the f32 engine.
      const err = await fitAls(r, { rank: 4, lambda: 0.1, backend: 'cpu', threads: 2, iterations: 3 }).then(() => null, (e) => e as Error);
      expect(err instanceof SingularSystemError, `a SingularSystemError, got ${err?.name}: ${err?.message}`);
      expect(/float overflow, not too few ratings/.test(err!.message) && /largest \|rating\| is 1\.00e\+20/.test(err!.message) && !/Use lambda > 0/.test(err!.message), `message: ${err!.message}`);
      // Per kernel: the item side, with user factors as large as those ratings make them (~1e20): the
      // normal equations reach ~1e40, past what f32 data can mean. Both kernels refuse every such row
      // (the one-rating rows by Woodbury, the others by the K x K path) and leave its factors as they were.
      const { byItem } = buildViews({ ...r, users: Int32Array.of(0, 0, 1, 1, 2, 2, 2, 2, 2, 2), items: Int32Array.of(0, 1, 1, 2, 0, 0, 1, 2, 0, 1), values: Float32Array.of(1e20, 3, 4, 1e20, 2, 1, 1, 1, 1, 1) });
      const rank = 4; // K = 4: items 0 and 1 (4 ratings) by the K x K path, item 2 (2 ratings) by Woodbury
      const spec: SolveSpec = { ...specBase, rank, side: 'item' };
      const L = layoutOf(spec);
      const W = Float32Array.from({ length: r.nUsers * L.stride }, (_, k) => (k % 3 === 0 ? 3e19 : -2e19));
      const H0 = randomFactors(2, r.nItems, L.stride, 0.3);
      const exec = await pool2();
      try {
        const js = jobOf(exec, byItem, H0, W, spec, r.nUsers, 'cholesky', null);
        const resJs = await exec.run<SolveResult>('solveRows', [js, js]);
        const jw = jobOf(exec, byItem, H0, W, spec, r.nUsers, 'cholesky', gramWasmBytes());
        const heap = exec.heapFor(jw.indptr, jw.indices, jw.values, jw.X, jw.Y);
        expect(heap !== null, 'the job lives in the engine memory');
        const scratch = [0, 1].map(() => exec.f64(engineScratch(L.K, 8)));
        const resW = await exec.run<SolveResult>('solveRows', scratch.map((sc) => ({ ...jw, heap, scratch: sc, cap: 8 })));
        for (const [label, res, X] of [['JS', resJs, js.X], ['engine.wat', resW, jw.X]] as const) {
          const over = res.reduce((a, x) => a + x.overflow, 0);
          const first = Math.min(...res.filter((x) => x.overflow > 0).map((x) => x.firstOverflow));
          expect(over === r.nItems && first === 0 && res.every((x) => x.singular === 0), `${label}: ${over} overflowing rows (first ${first}), expected all ${r.nItems} from row 0`);
          bitwiseEqual(`${label}: factors of refused rows are left as they were`, X, H0);
        }
      } finally {
        exec.destroy();
      }
    },
  },
  {
    name: 'f32 CPU engine: rolling back an SGD epoch restores the AdaGrad accumulators with the factors (the epoch replayed gives the same bits)',
    run: async () => {
      const { train } = plantedRatings(43, 40, 30, 3, 0.4, 0.1, 0);
      const rank = 10; // past AdaGrad's lead group of 8: both accumulators per row are used
      const S = rank + 2;
      const spec: EngineSpec = {
        algo: 'sgd', mode: 'hogwild', rank, bias: true, adagrad: true, adagradWarmup: false, mu: 3, lambda: 0.05, lambdaBias: 0.05, seed: 5,
        blocks: 2, lanes: 1, train,
        W0: setConstColumn(randomFactors(7, train.nUsers, S, 0.1), train.nUsers, rank, 'user'),
        H0: setConstColumn(randomFactors(8, train.nItems, S, 0.1), train.nItems, rank, 'item'),
      };
      for (const threads of [1, 2]) {
        // one thread: the order is fixed, so the replay is exact; stratified keeps that on 2 workers
        const b = new FastCpuSgd(threads === 1 ? spec : { ...spec, mode: 'stratified' }, lazyExec({ threads }));
        try {
          await b.step(1, 0.1);
          await b.step(2, 0.1);
          const first = await b.readFactors();
          await b.restoreLast();
          await b.step(2, 0.1);
          const again = await b.readFactors();
          // Factors alone restored, the replay would start from epoch 2's larger accumulators (smaller steps).
          bitwiseEqual(`${threads} thread(s): user factors of epoch 2 replayed`, again.W, first.W);
          bitwiseEqual(`${threads} thread(s): item factors of epoch 2 replayed`, again.H, first.H);
        } finally {
          b.destroy();
        }
      }
    },
  },
  {
    name: 'f32 CPU engine: engine.wat and the JS kernels give the same bits over whole runs on 2 workers (biased ALS-WR with the convergence quantity, implicit ALS, AdaGrad stratified SGD, plain Hogwild SGD)',
    run: async () => {
      const data = sparseRatings(47, 60, 45, [0, 1, 3, 8, 20, 40]);
      const { byUser, byItem } = buildViews(data);
      const mu = data.values.reduce((a, v) => a + v, 0) / data.values.length;
      for (const [label, implicit] of [['biased ALS-WR', false], ['implicit', true]] as const) {
        const rank = 5;
        const bias = !implicit;
        const spec: SolveSpec = { rank, bias, side: 'user', mu: implicit ? 0 : mu, lambda: implicit ? 0.5 : 0.05, lambdaBias: 0.02, weighted: !implicit, ...(implicit ? { implicit: { alpha: 3 } } : {}) };
        const S = strideOf(rank, bias);
        const p: AlsProblem = {
          rank, stride: S, nUsers: data.nUsers, nItems: data.nItems, userSpec: spec, itemSpec: { ...spec, side: 'item' },
          solver: 'cholesky', kernels: 'auto', cgSteps: 3, implicit, alpha: 3, trackDelta: true,
        };
        const W0 = randomFactors(11, data.nUsers, S, 0.3);
        const H0 = randomFactors(12, data.nItems, S, 0.3);
        if (bias) {
          setConstColumn(W0, data.nUsers, rank, 'user');
          setConstColumn(H0, data.nItems, rank, 'item');
        }
        const runs = [];
        for (const kernels of ['auto', 'js'] as const) {
          const exec = lazyExec({ threads: 2, kernels });
          const b = new FastCpuAls(p, byUser, byItem, data, undefined, W0, H0, exec);
          try {
            const stats = [];
            for (let it = 0; it < 4; it++) stats.push(await b.step());
            expect(exec.threads === 2 && (exec.heapFor(exec.f32(1)) !== null) === (kernels === 'auto'), `${label} ${kernels}: ${exec.threads} threads, heap ${exec.heapFor(exec.f32(1)) !== null}`);
            runs.push({ stats, f: await b.readFactors() });
          } finally {
            b.destroy();
          }
        }
        const [w, j] = runs;
        bitwiseEqual(`${label}: user factors, engine.wat vs JS`, w.f.W, j.f.W);
        bitwiseEqual(`${label}: item factors, engine.wat vs JS`, w.f.H, j.f.H);
        expect(w.stats.every((s, i) => Object.is(s.sse, j.stats[i].sse) && Object.is(s.sae, j.stats[i].sae)), `${label}: residual sums differ`);
        // The convergence quantity's Grams are summed in blocks of 256 rows on engine.wat, in one pass in JS:
        // f64 sums of ~n S terms, so 1e-12 relative of the quantity leaves room.
        expectClose(`${label}: convergence quantity per iteration`, w.stats.map((s) => s.delta2!), j.stats.map((s) => s.delta2!), { rtol: 1e-12 });
      }
      const { train } = plantedRatings(48, 70, 50, 3, 0.4, 0.1, 0);
      const rank = 9; // both AdaGrad groups, an odd second group
      const S = rank + 2;
      const sgd: EngineSpec = {
        algo: 'sgd', mode: 'stratified', rank, bias: true, adagrad: true, adagradWarmup: true, mu: 3, lambda: 0.05, lambdaBias: 0.03, seed: 6,
        blocks: 3, lanes: 1, train,
        W0: setConstColumn(randomFactors(13, train.nUsers, S, 0.1), train.nUsers, rank, 'user'),
        H0: setConstColumn(randomFactors(14, train.nItems, S, 0.1), train.nItems, rank, 'item'),
      };
      const out: { sse: number[]; f: { W: Float32Array; H: Float32Array } }[] = [];
      for (const kernels of ['auto', 'js'] as const) {
        const b = new FastCpuSgd(sgd, lazyExec({ threads: 2, kernels }));
        try {
          const sse = [];
          for (let e = 1; e <= 3; e++) sse.push((await b.step(e, 0.1)).train);
          out.push({ sse, f: await b.readFactors() });
        } finally {
          b.destroy();
        }
      }
      bitwiseEqual('stratified SGD: user factors, engine.wat vs JS', out[0].f.W, out[1].f.W);
      bitwiseEqual('stratified SGD: item factors, engine.wat vs JS', out[0].f.H, out[1].f.H);
      expect(out[0].sse.every((x, i) => Object.is(x, out[1].sse[i])), `stratified SGD: train sse ${out[0].sse} vs ${out[1].sse}`);
      // Plain (constant-rate) Hogwild on one thread: the epoch's Feistel order and the plain update, both kernel sets.
      const hog: EngineSpec = { ...sgd, mode: 'hogwild', adagrad: false, adagradWarmup: false };
      const hout: { W: Float32Array; H: Float32Array }[] = [];
      for (const kernels of ['auto', 'js'] as const) {
        const b = new FastCpuSgd(hog, lazyExec({ threads: 1, kernels }));
        try {
          for (let e = 1; e <= 3; e++) await b.step(e, 0.02);
          hout.push(await b.readFactors());
        } finally {
          b.destroy();
        }
      }
      bitwiseEqual('plain Hogwild SGD: user factors, engine.wat vs JS', hout[0].W, hout[1].W);
      bitwiseEqual('plain Hogwild SGD: item factors, engine.wat vs JS', hout[0].H, hout[1].H);
    },
  },
  {
    name: "backend 'auto': a software adapter is probed (GPU vs f32 CPU, the faster wins, cached per adapter and rank); a hardware adapter is used",
    run: async (gpu: GpuContext) => {
      const first = await chooseEngine({ backend: 'auto' }, 'als', 3);
      try {
        if (!gpu.adapter.software) {
          expect(first.engine === 'gpu' && /hardware adapter/.test(first.reason), `hardware: ${first.engine} (${first.reason})`);
          return;
        }
        const m = /GPU ([\d.]+) ms vs f32 CPU ([\d.]+) ms/.exec(first.reason);
        expect(!!m && /software adapter .*probe at rank 3/.test(first.reason), `reason: ${first.reason}`);
        const [g, c] = [Number(m![1]), Number(m![2])];
        expect(first.engine === (c < g ? 'cpu' : 'gpu'), `${first.engine} chosen with GPU ${g} ms, CPU ${c} ms`);
      } finally {
        first.own?.destroy();
      }
      const again = await chooseEngine({ backend: 'auto' }, 'als', 3);
      again.own?.destroy();
      expect(again.engine === first.engine && /cached probe at rank 3/.test(again.reason), `second choice: ${again.engine} (${again.reason})`);
      const v = await probeEngines(gpu, 2, 2);
      expect(v.gpuMs > 0 && v.cpuMs > 0 && Number.isFinite(v.gpuMs + v.cpuMs) && v.engine === (v.cpuMs < v.gpuMs ? 'cpu' : 'gpu'), `probe ${JSON.stringify(v)}`);
    },
  },
];
