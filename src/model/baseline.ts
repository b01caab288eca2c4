/**
 * Baselines every evaluation can be read against:
 *
 *   'baseline'    r̂ = μ + b_u + b_i with regularized biases, fitted by alternating least squares on
 *                 the biases alone (as Surprise's BaselineOnly with method 'als'):
 *                   b_i = Σ_{u ∈ R_i} (r_ui − μ − b_u) / (λ_i + |R_i|)
 *                   b_u = Σ_{i ∈ R_u} (r_ui − μ − b_i) / (λ_u + |R_u|)
 *                 Defaults λ_i = 10, λ_u = 15, 10 iterations (Surprise's).
 *   'popularity'  every user gets the same ranking: items by training rating count (ties to the lower
 *                 index). A ranking model only; it predicts no rating.
 *
 * Both are stored as ordinary factor models so that predict, recommend, evaluate, save/load and the
 * GPU scoring path need nothing new:
 *   baseline:   rank 1 with biases, stride 3, user row [0, b_u, 1], item row [0, 1, b_i], so the
 *               score μ + Σ user·item = μ + b_u + b_i exactly (the factor column is 0).
 *   popularity: rank 1 without biases, user row [1], item row [count_i], μ = 0, score = count_i.
 * Counts below 2^24 are exact in f32, so the GPU and CPU rankings agree bit for bit.
 */
import { InputError, throwIfAborted } from '../core/errors.ts';
import { globalMean, validateRatings, type Ratings } from '../data/ratings.ts';
import type { Dataset } from '../data/dataset.ts';
import type { FactorModelData, FitResult, IterationReport } from './types.ts';

export interface BaselineOptions {
  /** Regularization of the item biases (Surprise's reg_i). Default 10. */
  lambdaItem?: number;
  /** Regularization of the user biases (Surprise's reg_u). Default 15. */
  lambdaUser?: number;
  /** Alternations (items then users). Default 10. */
  iterations?: number;
  validation?: Ratings;
  onIteration?: (r: IterationReport) => void;
  signal?: AbortSignal;
}

function ratingsOf(data: Ratings | Dataset): { r: Ratings; ds?: Dataset } {
  if ('ratings' in data) return { r: data.ratings, ds: data };
  return { r: data };
}

function nonNegative(name: string, v: number, integer = false): number {
  if (!Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) throw new InputError(`option ${name} must be ${integer ? 'an integer' : 'a number'} >= 0, got ${v}`);
  return v;
}

function rmseOf(r: Ratings, mu: number, bu: Float64Array, bi: Float64Array, scale?: [number, number]): number {
  let s = 0;
  const n = r.values.length;
  for (let k = 0; k < n; k++) {
    let p = mu + (r.users[k] < bu.length ? bu[r.users[k]] : 0) + (r.items[k] < bi.length ? bi[r.items[k]] : 0);
    if (scale) p = Math.min(scale[1], Math.max(scale[0], p));
    const e = r.values[k] - p;
    s += e * e;
  }
  return n ? Math.sqrt(s / n) : NaN;
}

/** μ + b_u + b_i by ALS on the biases (f64 on the CPU: O(ratings) per iteration, no GPU needed). */
export function fitBaseline(data: Ratings | Dataset, options: BaselineOptions = {}): FitResult {
  const { r, ds } = ratingsOf(data);
  validateRatings(r);
  const lambdaItem = nonNegative('lambdaItem', options.lambdaItem ?? 10);
  const lambdaUser = nonNegative('lambdaUser', options.lambdaUser ?? 15);
  const iterations = nonNegative('iterations', options.iterations ?? 10, true);
  const { nUsers, nItems } = r;
  const n = r.values.length;
  const mu = globalMean(r.values);
  const bu = new Float64Array(nUsers);
  const bi = new Float64Array(nItems);
  const cu = new Float64Array(nUsers);
  const ci = new Float64Array(nItems);
  for (let k = 0; k < n; k++) {
    cu[r.users[k]]++;
    ci[r.items[k]]++;
  }
  const num = new Float64Array(Math.max(nUsers, nItems));
  const history: IterationReport[] = [];
  for (let it = 1; it <= iterations; it++) {
    throwIfAborted(options.signal);
    const t0 = performance.now();
    num.fill(0, 0, nItems);
    for (let k = 0; k < n; k++) num[r.items[k]] += r.values[k] - mu - bu[r.users[k]];
    for (let i = 0; i < nItems; i++) bi[i] = num[i] / (lambdaItem + ci[i] || 1);
    num.fill(0, 0, nUsers);
    for (let k = 0; k < n; k++) num[r.users[k]] += r.values[k] - mu - bi[r.items[k]];
    for (let u = 0; u < nUsers; u++) bu[u] = num[u] / (lambdaUser + cu[u] || 1);
    const rep: IterationReport = { iteration: it, seconds: (performance.now() - t0) / 1000, trainRmse: rmseOf(r, mu, bu, bi) };
    if (options.validation) rep.validationRmse = rmseOf(options.validation, mu, bu, bi, ds?.scale);
    history.push(rep);
    options.onIteration?.(rep);
  }
  const U = new Float32Array(nUsers * 3);
  const V = new Float32Array(nItems * 3);
  for (let u = 0; u < nUsers; u++) {
    U[u * 3 + 1] = bu[u];
    U[u * 3 + 2] = 1;
  }
  for (let i = 0; i < nItems; i++) {
    V[i * 3 + 1] = 1;
    V[i * 3 + 2] = bi[i];
  }
  const model: FactorModelData = {
    algo: 'baseline',
    rank: 1,
    bias: true,
    implicit: false,
    stride: 3,
    mu,
    nUsers,
    nItems,
    userFactors: U,
    itemFactors: V,
    userIds: ds?.users,
    itemIds: ds?.items,
    ratingScale: ds?.scale,
    hyperparams: { lambdaItem, lambdaUser, iterations },
  };
  return { model, history, backend: 'cpu', stopped: 'iterations' };
}

/** Training rating count per item. */
export function itemCounts(r: Ratings): Float64Array {
  const c = new Float64Array(r.nItems);
  for (let k = 0; k < r.items.length; k++) c[r.items[k]]++;
  return c;
}

/** Most-rated first, for every user alike. */
export function fitPopularity(data: Ratings | Dataset): FitResult {
  const { r, ds } = ratingsOf(data);
  validateRatings(r);
  const c = itemCounts(r);
  const model: FactorModelData = {
    algo: 'popularity',
    rank: 1,
    bias: false,
    implicit: true,
    stride: 1,
    mu: 0,
    nUsers: r.nUsers,
    nItems: r.nItems,
    userFactors: new Float32Array(r.nUsers).fill(1),
    itemFactors: Float32Array.from(c),
    userIds: ds?.users,
    itemIds: ds?.items,
    ratingScale: ds?.scale,
    hyperparams: {},
  };
  return { model, history: [], backend: 'cpu', stopped: 'iterations' };
}
