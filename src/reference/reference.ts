/**
 * The f64 CPU reference: plain, readable implementations of every kernel the engines use.
 * Every GPU result is checked against these; they are also the CPU backend.
 *
 * Factor layout: src/core/layout.ts.
 */
import type { Csr } from '../data/ratings.ts';
import { colOf, layoutOf, maxAbs, singularError, type SolveSpec } from '../core/layout.ts';

// The layout lives in core/layout.ts; re-exported for the callers that read the reference as a whole.
export { colOf, layoutOf, maxAbs, singularError, strideOf, type SolveLayout, type SolveSpec } from '../core/layout.ts';

export type Vec = Float64Array | Float32Array;

/** Y^T Y over the K solve columns of Y (implicit ALS's shared Gram). Full symmetric K x K. */
export function gramOfColumns(Y: Vec, nRows: number, spec: SolveSpec): Float64Array {
  const L = layoutOf(spec);
  const G = new Float64Array(L.K * L.K);
  for (let j = 0; j < nRows; j++) {
    for (let a = 0; a < L.K; a++) {
      const ya = Y[j * L.stride + colOf(a, spec.rank, L)];
      for (let b = 0; b < L.K; b++) G[a * L.K + b] += ya * Y[j * L.stride + colOf(b, spec.rank, L)];
    }
  }
  return G;
}

/**
 * Normal equations of one row: A = sum_j w_j y_j y_j^T (+ base) + diag(lambda), b = sum_j t_j y_j.
 * Full symmetric A (K x K).
 */
export function normalEquations(
  csr: Csr,
  row: number,
  Y: Vec,
  spec: SolveSpec,
  base?: Float64Array,
): { A: Float64Array; b: Float64Array; n: number } {
  const L = layoutOf(spec);
  const { K, stride } = L;
  const A = new Float64Array(K * K);
  const b = new Float64Array(K);
  const y = new Float64Array(K);
  const p0 = csr.indptr[row];
  const p1 = csr.indptr[row + 1];
  for (let p = p0; p < p1; p++) {
    const j = csr.indices[p];
    const v = csr.values[p];
    for (let t = 0; t < K; t++) y[t] = Y[j * stride + colOf(t, spec.rank, L)];
    let w = 1;
    let target = v - spec.mu;
    if (spec.implicit) {
      w = spec.implicit.alpha * v;
      target = v > 0 ? 1 + spec.implicit.alpha * v : 0;
    } else if (spec.bias) {
      target -= Y[j * stride + L.yBias];
    }
    for (let a = 0; a < K; a++) {
      b[a] += target * y[a];
      for (let c = 0; c < K; c++) A[a * K + c] += w * y[a] * y[c];
    }
  }
  const n = p1 - p0;
  const scale = spec.weighted ? n : 1;
  if (base) for (let e = 0; e < K * K; e++) A[e] += base[e];
  for (let a = 0; a < K; a++) A[a * K + a] += (a < spec.rank ? spec.lambda : spec.lambdaBias) * scale;
  return { A, b, n };
}

/**
 * Cholesky A = L L^T (lower L, row-major, K x K). Returns null when a pivot is not positive
 * relative to its original diagonal (tol: 1e-12 here in f64; the f32 GPU kernels use 1e-5).
 */
export function cholesky(A: Float64Array, K: number, tol = 1e-12): Float64Array | null {
  const Lm = new Float64Array(K * K);
  for (let j = 0; j < K; j++) {
    let d = A[j * K + j];
    for (let k = 0; k < j; k++) d -= Lm[j * K + k] * Lm[j * K + k];
    if (!(d > tol * A[j * K + j]) || !Number.isFinite(d)) return null;
    const ljj = Math.sqrt(d);
    Lm[j * K + j] = ljj;
    for (let i = j + 1; i < K; i++) {
      let s = A[i * K + j];
      for (let k = 0; k < j; k++) s -= Lm[i * K + k] * Lm[j * K + k];
      Lm[i * K + j] = s / ljj;
    }
  }
  return Lm;
}

/** Solves L L^T x = b. */
export function choleskySolve(Lm: Float64Array, b: Float64Array, K: number): Float64Array {
  const y = new Float64Array(K);
  for (let i = 0; i < K; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= Lm[i * K + k] * y[k];
    y[i] = s / Lm[i * K + i];
  }
  const x = new Float64Array(K);
  for (let i = K - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < K; k++) s -= Lm[k * K + i] * x[k];
    x[i] = s / Lm[i * K + i];
  }
  return x;
}

/**
 * Solves every row of `csr` into X (stride layout), with Y fixed. Rows without ratings get zeros.
 * A singular row throws SingularSystemError.
 */
export function solveSide(csr: Csr, X: Vec, Y: Vec, spec: SolveSpec, base?: Float64Array): void {
  const L = layoutOf(spec);
  for (let row = 0; row < csr.nRows; row++) {
    const n = csr.indptr[row + 1] - csr.indptr[row];
    let x: Float64Array;
    if (n === 0) {
      x = new Float64Array(L.K);
    } else {
      const { A, b } = normalEquations(csr, row, Y, spec, base);
      const Lm = cholesky(A, L.K);
      if (!Lm) throw singularError(spec, row, n, 1, { maxAbs: Math.max(maxAbs(A), maxAbs(b)), maxRating: maxAbs(csr.values.subarray(csr.indptr[row], csr.indptr[row + 1])) });
      x = choleskySolve(Lm, b, L.K);
    }
    for (let t = 0; t < L.K; t++) X[row * L.stride + colOf(t, spec.rank, L)] = x[t];
  }
}

