/**
 * evaluate(model, testSet, { metrics, k }): rating and ranking metrics.
 *
 * Definitions (per user u with relevant set R_u non-empty; the mean is over such users):
 *   R_u        the user's test items (value >= relevanceThreshold when given) that are not among
 *              the user's training items (those are filtered out of every recommendation list).
 *   top_k(u)   the model's k best items for u, training items removed, ties to the lower index.
 *   hits       |top_k(u) ∩ R_u|
 *   precision@k = hits / k                    (the standard definition; divides by k)
 *   recall@k    = hits / |R_u|
 *   ndcg@k      = DCG / IDCG, DCG = Σ_{i<k} rel_i / log2(i + 2), IDCG the same for min(k, |R_u|) hits
 *   map@k       = (1 / min(k, |R_u|)) Σ_{i<k} rel_i · precision@(i+1)
 *   auc         = over candidate items (all items but training items), the probability that a
 *                 relevant item scores above a non-relevant one (ties count 1/2)
 *   coverage@k  = |∪_u top_k(u)| / nItems
 *   rmse, mae   over every test rating whose user and item the model knows, predictions clipped
 *               to the rating scale.
 * Ranking work (all users × all items) runs on the GPU in batches when the model has a device:
 * scores, masking and top-k on the device, and for AUC the per-pair rank counts; only k indices per
 * user and three counts per test pair come back.
 */
import { InputError } from '../core/errors.ts';
import type { IdMap, Ratings } from '../data/ratings.ts';
import type { Dataset } from '../data/dataset.ts';
import type { Model, RankBy } from './model.ts';
import { describeRanker } from './ranking.ts';
import { rankGpu, type GpuRankInput } from './gpu-rank.ts';
import { planRanking } from './rank-plan.ts';

export type MetricName = string;

export interface EvaluateOptions {
  /** e.g. ['rmse', 'mae', 'precision@10', 'recall@10', 'ndcg@10', 'map@10', 'auc', 'coverage@10']. */
  metrics?: MetricName[];
  /** Default k for ranking metrics named without @k. */
  k?: number;
  /** Test values at or above this are relevant (default: every test item is relevant). */
  relevanceThreshold?: number;
  /** Force a backend (default: the model's). */
  backend?: 'gpu' | 'cpu';
  /** Which factors the ranking metrics rank by (as recommend's rankBy; default 'auto'). */
  rankBy?: RankBy;
}

export interface EvaluateResult {
  /** Metric name → value. */
  metrics: Record<string, number>;
  /** Users whose ranking metrics were averaged. */
  users: number;
  /** Test ratings used by rmse/mae. */
  ratings: number;
  /** Test ratings skipped because the model does not know their user or item (cold start). */
  skippedRatings: number;
  /** The model the ranking metrics ranked by (set when ranking metrics were asked for). */
  rankedBy?: string;
}

export const DEFAULT_METRICS = ['rmse', 'mae', 'precision@10', 'recall@10', 'ndcg@10', 'map@10', 'auc', 'coverage@10'];

interface ParsedMetric {
  name: string;
  kind: 'rmse' | 'mae' | 'precision' | 'recall' | 'ndcg' | 'map' | 'auc' | 'coverage';
  k: number;
}

export function parseMetrics(names: MetricName[], defaultK = 10): ParsedMetric[] {
  return names.map((raw) => {
    const m = /^\s*([a-z]+)(?:@(\d+))?\s*$/i.exec(raw);
    const kind = m?.[1].toLowerCase();
    const kinds = ['rmse', 'mae', 'precision', 'recall', 'ndcg', 'map', 'auc', 'coverage'];
    if (!m || !kinds.includes(kind!)) throw new InputError(`unknown metric ${JSON.stringify(raw)} (known: rmse, mae, precision@k, recall@k, ndcg@k, map@k, auc, coverage@k)`);
    const k = m[2] !== undefined ? Number(m[2]) : defaultK;
    if (!(Number.isInteger(k) && k >= 1)) throw new InputError(`metric ${raw}: k must be a positive integer`);
    const ranked = kind !== 'rmse' && kind !== 'mae' && kind !== 'auc';
    if (!ranked && m[2] !== undefined) throw new InputError(`metric ${raw}: ${kind} takes no @k`);
    return { name: ranked ? `${kind}@${k}` : kind!, kind: kind as ParsedMetric['kind'], k };
  });
}

