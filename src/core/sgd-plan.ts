/**
 * The orders SGD walks ratings in, shared by the GPU kernels and the CPU engine so both visit the
 * same sequence:
 *  - Hogwild: a seeded permutation, the same 4-round Feistel network with cycle walking that
 *    shaders/feistel.wgsl evaluates on the GPU (`feistelPermutation`). The CPU engines permute every
 *    epoch (they evaluate it in place); the GPU gathers the list once per fit and walks its runs in
 *    a new order each epoch (`runOrderParams`).
 *  - Stratified: a b x b grid of (user block, item block); ratings sorted by block, each block in a
 *    fixed seeded order; each epoch visits the b "diagonals" (blocks (p, (p + shift) mod b)) in a
 *    seeded order of shifts.
 */
import { Rng } from '../util/random.ts';
import type { Ratings } from '../data/ratings.ts';

/** Packs ratings as (user, item, bitcast value) u32 triples, the layout the SGD kernels read. */
export function packRatings(r: Ratings, order?: Uint32Array): Uint32Array {
  const n = order ? order.length : r.values.length;
  const out = new Uint32Array(3 * n);
  const vb = new Uint32Array(r.values.buffer, r.values.byteOffset, r.values.length);
  for (let p = 0; p < n; p++) {
    const k = order ? order[p] : p;
    out[3 * p] = r.users[k];
    out[3 * p + 1] = r.items[k];
    out[3 * p + 2] = vb[k];
  }
  return out;
}

/**
 * Chunk c of C of the packed list for a chunked Hogwild fit: the ratings p with p mod C == c, in
 * order (an interleaved share, so every chunk spreads over all users and items, whatever order the
 * ratings come in). Packed straight from the ratings: no packed copy of the whole list is made.
 */
export function packRatingsStrided(r: Ratings, c: number, C: number): Uint32Array {
  const n = r.values.length;
  const m = n > c ? Math.ceil((n - c) / C) : 0;
  const out = new Uint32Array(3 * m);
  const vb = new Uint32Array(r.values.buffer, r.values.byteOffset, r.values.length);
  for (let q = 0, k = c; q < m; q++, k += C) {
    out[3 * q] = r.users[k];
    out[3 * q + 1] = r.items[k];
    out[3 * q + 2] = vb[k];
  }
  return out;
}

/** Ratings in chunk c of C when the list is interleaved (packRatingsStrided). */
export const stridedChunkSize = (n: number, c: number, C: number): number => (n > c ? Math.ceil((n - c) / C) : 0);

export interface FeistelParams {
  n: number;
  half: number;
  mask: number;
  keys: Uint32Array;
}

/** Keys for epoch `epoch` (1-based) of a fit with `seed`. */
export function feistelParams(n: number, seed: number, epoch: number): FeistelParams {
  const bits = Math.max(2, Math.ceil(Math.log2(Math.max(2, n))));
  const half = Math.ceil(bits / 2);
  const rng = new Rng((seed * 0x2c1b3c6d + epoch * 0x297a2d39) >>> 0);
  const keys = new Uint32Array(4);
  for (let k = 0; k < 4; k++) keys[k] = Math.floor(rng.next() * 4294967296) >>> 0;
  return { n, half, mask: (1 << half) - 1, keys };
}

/**
 * Keys for chunk c of C in epoch `epoch`: with one chunk exactly feistelParams(n, seed, epoch) (the
 * unchunked order); with more, each chunk's keys come from the seed mixed with the chunk number.
 */
export function chunkFeistelParams(n: number, seed: number, epoch: number, c: number, C: number): FeistelParams {
  return C === 1 ? feistelParams(n, seed, epoch) : feistelParams(n, (seed ^ Math.imul(c + 1, 0x9e3779b1)) >>> 0, epoch);
}

/**
 * This epoch's order of the runs of chunk c of C (Hogwild on the GPU): the list is shuffled once
 * per fit (chunkFeistelParams for epoch 1) and each epoch walks its `groups` runs in the order of
 * this map of [0, groups), so the epochs still differ, as LIBMF's random block order does.
 */
