/**
 * CPU reference for SGD and full-batch GD, in two precisions:
 *  - f32 (`*F32`): replays the GPU kernels' arithmetic in the GPU's order, rounding to f32
 *    (Math.fround) after every operation, so a deterministic GPU run (stratified SGD, GD) can be
 *    compared within a few ULP. This is also the CPU engine's update (src/train/sgd/cpu-backend.ts).
 *  - f64 (`*F64`): the plain formulas, for checks against exact arithmetic.
 * Factor layout as in src/core/layout.ts: stride = rank, or rank + 2 with user [w, b_u, 1] and
 * item [h, 1, b_i].
 */
import type { Ratings } from '../data/ratings.ts';
import { adagradLead, strideOf } from '../core/layout.ts';
import type { GdViews } from '../core/sparse.ts';

export { ADAGRAD_LEAD, adagradLead } from '../core/layout.ts';
export { gdViews, type GdViews } from '../core/sparse.ts';

const f = Math.fround;

export interface SgdStepParams {
  rank: number;
  bias: boolean;
  mu: number;
  lr: number;
  lambda: number;
  lambdaBias: number;
  /** Lanes per rating in the GPU kernel (sets the dot product's summation order). */
  lanes: number;
  /**
   * LIBMF's per-row adaptive rate: two accumulators per user and per item (GU[2u], GU[2u + 1];
   * all start at 1), one for the lead columns [0, lead) plus the biases, one for the rest [lead, rank).
   * `leadOnly` (LIBMF's first epoch) updates only the lead columns and the biases.
   */
  adagrad?: AdagradState;
}

export interface AdagradState {
  GU: Float32Array;
  GI: Float32Array;
  lead: number;
  leadOnly?: boolean;
}

/** Fresh accumulators (all 1, as LIBMF starts them) for `nUsers` and `nItems` rows. */
export function adagradState(nUsers: number, nItems: number, rank: number): AdagradState {
  return { GU: new Float32Array(2 * nUsers).fill(1), GI: new Float32Array(2 * nItems).fill(1), lead: adagradLead(rank) };
}

/**
 * One SGD update on rating (u, i, a), in place, in exactly the GPU kernel's order, f32: with one
 * lane shaders/sgd.wgsl (sgdUpdateF32Fused), with more shaders/sgd_lanes.wgsl.
 * Returns the error e (before the update).
 */
