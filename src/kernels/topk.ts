/**
 * Host side of the model-out kernels: batched scoring as a tiled matrix product
 * (shaders/score.wgsl), masking of seen/excluded items, multi-pass top-k selection
 * (shaders/topk.wgsl), AUC rank counts (shaders/metrics_rank.wgsl), pairwise predictions
 * (shaders/score_pairs.wgsl) and row norms (shaders/similar_norms.wgsl).
 *
 * A batch is encoded into one command encoder (score → mask → top-k passes [→ rank counts]) and
 * submitted once; only the k winners per row (and the three rank counts per test pair) are read back.
 */
import type { GpuContext } from '../gpu/context.ts';
import { InputError, LimitError } from '../gpu/errors.ts';
import { bindGroupByName, packUniform } from '../gpu/wgsl.ts';
import { resolveVariant, type KernelVariant } from './variant.ts';
import { rankConstants, scoreConstants, SHARED, topkConstants } from './constants.ts';
import { metricsRankWgsl, scorePairsWgsl, scoreWgsl, similarNormsWgsl, topkWgsl } from './model-shaders.ts';

/** Entries per top-k chunk (shaders/topk.wgsl CH). k must be at most CH / 2. */
export const TOPK_CHUNK = SHARED.TOPK_CHUNK;
export const MAX_K = TOPK_CHUNK / 2;
/** Scores at or below this are masked (seen / excluded) or padding. */
export const MASKED = SHARED.MASKED_BELOW;
const PAD_I = 0xffffffff;
const TILE = 64;

/** Buffers made for one batch, destroyed together. */
export class Scratch {
  private readonly bufs: GPUBuffer[] = [];
  constructor(private readonly gpu: GpuContext, readonly label: string) {}
  storage(role: string, sizeOrData: number | ArrayBufferView): GPUBuffer {
    const b = this.gpu.storage(`${this.label}.${role}`, sizeOrData);
    this.bufs.push(b);
    return b;
  }
  uniform(role: string, data: ArrayBufferView): GPUBuffer {
    const b = this.gpu.uniform(`${this.label}.${role}`, data);
    this.bufs.push(b);
    return b;
  }
  destroy(): void {
    for (const b of this.bufs) b.destroy();
    this.bufs.length = 0;
  }
}

export type { KernelVariant } from './variant.ts';

export interface ScoreSpec {
  /** Query matrix (rows of `stride` floats) and the rows of it in this batch. */
  Q: GPUBuffer;
  rowIdx: Uint32Array;
  /** Candidate matrix. */
  Y: GPUBuffer;
  /** Rows of Y (columns of S when no candidate list). */
  nY: number;
  stride: number;
  /** Columns used in the product (stride for predictions; rank for cosine). */
  cols: number;
  mu: number;
  mode: 'dot' | 'cosine';
  /** Row norms of Q and Y (cosine mode). */
  qn?: GPUBuffer;
  yn?: GPUBuffer;
  /** Ascending candidate rows of Y; all rows when absent. */
  cand?: Uint32Array;
  /** Per batch row, the Y rows to mask (CSR: maskPtr has rowIdx.length + 1 entries). */
  maskPtr?: Uint32Array;
  maskIdx?: Uint32Array;
  variant?: KernelVariant;
}

/** Encodes S = scores of the batch (rows x nCols), masked. Returns S and its column count. */
export function encodeScores(gpu: GpuContext, enc: GPUCommandEncoder, s: Scratch, spec: ScoreSpec): { S: GPUBuffer; nCols: number } {
  const rows = spec.rowIdx.length;
  const nCols = spec.cand ? spec.cand.length : spec.nY;
  if (rows === 0 || nCols === 0) throw new InputError('empty score batch');
  const tilesC = Math.ceil(nCols / TILE);
  const S = s.storage('scores', rows * nCols * 4);
  const params = s.uniform(
    'score.params',
    packUniform(scoreWgsl, 'P', { rows, nCols, stride: spec.stride, cols: spec.cols, mu: spec.mu, useCand: !!spec.cand, mode: spec.mode === 'cosine' ? 1 : 0, tilesC }),
  );
  const rowIdx = s.storage('rowIdx', spec.rowIdx);
  const cand = spec.cand ? s.storage('cand', spec.cand) : s.storage('cand.none', 4);
  const dummy = spec.qn && spec.yn ? null : s.storage('norms.none', 4);
  const qn = spec.qn ?? dummy!;
  const yn = spec.yn ?? dummy!;
  // a batch of a few rows would leave a 64-row tile mostly empty: score it directly
  const direct = resolveVariant(gpu, spec.variant) === 'direct' || (spec.variant !== 'tiled' && rows <= 4);
  const scorePipe = gpu.pipeline(direct ? 'model.score.direct' : 'model.score', scoreWgsl, scoreConstants, direct ? 'direct' : 'score');
  const g = bindGroupByName(gpu, 'model.score', scorePipe, scoreWgsl, { P: params, Q: spec.Q, Y: spec.Y, rowIdx, cand, qn, yn, S });
  const pass = enc.beginComputePass({ label: 'model.score.pass' });
  gpu.dispatch(pass, scorePipe, g, direct ? Math.ceil((rows * nCols) / 64) : Math.ceil(rows / TILE) * tilesC);
  if (spec.maskPtr && spec.maskIdx && spec.maskIdx.length > 0) {
    if (spec.maskPtr.length !== rows + 1) throw new InputError(`mask pointer length ${spec.maskPtr.length} != rows + 1 (${rows + 1})`);
    const maskPipe = gpu.pipeline('model.mask', scoreWgsl, scoreConstants, 'mask');
    const mp = s.storage('maskPtr', spec.maskPtr);
    const mi = s.storage('maskIdx', spec.maskIdx);
    const gm = bindGroupByName(gpu, 'model.mask', maskPipe, scoreWgsl, { P: params, cand, S, maskPtr: mp, maskIdx: mi });
    gpu.dispatch(pass, maskPipe, gm, rows);
  }
  pass.end();
  return { S, nCols };
}