export function runOrderParams(groups: number, seed: number, epoch: number, c: number, C: number): FeistelParams {
  return chunkFeistelParams(groups, (seed ^ 0x6a09e667) >>> 0, epoch, c, C);
}

/** The order the C chunks of a chunked Hogwild epoch run in: a seeded permutation per epoch (0 for one chunk). */
export function chunkOrder(C: number, seed: number, epoch: number): Uint32Array {
  if (C === 1) return Uint32Array.of(0);
  const rng = new Rng((seed * 0x5851f42d + epoch * 0x4c957f2d + 29) >>> 0);
  return rng.shuffle(Uint32Array.from({ length: C }, (_, i) => i));
}

function hashMix(x: number, k: number): number {
  let h = (x ^ k) >>> 0;
  h = Math.imul(h, 0x9e3779b1) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  h = Math.imul(h, 0x85ebca77) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae3d) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function feistel(x: number, f: FeistelParams): number {
  let l = x >>> f.half;
  let r = x & f.mask;
  for (let rd = 0; rd < 4; rd++) {
    const nl = r;
    r = (l ^ (hashMix(r, f.keys[rd]) & f.mask)) >>> 0;
    l = nl;
  }
  return ((l << f.half) | r) >>> 0;
}

/** perm[p] = the rating visited at position p (a bijection of [0, n)). */
export function feistelPermutation(f: FeistelParams, out: Uint32Array = new Uint32Array(f.n)): Uint32Array {
  for (let p = 0; p < f.n; p++) {
    let x = feistel(p, f);
    while (x >= f.n) x = feistel(x, f);
    out[p] = x;
  }
  return out;
}

export interface StratifiedPlan {
  b: number;
  /** Rating indices (into the training Ratings) in block order, each block in its fixed order. */
  order: Uint32Array;
  /** Block (p, q) holds order[blockStart[p*b+q] .. blockStart[p*b+q+1]). Length b*b + 1. */
  blockStart: Uint32Array;
  userBlock: Uint32Array;
  itemBlock: Uint32Array;
}

/** Assigns users and items to b blocks each (seeded shuffle, then equal contiguous shares) and sorts ratings by block. */
export function stratifiedPlan(r: Ratings, b: number, seed: number): StratifiedPlan {
  const rng = new Rng((seed ^ 0x5bd1e995) >>> 0);
  const assign = (count: number): Uint32Array => {
    const perm = rng.shuffle(Uint32Array.from({ length: count }, (_, i) => i));
    const blk = new Uint32Array(count);
    for (let j = 0; j < count; j++) blk[perm[j]] = Math.floor((j * b) / Math.max(1, count));
    return blk;
  };
  const userBlock = assign(r.nUsers);
  const itemBlock = assign(r.nItems);
  const n = r.values.length;
  const visit = rng.shuffle(Uint32Array.from({ length: n }, (_, i) => i));
  const blockStart = new Uint32Array(b * b + 1);
  for (let k = 0; k < n; k++) blockStart[userBlock[r.users[k]] * b + itemBlock[r.items[k]] + 1]++;
  for (let j = 0; j < b * b; j++) blockStart[j + 1] += blockStart[j];
  const next = blockStart.slice(0, b * b);
  const order = new Uint32Array(n);
  for (const k of visit) order[next[userBlock[r.users[k]] * b + itemBlock[r.items[k]]]++] = k;
  return { b, order, blockStart, userBlock, itemBlock };
}

/** The order of the b diagonals in epoch `epoch`: sub-epoch s runs blocks (p, (p + shifts[s]) mod b). */
export function strataShifts(b: number, seed: number, epoch: number): Uint32Array {
  const rng = new Rng((seed * 0x61c88647 + epoch * 0x3c6ef372 + 17) >>> 0);
  return rng.shuffle(Uint32Array.from({ length: b }, (_, i) => i));
}