export function sgdUpdateF32(X: Float32Array, Y: Float32Array, u: number, i: number, a: number, p: SgdStepParams): number {
  if (p.lanes === 1) return sgdUpdateF32Fused(X, Y, u, i, a, p);
  const { rank, bias, lanes } = p;
  const S = strideOf(rank, bias);
  const xu = u * S;
  const yi = i * S;
  let tot = 0;
  for (let l = 0; l < lanes; l++) {
    let s = 0;
    for (let k = l; k < rank; k += lanes) s = f(s + f(X[xu + k] * Y[yi + k]));
    if (l === 0 && bias) {
      s = f(s + X[xu + rank]);
      s = f(s + Y[yi + rank + 1]);
    }
    tot = f(tot + s);
  }
  const lr = f(p.lr);
  const lam = f(p.lambda);
  const lamB = f(p.lambdaBias);
  const ag = p.adagrad;
  // Rates of the lead group (U0, I0) and of the rest (U1, I1); one group without ADAGRAD.
  let lrU0 = lr;
  let lrI0 = lr;
  let lrU1 = lr;
  let lrI1 = lr;
  const lead = ag ? ag.lead : rank;
  const kEnd = ag?.leadOnly ? lead : rank;
  if (ag) {
    lrU0 = f(lr / f(Math.sqrt(ag.GU[2 * u])));
    lrI0 = f(lr / f(Math.sqrt(ag.GI[2 * i])));
    lrU1 = f(lr / f(Math.sqrt(ag.GU[2 * u + 1])));
    lrI1 = f(lr / f(Math.sqrt(ag.GI[2 * i + 1])));
  }
  const e = f(f(a) - f(f(p.mu) + tot));
  let tU0 = 0;
  let tI0 = 0;
  let tU1 = 0;
  let tI1 = 0;
  for (let l = 0; l < lanes; l++) {
    let su0 = 0;
    let si0 = 0;
    let su1 = 0;
    let si1 = 0;
    for (let k = l; k < kEnd; k += lanes) {
      const w = X[xu + k];
      const h = Y[yi + k];
      const gw = f(f(e * h) - f(lam * w));
      const gh = f(f(e * w) - f(lam * h));
      if (k < lead) {
        X[xu + k] = f(w + f(lrU0 * gw));
        Y[yi + k] = f(h + f(lrI0 * gh));
        su0 = f(su0 + f(gw * gw));
        si0 = f(si0 + f(gh * gh));
      } else {
        X[xu + k] = f(w + f(lrU1 * gw));
        Y[yi + k] = f(h + f(lrI1 * gh));
        su1 = f(su1 + f(gw * gw));
        si1 = f(si1 + f(gh * gh));
      }
    }
    if (l === 0 && bias) {
      const bu = X[xu + rank];
      const bi = Y[yi + rank + 1];
      const gbu = f(e - f(lamB * bu));
      const gbi = f(e - f(lamB * bi));
      X[xu + rank] = f(bu + f(lrU0 * gbu));
      Y[yi + rank + 1] = f(bi + f(lrI0 * gbi));
      su0 = f(su0 + f(gbu * gbu));
      si0 = f(si0 + f(gbi * gbi));
    }
    tU0 = f(tU0 + su0);
    tI0 = f(tI0 + si0);
    tU1 = f(tU1 + su1);
    tI1 = f(tI1 + si1);
  }
  if (ag) {
    const K0 = bias ? lead + 1 : lead;
    ag.GU[2 * u] = f(ag.GU[2 * u] + f(tU0 / K0));
    ag.GI[2 * i] = f(ag.GI[2 * i] + f(tI0 / K0));
    if (lead < rank && !ag.leadOnly) {
      const K1 = rank - lead;
      ag.GU[2 * u + 1] = f(ag.GU[2 * u + 1] + f(tU1 / K1));
      ag.GI[2 * i + 1] = f(ag.GI[2 * i + 1] + f(tI1 / K1));
    }
  }
  return e;
}

/**
 * WGSL's fma(a, b, c) in f32 as the software adapter computes it: the product rounded to f32, then
 * the sum (WGSL lets fma inherit the accuracy of a * b + c; SwiftShader rounds twice, and this
 * replay then matches its stratified runs bit for bit). A hardware GPU fuses the two (one
 * rounding): the two differ by at most 1 u of the result per fma, which the comparisons'
 * tolerances allow for.
 */
const fma32 = (a: number, b: number, c: number): number => f(f(a * b) + c);

/**
 * The update of shaders/sgd.wgsl (one invocation per rating), f32, in its order: the dot product as
 * one fma chain over every column of the stride (the bias columns meet the other side's constant 1,
 * so this adds b_u then b_i); per column gw = fma(e, h, -(lambda w)), w' = fma(rate, gw, w), the
 * constant-1 columns kept; the squared-gradient sums column by column.
 */
