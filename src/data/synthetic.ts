/**
 * Synthetic rating data with a known answer: a planted rank-r matrix (mean + U·Vᵀ) plus Gaussian noise, sampled at
 * (user, item) pairs whose degrees follow power laws — user degrees ∝ rank^-userZipf (water-filled so the total is
 * exact and every user has at least minUserDegree ratings), items drawn ∝ rank^-itemZipf — then clipped and rounded
 * to the rating scale. Seeded and deterministic.
 *
 * Memory: the output arrays are allocated once at their exact size; everything else is O(users + items) (degrees,
 * the item alias table, the planted factors). Generating Netflix-sized data (100M ratings) needs 1.2 GB for the
 * output arrays (plus 0.8 GB with timestamps) and nothing per rating beyond them.
 */
import { AbortError, InputError } from '../core/errors.ts';
import { Rng } from '../util/random.ts';
import type { Dataset } from './dataset.ts';
import { IdMap, type Ratings } from './ratings.ts';

export interface SyntheticOptions {
  nUsers: number;
  nItems: number;
  nRatings: number;
  /** Planted rank (default 10). */
  rank?: number;
  /** Rating scale [min, max] (default [1, 5]). */
  scale?: [number, number];
  /** Rounding step (default 1; 0.5 for half stars; 0 keeps real values). */
  step?: number;
  /** Global mean (default: 15% above the scale's middle, like MovieLens' ~3.5). */
  mean?: number;
  /** Standard deviation of the planted signal U·Vᵀ (default a quarter of the scale's width). */
  signalStd?: number;
  /** Standard deviation of the Gaussian noise (default 0.5). */
  noise?: number;
  /** Zipf exponent of user degrees (default 0.9). */
  userZipf?: number;
  /** Zipf exponent of item popularity (default 1.0). */
  itemZipf?: number;
  /** Minimum ratings per user (default 1; MovieLens presets use 20). */
  minUserDegree?: number;
  /** Maximum ratings per user as a fraction of the items (default 0.5). */
  maxUserFraction?: number;
  /** Also make Unix timestamps, increasing per user (default: true up to 30M ratings). */
  timestamps?: boolean;
  /** Implicit counts instead of ratings: 1 + geometric with mean exp(planted) (default false). */
  implicit?: boolean;
  /** Shuffle the output order (default false: grouped by user, in sampling order within a user). */
  shuffle?: boolean;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface SyntheticDataset extends Dataset {
  /** The planted model: prediction(u, i) = mean + dot(userFactors[u], itemFactors[i]) (before noise, clip, round). */
  planted: { rank: number; mean: number; userFactors: Float32Array; itemFactors: Float32Array; noise: number };
  /** Ratings per user and per item. */
  userDegrees: Uint32Array;
  itemDegrees: Uint32Array;
}

export type SyntheticPreset = 'ml-latest-small' | 'ml-100k' | 'ml-1m' | 'ml-10m' | 'ml-25m' | 'netflix';

/** Shapes of well-known data sets (counts from their READMEs). */
export const SYNTHETIC_PRESETS: Record<SyntheticPreset, Omit<SyntheticOptions, 'seed'>> = {
  'ml-latest-small': { nUsers: 610, nItems: 9724, nRatings: 100836, scale: [0.5, 5], step: 0.5, minUserDegree: 20 },
  'ml-100k': { nUsers: 943, nItems: 1682, nRatings: 100000, scale: [1, 5], step: 1, minUserDegree: 20 },
  'ml-1m': { nUsers: 6040, nItems: 3706, nRatings: 1000209, scale: [1, 5], step: 1, minUserDegree: 20 },
  'ml-10m': { nUsers: 69878, nItems: 10677, nRatings: 10000054, scale: [0.5, 5], step: 0.5, minUserDegree: 20 },
  'ml-25m': { nUsers: 162541, nItems: 59047, nRatings: 25000095, scale: [0.5, 5], step: 0.5, minUserDegree: 20 },
  netflix: { nUsers: 480189, nItems: 17770, nRatings: 100480507, scale: [1, 5], step: 1, minUserDegree: 1 },
};

/** Options of a preset, with overrides (e.g. `{ seed: 7, rank: 20 }`). */
export function presetOptions(name: string, overrides: Partial<SyntheticOptions> = {}): SyntheticOptions {
  const p = SYNTHETIC_PRESETS[name as SyntheticPreset];
  if (!p) throw new InputError(`unknown synthetic preset ${JSON.stringify(name)} (known: ${Object.keys(SYNTHETIC_PRESETS).join(', ')})`);
  return { ...p, ...overrides };
}

/**
 * Degrees summing exactly to `total`: deg[r] = min(cap, minDeg + c·(r+1)^-s), c found by bisection, then rounded down
 * with the remainder handed out one by one in rank order.
 */
export function powerLawDegrees(n: number, total: number, s: number, minDeg: number, cap: number): Uint32Array {
  if (!(n > 0)) throw new InputError(`need at least one row, got ${n}`);
  if (minDeg * n > total) throw new InputError(`${total} ratings cannot give ${n} users at least ${minDeg} each`);
  if (cap * n < total) throw new InputError(`${total} ratings do not fit ${n} users with at most ${cap} each`);
  const w = new Float64Array(n);
  for (let r = 0; r < n; r++) w[r] = Math.pow(r + 1, -s);
  const sumAt = (c: number) => {
    let t = 0;
    for (let r = 0; r < n; r++) t += Math.min(cap, minDeg + c * w[r]);
    return t;
  };
  let lo = 0;
  let hi = 1;
  while (sumAt(hi) < total) hi *= 2;
  for (let it = 0; it < 100 && hi - lo > 1e-9 * hi; it++) {
    const mid = (lo + hi) / 2;
    if (sumAt(mid) < total) lo = mid;
    else hi = mid;
  }
  const deg = new Uint32Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    deg[r] = Math.floor(Math.min(cap, minDeg + lo * w[r]));
    sum += deg[r];
  }
  while (sum < total) {
    for (let r = 0; r < n && sum < total; r++) {
      if (deg[r] < cap) {
        deg[r]++;
        sum++;
      }
    }
  }
  return deg;
}

