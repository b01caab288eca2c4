/**
 * Host side of shaders/score.wgsl: batched scoring as a tiled matrix product (dot or cosine), and
 * masking of seen/excluded items. Encoded into the caller's encoder; nothing is read back here.
 */
import type { GpuContext } from '../gpu/context.ts';
import { InputError } from '../core/errors.ts';
import { bindGroupByName, packUniform } from '../gpu/wgsl.ts';
import { resolveVariant, type KernelVariant } from './variant.ts';
import { scoreConstants } from './constants.ts';
import { scoreWgsl } from './model-shaders.ts';
import type { Scratch } from './scratch.ts';
import { windowedKernel } from './factor-windows.ts';

const TILE = 64;

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
  // Q and Y may be over one storage binding: read through their windows (src/kernels/factor-windows.ts)
  const k = windowedKernel(gpu, 'scores', scoreWgsl, spec.stride, { Q: spec.Q, Y: spec.Y });
  const scorePipe = gpu.pipeline(direct ? 'model.score.direct' : 'model.score', k.code, scoreConstants, direct ? 'direct' : 'score');
  const g = bindGroupByName(gpu, 'model.score', scorePipe, k.code, { P: params, ...k.bindings, rowIdx, cand, qn, yn, S });
  const pass = enc.beginComputePass({ label: 'model.score.pass' });
  gpu.dispatch(pass, scorePipe, g, direct ? Math.ceil((rows * Math.ceil(nCols / 4)) / 64) : Math.ceil(rows / TILE) * tilesC);
  if (spec.maskPtr && spec.maskIdx && spec.maskIdx.length > 0) {
    if (spec.maskPtr.length !== rows + 1) throw new InputError(`mask pointer length ${spec.maskPtr.length} != rows + 1 (${rows + 1})`);
    const maskPipe = gpu.pipeline('model.mask', k.code, scoreConstants, 'mask');
    const mp = s.storage('maskPtr', spec.maskPtr);
    const mi = s.storage('maskIdx', spec.maskIdx);
    const gm = bindGroupByName(gpu, 'model.mask', maskPipe, k.code, { P: params, cand, S, maskPtr: mp, maskIdx: mi });
    gpu.dispatch(pass, maskPipe, gm, rows);
  }
  pass.end();
  return { S, nCols };
}