/** mu + x_u . y_i over the full factor rows. */
export function predictOne(X: Vec, u: number, Y: Vec, i: number, stride: number, mu = 0): number {
  let s = mu;
  for (let c = 0; c < stride; c++) s += X[u * stride + c] * Y[i * stride + c];
  return s;
}

export interface ResidualStats {
  sse: number;
  sae: number;
  n: number;
  rmse: number;
  mae: number;
}

/** Residual statistics over observed ratings. */
export function residuals(
  users: Int32Array,
  items: Int32Array,
  values: Float32Array,
  X: Vec,
  Y: Vec,
  stride: number,
  mu = 0,
): ResidualStats {
  let sse = 0;
  let sae = 0;
  const n = values.length;
  for (let k = 0; k < n; k++) {
    const e = values[k] - predictOne(X, users[k], Y, items[k], stride, mu);
    sse += e * e;
    sae += Math.abs(e);
  }
  return { sse, sae, n, rmse: n ? Math.sqrt(sse / n) : 0, mae: n ? sae / n : 0 };
}

/**
 * One SGD step on one rating (the source's rule): e = a - w.h,
 * w <- w + lr (e h - lambda w), h <- h + lr (e w_old - lambda h). In place; returns e.
 */
export function sgdStep(w: Vec, h: Vec, a: number, lr: number, lambda = 0): number {
  const r = w.length;
  let p = 0;
  for (let k = 0; k < r; k++) p += w[k] * h[k];
  const e = a - p;
  for (let k = 0; k < r; k++) {
    const wk = w[k];
    w[k] = wk + lr * (e * h[k] - lambda * wk);
    h[k] = h[k] + lr * (e * wk - lambda * h[k]);
  }
  return e;
}

/**
 * Matrix-free conjugate gradient for one row (f64), warm-started from x (in place), `steps` steps:
 * the reference for shaders/cg.wgsl. Same A and b as normalEquations.
 */
export function cgSolveRow(csr: Csr, row: number, Y: Vec, spec: SolveSpec, x: Float64Array, steps: number, base?: Float64Array): void {
  const { A, b } = normalEquations(csr, row, Y, spec, base);
  const K = x.length;
  const mv = (v: Float64Array) => {
    const o = new Float64Array(K);
    for (let i = 0; i < K; i++) {
      let s = 0;
      for (let j = 0; j < K; j++) s += A[i * K + j] * v[j];
      o[i] = s;
    }
    return o;
  };
  const dot = (a: Float64Array, c: Float64Array) => a.reduce((s, v, i) => s + v * c[i], 0);
  const ax = mv(x);
  const r = b.map((v, i) => v - ax[i]);
  const p = r.slice();
  let rs = dot(r, r);
  for (let s = 0; s < steps; s++) {
    const ap = mv(p);
    const pap = dot(p, ap);
    const a = pap > 0 && rs > 0 ? rs / pap : 0;
    for (let i = 0; i < K; i++) {
      x[i] += a * p[i];
      r[i] -= a * ap[i];
    }
    const rsn = dot(r, r);
    const beta = rs > 0 ? rsn / rs : 0;
    for (let i = 0; i < K; i++) p[i] = r[i] + beta * p[i];
    rs = rsn;
  }
}

/** Full S x S Gram A^T B of row-major n x S matrices (f64), rows optionally weighted. */
export function gram(A: Vec, B: Vec, n: number, S: number, weights?: ArrayLike<number>): Float64Array {
  const G = new Float64Array(S * S);
  for (let r = 0; r < n; r++) {
    const w = weights ? weights[r] : 1;
    for (let i = 0; i < S; i++) {
      const a = A[r * S + i] * w;
      if (a === 0) continue;
      for (let j = 0; j < S; j++) G[i * S + j] += a * B[r * S + j];
    }
  }
  return G;
}

/** tr(G1 G2) for S x S matrices. */
export function traceProduct(G1: Float64Array, G2: Float64Array, S: number): number {
  let t = 0;
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) t += G1[i * S + j] * G2[j * S + i];
  return t;
}

/**
 * ||W H^T - W' H'^T||_F^2 (prediction matrices, factors as rows) without forming them, written as
 * W D_H^T + D_W H'^T with D = new - old, so every term is small near convergence (no cancellation):
 * tr(W^T W . D_H^T D_H) + 2 tr(W^T D_W . H'^T D_H) + tr(D_W^T D_W . H'^T H').
 * Algebraically equal to tr(W^TW.H^TH) - 2 tr(W^TW'.H'^TH) + tr(W'^TW'.H'^TH').
 */
export function factorDeltaSquared(W: Vec, Wp: Vec, H: Vec, Hp: Vec, nU: number, nI: number, S: number): number {
  const dW = Float64Array.from(W, (v, i) => v - Wp[i]);
  const dH = Float64Array.from(H, (v, i) => v - Hp[i]);
  return (
    traceProduct(gram(W, W, nU, S), gram(dH, dH, nI, S), S) +
    2 * traceProduct(gram(W, dW, nU, S), gram(Hp, dH, nI, S), S) +
    traceProduct(gram(dW, dW, nU, S), gram(Hp, Hp, nI, S), S)
  );
}
