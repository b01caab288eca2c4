/** ALS on the GPU against the f64 CPU engine: whole fits, planted recovery, implicit, convergence, errors. */
import type { GpuContext } from '../../src/gpu/context.ts';
import { fitAls, type AlsOptions } from '../../src/train/als/index.ts';
import { residuals } from '../../src/reference/reference.ts';
import type { Ratings } from '../../src/data/ratings.ts';
import type { FitResult } from '../../src/model/types.ts';
import { expect, expectBelow, expectClose, expectThrows } from './check.ts';
import { plantedRatings, predictions, sparseRatings } from './fixtures.ts';
import { Rng } from '../../src/util/random.ts';
import type { GpuCase } from './types.ts';

const U32 = 2 ** -24; // unit roundoff of f32

/**
 * n iterations on GPU and CPU from the same seeded start. Tolerance, per row solve: the f32 build
 * carries ~n u (u = 2^-24) of the sum of |terms| and the Cholesky factor a backward error below
 * 20 K u (the batched-Cholesky cases check both), so the solved row is off by at most ~cond(A) K u
 * relative in its worst direction. The systems here (computed from the f64 fit) have cond(A) <= 650
 * (explicit), 180 (ALS-WR), 55 (implicit): <= 3e-4 for the worst row in its worst direction, ~1e-5
 * for a typical row; 3 ALS iterations carry it forward with little growth (measured: the gap after
 * 3 iterations is at most 2x the gap after 1). Measured on SwiftShader, |GPU - f64| of the
 * predictions is <= 6.9e-6 of the rating scale (Cholesky, both kernel families) and <= 4.7e-5
 * (CG: 3 truncated steps from the previous factors re-round every Krylov step, ~7x the Cholesky
 * gap). Bounds: 5e-5 (Cholesky) and 3e-4 (CG) of the scale, 7x the worst measured.
 * RMSE and loss: |RMSE_g - RMSE_c| <= RMS of the prediction gaps (Minkowski), but the gaps are not
 * aligned with the residuals, so the relative change is ~gap / sqrt(n) (plus the loss kernel's
 * f32 reduction, ~sqrt(n) u at random rounding): measured <= 1.9e-7 (Cholesky), 1.3e-6 (CG);
 * bounds 2e-6 and 1e-5. A dropped lambda or bias term moves them by 1e-3 or more.
 */
const ALS_TOL = {
  cholesky: { pred: 5e-5, rmse: 2e-6, delta: 1e-5 },
  cg: { pred: 3e-4, rmse: 1e-5, delta: 1e-4 },
} as const;

/** Runs `f` and returns, with its result, the labels of every pipeline it asked `gpu` for. */
async function pipelineLabels<T>(gpu: GpuContext, f: () => Promise<T>): Promise<[T, Set<string>]> {
  const seen = new Set<string>();
  const own = gpu.pipeline;
  gpu.pipeline = (label, ...rest) => (seen.add(label), own.call(gpu, label, ...rest));
  try {
    return [await f(), seen];
  } finally {
    gpu.pipeline = own;
  }
}

