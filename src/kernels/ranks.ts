/**
 * Host side of shaders/metrics_rank.wgsl (AUC rank counts of (row, column) pairs of a score matrix)
 * and shaders/metrics_hits.wgsl (which of a top-k result's entries are relevant).
 */
import { LimitError } from '../core/errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroupByName, packUniform } from '../gpu/wgsl.ts';
import { resolveVariant, type KernelVariant } from './variant.ts';
import { rankConstants } from './constants.ts';
import { metricsHitsWgsl, metricsRankWgsl } from './model-shaders.ts';
import type { Scratch } from './scratch.ts';

/** Encodes AUC rank counts for (row, column) pairs of S (rows x n); 3 u32 per pair. */
export function encodeRanks(gpu: GpuContext, enc: GPUCommandEncoder, s: Scratch, S: GPUBuffer, n: number, pairRow: Uint32Array, pairCol: Uint32Array, variant: KernelVariant = 'auto'): GPUBuffer {
  const np = pairRow.length;
  const out = s.storage('rank.out', Math.max(1, np) * 12);
  if (np === 0) return out;
  const direct = resolveVariant(gpu, variant) === 'direct';
  const pipe = gpu.pipeline(direct ? 'model.rank.direct' : 'model.rank', metricsRankWgsl, rankConstants, direct ? 'direct' : 'main');
  const params = s.uniform('rank.params', packUniform(metricsRankWgsl, 'P', { nPairs: np, n }));
  const g = bindGroupByName(gpu, 'model.rank', pipe, metricsRankWgsl, { P: params, scores: S, pairRow: s.storage('rank.rows', pairRow), pairCol: s.storage('rank.cols', pairCol), out });
  const pass = enc.beginComputePass({ label: 'model.rank.pass' });
  gpu.dispatch(pass, pipe, g, direct ? Math.ceil(np / 64) : np);
  pass.end();
  return out;
}

/**
 * Encodes hit masks of a top-k result (shaders/metrics_hits.wgsl): one u32 per row, bit j set when
 * the row's j-th kept entry is among its relevant columns (`relPtr`, `relIdx`: CSR, each row
 * sorted). k at most 32.
 */
export function encodeHits(gpu: GpuContext, enc: GPUCommandEncoder, s: Scratch, t: { outS: GPUBuffer; outI: GPUBuffer; K: number }, rows: number, k: number, relPtr: Uint32Array, relIdx: Uint32Array): GPUBuffer {
  if (!(Number.isInteger(k) && k >= 1 && k <= 32)) throw new LimitError('hit masks on the GPU', 'k', k, 32);
  const out = s.storage('hits.out', Math.max(1, rows) * 4);
  const pipe = gpu.pipeline('model.hits', metricsHitsWgsl, rankConstants);
  const params = s.uniform('hits.params', packUniform(metricsHitsWgsl, 'P', { rows, K: t.K, k }));
  const g = bindGroupByName(gpu, 'model.hits', pipe, metricsHitsWgsl, { P: params, topS: t.outS, topI: t.outI, relPtr: s.storage('hits.ptr', relPtr), relIdx: s.storage('hits.idx', relIdx.length ? relIdx : new Uint32Array(1)), out });
  const pass = enc.beginComputePass({ label: 'model.hits.pass' });
  gpu.dispatch(pass, pipe, g, Math.ceil(rows / 64));
  pass.end();
  return out;
}
