/**
 * WebGPU in Node through the `webgpu` package (Dawn). Only imported where there is no navigator.gpu.
 * Finds the adapter as src/gpu/discover.ts describes (hardware Vulkan, else SwiftShader from an
 * installed Chrome/Chromium, else a clear error) without leaving any change in process.env.
 */
import { NoWebGpuError } from '../core/errors.ts';
import { planNodeGpu, softwarePlan, withSoftwareGpu, type GpuPlan } from './discover.ts';

let pending: Promise<{ gpu: GPU; plan: GpuPlan }> | null = null;
/**
 * Dawn objects held for the life of the process: the `create()` result, every adapter and device it
 * handed out. Letting any of them be collected while work is in flight kills the process at the
 * next await (futex error or segfault in Dawn's event processing).
 */
const live: object[] = [];

/**
 * Dawn in Node processes GPU events by re-arming `setImmediate` with a native callback for as long as
 * a GPU promise (mapAsync, onSubmittedWorkDone, ...) is pending, which keeps one core spinning. The
 * software adapter needs every core to run the shaders, so that spin slows every kernel down. The
 * wrapper below routes only Dawn's callback (native code, no name; bound functions are named
 * "bound ...") through a 1 ms timer: the wait sleeps in 1 ms slices. Every other `setImmediate`
 * call is untouched.
 */
function sleepGpuWaits(): void {
  const g = globalThis as typeof globalThis & { __webmfSleepyTick?: boolean };
  if (g.__webmfSleepyTick) return;
  g.__webmfSleepyTick = true;
  const immediate = g.setImmediate;
  const toString = Function.prototype.toString;
  const wrapped = function (this: unknown, fn: (...a: unknown[]) => void, ...args: unknown[]) {
    if (typeof fn === 'function' && fn.name === '' && toString.call(fn).includes('[native code]')) {
      return setTimeout(fn, 1, ...args) as unknown as NodeJS.Immediate;
    }
    return immediate(fn, ...args);
  };
  g.setImmediate = Object.assign(wrapped, immediate) as typeof setImmediate;
}

function retain<T extends object>(x: T): T {
  live.push(x);
  return x;
}

/** The `GPU` object for Node, and how its adapter was found (`plan.note` is one line for the user). */
export function nodeGpuWithPlan(): Promise<{ gpu: GPU; plan: GpuPlan }> {
  pending ??= load().catch((e) => {
    pending = null;
    throw e;
  });
  return pending;
}

type Dawn = { create(opts: string[]): GPU; globals: object };

async function load(): Promise<{ gpu: GPU; plan: GpuPlan }> {
  let mod: Dawn;
  try {
    // A variable specifier: bundlers building for the browser leave Dawn (a native addon) alone.
    const dawn = 'webgpu';
    mod = (await import(/* @vite-ignore */ dawn)) as unknown as Dawn;
  } catch (e) {
    throw new NoWebGpuError(`The 'webgpu' package (Dawn for Node) could not be loaded: ${(e as Error).message}`, { cause: e });
  }
  // Dawn needs the WebGPU enums (GPUBufferUsage, ...) as globals.
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  if (process.env.WEBMF_SPIN_WAIT !== '1') sleepGpuWaits();
  // With plan 'none' Dawn is still asked: a driver this module does not know may be there.
  const plan = planNodeGpu();
  const first = await firstAdapter(mod, plan);
  // A registered hardware driver that yields no adapter (a container without the device, a broken
  // install): fall back to SwiftShader in a fresh Dawn instance. An explicit VK_ICD_FILENAMES is kept.
  if (!first.adapter && plan.note === 'a hardware Vulkan driver') {
    const soft = softwarePlan();
    if (soft) {
      const second = await firstAdapter(mod, soft);
      if (second.adapter) return { gpu: second.gpu, plan: { ...soft, note: `${soft.note} (the hardware Vulkan driver gave no adapter)` } };
    }
  }
  return { gpu: first.gpu, plan };
}

/**
 * A new Dawn instance and its first adapter request, with the plan's driver. Dawn enumerates its
 * Vulkan drivers inside the first requestAdapter() call, synchronously, and keeps what it found for
 * later calls on that instance: this is the one moment the driver choice is made.
 */
export async function firstAdapter(mod: Dawn, plan: GpuPlan): Promise<{ gpu: GPU; adapter: GPUAdapter | null }> {
  const gpu = retainAll(mod.create([]));
  const adapter = await withSoftwareGpu(plan, () => gpu.requestAdapter());
  return { gpu, adapter };
}

export async function nodeGpu(): Promise<GPU> {
  return (await nodeGpuWithPlan()).gpu;
}

/** Holds `gpu`, and every adapter and device it hands out, for the process (see `live`). */
function retainAll(gpu: GPU): GPU {
  retain(gpu);
  const requestAdapter = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = async (opts?: GPURequestAdapterOptions) => {
    const adapter = await requestAdapter(opts);
    if (!adapter) return adapter;
    retain(adapter);
    const requestDevice = adapter.requestDevice.bind(adapter);
    adapter.requestDevice = async (desc?: GPUDeviceDescriptor) => retain(await requestDevice(desc));
    return adapter;
  };
  return gpu;
}
