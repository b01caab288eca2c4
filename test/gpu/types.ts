import type { GpuContext } from '../../src/gpu/context.ts';

/** One GPU-vs-CPU check, run identically in Node (Dawn) and in headless Chrome. Throws on failure. */
export interface GpuCase {
  name: string;
  run(gpu: GpuContext): Promise<void>;
}
