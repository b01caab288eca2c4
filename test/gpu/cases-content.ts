/**
 * The content map (ridge regression from item or user features to factor rows) on the GPU, through
 * ALS's normal-equation and Cholesky kernels (src/model/content-gpu.ts), against the f64 CPU fit
 * (src/model/content.ts). Browser-safe (shared by Node and headless Chrome).
 *
 * Tolerance, argued per output column c (x̂ the GPU's column of W, m fitted rows, d features,
 * u = 2^-24). The device builds A = FᵀF + λI and b = Fᵀy_c in f32 from f32 copies of F: any
 * summation order gives |fl(A) − A| ≤ γ_{m+3} Â and |fl(b) − b| ≤ γ_{m+2} b̂ entrywise, with
 * Â = |F|ᵀ|F| + λI, b̂ = |F|ᵀ|y_c| and γ_k = ku / (1 − ku) (m products summed, two input roundings,
 * one for λ). Cholesky and the two triangular solves are backward stable (Higham, Accuracy and
 * Stability, Thm 10.4): (fl(A) + E) x̂ = fl(b) with |E| ≤ γ_{3d+1} |L||Lᵀ|, and for an SPD matrix
 * ‖|L||Lᵀ|‖_F ≤ tr(A) ≤ √d ‖Â‖_F. So the f64 residual of the exact system satisfies
 *   η_c = ‖A x̂ − b‖ / (‖Â‖_F ‖x̂‖ + ‖b̂‖)  ≤  γ_{m+3} + √d γ_{3d+1}.
 * WGSL lets division and sqrt be off by up to 2.5 ulp (inverseSqrt 2 ulp), so the kernels' pivots
 * cost a few roundings where Higham counts one: the bound is taken 4 times over. That is ~1.7e-4 for
 * the sizes here (the measured η is ~1e-7 on SwiftShader), while a dropped row moves η by about 1/m
 * (2e-3 here), and a wrong λ or a transposed map by far more; the perturbation check below proves
 * the check fails when one entry moves by 1% of its column's norm.
 * The forward error follows from the same bound: ‖x̂ − x‖ ≤ ‖A⁻¹‖ η* (‖Â‖ ‖x̂‖ + ‖b̂‖), with ‖A⁻¹‖_F
 * from the f64 Cholesky; the map is compared with the f64 CPU map within it, entry by entry.
 */
import { fitContentMap, itemFeatures, type ContentMap, type ContentModel, type FeatureMatrix } from '../../src/model/content.ts';
import { fitContentMapGpu } from '../../src/model/content-gpu.ts';
import { cholesky, choleskySolve } from '../../src/reference/reference.ts';
import { Rng } from '../../src/util/random.ts';
import { assertFinite, CheckError, expect, expectBelow, expectThrows } from './check.ts';
import type { GpuCase } from './types.ts';

const U = 2 ** -24;
const gamma = (k: number) => (k * U) / (1 - k * U);

/** Synthetic catalogue: genres (1–2 of 5 each), years 1930–2015 with some missing, and target rows F W + noise. */
function catalogue(seed: number, n: number, rank: number): { F: FeatureMatrix; model: ContentModel } {
  const rng = new Rng(seed);
  const genres = Array.from({ length: 5 }, (_, g) => `g${g}`);
  const meta = {
    titles: Array.from({ length: n }, (_, i) => `item ${i}`),
    genres: Array.from({ length: n }, () => Array.from({ length: 1 + rng.int(2) }, () => genres[rng.int(genres.length)])),
    years: Float64Array.from({ length: n }, () => (rng.next() < 0.05 ? NaN : 1930 + rng.int(86))),
  };
  const F = itemFeatures(meta);
  const stride = rank + 2; // item rows [h, 1, b_i]
  const Wtrue = Float64Array.from({ length: F.d * stride }, () => rng.normal() * 0.3);
  const itemFactors = new Float32Array(n * stride);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < stride; c++) {
      let v = 0;
      for (let a = 0; a < F.d; a++) v += F.rows[i * F.d + a] * Wtrue[a * stride + c];
      itemFactors[i * stride + c] = c === rank ? 1 : v + rng.normal() * 0.2;
    }
  }
  return { F, model: { itemFactors, userFactors: new Float32Array(stride), nItems: n, nUsers: 1, stride } };
}

