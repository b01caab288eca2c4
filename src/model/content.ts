/**
 * Content-based cold start: a ridge map from side features to factor rows, so that an item (or a
 * user) nobody has rated yet gets factors and biases from its metadata.
 *
 *   features F (n x d, one row per item: genre indicators, scaled release year, a missing-year
 *   flag and an intercept), factor rows Y (n x s, the model's full item rows, biases included)
 *   W = argmin ‖F W − Y‖² + λ‖W‖²  =  (FᵀF + λI)⁻¹ FᵀY     (d x s, f64, Cholesky)
 *   a new item with features f gets the row fᵀW (the constant column set back to 1).
 *
 * The same map works for users with any user feature matrix (e.g. ml-100k's u.user age, gender,
 * occupation one-hot): pass the model's user rows as the targets (`side: 'user'`). d is small (tens),
 * so the fit is one d x d system with s right-hand sides; the heavy products FᵀF and FᵀY are O(n·d·s).
 * This is the f64 CPU path; fitContentMapGpu (content-gpu.ts) solves the same system on the GPU with
 * ALS's normal-equation and Cholesky kernels, and test/gpu/cases-content.ts compares the two.
 */
import { InputError } from '../core/errors.ts';
import type { ItemMeta } from '../data/dataset.ts';
import { cholesky, choleskySolve } from '../reference/reference.ts';
import type { Model } from './model.ts';

export interface FeatureMatrix {
  /** n x d, row-major. */
  rows: Float64Array;
  n: number;
  d: number;
  names: string[];
}

export interface ContentMap {
  side: 'item' | 'user';
  /** d x stride, row-major. */
  W: Float64Array;
  d: number;
  stride: number;
  names: string[];
}

/** Genre indicators, (year − 1990) / 20, a missing-year flag and an intercept, per item. */
export function itemFeatures(meta: ItemMeta, genreList?: string[]): FeatureMatrix {
  const n = meta.titles.length;
  const genres = genreList ?? [...new Set((meta.genres ?? []).flat())].sort();
  const gi = new Map(genres.map((g, j) => [g, j]));
  const d = genres.length + 3;
  const rows = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (const g of meta.genres?.[i] ?? []) {
      const j = gi.get(g);
      if (j !== undefined) rows[i * d + j] = 1;
    }
    const y = meta.years?.[i];
    if (y !== undefined && Number.isFinite(y)) rows[i * d + genres.length] = (y - 1990) / 20;
    else rows[i * d + genres.length + 1] = 1;
    rows[i * d + genres.length + 2] = 1;
  }
  return { rows, n, d, names: [...genres, 'year', 'no year', 'intercept'] };
}

/**
 * Fits W on the rows listed in `rows` (e.g. the items that have ratings) of the model's factors.
 * `lambda` regularizes W (default 1; features are 0/1 or O(1) scaled).
 */
export interface ContentMapOptions {
  side?: 'item' | 'user';
  lambda?: number;
  rows?: ArrayLike<number>;
}

/** The model fields a content map reads. */
export type ContentModel = Pick<Model, 'itemFactors' | 'userFactors' | 'nItems' | 'nUsers' | 'stride'>;

/** The checked inputs of a content-map fit (shared by the CPU path here and the GPU one, content-gpu.ts). */
export function contentInputs(model: ContentModel, features: FeatureMatrix, opts: ContentMapOptions): { side: 'item' | 'user'; Y: Float32Array; lambda: number; use: ArrayLike<number> } {
  const side = opts.side ?? 'item';
  const Y = side === 'item' ? model.itemFactors : model.userFactors;
  const nRows = side === 'item' ? model.nItems : model.nUsers;
  if (features.n !== nRows) throw new InputError(`content map: ${features.n} feature rows for ${nRows} ${side}s`);
  if (!(Number.isInteger(features.d) && features.d >= 1) || features.rows.length !== features.n * features.d) throw new InputError(`content map: ${features.rows.length} feature values for ${features.n} x ${features.d}`);
  const lambda = opts.lambda ?? 1;
  if (!(Number.isFinite(lambda) && lambda > 0)) throw new InputError(`content map: lambda must be > 0, got ${lambda}`);
  for (let e = 0; e < features.rows.length; e++) if (!Number.isFinite(features.rows[e])) throw new InputError(`content map: feature row ${Math.floor(e / features.d)} column ${e % features.d} is ${features.rows[e]}`);
  const use = opts.rows ?? Array.from({ length: nRows }, (_, i) => i);
  if (use.length === 0) throw new InputError('content map: no rows to fit on');
  for (let q = 0; q < use.length; q++) if (!(Number.isInteger(use[q]) && use[q] >= 0 && use[q] < nRows)) throw new InputError(`content map: rows[${q}] = ${use[q]} is not a ${side} index below ${nRows}`);
  return { side, Y, lambda, use };
}

export function fitContentMap(model: ContentModel, features: FeatureMatrix, opts: ContentMapOptions = {}): ContentMap {
  const { side, Y, lambda, use } = contentInputs(model, features, opts);
  const { d } = features;
  const s = model.stride;
  const A = new Float64Array(d * d);
  const B = new Float64Array(d * s);
  for (let q = 0; q < use.length; q++) {
    const i = use[q];
    const f = features.rows.subarray(i * d, (i + 1) * d);
    for (let a = 0; a < d; a++) {
      if (f[a] === 0) continue;
      for (let b = 0; b < d; b++) A[a * d + b] += f[a] * f[b];
      for (let c = 0; c < s; c++) B[a * s + c] += f[a] * Y[i * s + c];
    }
  }
  for (let a = 0; a < d; a++) A[a * d + a] += lambda;
  const L = cholesky(A, d);
  if (!L) throw new InputError('content map: FᵀF + λI is not positive definite');
  const W = new Float64Array(d * s);
  const col = new Float64Array(d);
  for (let c = 0; c < s; c++) {
    for (let a = 0; a < d; a++) col[a] = B[a * s + c];
    const x = choleskySolve(L, col, d);
    for (let a = 0; a < d; a++) W[a * s + c] = x[a];
  }
  return { side, W, d, stride: s, names: features.names };
}

/** Factor rows for feature rows (n x d): fᵀW, with the model's constant column set to 1. */
export function rowsFromContent(map: ContentMap, model: Pick<Model, 'rank' | 'bias'>, features: Float64Array, n: number): Float32Array {
  const { W, d, stride: s } = map;
  if (features.length !== n * d) throw new InputError(`content map: ${features.length} feature values for ${n} x ${d}`);
  const out = new Float32Array(n * s);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < s; c++) {
      let v = 0;
      for (let a = 0; a < d; a++) v += features[i * d + a] * W[a * s + c];
      out[i * s + c] = v;
    }
    if (model.bias) out[i * s + (map.side === 'item' ? model.rank : model.rank + 1)] = 1;
  }
  return out;
}
