/**
 * The one way a fit, a model, the CLI or the demo gets a GPU: `backend` 'auto' | 'gpu' | 'cpu',
 * an optional caller's `gpu`, an optional `gpuSource` (the WebGPU entry object) and `onWarning`.
 */
import { GpuContext, type GpuLimitsRequest } from './context.ts';
import { InputError, NoWebGpuError } from '../core/errors.ts';

export type BackendChoice = 'auto' | 'gpu' | 'cpu' | 'reference';
export const BACKENDS: readonly BackendChoice[] = ['auto', 'gpu', 'cpu', 'reference'];

export interface GpuChoice {
  /**
   * Fits (src/cpu-engine/auto.ts chooses): 'auto' (default): a caller's `gpu` as given; else a
   * hardware adapter's GPU; on a software adapter (SwiftShader, WARP, llvmpipe) the faster of it
   * and the f32 CPU engine by a short cached probe; without WebGPU the f32 CPU engine, with a
   * warning. 'gpu': the GPU or an error. 'cpu': the f32 CPU engine (worker threads). 'reference':
   * the f64 reference engine (slow, for checks). The fit result's `backend` and `backendReason`
   * say which ran and why. Models: 'cpu' and 'reference' both answer on the CPU.
   */
  backend?: BackendChoice;
  /** Worker threads of the f32 CPU engine (default: the core count; 1 = the calling thread). */
  threads?: number;
  /** GPU to use; created (and destroyed by whoever asked) when omitted. */
  gpu?: GpuContext;
  /** The WebGPU entry object to request an adapter from (default: navigator.gpu, or Dawn in Node). */
  gpuSource?: GPU;
  /**
   * Lower size limits for a GPU made here (`{ maxStorageBufferBindingSize, maxBufferSize }`, bytes):
   * webmf then plans every buffer and chunk with min(requested, device). Ignored with a caller's `gpu`
   * (give the limits to its GpuContext.create).
   */
  gpuLimits?: GpuLimitsRequest;
  /** Where warnings go (the CPU fallback). Default console.warn. */
  onWarning?: (message: string) => void;
}

/** For a GPU made here: request the adapter's maxima ('adapter', default) or no limits ('default'); see GpuContextOptions.deviceLimits. */
export interface DeviceLimitsChoice {
  gpuDeviceLimits?: 'adapter' | 'default';
}

export function checkBackend(b: unknown): BackendChoice {
  if (!(BACKENDS as readonly unknown[]).includes(b)) throw new InputError(`backend must be 'auto', 'gpu', 'cpu' or 'reference', got ${String(b)}`);
  return b as BackendChoice;
}

/**
 * The GPU for a piece of work: the caller's, or a new one (`own`: the caller destroys it). With
 * backend 'auto' and no adapter, null (CPU) and a warning that says so; with 'gpu', no adapter is
 * an error; with 'cpu', null. `cpuName` names the CPU engine in the warning, and `noGpu` (set only
 * on that fallback) gives the reason in one line.
 */
export async function acquireGpu(
  o: GpuChoice & DeviceLimitsChoice,
  cpuName = 'the CPU reference path',
): Promise<{ gpu: GpuContext | null; own: GpuContext | null; noGpu?: string }> {
  const backend = checkBackend(o.backend ?? 'auto');
  if (backend === 'cpu' || backend === 'reference') return { gpu: null, own: null };
  if (o.gpu) return { gpu: o.gpu, own: null };
  try {
    const gpu = await createGpu(o);
    return { gpu, own: gpu };
  } catch (e) {
    if (backend === 'auto' && e instanceof NoWebGpuError) {
      (o.onWarning ?? console.warn)(`webmf: no WebGPU adapter (${e.message}); running on ${cpuName} instead.`);
      return { gpu: null, own: null, noGpu: e.message.split('\n')[0] };
    }
    throw e;
  }
}

/** Makes a new GpuContext from a choice's `gpuSource` and `gpuLimits` (every GPU webmf makes for a caller comes from here). */
export function createGpu(o: Pick<GpuChoice, 'gpuSource' | 'gpuLimits'> & DeviceLimitsChoice): Promise<GpuContext> {
  return GpuContext.create({ gpu: o.gpuSource, limits: o.gpuLimits, deviceLimits: o.gpuDeviceLimits });
}