export interface TopKEncoded {
  outS: GPUBuffer;
  outI: GPUBuffer;
  /** Entries per row in outS / outI. */
  K: number;
}

/** Encodes top-k passes over S (rows x n). */
export function encodeTopK(gpu: GpuContext, enc: GPUCommandEncoder, s: Scratch, S: GPUBuffer, rows: number, n: number, k: number, variant: KernelVariant = 'auto'): TopKEncoded {
  if (!(Number.isInteger(k) && k >= 1)) throw new InputError(`k must be a positive integer, got ${k}`);
  if (k > MAX_K) throw new LimitError(`top-k selection on the GPU`, 'k', k, MAX_K);
  const direct = resolveVariant(gpu, variant) === 'direct';
  // direct: one thread per chunk of `csize` entries; csize >= 4k keeps every pass shrinking the rows 4x
  const CH = direct ? Math.max(256, 4 * k) : TOPK_CHUNK;
  const pipe = direct ? gpu.pipeline('model.topk.direct', topkWgsl, topkConstants, 'direct') : gpu.pipeline('model.topk', topkWgsl, topkConstants, 'main');
  let inS = S;
  let inI: GPUBuffer | null = null;
  let len = n;
  let passNo = 0;
  for (;;) {
    const chunks = Math.ceil(len / CH);
    const K = chunks === 1 ? Math.min(k, CH) : k;
    const outLen = chunks * K;
    const outS = s.storage(`topk.s${passNo}`, rows * outLen * 4);
    const outI = s.storage(`topk.i${passNo}`, rows * outLen * 4);
    const params = s.uniform(`topk.params${passNo}`, packUniform(topkWgsl, 'P', { rows, n: len, K, chunks, hasIdx: !!inI, csize: CH }));
    const g = bindGroupByName(gpu, 'model.topk', pipe, topkWgsl, { P: params, inS, inI: inI ?? s.storage(`topk.none${passNo}`, 4), outS, outI });
    const pass = enc.beginComputePass({ label: `model.topk.pass${passNo}` });
    gpu.dispatch(pass, pipe, g, direct ? Math.ceil((rows * chunks) / 64) : rows * chunks);
    pass.end();
    if (chunks === 1) return { outS, outI, K };
    inS = outS;
    inI = outI;
    len = outLen;
    passNo++;
  }
}

/** Reads top-k results; drops masked entries and padding; maps candidate positions to rows of Y. */
export async function readTopK(gpu: GpuContext, t: TopKEncoded, rows: number, k: number, cand?: Uint32Array): Promise<{ index: Uint32Array; score: Float32Array }[]> {
  const S = await gpu.readF32(t.outS, 0, rows * t.K);
  const I = new Uint32Array(await gpu.read(t.outI, 0, rows * t.K * 4));
  const out: { index: Uint32Array; score: Float32Array }[] = [];
  for (let r = 0; r < rows; r++) {
    const idx: number[] = [];
    const sc: number[] = [];
    for (let e = 0; e < t.K && idx.length < k; e++) {
      const i = I[r * t.K + e];
      const v = S[r * t.K + e];
      if (i === PAD_I || !(v > MASKED)) continue;
      idx.push(cand ? cand[i] : i);
      sc.push(v);
    }
    out.push({ index: Uint32Array.from(idx), score: Float32Array.from(sc) });
  }
  return out;
}