export function sgdUpdateF32Fused(X: Float32Array, Y: Float32Array, u: number, i: number, a: number, p: SgdStepParams): number {
  const { rank, bias } = p;
  const S = strideOf(rank, bias);
  const xu = u * S;
  const yi = i * S;
  let s = 0;
  for (let c = 0; c < S; c++) s = fma32(X[xu + c], Y[yi + c], s);
  const e = f(f(a) - f(f(p.mu) + s));
  const lr = f(p.lr);
  const lam = f(p.lambda);
  const lamB = f(p.lambdaBias);
  const ag = p.adagrad;
  const lead = ag ? ag.lead : rank;
  const leadOnly = !!ag?.leadOnly;
  // [lead, rest] rates and squared-gradient sums of the user row and of the item row
  const ru = [lr, lr];
  const ri = [lr, lr];
  if (ag) {
    for (const g of [0, 1]) {
      ru[g] = f(lr / f(Math.sqrt(ag.GU[2 * u + g])));
      ri[g] = f(lr / f(Math.sqrt(ag.GI[2 * i + g])));
    }
  }
  const tu = [0, 0];
  const ti = [0, 0];
  for (let c = 0; c < S; c++) {
    const fac = c < rank;
    const g = c < lead || !fac ? 0 : 1;
    const on = g === 0 || !leadOnly;
    const updU = (fac || c === rank) && on;
    const updI = (fac || c === rank + 1) && on;
    const l = fac ? lam : lamB;
    const w = X[xu + c];
    const h = Y[yi + c];
    const gw = fma32(e, h, -f(l * w));
    const gh = fma32(e, w, -f(l * h));
    if (updU) {
      X[xu + c] = fma32(ru[g], gw, w);
      tu[g] = f(tu[g] + f(gw * gw));
    }
    if (updI) {
      Y[yi + c] = fma32(ri[g], gh, h);
      ti[g] = f(ti[g] + f(gh * gh));
    }
  }
  if (ag) {
    const K0 = bias ? lead + 1 : lead;
    ag.GU[2 * u] = f(ag.GU[2 * u] + f(tu[0] / K0));
    ag.GI[2 * i] = f(ag.GI[2 * i] + f(ti[0] / K0));
    if (lead < rank && !leadOnly) {
      const K1 = rank - lead;
      ag.GU[2 * u + 1] = f(ag.GU[2 * u + 1] + f(tu[1] / K1));
      ag.GI[2 * i + 1] = f(ag.GI[2 * i + 1] + f(ti[1] / K1));
    }
  }
  return e;
}

/** The same update in f64 (no rounding between operations; stores round only if X, Y are f32). */
export function sgdUpdateF64(X: Float64Array | Float32Array, Y: Float64Array | Float32Array, u: number, i: number, a: number, p: SgdStepParams): number {
  const { rank, bias } = p;
  const S = strideOf(rank, bias);
  const xu = u * S;
  const yi = i * S;
  let pred = p.mu;
  for (let c = 0; c < S; c++) pred += X[xu + c] * Y[yi + c];
  const e = a - pred;
  const ag = p.adagrad;
  const lead = ag ? ag.lead : rank;
  const kEnd = ag?.leadOnly ? lead : rank;
  // [user, item] rates and squared-gradient sums of the lead group (0) and the rest (1).
  const lr = [[p.lr, p.lr], [p.lr, p.lr]];
  if (ag) {
    for (const g of [0, 1]) lr[g] = [p.lr / Math.sqrt(ag.GU[2 * u + g]), p.lr / Math.sqrt(ag.GI[2 * i + g])];
  }
  const t = [[0, 0], [0, 0]];
  for (let k = 0; k < kEnd; k++) {
    const g = k < lead ? 0 : 1;
    const w = X[xu + k];
    const h = Y[yi + k];
    const gw = e * h - p.lambda * w;
    const gh = e * w - p.lambda * h;
    X[xu + k] = w + lr[g][0] * gw;
    Y[yi + k] = h + lr[g][1] * gh;
    t[g][0] += gw * gw;
    t[g][1] += gh * gh;
  }
  if (bias) {
    const gbu = e - p.lambdaBias * X[xu + rank];
    const gbi = e - p.lambdaBias * Y[yi + rank + 1];
    X[xu + rank] += lr[0][0] * gbu;
    Y[yi + rank + 1] += lr[0][1] * gbi;
    t[0][0] += gbu * gbu;
    t[0][1] += gbi * gbi;
  }
  if (ag) {
    const K0 = bias ? lead + 1 : lead;
    ag.GU[2 * u] += t[0][0] / K0;
    ag.GI[2 * i] += t[0][1] / K0;
    if (lead < rank && !ag.leadOnly) {
      ag.GU[2 * u + 1] += t[1][0] / (rank - lead);
      ag.GI[2 * i + 1] += t[1][1] / (rank - lead);
    }
  }
  return e;
}

