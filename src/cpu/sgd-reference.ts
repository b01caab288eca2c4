/**
 * CPU reference for SGD and full-batch GD, in two precisions:
 *  - f32 (`*F32`): replays the GPU kernels' arithmetic in the GPU's order, rounding to f32
 *    (Math.fround) after every operation, so a deterministic GPU run (stratified SGD, GD) can be
 *    compared within a few ULP. This is also the CPU engine's update (src/sgd/cpu-backend.ts).
 *  - f64 (`*F64`): the plain formulas, for checks against exact arithmetic.
 * Factor layout as in src/cpu/reference.ts: stride = rank, or rank + 2 with user [w, b_u, 1] and
 * item [h, 1, b_i].
 */
import type { Ratings } from '../data/ratings.ts';

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
  /** LIBMF's per-row adaptive rate: accumulators per user and per item (start at 1). */
  adagrad?: { GU: Float32Array; GI: Float32Array };
}

export const strideFor = (rank: number, bias: boolean): number => (bias ? rank + 2 : rank);

/**
 * One SGD update on rating (u, i, a), in place, in exactly the order of shaders/sgd.wgsl, f32.
 * Returns the error e (before the update).
 */
export function sgdUpdateF32(X: Float32Array, Y: Float32Array, u: number, i: number, a: number, p: SgdStepParams): number {
  const { rank, bias, lanes } = p;
  const S = strideFor(rank, bias);
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
  let lrU = lr;
  let lrI = lr;
  const ag = p.adagrad;
  if (ag) {
    lrU = f(lr / f(Math.sqrt(ag.GU[u])));
    lrI = f(lr / f(Math.sqrt(ag.GI[i])));
  }
  const e = f(f(a) - f(f(p.mu) + tot));
  let tU = 0;
  let tI = 0;
  for (let l = 0; l < lanes; l++) {
    let su = 0;
    let si = 0;
    for (let k = l; k < rank; k += lanes) {
      const w = X[xu + k];
      const h = Y[yi + k];
      const gw = f(f(e * h) - f(lam * w));
      const gh = f(f(e * w) - f(lam * h));
      X[xu + k] = f(w + f(lrU * gw));
      Y[yi + k] = f(h + f(lrI * gh));
      su = f(su + f(gw * gw));
      si = f(si + f(gh * gh));
    }
    if (l === 0 && bias) {
      const bu = X[xu + rank];
      const bi = Y[yi + rank + 1];
      const gbu = f(e - f(lamB * bu));
      const gbi = f(e - f(lamB * bi));
      X[xu + rank] = f(bu + f(lrU * gbu));
      Y[yi + rank + 1] = f(bi + f(lrI * gbi));
      su = f(su + f(gbu * gbu));
      si = f(si + f(gbi * gbi));
    }
    tU = f(tU + su);
    tI = f(tI + si);
  }
  if (ag) {
    const K = bias ? rank + 1 : rank;
    ag.GU[u] = f(ag.GU[u] + f(tU / K));
    ag.GI[i] = f(ag.GI[i] + f(tI / K));
  }
  return e;
}

/** The same update in f64 (no rounding between operations; stores round only if X, Y are f32). */
export function sgdUpdateF64(X: Float64Array | Float32Array, Y: Float64Array | Float32Array, u: number, i: number, a: number, p: SgdStepParams): number {
  const { rank, bias } = p;
  const S = strideFor(rank, bias);
  const xu = u * S;
  const yi = i * S;
  let pred = p.mu;
  for (let c = 0; c < S; c++) pred += X[xu + c] * Y[yi + c];
  const e = a - pred;
  let lrU = p.lr;
  let lrI = p.lr;
  if (p.adagrad) {
    lrU = p.lr / Math.sqrt(p.adagrad.GU[u]);
    lrI = p.lr / Math.sqrt(p.adagrad.GI[i]);
  }
  let tU = 0;
  let tI = 0;
  for (let k = 0; k < rank; k++) {
    const w = X[xu + k];
    const h = Y[yi + k];
    const gw = e * h - p.lambda * w;
    const gh = e * w - p.lambda * h;
    X[xu + k] = w + lrU * gw;
    Y[yi + k] = h + lrI * gh;
    tU += gw * gw;
    tI += gh * gh;
  }
  if (bias) {
    const gbu = e - p.lambdaBias * X[xu + rank];
    const gbi = e - p.lambdaBias * Y[yi + rank + 1];
    X[xu + rank] += lrU * gbu;
    Y[yi + rank + 1] += lrI * gbi;
    tU += gbu * gbu;
    tI += gbi * gbi;
  }
  if (p.adagrad) {
    const K = bias ? rank + 1 : rank;
    p.adagrad.GU[u] += tU / K;
    p.adagrad.GI[i] += tI / K;
  }
  return e;
}

/**
 * The two sparse views full-batch GD sums over: CSR by user (rowOf/cols/vals per entry) and CSC
 * by item whose entries point back to their CSR position (`map`), in CSR order within each item.
 */
export interface GdViews {
  nUsers: number;
  nItems: number;
  userPtr: Uint32Array;
  /** Item of each CSR entry. */
  userCols: Uint32Array;
  /** User of each CSR entry. */
  rowOf: Uint32Array;
  vals: Float32Array;
  itemPtr: Uint32Array;
  /** User of each CSC entry. */
  itemCols: Uint32Array;
  /** CSR position of each CSC entry. */
  map: Uint32Array;
}

export function gdViews(r: Ratings): GdViews {
  const n = r.values.length;
  const userPtr = new Uint32Array(r.nUsers + 1);
  for (let k = 0; k < n; k++) userPtr[r.users[k] + 1]++;
  for (let u = 0; u < r.nUsers; u++) userPtr[u + 1] += userPtr[u];
  const nextU = userPtr.slice(0, r.nUsers);
  const userCols = new Uint32Array(n);
  const rowOf = new Uint32Array(n);
  const vals = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const p = nextU[r.users[k]]++;
    userCols[p] = r.items[k];
    rowOf[p] = r.users[k];
    vals[p] = r.values[k];
  }
  const itemPtr = new Uint32Array(r.nItems + 1);
  for (let p = 0; p < n; p++) itemPtr[userCols[p] + 1]++;
  for (let i = 0; i < r.nItems; i++) itemPtr[i + 1] += itemPtr[i];
  const nextI = itemPtr.slice(0, r.nItems);
  const itemCols = new Uint32Array(n);
  const map = new Uint32Array(n);
  for (let p = 0; p < n; p++) {
    const q = nextI[userCols[p]]++;
    itemCols[q] = rowOf[p];
    map[q] = p;
  }
  return { nUsers: r.nUsers, nItems: r.nItems, userPtr, userCols, rowOf, vals, itemPtr, itemCols, map };
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
  const S = strideFor(p.rank, p.bias);
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
  const S = strideFor(p.rank, p.bias);
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
