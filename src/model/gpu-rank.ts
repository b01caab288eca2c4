/**
 * GPU ranking: scores as a tiled product against the resident factors, top k selected on the
 * device (beyond its limit, from the read-back scores on the host), AUC rank counts and cosine
 * similarity. Checked against model/cpu-rank.ts.
 */
import type { GpuContext } from '../gpu/context.ts';
import { GpuError, InputError } from '../core/errors.ts';
import { encodeTopK, MAX_K, readTopK } from '../kernels/topk.ts';
import { encodeScores } from '../kernels/score.ts';
import { encodeHits, encodeRanks } from '../kernels/ranks.ts';
import { batchRows, Scratch } from '../kernels/scratch.ts';
import type { KernelVariant } from '../kernels/variant.ts';
import { selectTopK } from './cpu-rank.ts';
import type { RankPlan, RankResult } from './rank-plan.ts';

/** What the GPU ranking reads: device factors and the model's shape. */
export interface GpuRankInput {
  gpu: GpuContext;
  users: GPUBuffer;
  items: GPUBuffer;
  nItems: number;
  stride: number;
  mu: number;
  kernels: KernelVariant;
}

/**
 * Fills `result` for the plan on the device, in batches of users sized to a 64 MiB score matrix.
 * With `relevant` (each planned user's relevant items, sorted), the top k stay on the device and only
 * their hit masks come back (`result.hits`, one word per user; `result.top` stays empty): k at most
 * 32, over all items.
 */
export async function rankGpu(plan: RankPlan, result: RankResult, m: GpuRankInput, relevant?: (row: number) => Uint32Array): Promise<RankResult> {
  const { users, k, nCols, cand, pairs, np, pairOrder, masks, candPos } = plan;
  const { gpu } = m;
  if (relevant) {
    if (cand || k > 32 || k > MAX_K) throw new InputError(`hit masks on the GPU rank all items with k <= 32 (got k ${k}${cand ? ', candidates' : ''})`);
    result.hits = new Uint32Array(users.length);
  }
  const X = m.users;
  const Y = m.items;
  const B = batchRows(gpu, nCols, 256);
  let q = 0;
  for (let b0 = 0; b0 < users.length; b0 += B) {
    const b1 = Math.min(users.length, b0 + B);
    const rowIdx = users.subarray(b0, b1);
    const maskPtr = new Uint32Array(b1 - b0 + 1);
    const parts: Uint32Array[] = [];
    for (let b = b0; b < b1; b++) {
      const mk = masks(users[b]);
      parts.push(mk);
      maskPtr[b - b0 + 1] = maskPtr[b - b0] + mk.length;
    }
    const maskIdx = new Uint32Array(maskPtr[b1 - b0]);
    parts.forEach((mk, j) => maskIdx.set(mk, maskPtr[j]));
    const q0 = q;
    while (q < np && pairs!.row[pairOrder[q]] < b1) q++;
    const pr = new Uint32Array(q - q0);
    const pc = new Uint32Array(q - q0);
    for (let j = q0; j < q; j++) {
      const p = pairOrder[j];
      const c = candPos(pairs!.item[p]);
      if (c < 0 || pairs!.row[p] < b0) throw new InputError(`pair ${p}: item ${pairs!.item[p]} is not a candidate or row out of order`);
      pr[j - q0] = pairs!.row[p] - b0;
      pc[j - q0] = c;
    }
    const s = new Scratch(gpu, 'model.rank');
    try {
      await gpu.scoped(async () => {
        const enc = gpu.device.createCommandEncoder({ label: 'model.rank.encoder' });
        const { S } = encodeScores(gpu, enc, s, { Q: X, rowIdx, Y, nY: m.nItems, stride: m.stride, cols: m.stride, mu: m.mu, mode: 'dot', cand, maskPtr, maskIdx, variant: m.kernels });
        const t = k <= MAX_K ? encodeTopK(gpu, enc, s, S, b1 - b0, nCols, k, m.kernels) : null;
        const counts = pr.length ? encodeRanks(gpu, enc, s, S, nCols, pr, pc, m.kernels) : null;
        let hits: GPUBuffer | null = null;
        if (relevant && t) {
          const relPtr = new Uint32Array(b1 - b0 + 1);
          const rel: Uint32Array[] = [];
          for (let b = b0; b < b1; b++) {
            rel.push(relevant(b));
            relPtr[b - b0 + 1] = relPtr[b - b0] + rel[b - b0].length;
          }
          const relIdx = new Uint32Array(relPtr[b1 - b0]);
          rel.forEach((x, j) => relIdx.set(x, relPtr[j]));
          hits = encodeHits(gpu, enc, s, t, b1 - b0, k, relPtr, relIdx);
        }
        gpu.submit(enc);
        if (hits) {
          result.hits!.set(new Uint32Array(await gpu.read(hits, 0, (b1 - b0) * 4)), b0);
        } else if (t) {
          result.top.push(...(await readTopK(gpu, t, b1 - b0, k, cand)));
        } else {
          // k beyond the on-device selection limit: select from the scores on the host
          const all = await gpu.readF32(S, 0, (b1 - b0) * nCols);
          for (let b = 0; b < b1 - b0; b++) {
            const tk = selectTopK(all.subarray(b * nCols, (b + 1) * nCols), k);
            result.top.push({ index: Uint32Array.from(tk.pos, (c) => (cand ? cand[c] : c)), score: Float32Array.from(tk.score) });
          }
        }
        if (counts) {
          const cnt = new Uint32Array(await gpu.read(counts, 0, pr.length * 12));
          const f = new Float32Array(cnt.buffer);
          for (let j = 0; j < pr.length; j++) {
            const p = pairOrder[q0 + j];
            result.greater![p] = cnt[3 * j];
            result.equal![p] = cnt[3 * j + 1];
            result.pairScore![p] = f[3 * j + 2];
          }
        }
      });
    } finally {
      s.destroy();
    }
  }
  return result;
}

