/** ALS on the GPU against the f64 CPU engine: whole fits, planted recovery, implicit, convergence, errors. */
import type { GpuContext } from '../../src/gpu/context.ts';
import { fitAls, type AlsOptions } from '../../src/train/als/index.ts';
import { residuals } from '../../src/reference/reference.ts';
import type { Ratings } from '../../src/data/ratings.ts';
import type { FitResult } from '../../src/model/types.ts';
import { expect, expectBelow, expectClose, expectThrows } from './check.ts';
import { plantedRatings, sparseRatings } from './fixtures.ts';
import type { GpuCase } from './types.ts';

function predictions(f: FitResult, r: Ratings): Float64Array {
  const m = f.model;
  const out = new Float64Array(r.values.length);
  for (let k = 0; k < out.length; k++) {
    let s = m.mu;
    for (let c = 0; c < m.stride; c++) s += m.userFactors[r.users[k] * m.stride + c] * m.itemFactors[r.items[k] * m.stride + c];
    out[k] = s;
  }
  return out;
}

/**
 * n iterations on GPU and CPU from the same seeded start. Tolerance: each half-iteration's solve
 * is backward-stable in f32 (error ~ K u cond(A) <~ 1e-5 relative for these lambda > 0 systems) and
 * ALS is a contraction near its fixed point, so after 3 iterations predictions agree to 2e-3
 * relative to the rating scale; RMSE and loss to 1e-3 relative.
 */
async function gpuVsCpu(gpu: GpuContext, data: Ratings, o: AlsOptions): Promise<void> {
  const base: AlsOptions = { iterations: 3, seed: 5, ...o };
  const g = await fitAls(data, { ...base, backend: 'gpu', gpu });
  const c = await fitAls(data, { ...base, backend: 'reference' });
  expect(g.backend === 'gpu' && c.backend === 'reference', 'backends as requested');
  const pg = predictions(g, data);
  const pc = predictions(c, data);
  const scale = new Float64Array(pc.length).fill(o.implicit ? 1 : 5);
  expectClose('predictions after 3 iterations', pg, pc, { rtol: 2e-3, scale });
  expectClose('train RMSE per iteration', g.history.map((h) => h.trainRmse), c.history.map((h) => h.trainRmse), { rtol: 1e-3 });
  expectClose('train loss per iteration', g.history.map((h) => h.trainLoss!), c.history.map((h) => h.trainLoss!), { rtol: 1e-3 });
  expectClose('convergence quantity per iteration', g.history.map((h) => h.delta!), c.history.map((h) => h.delta!), { rtol: 5e-3, atol: 1e-3 });
}

const small = () => sparseRatings(11, 60, 45, [0, 1, 3, 9, 20, 45]);

export const alsCases: GpuCase[] = [
  { name: 'ALS explicit (Cholesky, tiled kernels): 3 GPU iterations match the f64 CPU engine', run: (gpu) => gpuVsCpu(gpu, small(), { rank: 8, lambda: 0.1, kernels: 'tiled' }) },
  { name: 'ALS explicit (Cholesky, direct kernels): 3 GPU iterations match the f64 CPU engine', run: (gpu) => gpuVsCpu(gpu, small(), { rank: 8, lambda: 0.1, kernels: 'direct' }) },
  {
    name: 'ALS biased + weighted lambda (ALS-WR): GPU matches CPU',
    run: (gpu) => gpuVsCpu(gpu, small(), { rank: 6, lambda: 0.05, lambdaBias: 0.02, weightedLambda: true, useBias: true, kernels: 'tiled' }),
  },
  { name: 'ALS explicit with the CG solver: GPU matches CPU', run: (gpu) => gpuVsCpu(gpu, small(), { rank: 8, lambda: 0.1, solver: 'cg', cgSteps: 4 }) },
  {
    name: 'implicit ALS (Cholesky, c = 1 + alpha f): GPU matches CPU',
    run: (gpu) => gpuVsCpu(gpu, sparseRatings(12, 50, 40, [0, 2, 6, 15]), { rank: 6, implicit: true, alpha: 5, lambda: 0.5, kernels: 'direct' }),
  },
  {
    name: 'implicit ALS (CG, 3 steps): GPU matches CPU',
    run: (gpu) => gpuVsCpu(gpu, sparseRatings(13, 50, 40, [0, 2, 6, 15]), { rank: 6, implicit: true, alpha: 5, lambda: 0.5, solver: 'cg', cgSteps: 3 }),
  },
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
      expectClose('reported validation RMSE equals recomputed', [rmse], [ref.rmse], { rtol: 1e-4 });
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
        const data = sparseRatings(31, 30, 25, [2, 5, 12]);
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
        // f32 Grams of differences: relative error ~ (rows + S) u, plus the f32 rounding of the factors read back
        expectClose(`delta (bias ${useBias})`, [f1.history[0].delta!], [Math.sqrt(brute)], { rtol: 1e-3, atol: 1e-5 });
      }
    },
  },
  {
    name: 'lambda = 0 on an under-determined row is a clear SingularSystemError on GPU (both kernel variants) and CPU, never NaN',
    run: async (gpu) => {
      const data = sparseRatings(41, 10, 20, [1, 8]); // users with one rating, rank 4
      for (const [backend, kernels] of [['gpu', 'tiled'], ['gpu', 'direct'], ['reference', 'auto'], ['cpu', 'auto']] as const) {
        await expectThrows(`${backend} ${kernels}`, () => fitAls(data, { rank: 4, lambda: 0, iterations: 1, gpu, backend, kernels }), {
          name: 'SingularSystemError',
          message: /user \d+: normal equations are singular/,
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
