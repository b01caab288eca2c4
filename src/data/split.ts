/**
 * Train/test splits, seeded and deterministic: random holdout, per-user leave-k-out, temporal (global cutoff and
 * per-user last-k) and k-fold. Train and test share the data set's dense indices (nUsers, nItems).
 *
 * Cold start: by default ('move') a test rating whose user or item has no train rating is moved to train, so every test
 * user and item was seen in training (the count is reported; nothing is dropped silently). 'keep' (coldStart: true)
 * leaves such ratings in test, to evaluate fold-in; 'drop' removes them from both sides (reported), which keeps
 * temporal splits free of future leakage.
 */
import { InputError } from '../core/errors.ts';
import { Rng } from '../util/random.ts';
import type { Ratings } from './ratings.ts';
import { groupOrder } from './parse.ts';

export type ColdPolicy = 'move' | 'keep' | 'drop';

export interface SplitOptions {
  seed?: number;
  /** Keep test users/items that are absent from train (same as cold: 'keep'). */
  coldStart?: boolean;
  /** What to do with test ratings of users/items absent from train (default 'move'; 'keep' when coldStart). */
  cold?: ColdPolicy;
}

export interface SplitReport {
  method: string;
  train: number;
  test: number;
  /** Test ratings moved to train because their user or item had no train rating ('move'). */
  moved: number;
  /** Test ratings dropped for the same reason ('drop'). */
  dropped: number;
  /** Users and items of the test set with no train rating ('keep'; 0 otherwise). */
  coldUsers: number;
  coldItems: number;
}

export interface Split {
  train: Ratings;
  test: Ratings;
  report: SplitReport;
}

function policyOf(o: SplitOptions): ColdPolicy {
  if (o.cold) return o.cold;
  return o.coldStart ? 'keep' : 'move';
}

function checkRatings(r: Ratings): void {
  const n = r.users.length;
  if (n === 0) throw new InputError('cannot split an empty rating set');
  if (r.items.length !== n || r.values.length !== n) throw new InputError('mismatched rating array lengths');
}

/** Copies the ratings where mask[k] === want. */
export function subsetRatings(r: Ratings, mask: Uint8Array, want: number): Ratings {
  let m = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k] === want) m++;
  const users = new Int32Array(m);
  const items = new Int32Array(m);
  const values = new Float32Array(m);
  const ts = r.timestamps ? new Float64Array(m) : undefined;
  let j = 0;
  for (let k = 0; k < mask.length; k++) {
    if (mask[k] !== want) continue;
    users[j] = r.users[k];
    items[j] = r.items[k];
    values[j] = r.values[k];
    if (ts) ts[j] = r.timestamps![k];
    j++;
  }
  const out: Ratings = { users, items, values, nUsers: r.nUsers, nItems: r.nItems };
  if (ts) out.timestamps = ts;
  return out;
}

const TRAIN = 0;
const TEST = 1;
const DROPPED = 2;

/** Applies the cold policy to a train(0)/test(1) mask and builds the split. */
export function finishSplit(r: Ratings, mask: Uint8Array, method: string, policy: ColdPolicy): Split {
  const n = mask.length;
  const uTrain = new Uint32Array(r.nUsers);
  const iTrain = new Uint32Array(r.nItems);
  for (let k = 0; k < n; k++) {
    if (mask[k] === TRAIN) {
      uTrain[r.users[k]]++;
      iTrain[r.items[k]]++;
    }
  }
  let moved = 0;
  let dropped = 0;
  let coldUsers = 0;
  let coldItems = 0;
  if (policy === 'keep') {
    const seenU = new Uint8Array(r.nUsers);
    const seenI = new Uint8Array(r.nItems);
    for (let k = 0; k < n; k++) {
      if (mask[k] !== TEST) continue;
      const u = r.users[k];
      const i = r.items[k];
      if (!uTrain[u] && !seenU[u]) {
        seenU[u] = 1;
        coldUsers++;
      }
      if (!iTrain[i] && !seenI[i]) {
        seenI[i] = 1;
        coldItems++;
      }
    }
  } else {
    // One pass suffices for 'move': moving a rating only adds train ratings, which can only un-cold later ones.
    for (let k = 0; k < n; k++) {
      if (mask[k] !== TEST) continue;
      const u = r.users[k];
      const i = r.items[k];
      if (uTrain[u] && iTrain[i]) continue;
      if (policy === 'move') {
        mask[k] = TRAIN;
        uTrain[u]++;
        iTrain[i]++;
        moved++;
      } else {
        mask[k] = DROPPED;
        dropped++;
      }
    }
  }
  const train = subsetRatings(r, mask, TRAIN);
  const test = subsetRatings(r, mask, TEST);
  return {
    train,
    test,
    report: { method, train: train.users.length, test: test.users.length, moved, dropped, coldUsers, coldItems },
  };
}

/** Random holdout: exactly round(n · testFraction) ratings go to test (selection sampling, O(n), no permutation). */
export function splitRandom(r: Ratings, opts: SplitOptions & { testFraction: number }): Split {
  checkRatings(r);
  const f = opts.testFraction;
  if (!(f > 0 && f < 1)) throw new InputError(`testFraction must be in (0, 1), got ${f}`);
  const n = r.users.length;
  const rng = new Rng(opts.seed ?? 1);
  const mask = new Uint8Array(n);
  let need = Math.round(n * f);
  for (let k = 0; k < n && need > 0; k++) {
    if (rng.next() * (n - k) < need) {
      mask[k] = TEST;
      need--;
    }
  }
  return finishSplit(r, mask, `random holdout ${f}`, policyOf(opts));
}