/** Vose alias table for sampling index i with probability w[i] / Σw in O(1). */
export class AliasTable {
  readonly prob: Float64Array;
  readonly alias: Int32Array;
  constructor(w: Float64Array) {
    const n = w.length;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) total += w[i];
    const scaled = new Float64Array(n);
    const small = new Int32Array(n);
    const large = new Int32Array(n);
    let ns = 0;
    let nl = 0;
    for (let i = 0; i < n; i++) {
      scaled[i] = (w[i] * n) / total;
      if (scaled[i] < 1) small[ns++] = i;
      else large[nl++] = i;
    }
    while (ns && nl) {
      const s = small[--ns];
      const l = large[--nl];
      this.prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      if (scaled[l] < 1) small[ns++] = l;
      else large[nl++] = l;
    }
    while (nl) this.prob[large[--nl]] = 1;
    while (ns) this.prob[small[--ns]] = 1;
  }
  sample(rng: Rng): number {
    const x = rng.next() * this.prob.length;
    const i = Math.floor(x);
    return x - i < this.prob[i] ? i : this.alias[i];
  }
}

/** Generates a synthetic data set (see the module comment). */
export function generateSynthetic(options: SyntheticOptions): SyntheticDataset {
  const { nUsers, nItems, nRatings } = options;
  for (const [k, v] of Object.entries({ nUsers, nItems, nRatings })) {
    if (!(Number.isInteger(v) && v > 0)) throw new InputError(`${k} must be a positive integer, got ${v}`);
  }
  if (nRatings > 2 ** 31 - 1) throw new InputError(`nRatings ${nRatings} exceeds the 2^31-1 ratings a typed array index allows`);
  const rank = options.rank ?? 10;
  const [lo, hi] = options.scale ?? [1, 5];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new InputError(`bad scale [${lo}, ${hi}]`);
  const step = options.step ?? 1;
  const mean = options.mean ?? (lo + hi) / 2 + 0.15 * (hi - lo);
  const signalStd = options.signalStd ?? (hi - lo) / 4;
  const noise = options.noise ?? 0.5;
  const userZipf = options.userZipf ?? 0.9;
  const itemZipf = options.itemZipf ?? 1.0;
  const minDeg = options.minUserDegree ?? 1;
  const cap = Math.max(1, Math.floor(nItems * (options.maxUserFraction ?? 0.5)));
  const withTime = options.timestamps ?? nRatings <= 30_000_000;
  const implicit = options.implicit ?? false;
  if (options.signal?.aborted) throw new AbortError('generation aborted', { cause: options.signal.reason });
  const rng = new Rng(options.seed ?? 1);

  // Degrees by popularity rank, assigned to random users/items so index 0 is not always the heaviest.
  const byRank = powerLawDegrees(nUsers, nRatings, userZipf, minDeg, Math.min(cap, nItems));
  const userPerm = rng.shuffle(Int32Array.from({ length: nUsers }, (_, i) => i));
  const userDegrees = new Uint32Array(nUsers);
  for (let r = 0; r < nUsers; r++) userDegrees[userPerm[r]] = byRank[r];
  const itemPerm = rng.shuffle(Int32Array.from({ length: nItems }, (_, i) => i));
  const itemW = new Float64Array(nItems);
  for (let r = 0; r < nItems; r++) itemW[itemPerm[r]] = Math.pow(r + 1, -itemZipf);
  const alias = new AliasTable(itemW);

  // Planted factors: components N(0, signal / sqrt(rank)) on each side give dot products of standard deviation `signalStd`.
  const sd = Math.sqrt(signalStd / Math.sqrt(rank));
  const U = new Float32Array(nUsers * rank);
  const V = new Float32Array(nItems * rank);
  for (let k = 0; k < U.length; k++) U[k] = rng.normal() * sd;
  for (let k = 0; k < V.length; k++) V[k] = rng.normal() * sd;

  const users = new Int32Array(nRatings);
  const items = new Int32Array(nRatings);
  const values = new Float32Array(nRatings);
  const times = withTime ? new Float64Array(nRatings) : undefined;
  const itemDegrees = new Uint32Array(nItems);
  const stamp = new Int32Array(nItems).fill(-1);
  const T0 = Date.UTC(2000, 0, 1) / 1000;
  const SPAN = 20 * 365 * 86400;
  let k = 0;
  let nextReport = 1 << 20;
  for (let u = 0; u < nUsers; u++) {
    const d = userDegrees[u];
    const uo = u * rank;
    let t = withTime ? T0 + Math.floor(rng.next() * SPAN * 0.8) : 0;
    const gap = withTime ? (SPAN * 0.2) / Math.max(1, d) : 0;
    for (let j = 0; j < d; j++) {
      // Popularity-weighted draw; after three collisions fall back to uniform draws (expected < 2 tries, as a user
      // holds at most half the items), so heavy users stay O(degree) while keeping the items distinct.
      let i = alias.sample(rng);
      let tries = 0;
      while (stamp[i] === u) {
        i = ++tries < 3 ? alias.sample(rng) : Math.floor(rng.next() * nItems);
      }
      stamp[i] = u;
      const io = i * rank;
      let dot = 0;
      for (let f = 0; f < rank; f++) dot += U[uo + f] * V[io + f];
      let v: number;
      if (implicit) {
        const m = Math.exp(dot + noise * rng.normal());
        v = 1 + Math.floor(-Math.log(1 - rng.next()) * m);
      } else {
        v = mean + dot + noise * rng.normal();
        if (step > 0) v = lo + Math.round((v - lo) / step) * step;
        v = v < lo ? lo : v > hi ? hi : v;
      }
      users[k] = u;
      items[k] = i;
      values[k] = v;
      if (times) {
        t += 1 + Math.floor(rng.next() * 2 * gap);
        times[k] = t;
      }
      itemDegrees[i]++;
      k++;
    }
    if (k >= nextReport) {
      nextReport = k + (1 << 20);
      if (options.signal?.aborted) throw new AbortError('generation aborted', { cause: options.signal.reason });
      options.onProgress?.(k, nRatings);
    }
  }
  if (k !== nRatings) throw new Error(`internal: generated ${k} ratings, expected ${nRatings}`);
  if (options.shuffle) {
    for (let a = nRatings - 1; a > 0; a--) {
      const b = Math.floor(rng.next() * (a + 1));
      let x = users[a]; users[a] = users[b]; users[b] = x;
      x = items[a]; items[a] = items[b]; items[b] = x;
      const y = values[a]; values[a] = values[b]; values[b] = y;
      if (times) {
        const z = times[a]; times[a] = times[b]; times[b] = z;
      }
    }
  }
  options.onProgress?.(nRatings, nRatings);
  const ratings: Ratings = { users, items, values, nUsers, nItems };
  if (times) ratings.timestamps = times;
  const ds: SyntheticDataset = {
    name: `synthetic(${nUsers}x${nItems}, ${nRatings} ratings, rank ${rank}, seed ${options.seed ?? 1})`,
    ratings,
    users: IdMap.from(Array.from({ length: nUsers }, (_, i) => i + 1)),
    items: IdMap.from(Array.from({ length: nItems }, (_, i) => i + 1)),
    implicit,
    planted: { rank, mean, userFactors: U, itemFactors: V, noise },
    userDegrees,
    itemDegrees,
  };
  if (!implicit) ds.scale = [lo, hi];
  return ds;
}

/** Generates a preset's shape (see SYNTHETIC_PRESETS) with optional overrides. */
export function generatePreset(name: SyntheticPreset | string, overrides: Partial<SyntheticOptions> = {}): SyntheticDataset {
  return generateSynthetic(presetOptions(name, overrides));
}