/** The kk rows of D (n x stride, on the device) most cosine-similar to row q; `norms` are D's row norms. */
export async function similarGpu(
  gpu: GpuContext,
  side: 'item' | 'user',
  D: GPUBuffer,
  norms: GPUBuffer,
  o: { n: number; stride: number; rank: number; q: number; kk: number; includeSelf: boolean; kernels: KernelVariant },
): Promise<{ index: Uint32Array; score: Float32Array }> {
  const { n, stride, rank, q, kk } = o;
  const s = new Scratch(gpu, `model.similar.${side}`);
  try {
    return await gpu.scoped(async () => {
      const enc = gpu.device.createCommandEncoder({ label: 'model.similar.encoder' });
      const maskIdx = o.includeSelf ? undefined : Uint32Array.of(q);
      const { S } = encodeScores(gpu, enc, s, { Q: D, rowIdx: Uint32Array.of(q), Y: D, nY: n, stride, cols: rank, mu: 0, mode: 'cosine', qn: norms, yn: norms, maskPtr: maskIdx ? Uint32Array.of(0, 1) : undefined, maskIdx, variant: o.kernels });
      if (kk > MAX_K) {
        gpu.submit(enc);
        const all = await gpu.readF32(S, 0, n);
        const t = selectTopK(all, kk);
        return { index: Uint32Array.from(t.pos), score: Float32Array.from(t.score) };
      }
      const t = encodeTopK(gpu, enc, s, S, 1, n, kk, o.kernels);
      gpu.submit(enc);
      const res = (await readTopK(gpu, t, 1, kk))[0];
      if (res.index.length !== kk) throw new GpuError('internal', `similar ${side}s: the GPU returned ${res.index.length} of ${kk} scores (non-finite cosines)`);
      return res;
    });
  } finally {
    s.destroy();
  }
}
