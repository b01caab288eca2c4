/**
 * The GPU host layer: one `GpuContext` per device. It owns error capture, the pipeline cache,
 * buffer creation with labels, the one dispatch helper and the one readback helper.
 */
import { DeviceLostError, GpuError, InputError, LimitError, NoWebGpuError } from '../core/errors.ts';
import wgslPrelude from '../../shaders/prelude.wgsl?raw';

/** What to install where no adapter is found (repeated from discover.ts, which imports node:fs and stays out of browser bundles). */
const NO_GPU_ADVICE =
  'On Linux without a GPU driver, install Chromium or Chrome, which ship the SwiftShader software GPU (Debian/Ubuntu: `sudo apt-get install chromium`), ' +
  'or a Vulkan driver for your GPU (with libvulkan1); or use the CPU backend.';

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True when the adapter is a software rasterizer (SwiftShader, WARP, llvmpipe). */
  software: boolean;
  /** How it was found, in words: 'navigator.gpu', 'the caller's GPUDevice', or in Node e.g. 'SwiftShader (software Vulkan) from /usr/lib/chromium'. */
  source?: string;
}

export interface GpuContextOptions {
  /** Use this device instead of requesting one. The caller keeps ownership; `destroy()` will not destroy it. */
  device?: GPUDevice;
  /** A `GPU` object (navigator.gpu or the Node `webgpu` package's). Found automatically when omitted. */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /**
   * Lower size limits than the device has, enforced by webmf in every size check and chunk plan
   * (the effective limit is min(requested, device)). Used to run large data on devices that grant
   * little, and to exercise chunking on small data.
   */
  limits?: GpuLimitsRequest;
  /**
   * What to ask of the adapter when webmf requests the device: 'adapter' (default) asks for the
   * adapter's maxima of the size and workgroup limits (WANTED_LIMITS), so large data sets need fewer
   * chunks; 'default' asks for no limits at all, so the device has WebGPU's defaults (128 MiB
   * bindings, 256 MiB buffers), as a page that requests nothing gets. Ignored with a caller's device.
   */
  deviceLimits?: 'adapter' | 'default';
}

/** The size limits a caller may lower (bytes). */
export interface GpuLimitsRequest {
  maxStorageBufferBindingSize?: number;
  maxBufferSize?: number;
  /**
   * webmf's own: the device memory (bytes) a fit may plan to use. WebGPU does not report device
   * memory, so without it only the per-buffer limits are checked (src/gpu/budget.ts).
   */
  deviceMemory?: number;
}

/** The WebGPU limits GpuLimitsRequest can lower. */
export const LOWERABLE_LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize'] as const;
/** Every name GpuLimitsRequest accepts. */
export const LIMIT_NAMES = [...LOWERABLE_LIMITS, 'deviceMemory'] as const;

/**
 * The smallest size limit webmf accepts: chunk plans align chunks to 256-byte binding offsets and to
 * the loss reduction's 512 KiB partial blocks (src/kernels/loss.ts), so a smaller one cannot be honoured.
 */
export const MIN_SIZE_LIMIT = 1024 * 1024;

/** Checks a limits request: known names, integers of at least MIN_SIZE_LIMIT bytes, multiples of 4. */
export function checkLimitsRequest(req: unknown): GpuLimitsRequest {
  if (req === undefined) return {};
  if (typeof req !== 'object' || req === null || Array.isArray(req)) throw new InputError(`limits must be an object like { maxStorageBufferBindingSize: 4194304 }, got ${String(req)}`);
  const out: GpuLimitsRequest = {};
  for (const [k, v] of Object.entries(req)) {
    if (!(LIMIT_NAMES as readonly string[]).includes(k)) throw new InputError(`limits: unknown limit '${k}' (webmf accepts ${LIMIT_NAMES.join(', ')})`);
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < MIN_SIZE_LIMIT || v % 4 !== 0) {
      throw new InputError(`limits.${k} must be a whole number of bytes, a multiple of 4 and at least ${MIN_SIZE_LIMIT} (1 MiB), got ${String(v)}`);
    }
    out[k as keyof GpuLimitsRequest] = v;
  }
  return out;
}

/** The device's limits as a plain object, with the requested size limits lowered to min(requested, device). */
function effectiveLimits(device: GPUDevice, req: GpuLimitsRequest): GPUSupportedLimits {
  const out: Record<string, number> = {};
  for (const k in device.limits) {
    const v = (device.limits as unknown as Record<string, unknown>)[k];
    if (typeof v === 'number') out[k] = v;
  }
  for (const k of LOWERABLE_LIMITS) {
    const r = req[k];
    if (r !== undefined) out[k] = Math.min(r, out[k] ?? r);
  }
  return Object.freeze(out) as unknown as GPUSupportedLimits;
}

