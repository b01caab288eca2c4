/**
 * Host side of shaders/topk.wgsl: multi-pass top-k selection over a score matrix (bitonic in
 * workgroup memory, or one thread per chunk for software adapters). Only the k winners per row are
 * read back; masked entries and padding are dropped.
 */
import type { GpuContext } from '../gpu/context.ts';
import { InputError, LimitError } from '../core/errors.ts';
import { bindGroupByName, packUniform } from '../gpu/wgsl.ts';
import { resolveVariant, type KernelVariant } from './variant.ts';
import { SHARED, topkConstants } from './constants.ts';
import { topkWgsl } from './model-shaders.ts';
import type { Scratch } from './scratch.ts';

/** Entries per top-k chunk (shaders/topk.wgsl CH). k must be at most CH / 2. */
export const TOPK_CHUNK = SHARED.TOPK_CHUNK;
export const MAX_K = TOPK_CHUNK / 2;
/** Scores at or below this are masked (seen / excluded) or padding. */
export const MASKED = SHARED.MASKED_BELOW;
const PAD_I = 0xffffffff;

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