export interface GdParams {
  rank: number;
  bias: boolean;
  mu: number;
  lr: number;
  lambda: number;
  lambdaBias: number;
}

/**
 * One full-batch GD step in f32, in the order of shaders/gd.wgsl: residuals from the old factors,
 * then X' and Y' from the old X, Y (simultaneous). Writes the new factors into X, Y.
 */
export function gdStepF32(v: GdViews, X: Float32Array, Y: Float32Array, p: GdParams): void {
  const S = strideOf(p.rank, p.bias);
  const n = v.vals.length;
  const E = new Float32Array(n);
  const mu = f(p.mu);
  for (let q = 0; q < n; q++) {
    const xu = v.rowOf[q] * S;
    const yi = v.userCols[q] * S;
    let s = mu;
    for (let c = 0; c < S; c++) s = f(s + f(X[xu + c] * Y[yi + c]));
    E[q] = f(v.vals[q] - s);
  }
  const lr = f(p.lr);
  const lam = f(p.lambda);
  const lamB = f(p.lambdaBias);
  const side = (nRows: number, ptr: Uint32Array, cols: Uint32Array, map: Uint32Array | null, Old: Float32Array, Other: Float32Array, constCol: number) => {
    const New = new Float32Array(Old.length);
    for (let r = 0; r < nRows; r++) {
      for (let c = 0; c < S; c++) {
        const at = r * S + c;
        if (c === constCol) {
          New[at] = 1;
          continue;
        }
        let g = 0;
        for (let q = ptr[r]; q < ptr[r + 1]; q++) g = f(g + f(E[map ? map[q] : q] * Other[cols[q] * S + c]));
        const x = Old[at];
        const l = c >= p.rank ? lamB : lam;
        New[at] = f(x + f(lr * f(g - f(l * x))));
      }
    }
    return New;
  };
  const nX = side(v.nUsers, v.userPtr, v.userCols, null, X, Y, p.bias ? p.rank + 1 : -1);
  const nY = side(v.nItems, v.itemPtr, v.itemCols, v.map, Y, X, p.bias ? p.rank : -1);
  X.set(nX);
  Y.set(nY);
}

/** The same step in f64 (X, Y are f64 copies). */
export function gdStepF64(v: GdViews, X: Float64Array, Y: Float64Array, p: GdParams): void {
  const S = strideOf(p.rank, p.bias);
  const n = v.vals.length;
  const E = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    let s = p.mu;
    for (let c = 0; c < S; c++) s += X[v.rowOf[q] * S + c] * Y[v.userCols[q] * S + c];
    E[q] = v.vals[q] - s;
  }
  const GX = new Float64Array(X.length);
  const GY = new Float64Array(Y.length);
  for (let q = 0; q < n; q++) {
    const u = v.rowOf[q];
    const i = v.userCols[q];
    for (let c = 0; c < S; c++) {
      GX[u * S + c] += E[q] * Y[i * S + c];
      GY[i * S + c] += E[q] * X[u * S + c];
    }
  }
  const upd = (M: Float64Array, G: Float64Array, constCol: number) => {
    for (let at = 0; at < M.length; at++) {
      const c = at % S;
      if (c === constCol) continue;
      M[at] += p.lr * (G[at] - (c >= p.rank ? p.lambdaBias : p.lambda) * M[at]);
    }
  };
  upd(X, GX, p.bias ? p.rank + 1 : -1);
  upd(Y, GY, p.bias ? p.rank : -1);
}