/** Limits the engine asks for (the adapter's maxima, so large data sets fit). */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

/** Staging buffers kept for reuse, and the largest size kept. */
const STAGING_POOL = 4;
const STAGING_MAX = 64 * 1024 * 1024;

const pipelineCache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 0;
/** A process-unique id per buffer object, for bind-group cache keys (labels need not be unique). */
export function bufferId(b: GPUBuffer | null | undefined): string {
  if (!b) return '-';
  let id = bufferIds.get(b);
  if (id === undefined) bufferIds.set(b, (id = nextBufferId++));
  return String(id);
}

let nextShaderId = 0;
const shaderIds = new Map<string, number>();
function shaderKey(code: string): number {
  let id = shaderIds.get(code);
  if (id === undefined) shaderIds.set(code, (id = nextShaderId++));
  return id;
}

async function findGpu(): Promise<{ gpu: GPU; source: string }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, source: 'navigator.gpu' };
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) throw new NoWebGpuError('This browser has no WebGPU (navigator.gpu is missing). Use a recent Chrome, Edge or Safari, or the CPU backend.');
  const { nodeGpuWithPlan } = await import('./node.ts');
  const { gpu, plan } = await nodeGpuWithPlan();
  return { gpu, source: plan.kind === 'none' ? 'Dawn (no known Vulkan driver)' : plan.note };
}

