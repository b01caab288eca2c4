/** WebGPU in Node through the `webgpu` package (Dawn). Only imported where there is no navigator.gpu. */
import { NoWebGpuError } from './errors.ts';

let cached: GPU | null = null;

export async function nodeGpu(): Promise<GPU> {
  if (cached) return cached;
  // No hardware Vulkan driver: point Dawn at SwiftShader if Debian's chromium ships it.
  // Never done where a real driver exists (see scripts/gpu-env.mjs).
  const { softwareGpuEnv } = await import('../../scripts/gpu-env.mjs');
  const add = softwareGpuEnv() as Record<string, string>;
  if (add.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = add.VK_ICD_FILENAMES;
  let mod: { create(opts: string[]): GPU; globals: object };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (e) {
    throw new NoWebGpuError(`The 'webgpu' package (Dawn for Node) could not be loaded: ${(e as Error).message}`, { cause: e });
  }
  // Dawn needs the WebGPU enums (GPUBufferUsage, ...) as globals.
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  cached = mod.create([]);
  return cached;
}