async function gpuVsCpu(gpu: GpuContext, data: Ratings, o: AlsOptions): Promise<void> {
  const base: AlsOptions = { iterations: 3, seed: 5, ...o };
  const [g, labels] = await pipelineLabels(gpu, () => fitAls(data, { ...base, backend: 'gpu', gpu }));
  // A forced kernel family holds for the loss reduction too (not only the solve): the barrier-free
  // loss builds its 'direct' pipelines, the tiled one only its tree reduction.
  if (o.kernels && o.kernels !== 'auto') {
    expect(labels.has('als.trainLoss.direct.partials') === (o.kernels === 'direct'), `kernels '${o.kernels}': the loss reduction's pipelines were ${[...labels].filter((l) => l.startsWith('als.trainLoss')).join(', ')}`);
  }
  const c = await fitAls(data, { ...base, backend: 'reference' });
  expect(g.backend === 'gpu' && c.backend === 'reference', 'backends as requested');
  const tol = ALS_TOL[o.solver === 'cg' ? 'cg' : 'cholesky'];
  const pg = predictions(g, data);
  const pc = predictions(c, data);
  const scale = new Float64Array(pc.length).fill(o.implicit ? 1 : 5);
  expectClose('predictions after 3 iterations', pg, pc, { rtol: tol.pred, scale });
  expectClose('train RMSE per iteration', g.history.map((h) => h.trainRmse), c.history.map((h) => h.trainRmse), { rtol: tol.rmse });
  expectClose('train loss per iteration', g.history.map((h) => h.trainLoss!), c.history.map((h) => h.trainLoss!), { rtol: tol.rmse });
  // delta is a difference of nearly equal products, so its f32 error scales with ||W_t H_t||_F,
  // not with delta itself: the first delta (from a start of scale 0.1) is ~||W_1 H_1||_F, so the
  // floor is a fraction of that, plus the factors' own gap relative to delta. Measured: <= 9.4e-7
  // of delta and 2.3e-7 of the first delta (Cholesky), 1.6e-5 and 3.5e-6 (CG); bounds 10x that.
  const d0 = c.history[0].delta!;
  expectClose('convergence quantity per iteration', g.history.map((h) => h.delta!), c.history.map((h) => h.delta!), { rtol: tol.delta, atol: 0.1 * tol.delta * d0 });
}

const small = () => sparseRatings(11, 60, 45, [0, 1, 3, 9, 20, 45]);

type Kind = 'explicit' | 'ALS-WR (biased, weighted lambda)' | 'implicit';
const KIND_OPTS: Record<Kind, AlsOptions> = {
  explicit: { rank: 8, lambda: 0.1, useBias: false, weightedLambda: false },
  'ALS-WR (biased, weighted lambda)': { rank: 6, lambda: 0.05, lambdaBias: 0.02, weightedLambda: true, useBias: true },
  implicit: { rank: 6, implicit: true, alpha: 5, lambda: 0.5 },
};
const KIND_DATA: Record<Kind, () => Ratings> = {
  explicit: small,
  'ALS-WR (biased, weighted lambda)': small,
  implicit: () => sparseRatings(12, 50, 40, [0, 2, 6, 15]),
};

/**
 * Whole fits as a parameter matrix: (tiled | direct build and Cholesky) x (explicit | ALS-WR |
 * implicit), and the CG solver (both kernel families) x the same three. Software adapters pick the
 * direct kernels by default; hardware GPUs the tiled ones, so both are forced here.
 */
const alsMatrix: GpuCase[] = [
  ...(['tiled', 'direct'] as const).flatMap((kernels) =>
    (Object.keys(KIND_OPTS) as Kind[]).map((kind) => ({
      name: `whole fit: ALS ${kernels} kernels, Cholesky, ${kind}: 3 GPU iterations match the f64 CPU engine`,
      run: (gpu: GpuContext) => gpuVsCpu(gpu, KIND_DATA[kind](), { ...KIND_OPTS[kind], kernels }),
    })),
  ),
  // CG: the workgroup kernel (shaders/cg.wgsl) and the per-row one (src/kernels/cg-direct.ts)
  ...(['tiled', 'direct'] as const).flatMap((kernels) =>
    (Object.keys(KIND_OPTS) as Kind[]).map((kind) => ({
      name: `whole fit: ALS cg solver (3 steps), ${kernels} kernels, ${kind}: 3 GPU iterations match the f64 CPU engine`,
      run: (gpu: GpuContext) => gpuVsCpu(gpu, KIND_DATA[kind](), { ...KIND_OPTS[kind], solver: 'cg' as const, cgSteps: 3, kernels }),
    })),
  ),
];

