/**
 * The shared GPU-vs-CPU suite in Node, on Dawn. Fails (never skips, never falls back to the CPU)
 * when no adapter is found.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { GpuContext, adapterName } from '../src/gpu/context.ts';
import { allCases } from './gpu/all-cases.ts';

let gpu: GpuContext;

beforeAll(async () => {
  gpu = await GpuContext.create();
  console.log(`[node] WebGPU adapter: ${adapterName(gpu.adapter)}`);
});
afterAll(() => gpu?.destroy());

describe('GPU vs f64 CPU reference (Node, Dawn)', () => {
  for (const c of allCases) it(c.name, () => gpu.scoped(() => c.run(gpu)));
});