/**
 * Checks a map against the exact system in f64: the backward error bound of each column (above),
 * then the forward error bound against the f64 map. Throws CheckError naming the column and entry.
 */
function checkMap(label: string, got: ContentMap, ref: ContentMap, F: FeatureMatrix, Y: Float32Array, use: ArrayLike<number>, lambda: number): { eta: number; bound: number } {
  assertFinite(`${label} GPU map`, got.W);
  assertFinite(`${label} f64 map`, ref.W);
  const { d, stride: s } = ref;
  expect(got.d === d && got.stride === s, `${label}: map shape ${got.d} x ${got.stride}, reference ${d} x ${s}`);
  const A = new Float64Array(d * d);
  const Ahat = new Float64Array(d * d);
  for (let q = 0; q < use.length; q++) {
    const f = F.rows.subarray(use[q] * d, (use[q] + 1) * d);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) {
      A[a * d + b] += f[a] * f[b];
      Ahat[a * d + b] += Math.abs(f[a] * f[b]);
    }
  }
  for (let a = 0; a < d; a++) {
    A[a * d + a] += lambda;
    Ahat[a * d + a] += lambda;
  }
  const normAhat = Math.sqrt(Ahat.reduce((t, v) => t + v * v, 0));
  // ‖A⁻¹‖_F from the f64 Cholesky, column by column
  const L = cholesky(A, d);
  expect(L !== null, `${label}: the f64 system is not positive definite`);
  let inv2 = 0;
  for (let a = 0; a < d; a++) {
    const e = new Float64Array(d);
    e[a] = 1;
    for (const v of choleskySolve(L!, e, d)) inv2 += v * v;
  }
  const normInv = Math.sqrt(inv2);
  const bound = 4 * (gamma(use.length + 3) + Math.sqrt(d) * gamma(3 * d + 1));
  let worst = 0;
  for (let c = 0; c < s; c++) {
    const x = Float64Array.from({ length: d }, (_, a) => got.W[a * s + c]);
    const b = new Float64Array(d);
    const bhat = new Float64Array(d);
    for (let q = 0; q < use.length; q++) {
      const i = use[q];
      for (let a = 0; a < d; a++) {
        b[a] += F.rows[i * d + a] * Y[i * s + c];
        bhat[a] += Math.abs(F.rows[i * d + a] * Y[i * s + c]);
      }
    }
    let r2 = 0;
    for (let a = 0; a < d; a++) {
      let v = -b[a];
      for (let t = 0; t < d; t++) v += A[a * d + t] * x[t];
      r2 += v * v;
    }
    const nx = Math.hypot(...x);
    const nb = Math.hypot(...bhat);
    const eta = Math.sqrt(r2) / (normAhat * nx + nb);
    expectBelow(`${label}: column ${c} backward error ‖Ax̂ − b‖ / (‖Â‖‖x̂‖ + ‖b̂‖)`, eta, bound);
    worst = Math.max(worst, eta);
    const fwd = normInv * bound * (normAhat * nx + nb);
    for (let a = 0; a < d; a++) {
      const err = Math.abs(x[a] - ref.W[a * s + c]);
      if (!(err <= fwd)) throw new CheckError(`${label}: W[${a}, ${c}]: GPU ${x[a]} vs f64 ${ref.W[a * s + c]} (|diff| ${err.toExponential(3)} > forward bound ${fwd.toExponential(3)})`);
    }
  }
  return { eta: worst, bound };
}