// ------------------------------------------------------------------ per-list metrics (hand-checkable)

/** hits among the first k of `ranked`. */
function hitsAt(ranked: ArrayLike<number>, relevant: Set<number>, k: number): number {
  let h = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (relevant.has(ranked[i])) h++;
  return h;
}

export function precisionAtK(ranked: ArrayLike<number>, relevant: Set<number>, k: number): number {
  return hitsAt(ranked, relevant, k) / k;
}

export function recallAtK(ranked: ArrayLike<number>, relevant: Set<number>, k: number): number {
  return relevant.size ? hitsAt(ranked, relevant, k) / relevant.size : 0;
}

export function ndcgAtK(ranked: ArrayLike<number>, relevant: Set<number>, k: number): number {
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (relevant.has(ranked[i])) dcg += 1 / Math.log2(i + 2);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) idcg += 1 / Math.log2(i + 2);
  return idcg > 0 ? dcg / idcg : 0;
}

export function apAtK(ranked: ArrayLike<number>, relevant: Set<number>, k: number): number {
  let h = 0;
  let s = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) {
    if (relevant.has(ranked[i])) {
      h++;
      s += h / (i + 1);
    }
  }
  const d = Math.min(k, relevant.size);
  return d > 0 ? s / d : 0;
}

/**
 * AUC of one user from rank counts: for each relevant item p, greater_p / equal_p count the
 * candidates (all unmasked items but p) scoring above / equal to p. `scores` are the relevant
 * items' own scores (to remove relevant items from those counts). nCand = unmasked candidates.
 */
export function aucFromCounts(greater: ArrayLike<number>, equal: ArrayLike<number>, scores: ArrayLike<number>, nCand: number): number | null {
  const P = scores.length;
  const N = nCand - P;
  if (P === 0 || N <= 0) return null;
  let s = 0;
  for (let p = 0; p < P; p++) {
    let posAbove = 0;
    let posTie = 0;
    for (let q = 0; q < P; q++) {
      if (q === p) continue;
      if (scores[q] > scores[p]) posAbove++;
      else if (scores[q] === scores[p]) posTie++;
    }
    const negAbove = greater[p] - posAbove;
    const negTie = equal[p] - posTie;
    s += N - negAbove - negTie + 0.5 * negTie;
  }
  return s / (P * N);
}

// ------------------------------------------------------------------ evaluate

type TestInput = Ratings | Dataset | { ratings: Ratings; users?: IdMap; items?: IdMap };

function isRatings(t: TestInput): t is Ratings {
  return (t as Ratings).users instanceof Int32Array;
}

/** Test ratings in the model's dense index space; drops (and counts) unknown users/items. */
function mapTest(model: Pick<Model, 'userIds' | 'itemIds' | 'nUsers' | 'nItems'>, test: TestInput): { users: Int32Array; items: Int32Array; values: Float32Array; skipped: number } {
  let r: Ratings;
  let um: IdMap | undefined;
  let im: IdMap | undefined;
  if (isRatings(test)) r = test;
  else {
    r = test.ratings;
    um = test.users;
    im = test.items;
  }
  const n = r.values.length;
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  const values = new Float32Array(n);
  let m = 0;
  let skipped = 0;
  const uCache = new Map<number, number>();
  const iCache = new Map<number, number>();
  const look = (idx: number, map: IdMap | undefined, cache: Map<number, number>, side: 'user' | 'item'): number => {
    let v = cache.get(idx);
    if (v === undefined) {
      const own = side === 'user' ? model.userIds : model.itemIds;
      const nn = side === 'user' ? model.nUsers : model.nItems;
      if (map) v = own ? own.find(map.external(idx)) : (() => {
        const e = map.external(idx);
        const x = typeof e === 'number' ? e : Number(e);
        return Number.isInteger(x) && x >= 0 && x < nn ? x : -1;
      })();
      else v = idx >= 0 && idx < nn ? idx : -1;
      cache.set(idx, v);
    }
    return v;
  };
  for (let k = 0; k < n; k++) {
    const u = look(r.users[k], um, uCache, 'user');
    const i = look(r.items[k], im, iCache, 'item');
    if (u < 0 || i < 0) {
      skipped++;
      continue;
    }
    users[m] = u;
    items[m] = i;
    values[m] = r.values[k];
    m++;
  }
  return { users: users.subarray(0, m), items: items.subarray(0, m), values: values.subarray(0, m), skipped };
}

