/**
 * What one ranking call asks, resolved once by the Model facade and answered by either backend
 * (model/cpu-rank.ts, model/gpu-rank.ts): the users, k, the candidate columns, each user's masked
 * items, and the (row, item) pairs whose rank counts metrics need, grouped by row.
 */

/** Internal: the scores one batch of users gives, for metrics. */
export interface RankResult {
  /** Per user: top-k dense item indices, best first, and their scores. */
  top: { index: Uint32Array; score: Float32Array }[];
  /** Per pair: (#unmasked items scored higher, #unmasked others scored equal, the pair's score). */
  greater?: Uint32Array;
  equal?: Uint32Array;
  pairScore?: Float32Array;
  /** Per user, when asked for instead of `top`: bit j set when the j-th of the top k is relevant. */
  hits?: Uint32Array;
}

export interface RankQuery {
  k: number;
  filterSeen: boolean;
  exclude?: Uint32Array;
  cand?: Uint32Array;
  pairs?: { row: Uint32Array; item: Uint32Array };
}

export interface RankPlan {
  users: Uint32Array;
  /** k clipped to [1, nCols]. */
  k: number;
  /** Candidate columns (all items, or `cand`). */
  nCols: number;
  cand?: Uint32Array;
  pairs?: { row: Uint32Array; item: Uint32Array };
  /** Number of pairs. */
  np: number;
  /** Pair positions sorted by row. */
  pairOrder: Uint32Array;
  /** Masked item indices of user u (seen, when filtered, then excluded). */
  masks(u: number): Uint32Array;
  /** Column of an item among the candidates, -1 when not one. */
  candPos(item: number): number;
}

/** The result a plan fills (pair arrays sized), or a finished empty one when nothing is ranked. */
export function planRanking(users: Uint32Array, o: RankQuery, nItems: number, seenOf: (u: number) => Uint32Array): { plan: RankPlan; result: RankResult; empty: boolean } {
  const nCols = o.cand ? o.cand.length : nItems;
  const k = Math.min(o.k, Math.max(1, nCols));
  const exclude = o.exclude ?? new Uint32Array(0);
  const masks = (u: number): Uint32Array => {
    const seen = o.filterSeen ? seenOf(u) : new Uint32Array(0);
    if (exclude.length === 0) return seen;
    const m = new Uint32Array(seen.length + exclude.length);
    m.set(seen);
    m.set(exclude, seen.length);
    return m;
  };
  const np = o.pairs ? o.pairs.row.length : 0;
  const result: RankResult = { top: [] };
  if (np) {
    result.greater = new Uint32Array(np);
    result.equal = new Uint32Array(np);
    result.pairScore = new Float32Array(np);
  }
  // pairs grouped by row
  const empty = users.length === 0 || nCols === 0;
  if (empty) result.top = Array.from(users, () => ({ index: new Uint32Array(0), score: new Float32Array(0) }));
  const pairOrder = np && !empty ? Uint32Array.from({ length: np }, (_, p) => p).sort((a, b) => o.pairs!.row[a] - o.pairs!.row[b]) : new Uint32Array(0);
  const candPos = (item: number): number => {
    if (!o.cand) return item;
    let lo = 0;
    let hi = o.cand.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (o.cand[mid] < item) lo = mid + 1;
      else hi = mid;
    }
    return lo < o.cand.length && o.cand[lo] === item ? lo : -1;
  };
  return { plan: { users, k, nCols, cand: o.cand, pairs: o.pairs, np, pairOrder, masks, candPos }, result, empty };
}