export class GpuContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterDescription;
  /** The limits webmf plans with: the device's, with any requested size limits lowered (see GpuContextOptions.limits). */
  readonly limits: GPUSupportedLimits;
  /** The size limits asked for in create() (empty when none). */
  readonly requestedLimits: GpuLimitsRequest;
  /**
   * What the device was requested with (GpuContextOptions.deviceLimits), and the adapter's size
   * maxima: undefined for a caller's device.
   */
  deviceRequest?: { deviceLimits: 'adapter' | 'default'; adapterMaxStorageBufferBindingSize: number; adapterMaxBufferSize: number };
  readonly hasTimestamps: boolean;
  /**
   * The subgroup sizes when the device has the 'subgroups' feature (from the adapter's info; both 0
   * where the info does not say), or null without it. Kernels that `enable subgroups;` check it.
   */
  readonly subgroups: { minSize: number; maxSize: number } | null;
  private readonly owned: boolean;
  private lostError: DeviceLostError | null = null;
  private uncaptured: GpuError | null = null;
  /** Idle MAP_READ staging buffers, reused by reads (power-of-two sizes, a few at most). */
  private readonly stagingPool: GPUBuffer[] = [];
  /** Bytes written to and read from the device, for the benchmark's traffic figures. */
  readonly traffic = { uploaded: 0, downloaded: 0 };
  /** Bytes of the buffers made through this context and not yet destroyed, and the most at once. */
  readonly memory = { live: 0, peak: 0 };

  private constructor(device: GPUDevice, adapter: AdapterDescription, owned: boolean, limits: GpuLimitsRequest = {}) {
    this.device = device;
    this.adapter = adapter;
    this.requestedLimits = limits;
    this.limits = effectiveLimits(device, limits);
    this.owned = owned;
    this.hasTimestamps = device.features.has('timestamp-query');
    const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
    this.subgroups = device.features.has('subgroups' as GPUFeatureName) ? { minSize: info?.subgroupMinSize ?? 0, maxSize: info?.subgroupMaxSize ?? 0 } : null;
    device.lost.then((info) => {
      this.lostError = new DeviceLostError(info.reason ?? 'unknown', info.message || 'no message');
    });
    device.addEventListener('uncapturederror', this.onUncaptured);
  }

  private readonly onUncaptured = (ev: Event): void => {
    const e = (ev as GPUUncapturedErrorEvent).error;
    if (!this.uncaptured) this.uncaptured = toGpuError(e);
  };

  static async create(opts: GpuContextOptions = {}): Promise<GpuContext> {
    const limits = checkLimitsRequest(opts.limits);
    if (opts.device) {
      const info = (opts.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
      return new GpuContext(opts.device, describe(info, "the caller's GPUDevice"), false, limits);
    }
    const { gpu, source } = opts.gpu ? { gpu: opts.gpu, source: "the caller's GPU object" } : await findGpu();
    const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
    if (!adapter) {
      throw new NoWebGpuError(`No WebGPU adapter found (looked for: ${source}). ${NO_GPU_ADVICE}`);
    }
    const deviceLimits = opts.deviceLimits ?? 'adapter';
    if (deviceLimits !== 'adapter' && deviceLimits !== 'default') throw new InputError(`deviceLimits must be 'adapter' or 'default', got ${String(deviceLimits)}`);
    const requiredLimits: Record<string, number> = {};
    if (deviceLimits === 'adapter') for (const k of WANTED_LIMITS) requiredLimits[k] = adapter.limits[k] as number;
    const requiredFeatures: GPUFeatureName[] = [];
    if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
    // subgroup operations (shaders that `enable subgroups;`), used where the adapter has them
    if (adapter.features.has('subgroups' as GPUFeatureName)) requiredFeatures.push('subgroups' as GPUFeatureName);
    const device = await adapter.requestDevice({ label: 'webmf.device', requiredLimits, requiredFeatures });
    const ctx = new GpuContext(device, describe(adapter.info, source), true, limits);
    ctx.deviceRequest = { deviceLimits, adapterMaxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, adapterMaxBufferSize: adapter.limits.maxBufferSize };
    return ctx;
  }

  /**
   * The device-memory budget a fit is checked against (limits.deviceMemory, less what is reserved
   * with `reserveMemory`), or undefined.
   */
  get memoryBudget(): number | undefined {
    const b = this.requestedLimits.deviceMemory;
    return b === undefined ? undefined : Math.max(0, b - this.reservedBytes);
  }

  private reservedBytes = 0;

  /**
   * Takes `bytes` out of the budget fits are checked against (buffers a caller keeps alive across
   * fits: a search's trials' factors between rungs); the returned function gives them back.
   */
  reserveMemory(bytes: number): () => void {
    this.reservedBytes += bytes;
    let back = false;
    return () => {
      if (!back) this.reservedBytes -= bytes;
      back = true;
    };
  }

  /** The largest buffer webmf may bind as storage here: min(maxStorageBufferBindingSize, maxBufferSize), in bytes. */
  get maxStorageBytes(): number {
    return Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize);
  }

  /** Throws the first device-lost or uncaptured error seen so far. */
  check(): void {
    if (this.lostError) throw this.lostError;
    if (this.uncaptured) {
      const e = this.uncaptured;
      this.uncaptured = null;
      throw e;
    }
  }

  get lost(): boolean {
    return this.lostError !== null;
  }

  /** Runs `fn` inside validation, internal and out-of-memory error scopes; throws the first error. */
  async scoped<T>(fn: () => Promise<T> | T): Promise<T> {
    const d = this.device;
    d.pushErrorScope('out-of-memory');
    d.pushErrorScope('internal');
    d.pushErrorScope('validation');
    let result: T;
    try {
      result = await fn();
    } finally {
      const errs = [await d.popErrorScope(), await d.popErrorScope(), await d.popErrorScope()];
      const first = errs.find((e) => e);
      if (first) throw toGpuError(first);
    }
    this.check();
    return result;
  }

  /** Checks a size against a device limit, with a clear error naming the limit. */
  requireLimit(what: string, limit: keyof GPUSupportedLimits & string, required: number): void {
    const available = this.limits[limit] as number;
    if (required > available) throw new LimitError(what, limit, required, available);
  }

  /** Creates a labelled buffer; optional initial data. Sizes are rounded up to 4 bytes (minimum 16). */
  buffer(label: string, sizeOrData: number | ArrayBufferView, usage: GPUBufferUsageFlags, windowed = false): GPUBuffer {
    const data = typeof sizeOrData === 'number' ? null : sizeOrData;
    const bytes = data ? data.byteLength : (sizeOrData as number);
    const size = Math.max(16, Math.ceil(bytes / 4) * 4);
    if (usage & GPUBufferUsage.STORAGE && !windowed) this.requireLimit(`buffer '${label}'`, 'maxStorageBufferBindingSize', size);
    this.requireLimit(`buffer '${label}'`, 'maxBufferSize', size);
    const buf = this.device.createBuffer({ label, size, usage, mappedAtCreation: !!data });
    this.track(buf, size);
    if (data) {
      new Uint8Array(buf.getMappedRange(0, size)).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      buf.unmap();
      this.traffic.uploaded += data.byteLength;
    }
    return buf;
  }

  /** Counts a buffer in `memory` until its destroy() (wrapped once; a second destroy() counts nothing). */
  private track(buf: GPUBuffer, size: number): void {
    const mem = this.memory;
    mem.live += size;
    if (mem.live > mem.peak) mem.peak = mem.live;
    const destroy = buf.destroy.bind(buf);
    let gone = false;
    try {
      Object.defineProperty(buf, 'destroy', {
        configurable: true,
        value: () => {
          if (!gone) {
            gone = true;
            mem.live -= size;
          }
          destroy();
        },
      });
    } catch {
      // an implementation that forbids it: the figure then counts this buffer until the context ends
    }
  }

  /** A storage buffer usable as a copy source and destination. */
  storage(label: string, sizeOrData: number | ArrayBufferView): GPUBuffer {
    return this.buffer(label, sizeOrData, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  }

  /**
   * A factor matrix: a storage buffer up to maxBufferSize, which kernels bind in windows of whole
   * rows when it is over maxStorageBufferBindingSize (src/kernels/factor-windows.ts).
   */
  factorStorage(label: string, sizeOrData: number | ArrayBufferView): GPUBuffer {
    return this.buffer(label, sizeOrData, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, true);
  }

  uniform(label: string, data: ArrayBufferView): GPUBuffer {
    return this.buffer(label, data, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  }

  write(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
    this.traffic.uploaded += data.byteLength;
  }

  /** A compute pipeline, cached per device by (shader, entry point, constants). */
  pipeline(label: string, code: string, constants: Record<string, number> = {}, entryPoint = 'main'): GPUComputePipeline {
    let cache = pipelineCache.get(this.device);
    if (!cache) pipelineCache.set(this.device, (cache = new Map()));
    const key = `${shaderKey(code)}|${entryPoint}|${Object.keys(constants)
      .sort()
      .map((k) => `${k}=${constants[k]}`)
      .join(',')}`;
    let p = cache.get(key);
    if (!p) {
      // Every shader gets the shared helpers (shaders/prelude.wgsl) in front, after its directives
      // (`enable ...;`, `diagnostic(...);`), which WGSL requires before any declaration.
      const directives = /^(?:\s*(?:\/\/[^\n]*\n|(?:enable|requires|diagnostic)\b[^;]*;))*/.exec(code)?.[0] ?? '';
      const module = this.device.createShaderModule({ label: `${label}.module`, code: directives + '\n' + wgslPrelude + code.slice(directives.length) });
      p = this.device.createComputePipeline({ label, layout: 'auto', compute: { module, entryPoint, constants } });
      cache.set(key, p);
    }
    return p;
  }

  /** A bind group whose entry i binds buffers[i] at binding i; null skips a binding the entry point does not use. */
  bindGroup(label: string, pipeline: GPUComputePipeline, buffers: (GPUBuffer | GPUBufferBinding | null)[], group = 0): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = [];
    buffers.forEach((b, i) => {
      if (b) entries.push({ binding: i, resource: 'buffer' in b ? b : { buffer: b } });
    });
    return this.device.createBindGroup({ label, layout: pipeline.getBindGroupLayout(group), entries });
  }

  /**
   * Records one dispatch of `count` workgroups. More than maxComputeWorkgroupsPerDimension are folded
   * into 2-D; shaders linearize with `wid.x + wid.y * nwg.x` and skip ids >= count.
   */
  dispatch(pass: GPUComputePassEncoder, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, count: number): void {
    if (count <= 0) return;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    const x = Math.min(count, max);
    const y = Math.ceil(count / x);
    if (y > max) throw new LimitError('dispatch too large', 'maxComputeWorkgroupsPerDimension^2', count, max * max);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y);
  }

  /** The one readback helper: copy → mapAsync → slice → unmap. */
  async read(src: GPUBuffer, offset = 0, size = src.size - offset): Promise<ArrayBuffer> {
    return (await this.readMany([{ buffer: src, offset, size }]))[0];
  }

  /**
   * Reads several ranges in one submission and one mapping (a step's scalars and the factors it
   * keeps on the host wait once, not twice). Offsets and sizes are multiples of 4.
   */
  async readMany(parts: { buffer: GPUBuffer; offset?: number; size?: number }[]): Promise<ArrayBuffer[]> {
    const all = parts.reduce((a, p) => a + Math.ceil((p.size ?? p.buffer.size - (p.offset ?? 0)) / 4) * 4, 0);
    // A staging buffer is a buffer too: above maxBufferSize the ranges are read in pieces of at most
    // half of it (a power of two, so the pool's rounding stays within the limit), one mapping each.
    const piece = 2 ** Math.floor(Math.log2(this.limits.maxBufferSize)) / 2;
    if (all > piece) return Promise.all(parts.map((p) => this.readPieces(p, piece)));
    return this.readOnce(parts);
  }

  private async readPieces(p: { buffer: GPUBuffer; offset?: number; size?: number }, piece: number): Promise<ArrayBuffer> {
    const offset = p.offset ?? 0;
    const size = p.size ?? p.buffer.size - offset;
    const out = new Uint8Array(size);
    for (let at = 0; at < size; at += piece) {
      const n = Math.min(piece, size - at);
      const [b] = await this.readOnce([{ buffer: p.buffer, offset: offset + at, size: n }]);
      out.set(new Uint8Array(b), at);
    }
    return out.buffer;
  }

  private async readOnce(parts: { buffer: GPUBuffer; offset?: number; size?: number }[]): Promise<ArrayBuffer[]> {
    const sizes = parts.map((p) => p.size ?? p.buffer.size - (p.offset ?? 0));
    const padded = sizes.map((n) => Math.ceil(n / 4) * 4);
    const total = Math.max(4, padded.reduce((a, b) => a + b, 0));
    const staging = this.takeStaging(total);
    let reuse = false;
    try {
      const enc = this.device.createCommandEncoder({ label: `${parts[0].buffer.label}.readback` });
      let at = 0;
      parts.forEach((p, k) => {
        if (padded[k]) enc.copyBufferToBuffer(p.buffer, p.offset ?? 0, staging, at, padded[k]);
        at += padded[k];
      });
      this.device.queue.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const mapped = staging.getMappedRange();
      at = 0;
      const out = sizes.map((n, k) => {
        const b = mapped.slice(at, at + n);
        at += padded[k];
        return b;
      });
      staging.unmap();
      reuse = true;
      this.traffic.downloaded += sizes.reduce((a, b) => a + b, 0);
      this.check();
      return out;
    } catch (e) {
      this.check();
      throw e;
    } finally {
      if (reuse) this.giveStaging(staging);
      else staging.destroy();
    }
  }

  /** A staging buffer of at least `size` bytes: an idle pooled one, or a new one. */
  private takeStaging(size: number): GPUBuffer {
    const want = Math.max(256, 2 ** Math.ceil(Math.log2(size)));
    const i = this.stagingPool.findIndex((b) => b.size === want);
    if (i >= 0) return this.stagingPool.splice(i, 1)[0];
    return this.device.createBuffer({ label: 'webmf.readback', size: want, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** Returns a staging buffer to the pool (at most STAGING_POOL buffers, each at most STAGING_MAX bytes). */
  private giveStaging(b: GPUBuffer): void {
    if (b.size > STAGING_MAX || this.lostError) {
      b.destroy();
      return;
    }
    this.stagingPool.push(b);
    while (this.stagingPool.length > STAGING_POOL) this.stagingPool.shift()!.destroy();
  }

  async readF32(src: GPUBuffer, offset = 0, count?: number): Promise<Float32Array> {
    return new Float32Array(await this.read(src, offset, count === undefined ? undefined : count * 4));
  }

  /** Submits the encoder's work. */
  submit(enc: GPUCommandEncoder): void {
    this.device.queue.submit([enc.finish()]);
  }

  /** Releases the device when this context made it; a caller's device is left alive, without webmf's listener. */
  destroy(): void {
    for (const b of this.stagingPool.splice(0)) b.destroy();
    this.device.removeEventListener('uncapturederror', this.onUncaptured);
    if (this.owned) this.device.destroy();
  }
}

function toGpuError(e: GPUError): GpuError {
  const kind =
    e.constructor?.name === 'GPUValidationError'
      ? 'validation'
      : e.constructor?.name === 'GPUOutOfMemoryError'
        ? 'out-of-memory'
        : e.constructor?.name === 'GPUInternalError'
          ? 'internal'
          : 'unknown';
  return new GpuError(kind, e.message);
}

function describe(info: GPUAdapterInfo | undefined, source: string): AdapterDescription {
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const all = `${vendor} ${architecture} ${device} ${description}`.toLowerCase();
  return { vendor, architecture, device, description, software: /swiftshader|llvmpipe|warp|lavapipe|software/.test(all), source };
}

export function adapterName(a: AdapterDescription): string {
  const parts = [a.vendor, a.architecture, a.device || a.description].filter(Boolean);
  return parts.length ? parts.join(' / ') : 'unknown adapter';
}