/** Relevant sets per test user (training items removed), and the users with one, ascending. */
function relevantSets(t: { users: Int32Array; items: Int32Array; values: Float32Array }, threshold: number | undefined, seenOf: (u: number) => Uint32Array): { rel: Map<number, Set<number>>; userList: number[] } {
  const rel = new Map<number, Set<number>>();
  for (let k = 0; k < t.values.length; k++) {
    if (threshold !== undefined && !(t.values[k] >= threshold)) continue;
    const u = t.users[k];
    let s = rel.get(u);
    if (!s) rel.set(u, (s = new Set()));
    s.add(t.items[k]);
  }
  const userList: number[] = [];
  for (const [u, s] of rel) {
    for (const i of seenOf(u)) s.delete(i);
    if (s.size) userList.push(u);
  }
  userList.sort((a, b) => a - b);
  return { rel, userList };
}

/** ndcgAtK from a hit mask (bit i: the i-th ranked item is relevant): the same sums, in the same order. */
export function ndcgFromHits(mask: number, nRelevant: number, k: number): number {
  let dcg = 0;
  for (let i = 0; i < k; i++) if ((mask >>> i) & 1) dcg += 1 / Math.log2(i + 2);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, nRelevant); i++) idcg += 1 / Math.log2(i + 2);
  return idcg > 0 ? dcg / idcg : 0;
}

/**
 * evaluate's NDCG@k (every test item relevant, seen items filtered, all items ranked) of factors
 * that live on the device, e.g. a fit's kept with `keepOnDevice`: the top k are selected and checked
 * against each user's relevant items there, and one word per user comes back (no factors, no item
 * lists). `test` is in the factors' dense index space; k at most 32. Equal, bit for bit, to
 * evaluate on a Model holding the same factors on the same device.
 */
export async function ndcgOnDevice(m: GpuRankInput & { nUsers: number }, test: Ratings, seenOf: (u: number) => Uint32Array, k = 10): Promise<{ ndcg: number; users: number }> {
  const t = mapTest({ userIds: undefined, itemIds: undefined, nUsers: m.nUsers, nItems: m.nItems }, test);
  const { rel, userList } = relevantSets(t, undefined, seenOf);
  if (userList.length === 0) throw new InputError(`ndcg@${k}: no test user has a relevant item not seen in training`);
  const users = Uint32Array.from(userList);
  const { plan, result } = planRanking(users, { k: Math.min(k, m.nItems), filterSeen: true }, m.nItems, seenOf);
  const sorted = userList.map((u) => Uint32Array.from(rel.get(u)!).sort());
  const r = await rankGpu(plan, result, m, (b) => sorted[b]);
  let sum = 0;
  userList.forEach((u, b) => (sum += ndcgFromHits(r.hits![b], rel.get(u)!.size, plan.k)));
  return { ndcg: sum / userList.length, users: userList.length };
}

