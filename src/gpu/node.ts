/**
 * WebGPU in Node through the `webgpu` package (Dawn). Only imported where there is no navigator.gpu.
 * Finds the adapter as src/gpu/discover.ts describes (hardware Vulkan, else SwiftShader from an
 * installed Chrome/Chromium, else a clear error) without leaving any change in process.env.
 */
import { NoWebGpuError } from './errors.ts';
import { planNodeGpu, withSoftwareGpu, type GpuPlan } from './discover.ts';

let cached: { gpu: GPU; plan: GpuPlan } | null = null;

/** The `GPU` object for Node, and how its adapter was found (`plan.note` is one line for the user). */
export async function nodeGpuWithPlan(): Promise<{ gpu: GPU; plan: GpuPlan }> {
  if (cached) return cached;
  let mod: { create(opts: string[]): GPU; globals: object };
  try {
    // A variable specifier: bundlers building for the browser leave Dawn (a native addon) alone.
    const dawn = 'webgpu';
    mod = (await import(/* @vite-ignore */ dawn)) as unknown as typeof mod;
  } catch (e) {
    throw new NoWebGpuError(`The 'webgpu' package (Dawn for Node) could not be loaded: ${(e as Error).message}`, { cause: e });
  }
  // Dawn needs the WebGPU enums (GPUBufferUsage, ...) as globals.
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  // With plan 'none' Dawn is still asked: a driver this module does not know may be there.
  const plan = planNodeGpu();
  const gpu = mod.create([]);
  // Dawn enumerates its Vulkan drivers inside the first requestAdapter() call, synchronously, and
  // keeps what it found for later calls: this is the one moment the driver choice is made.
  const first = withSoftwareGpu(plan, () => gpu.requestAdapter());
  await first;
  cached = { gpu, plan };
  return cached;
}

export async function nodeGpu(): Promise<GPU> {
  return (await nodeGpuWithPlan()).gpu;
}