/** Σ (a - pred)^2 + Σ_rows scale_r (lambda |w_r|^2 + lambdaBias b_r^2), f64, from a fit's factors. */
function objective(f: FitResult, r: Ratings, o: AlsOptions): number {
  const m = f.model;
  const S = m.stride;
  const pr = predictions(f, r);
  let sse = 0;
  for (let k = 0; k < pr.length; k++) sse += (r.values[k] - pr[k]) ** 2;
  const counts = (idx: Int32Array, n: number) => {
    const c = new Float64Array(n);
    for (const x of idx) c[x]++;
    return c;
  };
  const pen = (X: Float32Array, n: number, cnt: Float64Array, biasCol: number) => {
    let t = 0;
    for (let row = 0; row < n; row++) {
      let q = 0;
      for (let c = 0; c < m.rank; c++) q += (o.lambda ?? 0.1) * X[row * S + c] ** 2;
      if (m.bias) q += (o.lambdaBias ?? o.lambda ?? 0.1) * X[row * S + biasCol] ** 2;
      t += (o.weightedLambda ? cnt[row] : 1) * q;
    }
    return t;
  };
  return sse + pen(m.userFactors, r.nUsers, counts(r.users, r.nUsers), m.rank) + pen(m.itemFactors, r.nItems, counts(r.items, r.nItems), m.rank + 1);
}

const objectiveMonotone: GpuCase = {
  name: 'ALS objective (squared error + lambda penalty) never increases across iterations (explicit, lambda > 0; plain and ALS-WR)',
  async run(gpu) {
    for (const o of [
      { rank: 8, lambda: 0.1, useBias: false, weightedLambda: false },
      { rank: 6, lambda: 0.05, lambdaBias: 0.02, weightedLambda: true, useBias: true },
    ] as AlsOptions[]) {
      const data = small();
      const f = await fitAls(data, { ...o, iterations: 8, seed: 3, gpu, backend: 'gpu' });
      const L = f.history.map((h) => h.trainLoss!);
      // Each half-iteration minimizes the objective exactly over one side (a ridge regression per
      // row), so in exact arithmetic L never rises. f32 solves leave each row within ~K u cond(A)
      // (~1e-5 relative here) of its minimizer, which moves L by at most ~1e-5 of itself: allow a
      // rise of 1e-5 L, far below the first iterations' decrease (tens of percent).
      for (let t = 1; t < L.length; t++) {
        expect(L[t] <= L[t - 1] * (1 + 1e-5), `iteration ${t + 1}: objective ${L[t]} > ${L[t - 1]} (iteration ${t})`);
      }
      expect(L[L.length - 1] < 0.9 * L[0], `the objective fell (${L[0]} -> ${L[L.length - 1]})`);
      // The reported objective is the objective of the returned factors (f64, from scratch): the
      // f32 reduction of ~600 terms carries <= (n + K) u relative error; 1e-4 covers it.
      expectClose('reported objective = objective of the returned factors', [L[L.length - 1]], [objective(f, data, o)], { rtol: 1e-4 });
    }
  },
};

/**
 * The convergence stop: with tolerance eps the fit stops at the FIRST iteration whose
 * ||W_t H_t - W_{t-1} H_{t-1}||_F is below eps, says 'converged', and never stops while the
 * quantity is >= eps. eps is taken from a full run's own reported values (ALS is deterministic on
 * both backends), so the stopping iteration is known exactly.
 */