export async function evaluate(model: Model, test: TestInput, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
  const parsed = parseMetrics(opts.metrics ?? DEFAULT_METRICS, opts.k ?? 10);
  const backend = opts.backend ?? model.backend;
  const t = mapTest(model, test);
  if (t.values.length === 0) {
    throw new InputError(
      `evaluate: no test ratings to score${t.skipped ? ` (all ${t.skipped} have users or items the model does not know)` : ' (the test set is empty)'}`,
    );
  }
  for (let k = 0; k < t.values.length; k++) {
    if (!Number.isFinite(t.values[k])) throw new InputError(`evaluate: test rating ${k} is ${t.values[k]}, not a finite number`);
  }
  const out: Record<string, number> = {};
  const result: EvaluateResult = { metrics: out, users: 0, ratings: t.values.length, skippedRatings: t.skipped };

  if (parsed.some((p) => p.kind === 'rmse' || p.kind === 'mae')) {
    const pred = await model.predictIndices(new Uint32Array(t.users.buffer, t.users.byteOffset, t.users.length), new Uint32Array(t.items.buffer, t.items.byteOffset, t.items.length), backend);
    let sse = 0;
    let sae = 0;
    for (let k = 0; k < pred.length; k++) {
      const e = t.values[k] - pred[k];
      sse += e * e;
      sae += Math.abs(e);
    }
    const n = pred.length;
    if (!Number.isFinite(sse)) {
      let k = 0;
      while (k < n && Number.isFinite(pred[k])) k++;
      throw new InputError(
        k < n
          ? `evaluate: the model predicts ${pred[k]} for test rating ${k}: its factors overflow 32-bit floats (a degenerate model; retrain with a larger lambda)`
          : 'evaluate: squared errors overflow (test ratings and predictions differ by more than 1e154)',
      );
    }
    for (const p of parsed) {
      if (p.kind === 'rmse') out.rmse = n ? Math.sqrt(sse / n) : NaN;
      if (p.kind === 'mae') out.mae = n ? sae / n : NaN;
    }
  }

  const ranking = parsed.filter((p) => p.kind !== 'rmse' && p.kind !== 'mae');
  if (ranking.length === 0) return result;
  const ranker = model.rankerFor(opts.rankBy);
  result.rankedBy = describeRanker(ranker, ranker !== model);

  const { rel, userList } = relevantSets(t, opts.relevanceThreshold, (u) => model.seenOf(u));
  result.users = userList.length;
  if (userList.length === 0) {
    throw new InputError(
      `evaluate: ranking metrics (${ranking.map((p) => p.name).join(', ')}) need a test user with a relevant item not seen in training; there is none${opts.relevanceThreshold !== undefined ? ` at relevance >= ${opts.relevanceThreshold}` : ''}`,
    );
  }
  const kMax = Math.max(...ranking.filter((p) => p.kind !== 'auc').map((p) => p.k), 1);
  const wantAuc = ranking.some((p) => p.kind === 'auc');
  const users = Uint32Array.from(userList);
  let pairs: { row: Uint32Array; item: Uint32Array } | undefined;
  if (wantAuc) {
    let np = 0;
    for (const u of userList) np += rel.get(u)!.size;
    const row = new Uint32Array(np);
    const item = new Uint32Array(np);
    let q = 0;
    userList.forEach((u, b) => {
      for (const i of rel.get(u)!) {
        row[q] = b;
        item[q++] = i;
      }
    });
    pairs = { row, item };
  }
  // One pass per batch of users; k limited to the catalog.
  const r = await ranker.rankUsers(users, { k: Math.min(kMax, model.nItems), filterSeen: true, pairs }, backend);

  const sums = new Map<string, number>();
  let aucSum = 0;
  let aucUsers = 0;
  const covered = new Map<number, Set<number>>();
  let q = 0;
  userList.forEach((u, b) => {
    const R = rel.get(u)!;
    const top = r.top[b].index;
    for (const p of ranking) {
      let v = 0;
      if (p.kind === 'precision') v = precisionAtK(top, R, p.k);
      else if (p.kind === 'recall') v = recallAtK(top, R, p.k);
      else if (p.kind === 'ndcg') v = ndcgAtK(top, R, p.k);
      else if (p.kind === 'map') v = apAtK(top, R, p.k);
      else if (p.kind === 'coverage') {
        let c = covered.get(p.k);
        if (!c) covered.set(p.k, (c = new Set()));
        for (let j = 0; j < Math.min(p.k, top.length); j++) c.add(top[j]);
        continue;
      } else continue;
      sums.set(p.name, (sums.get(p.name) ?? 0) + v);
    }
    if (wantAuc) {
      const P = R.size;
      const a = aucFromCounts(r.greater!.subarray(q, q + P), r.equal!.subarray(q, q + P), r.pairScore!.subarray(q, q + P), model.nItems - new Set(model.seenOf(u)).size);
      q += P;
      if (a !== null) {
        aucSum += a;
        aucUsers++;
      }
    }
  });
  for (const p of ranking) {
    if (p.kind === 'auc') out.auc = aucUsers ? aucSum / aucUsers : NaN;
    else if (p.kind === 'coverage') out[p.name] = (covered.get(p.k)?.size ?? 0) / model.nItems;
    else out[p.name] = (sums.get(p.name) ?? 0) / userList.length;
  }
  return result;
}
