/**
 * The shared GPU-vs-CPU suite in Node, on Dawn. Fails (never skips, never falls back to the CPU)
 * when no adapter is found.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { GpuContext, adapterName } from '../src/gpu/context.ts';
import { allCases, chunkCases, limitedCases, limitedContext } from './gpu/all-cases.ts';

let gpu: GpuContext;
let small: GpuContext;

beforeAll(async () => {
  gpu = await GpuContext.create();
  small = await limitedContext(gpu);
  console.log(`[node] WebGPU adapter: ${adapterName(gpu.adapter)}`);
});
afterAll(() => {
  small?.destroy();
  gpu?.destroy();
});

describe('GPU vs f64 CPU reference (Node, Dawn)', () => {
  for (const c of allCases) it(c.name, () => gpu.scoped(() => c.run(gpu)));
});

describe('the same cases under 1 MiB binding limits, and chunked data against the unchunked run (Node, Dawn)', () => {
  for (const c of limitedCases) it(`[1 MiB limits] ${c.name}`, () => small.scoped(() => c.run(small)));
  for (const c of chunkCases) it(c.name, () => gpu.scoped(() => c.run(gpu)), 120_000);
});
