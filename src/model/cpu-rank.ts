/**
 * CPU ranking: scores in f64 over the f32 factors, host top-k selection, AUC rank counts and
 * cosine similarity. The reference the GPU ranking (model/gpu-rank.ts) is checked against.
 */
import { InputError } from '../core/errors.ts';
import { SHARED } from '../kernels/constants.ts';
import { MASKED } from '../kernels/topk.ts';
import type { RankPlan, RankResult } from './rank-plan.ts';

/** Ties: higher score first, then lower index. */
function better(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa > sb || (sa === sb && ia < ib);
}

/** Top k of scores[0..n) on the host (skipping masked), best first, ties by lower position. */
export function selectTopK(scores: ArrayLike<number>, k: number, masked?: (i: number) => boolean): { pos: number[]; score: number[] } {
  const pos: number[] = [];
  const sc: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!(s > MASKED) || masked?.(i)) continue;
    if (pos.length === k && !better(s, i, sc[k - 1], pos[k - 1])) continue;
    let j = pos.length === k ? k - 1 : pos.length;
    if (pos.length < k) {
      pos.push(0);
      sc.push(0);
    }
    while (j > 0 && better(s, i, sc[j - 1], pos[j - 1])) {
      pos[j] = pos[j - 1];
      sc[j] = sc[j - 1];
      j--;
    }
    pos[j] = i;
    sc[j] = s;
  }
  return { pos, score: sc };
}

/** Fills `result` for the plan on the host; `score(u, i)` is the raw mu + w_u . h_i. */
export function rankCpu(plan: RankPlan, result: RankResult, score: (u: number, i: number) => number): RankResult {
  const { users, k, nCols, cand, pairs, np, pairOrder, masks, candPos } = plan;
  let q = 0;
  const sc = new Float64Array(nCols);
  for (let b = 0; b < users.length; b++) {
    const u = users[b];
    for (let c = 0; c < nCols; c++) sc[c] = score(u, cand ? cand[c] : c);
    for (const it of masks(u)) {
      const c = candPos(it);
      if (c >= 0) sc[c] = SHARED.MASK_SCORE;
    }
    const t = selectTopK(sc, k);
    result.top.push({ index: Uint32Array.from(t.pos, (c) => (cand ? cand[c] : c)), score: Float32Array.from(t.score) });
    for (; q < np && pairs!.row[pairOrder[q]] === b; q++) {
      const p = pairOrder[q];
      const c = candPos(pairs!.item[p]);
      if (c < 0) throw new InputError(`pair item ${pairs!.item[p]} is not a candidate`);
      const sp = sc[c];
      let g = 0;
      let e = 0;
      for (let j = 0; j < nCols; j++) {
        if (j === c || !(sc[j] > MASKED)) continue;
        if (sc[j] > sp) g++;
        else if (sc[j] === sp) e++;
      }
      result.greater![p] = g;
      result.equal![p] = e;
      result.pairScore![p] = sp;
    }
  }
  return result;
}

/** The kk rows of F (n x stride) most cosine-similar to row q over the first `rank` columns. */
export function similarCpu(F: Float32Array, n: number, stride: number, rank: number, q: number, kk: number, includeSelf: boolean): { index: Uint32Array; score: Float32Array } {
  const norm = (r: number) => {
    let s = 0;
    for (let c = 0; c < rank; c++) s += F[r * stride + c] ** 2;
    return Math.sqrt(s);
  };
  const nq = norm(q);
  const sc = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let d = 0;
    for (let c = 0; c < rank; c++) d += F[q * stride + c] * F[r * stride + c];
    const den = nq * norm(r);
    sc[r] = den > 0 ? d / den : 0;
  }
  if (!includeSelf) sc[q] = SHARED.MASK_SCORE;
  const t = selectTopK(sc, kk);
  return { index: Uint32Array.from(t.pos), score: Float32Array.from(t.score) };
}
