/**
 * The one kernel-variant type, for every kernel family that has two: 'tiled' (workgroup-
 * cooperative kernels: staged tiles, register blocks, shared-memory Cholesky, bitonic top-k;
 * written for hardware GPUs) or 'direct' (one invocation per segment / system / score / chunk, no
 * barriers; for software adapters such as SwiftShader, where a barrier costs more than the
 * arithmetic it guards). 'auto' picks by adapter.
 */
import type { GpuContext } from '../gpu/context.ts';

export type KernelVariant = 'auto' | 'tiled' | 'direct';

/** The variant that suits the adapter for 'auto': direct on software rasterizers, tiled elsewhere. */
export function resolveVariant(gpu: GpuContext, v: KernelVariant = 'auto'): Exclude<KernelVariant, 'auto'> {
  return v === 'auto' ? (gpu.adapter.software ? 'direct' : 'tiled') : v;
}

/** resolveVariant(gpu, 'auto'). */
export const defaultVariant = (gpu: GpuContext): Exclude<KernelVariant, 'auto'> => resolveVariant(gpu, 'auto');