const convergenceStop: GpuCase = {
  name: 'ALS convergence stop: stops at the first iteration with delta < eps, reports converged, never stops at or above eps (GPU and CPU)',
  async run(gpu) {
    const data = small();
    for (const backend of ['gpu', 'reference', 'cpu'] as const) {
      const o: AlsOptions = { rank: 6, lambda: 0.1, iterations: 10, seed: 9, gpu, backend };
      const full = await fitAls(data, o);
      const d = full.history.map((h) => h.delta!);
      expect(full.stopped === 'iterations' && d.length === 10, `${backend}: without a tolerance all 10 iterations run (${full.stopped}, ${d.length})`);
      // eps between two reported values: the first t with d[t] < eps is where it must stop
      const firstBelow = (eps: number) => d.findIndex((x) => x < eps) + 1;
      for (const eps of [(d[2] + d[3]) / 2, d[4], Math.min(...d) / 2]) {
        const want = firstBelow(eps); // 0: never below
        const f = await fitAls(data, { ...o, tolerance: eps });
        const got = f.history.map((h) => h.delta!);
        const label = `${backend}, eps ${eps.toExponential(4)}`;
        expectClose(`${label}: the run reproduces the full run's deltas`, got, d.slice(0, got.length), { rtol: 0 });
        for (let t = 0; t < got.length - 1; t++) expect(got[t] >= eps, `${label}: iteration ${t + 1} has delta ${got[t]} < eps but the fit went on`);
        if (want === 0) {
          expect(f.stopped === 'iterations' && got.length === 10, `${label}: never below eps, so all iterations run (${f.stopped} after ${got.length})`);
        } else {
          expect(f.stopped === 'converged', `${label}: stopped = ${f.stopped}, expected converged`);
          expect(got.length === want, `${label}: stopped after ${got.length} iterations, expected ${want}`);
          expect(got[got.length - 1] < eps, `${label}: the last delta ${got[got.length - 1]} is below eps`);
          expect(f.model.hyperparams.iterations === want, `${label}: the model records ${f.model.hyperparams.iterations} iterations`);
        }
      }
      // eps = d[4] exactly: delta == eps is not below it, so the fit does not stop at iteration 5
      expect(firstBelow(d[4]) !== 5, `${backend}: the equality case is not a stop`);
    }
  },
};

/**
 * Implicit feedback with stored zeros. Decision (implicit, Hu-Koren-Volinsky): preference
 * p = [f > 0], confidence c = 1 + alpha f, so a stored f = 0 has c = 1, p = 0 — exactly an
 * unobserved entry. The solver and the loss both use that, so a fit with stored zeros must equal
 * the fit without them: factors to f32 rounding of the solves (the zeros add exact zeros to every
 * sum, so in practice bit for bit) and the same reported loss.
 */
const implicitZeros: GpuCase = {
  name: 'implicit ALS: stored zeros (f = 0) are the same as unobserved entries in the solve and the loss (GPU and CPU)',
  async run(gpu) {
    const base = sparseRatings(14, 40, 30, [2, 6, 12]);
    const rng = new Rng(4);
    const u = Array.from(base.users);
    const it = Array.from(base.items);
    const v = Array.from(base.values);
    const seen = new Set(u.map((x, k) => x * 1000 + it[k]));
    for (let t = 0; t < 200; t++) {
      const uu = rng.int(40);
      const ii = rng.int(30);
      if (seen.has(uu * 1000 + ii)) continue;
      seen.add(uu * 1000 + ii);
      u.push(uu);
      it.push(ii);
      v.push(0);
    }
    const withZeros: Ratings = { users: Int32Array.from(u), items: Int32Array.from(it), values: Float32Array.from(v), nUsers: 40, nItems: 30 };
    expect(withZeros.values.length > base.values.length + 100, 'enough stored zeros');
    for (const backend of ['gpu', 'reference', 'cpu'] as const) {
      const o: AlsOptions = { rank: 5, implicit: true, alpha: 8, lambda: 0.2, iterations: 3, seed: 2, gpu, backend };
      const a = await fitAls(withZeros, o);
      const b = await fitAls(base, o);
      // |factor| ~ 0.1-1: 1e-5 relative + 1e-6 absolute (a few dozen u) for solve-order effects
      expectClose(`${backend}: user factors`, a.model.userFactors, b.model.userFactors, { rtol: 1e-5, atol: 1e-6 });
      expectClose(`${backend}: item factors`, a.model.itemFactors, b.model.itemFactors, { rtol: 1e-5, atol: 1e-6 });
      expectClose(`${backend}: loss per iteration`, a.history.map((h) => h.trainLoss!), b.history.map((h) => h.trainLoss!), { rtol: 1e-5 });
    }
  },
};