// d = 8 in both cases (5 genres or occupations + 3): the kernels of a plain rank-8 ALS fit, which
// the ALS cases compile first on the same device (pipelines are cached per device), so these cases
// cost their solves, not a compile.
export const contentCases: GpuCase[] = [
  {
    name: 'content map on the GPU (ALS normal-equation + Cholesky kernels) matches the f64 ridge fit: items, a fitted subset, within the argued backward-error bound',
    async run(gpu) {
      const { F, model } = catalogue(11, 600, 10);
      const rows = Array.from({ length: 600 }, (_, i) => i).filter((i) => i % 7 !== 3); // the items "with ratings"
      for (const lambda of [1, 0.01]) {
        const opts = { rows, lambda };
        const ref = fitContentMap(model, F, opts);
        const got = await fitContentMapGpu(gpu, model, F, opts);
        expect(got.side === 'item' && got.names.join() === ref.names.join(), `lambda ${lambda}: map side ${got.side}, names ${got.names.join()}`);
        const { eta, bound } = checkMap(`items, lambda ${lambda}`, got, ref, F, model.itemFactors, rows, lambda);
        expect(eta > 0, `lambda ${lambda}: a zero residual means nothing was compared`);
        // the check bites: the intercept's weight in one column moved by 1% of that column's norm fails it
        const bad = { ...got, W: got.W.slice() };
        const col = Math.hypot(...Array.from({ length: got.d }, (_, a) => got.W[a * got.stride + 2]));
        bad.W[(got.d - 1) * got.stride + 2] += 1e-2 * col;
        await expectThrows(`lambda ${lambda}: perturbed map (bound ${bound.toExponential(2)})`, () => checkMap('perturbed', bad, ref, F, model.itemFactors, rows, lambda), { name: 'CheckError' });
        const nan = { ...got, W: got.W.slice() };
        nan.W[0] = NaN;
        await expectThrows(`lambda ${lambda}: NaN in the map`, () => checkMap('nan', nan, ref, F, model.itemFactors, rows, lambda), { name: 'CheckError', message: /non-finite/ });
      }
    },
  },
  {
    name: 'content map on the GPU for users (a demographic map: one-hot occupation, gender, scaled age) matches the f64 ridge fit',
    async run(gpu) {
      const rng = new Rng(5);
      const n = 300;
      const occupations = 5;
      const d = occupations + 3;
      const rows = new Float64Array(n * d);
      for (let u = 0; u < n; u++) {
        rows[u * d + rng.int(occupations)] = 1;
        rows[u * d + occupations] = rng.next() < 0.5 ? 1 : 0;
        rows[u * d + occupations + 1] = (18 + rng.int(50) - 35) / 15;
        rows[u * d + occupations + 2] = 1;
      }
      const F: FeatureMatrix = { rows, n, d, names: [...Array.from({ length: occupations }, (_, k) => `occ${k}`), 'female', 'age', 'intercept'] };
      const stride = 8 + 2;
      const userFactors = Float32Array.from({ length: n * stride }, (_, e) => (e % stride === 8 + 1 ? 1 : rows[Math.floor(e / stride) * d + (e % d)] * 0.4 + rng.normal() * 0.3));
      const model: ContentModel = { itemFactors: new Float32Array(stride), userFactors, nItems: 1, nUsers: n, stride };
      const ref = fitContentMap(model, F, { side: 'user', lambda: 0.5 });
      const got = await fitContentMapGpu(gpu, model, F, { side: 'user', lambda: 0.5 });
      expect(got.side === 'user', `side ${got.side}`);
      checkMap('users', got, ref, F, userFactors, Array.from({ length: n }, (_, u) => u), 0.5);
      await expectThrows('a rows index past the users', () => fitContentMapGpu(gpu, model, F, { side: 'user', rows: [0, n] }), { name: 'InputError', message: /rows\[1\]/ });
    },
  },
];
