/** Host side of shaders/metrics_rank.wgsl: AUC rank counts of (row, column) pairs of a score matrix. */
import type { GpuContext } from '../gpu/context.ts';
import { bindGroupByName, packUniform } from '../gpu/wgsl.ts';
import { resolveVariant, type KernelVariant } from './variant.ts';
import { rankConstants } from './constants.ts';
import { metricsRankWgsl } from './model-shaders.ts';
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