/** Encodes AUC rank counts for (row, column) pairs of S (rows x n); 3 u32 per pair. */
export function encodeRanks(gpu: GpuContext, enc: GPUCommandEncoder, s: Scratch, S: GPUBuffer, n: number, pairRow: Uint32Array, pairCol: Uint32Array, variant: KernelVariant = 'auto'): GPUBuffer {
  const np = pairRow.length;
  const out = s.storage('rank.out', Math.max(1, np) * 12);
  if (np === 0) return out;
  const direct = resolveVariant(gpu, variant) === 'direct';
  const pipe = gpu.pipeline(direct ? 'model.rank.direct' : 'model.rank', metricsRankWgsl, rankConstants, direct ? 'direct' : 'main');
  const params = s.uniform('rank.params', packUniform(metricsRankWgsl, 'P', { nPairs: np, n }));
  const g = bindGroupByName(gpu, 'model.rank', pipe, metricsRankWgsl, { P: params, S, pairRow: s.storage('rank.rows', pairRow), pairCol: s.storage('rank.cols', pairCol), out });
  const pass = enc.beginComputePass({ label: 'model.rank.pass' });
  gpu.dispatch(pass, pipe, g, direct ? Math.ceil(np / 64) : np);
  pass.end();
  return out;
}

/** Largest batch of rows whose score matrix (rows x nCols floats) fits the budget and the binding limit. */
export function batchRows(gpu: GpuContext, nCols: number, wanted: number, budgetBytes = 64 * 1024 * 1024): number {
  const rowBytes = nCols * 4;
  const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  if (rowBytes > limit) throw new LimitError(`one row of ${nCols} scores`, 'maxStorageBufferBindingSize', rowBytes, limit);
  return Math.max(1, Math.min(wanted, Math.floor(Math.min(budgetBytes, limit) / rowBytes)));
}

/** Row norms of the first `cols` columns of F (rows x stride), on the device. */
export function computeNorms(gpu: GpuContext, F: GPUBuffer, rows: number, stride: number, cols: number, label: string): GPUBuffer {
  const norms = gpu.storage(label, Math.max(1, rows) * 4);
  const params = gpu.uniform(`${label}.params`, packUniform(similarNormsWgsl, 'P', { rows, stride, cols }));
  try {
    const pipe = gpu.pipeline('model.norms', similarNormsWgsl, {}, 'main');
    const enc = gpu.device.createCommandEncoder({ label: `${label}.encoder` });
    const pass = enc.beginComputePass({ label: `${label}.pass` });
    gpu.dispatch(pass, pipe, bindGroupByName(gpu, label, pipe, similarNormsWgsl, { P: params, F, norms }), Math.ceil(rows / 64));
    pass.end();
    gpu.submit(enc);
  } finally {
    params.destroy();
  }
  return norms;
}

/** Batched predictions for (user, item) pairs on the device. */
export async function predictPairs(
  gpu: GpuContext,
  X: GPUBuffer,
  Y: GPUBuffer,
  stride: number,
  mu: number,
  users: Uint32Array,
  items: Uint32Array,
  clip?: [number, number],
): Promise<Float32Array> {
  const n = users.length;
  const res = new Float32Array(n);
  if (n === 0) return res;
  const pipe = gpu.pipeline('model.pairs', scorePairsWgsl, {}, 'main');
  const batch = Math.max(1, Math.floor(Math.min(gpu.limits.maxStorageBufferBindingSize, 32 * 1024 * 1024) / 4));
  for (let b0 = 0; b0 < n; b0 += batch) {
    const b1 = Math.min(n, b0 + batch);
    const s = new Scratch(gpu, 'model.pairs');
    try {
      const P = s.uniform('params', packUniform(scorePairsWgsl, 'P', { n: b1 - b0, stride, clip: !!clip, mu, lo: clip ? clip[0] : 0, hi: clip ? clip[1] : 0 }));
      const out = s.storage('out', (b1 - b0) * 4);
      const g = bindGroupByName(gpu, 'model.pairs', pipe, scorePairsWgsl, { P, X, Y, users: s.storage('users', users.subarray(b0, b1)), items: s.storage('items', items.subarray(b0, b1)), out });
      const enc = gpu.device.createCommandEncoder({ label: 'model.pairs.encoder' });
      const pass = enc.beginComputePass({ label: 'model.pairs.pass' });
      gpu.dispatch(pass, pipe, g, Math.ceil((b1 - b0) / 64));
      pass.end();
      gpu.submit(enc);
      res.set(await gpu.readF32(out, 0, b1 - b0), b0);
    } finally {
      s.destroy();
    }
  }
  return res;
}