export const alsCases: GpuCase[] = [
  ...alsMatrix,
  objectiveMonotone,
  convergenceStop,
  implicitZeros,
  {
    name: 'planted rank-4 matrix: ALS held-out RMSE within 10% of the noise level',
    run: async (gpu) => {
      const noise = 0.1;
      const { train, test } = plantedRatings(21, 200, 150, 4, 0.8, noise);
      // biases absorb the planted offset (3) so rank 4 suffices
      const f = await fitAls(train, { rank: 4, lambda: 0.05, lambdaBias: 0.05, useBias: true, weightedLambda: false, iterations: 10, gpu, validation: test });
      const rmse = f.history[f.history.length - 1].validationRmse!;
      expectBelow('held-out RMSE / noise', rmse / noise, 1.1);
      const ref = residuals(test.users, test.items, test.values, f.model.userFactors, f.model.itemFactors, f.model.stride, f.model.mu);
      // f32 reduction (~1,900 ratings, n u ~ 1e-4 worst case) vs f64 residuals of the same factors
      expectClose('reported validation RMSE equals recomputed', [rmse], [ref.rmse], { rtol: 2e-4 });
    },
  },
  {
    name: 'implicit checkerboard: the top recommendation is the withheld item',
    run: async (gpu) => {
      // two user groups x two item groups; each user interacted with every item of its group but one
      const nU = 24;
      const nI = 16;
      const u: number[] = [];
      const it: number[] = [];
      const withheld = (x: number) => (x % 2 === 0 ? 0 : 8) + ((x * 3) % 8);
      for (let x = 0; x < nU; x++) {
        const g0 = x % 2 === 0 ? 0 : 8;
        for (let i = g0; i < g0 + 8; i++) if (i !== withheld(x)) (u.push(x), it.push(i));
      }
      const r: Ratings = { users: Int32Array.from(u), items: Int32Array.from(it), values: new Float32Array(u.length).fill(1), nUsers: nU, nItems: nI };
      // rank 2: one latent dimension per block, so the withheld in-block item scores ~1 and the other block ~0
      const f = await fitAls(r, { rank: 2, implicit: true, alpha: 10, lambda: 0.1, iterations: 15, gpu });
      const m = f.model;
      for (let x = 0; x < nU; x++) {
        let best = -1;
        let bestScore = -Infinity;
        for (let i = 0; i < nI; i++) {
          const seen = (x % 2 === 0 ? i < 8 : i >= 8) && i !== withheld(x);
          if (seen) continue;
          let s = 0;
          for (let c = 0; c < m.stride; c++) s += m.userFactors[x * m.stride + c] * m.itemFactors[i * m.stride + c];
          if (s > bestScore) (bestScore = s), (best = i);
        }
        expect(best === withheld(x), `user ${x}: top recommendation ${best}, withheld ${withheld(x)}`);
      }
    },
  },
  {
    name: 'convergence quantity ||W1H1 - W0H0||_F equals the brute-force norm (plain and biased)',
    run: async (gpu) => {
      for (const useBias of [false, true]) {
        // 300 users and 150 items: the Gram kernel sums runs of 64 rows into partials of their own
        // (shaders/gram.wgsl SUBS), so five runs of users and three of items are filled.
        const data = sparseRatings(31, 300, 150, [2, 5, 12]);
        const o: AlsOptions = { rank: 5, lambda: 0.1, useBias, gpu, seed: 3 };
        const f0 = await fitAls(data, { ...o, iterations: 1 });
        const init = { users: f0.model.userFactors, items: f0.model.itemFactors };
        const f1 = await fitAls(data, { ...o, iterations: 1, init });
        const S = f1.model.stride;
        let brute = 0;
        for (let u = 0; u < data.nUsers; u++) {
          for (let i = 0; i < data.nItems; i++) {
            let a = 0;
            let b = 0;
            for (let c = 0; c < S; c++) {
              a += f1.model.userFactors[u * S + c] * f1.model.itemFactors[i * S + c];
              b += init.users[u * S + c] * init.items[i * S + c];
            }
            brute += (a - b) ** 2;
          }
        }
        // Both sides use the same f32 factors (read back), so only the GPU's arithmetic differs: f32 Grams of
        // the factor differences (formed first, so the large products W1 H1 and W0 H0 never cancel) over the
        // users and the items, then S x S trace products, each within ~(rows + S) u of its magnitude, which
        // is that of delta^2 here: (users + items + S) u = 2.7e-5 relative. Measured 1.8e-8 (biased), 6.1e-8.
        expectClose(`delta (bias ${useBias})`, [f1.history[0].delta!], [Math.sqrt(brute)], { rtol: (data.nUsers + data.nItems + S) * U32 });
      }
    },
  },
  {
    name: 'lambda = 0 on an under-determined row is a clear SingularSystemError on GPU (both kernel variants) and CPU, never NaN',
    run: async (gpu) => {
      // users 1, 3, 5, ... have one rating at rank 4; user 0 has eight: the error must name user 1,
      // the first singular row (the GPU keeps the smallest such row with atomicMin from a sentinel)
      const data = sparseRatings(41, 10, 20, [8, 1]);
      for (const [backend, kernels] of [['gpu', 'tiled'], ['gpu', 'direct'], ['reference', 'auto'], ['cpu', 'auto']] as const) {
        await expectThrows(`${backend} ${kernels}`, () => fitAls(data, { rank: 4, lambda: 0, iterations: 1, gpu, backend, kernels }), {
          name: 'SingularSystemError',
          message: /user 1: normal equations are singular/,
        });
      }
      // Nearly singular in f32: two ratings on items h_a = [1, 1], h_b = [1, 1.004] at rank 2 give a
      // second pivot of 8e-6 against a diagonal of 2 (ratio 4e-6, under the kernels' 1e-5 pivot
      // rule; f32 rounding of the elimination is ~5e-7, so the pivot is reliably positive). Solved
      // anyway, the f32 answer would be noise; the GPU must say singular instead.
      const two: Ratings = { users: Int32Array.of(0, 0), items: Int32Array.of(0, 1), values: Float32Array.of(3, 4), nUsers: 1, nItems: 2 };
      const init = { users: Float32Array.of(0.1, 0.1), items: Float32Array.of(1, 1, 1, 1.004) };
      for (const kernels of ['tiled', 'direct'] as const) {
        await expectThrows(`ill-conditioned, ${kernels}`, () => fitAls(two, { rank: 2, lambda: 0, iterations: 1, gpu, backend: 'gpu', kernels, init }), {
          name: 'SingularSystemError',
          message: /user 0: normal equations are singular/,
        });
      }
      // The same 2 x 2 block inside a rank-20 system (items 2..19 are unit vectors on the other
      // dimensions, pivots 1): at this size the direct variant solves with the blocked Cholesky
      // rather than in registers, so its pivot rule is exercised too (the scalar kernel's: cases-foundation.ts).
      const R = 20;
      const wide: Ratings = { users: new Int32Array(R), items: Int32Array.from({ length: R }, (_, i) => i), values: new Float32Array(R).fill(3), nUsers: 1, nItems: R };
      const H = new Float32Array(R * R);
      H.set([1, 1], 0);
      H.set([1, 1.004], R);
      for (let i = 2; i < R; i++) H[i * R + i] = 1;
      const wideInit = { users: new Float32Array(R).fill(0.1), items: H };
      for (const kernels of ['tiled', 'direct'] as const) {
        await expectThrows(`ill-conditioned at rank ${R}, ${kernels}`, () => fitAls(wide, { rank: R, lambda: 0, iterations: 1, gpu, backend: 'gpu', kernels, init: wideInit, useBias: false }), {
          name: 'SingularSystemError',
          message: /user 0: normal equations are singular/,
        });
      }
    },
  },
  {
    name: 'users and items without ratings get zero factors, not NaN',
    run: async (gpu) => {
      const data = sparseRatings(51, 12, 10, [0, 4, 7]);
      const r: Ratings = { ...data, nUsers: 14, nItems: 13 }; // extra users/items with no ratings
      const f = await fitAls(r, { rank: 3, iterations: 2, gpu, useBias: false, weightedLambda: false });
      for (const [X, n, what] of [[f.model.userFactors, 14, 'user'], [f.model.itemFactors, 13, 'item']] as const) {
        for (const row of [n - 1, n - 2]) {
          expectClose(`${what} ${row} factors`, X.subarray(row * 3, row * 3 + 3), [0, 0, 0], { rtol: 0, atol: 0 });
        }
      }
      for (const u of [0, 3, 6]) expectClose(`user ${u} (no ratings)`, f.model.userFactors.subarray(u * 3, u * 3 + 3), [0, 0, 0], { rtol: 0, atol: 0 });
    },
  },
  {
    name: 'early stopping on validation RMSE keeps the best iteration; an aborted signal stops the fit',
    run: async (gpu) => {
      const { train, test } = plantedRatings(71, 60, 50, 3, 0.5, 0.3);
      // lambda = 0.001 at rank 12 from a wide start overfits: validation RMSE turns up after iteration 3
      const o: AlsOptions = { rank: 12, lambda: 0.001, weightedLambda: false, iterations: 12, gpu, validation: test, useBias: true, lambdaBias: 0.001, initScale: 1 };
      const f = await fitAls(train, { ...o, earlyStopping: { patience: 2 } });
      expect(f.stopped === 'early-stopping', `stopped: ${f.stopped} after ${f.history.length}`);
      const best = Math.min(...f.history.map((h) => h.validationRmse!));
      const ref = residuals(test.users, test.items, test.values, f.model.userFactors, f.model.itemFactors, f.model.stride, f.model.mu);
      // f32 reduction vs f64 residuals of the returned factors (~250 ratings): 1e-4 relative
      expectClose('returned model is the best iteration', [ref.rmse], [best], { rtol: 1e-4 });
      const ac = new AbortController();
      ac.abort();
      await expectThrows('aborted', () => fitAls(train, { ...o, signal: ac.signal }), { name: 'AbortError' });
      let seen = 0;
      const ac2 = new AbortController();
      await expectThrows('aborted mid-fit', () => fitAls(train, { ...o, signal: ac2.signal, onIteration: () => ++seen === 2 && ac2.abort() }), { name: 'AbortError' });
      expect(seen === 2, `iterations before abort: ${seen}`);
    },
  },
  {
    name: 'bad input: rank < 1, rank over the device limit, empty, out-of-range index, mismatched lengths',
    run: async (gpu) => {
      const d = sparseRatings(61, 5, 5, [2]);
      await expectThrows('rank 0', () => fitAls(d, { rank: 0, gpu }), { name: 'InputError', message: /rank/ });
      await expectThrows('rank too large', () => fitAls(d, { rank: 5000, gpu, iterations: 1 }), { name: 'LimitError', message: /max\w+/ });
      await expectThrows('empty', () => fitAls({ ...d, users: new Int32Array(0), items: new Int32Array(0), values: new Float32Array(0) }, { gpu }), {
        name: 'InputError',
        message: /empty/,
      });
      await expectThrows('index', () => fitAls({ ...d, nItems: 3 }, { gpu }), { name: 'InputError', message: /item index \d out of range/ });
      await expectThrows('lengths', () => fitAls({ ...d, values: d.values.subarray(1) }, { gpu }), { name: 'InputError', message: /mismatched/ });
    },
  },
];