/**
 * Per-user leave-k-out: k random ratings of each user go to test. Users with k or fewer ratings keep at least one in
 * train (none in test when they have a single rating) unless cold start is asked for, which holds out all k.
 */
export function splitLeaveKOut(r: Ratings, opts: SplitOptions & { k: number }): Split {
  checkRatings(r);
  const k = opts.k;
  if (!(Number.isInteger(k) && k >= 1)) throw new InputError(`k must be a positive integer, got ${k}`);
  const policy = policyOf(opts);
  const rng = new Rng(opts.seed ?? 1);
  const order = groupOrder(r.users, r.nUsers);
  const mask = new Uint8Array(r.users.length);
  let p = 0;
  while (p < order.length) {
    const u = r.users[order[p]];
    let e = p;
    while (e < order.length && r.users[order[e]] === u) e++;
    const d = e - p;
    const take = policy === 'keep' ? Math.min(k, d) : Math.min(k, d - 1);
    // Partial Fisher-Yates on the user's slice of `order` picks `take` distinct ratings.
    for (let j = 0; j < take; j++) {
      const q = p + j + rng.int(d - j);
      const t = order[p + j];
      order[p + j] = order[q];
      order[q] = t;
      mask[order[p + j]] = TEST;
    }
    p = e;
  }
  return finishSplit(r, mask, `leave-${k}-out`, policy);
}

function needTimes(r: Ratings): Float64Array {
  if (!r.timestamps) throw new InputError('a temporal split needs timestamps, and these ratings have none');
  return r.timestamps;
}

/**
 * Temporal, global: ratings at or after `cutoff` (Unix seconds) go to test. Give `testFraction` instead to put the
 * cutoff at that quantile of the timestamps. Default cold policy here is still 'move'; 'drop' avoids future leakage.
 */
export function splitTemporal(r: Ratings, opts: SplitOptions & ({ cutoff: number } | { testFraction: number })): Split {
  checkRatings(r);
  const t = needTimes(r);
  let cutoff: number;
  if ('cutoff' in opts) cutoff = opts.cutoff;
  else {
    const f = opts.testFraction;
    if (!(f > 0 && f < 1)) throw new InputError(`testFraction must be in (0, 1), got ${f}`);
    const sorted = Float64Array.from(t).sort();
    cutoff = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * (1 - f)))];
  }
  if (!Number.isFinite(cutoff)) throw new InputError(`bad cutoff ${cutoff}`);
  const mask = new Uint8Array(t.length);
  for (let k = 0; k < t.length; k++) if (t[k] >= cutoff) mask[k] = TEST;
  return finishSplit(r, mask, `temporal cutoff ${cutoff}`, policyOf(opts));
}

/** Temporal, per user: each user's last k ratings by timestamp (ties: later in the input) go to test. */
export function splitLastK(r: Ratings, opts: SplitOptions & { k: number }): Split {
  checkRatings(r);
  const t = needTimes(r);
  const k = opts.k;
  if (!(Number.isInteger(k) && k >= 1)) throw new InputError(`k must be a positive integer, got ${k}`);
  const policy = policyOf(opts);
  const order = groupOrder(r.users, r.nUsers);
  const mask = new Uint8Array(t.length);
  const top = new Int32Array(k);
  let p = 0;
  while (p < order.length) {
    const u = r.users[order[p]];
    let e = p;
    while (e < order.length && r.users[order[e]] === u) e++;
    const d = e - p;
    const take = policy === 'keep' ? Math.min(k, d) : Math.min(k, d - 1);
    if (take > 0) {
      // Keep the `take` latest in `top` (insertion; k is small). Order within a user is input order, so on equal
      // times a later index wins.
      let m = 0;
      for (let q = p; q < e; q++) {
        const idx = order[q];
        const tv = t[idx];
        if (m < take) {
          let j = m++;
          while (j > 0 && t[top[j - 1]] > tv) {
            top[j] = top[j - 1];
            j--;
          }
          top[j] = idx;
        } else if (tv >= t[top[0]]) {
          let j = 0;
          while (j + 1 < take && t[top[j + 1]] <= tv) {
            top[j] = top[j + 1];
            j++;
          }
          top[j] = idx;
        }
      }
      for (let j = 0; j < take; j++) mask[top[j]] = TEST;
    }
    p = e;
  }
  return finishSplit(r, mask, `last-${k} per user`, policy);
}

/**
 * k-fold: ratings are shuffled (seeded) into k folds of equal size (±1); fold f is the test set of split f. With the
 * default 'move' policy a fold's cold ratings go to that split's train set, so the test sets cover slightly less than
 * everything (reported per split).
 */
export function kFold(r: Ratings, opts: SplitOptions & { k: number }): Split[] {
  checkRatings(r);
  const k = opts.k;
  const n = r.users.length;
  if (!(Number.isInteger(k) && k >= 2 && k <= 255)) throw new InputError(`k must be an integer in [2, 255], got ${k}`);
  if (k > n) throw new InputError(`k = ${k} folds need at least ${k} ratings, got ${n}`);
  const rng = new Rng(opts.seed ?? 1);
  const fold = new Uint8Array(n);
  for (let q = 0; q < n; q++) fold[q] = q % k;
  rng.shuffle(fold);
  const policy = policyOf(opts);
  const out: Split[] = [];
  const mask = new Uint8Array(n);
  for (let f = 0; f < k; f++) {
    for (let q = 0; q < n; q++) mask[q] = fold[q] === f ? TEST : TRAIN;
    out.push(finishSplit(r, mask, `fold ${f + 1}/${k}`, policy));
  }
  return out;
}
