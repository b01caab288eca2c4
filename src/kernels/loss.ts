/**
 * Host side of shaders/loss.wgsl: sum of squared and absolute residuals over observed ratings
 * (or the observed part of the implicit loss), reduced on the device to two floats in `out`.
 */
import { bufferId, type GpuContext } from '../gpu/context.ts';
import { bindGroupByName, packUniform, uniformSize } from '../gpu/wgsl.ts';
import { lossDirectBody, lossWgsl } from './shaders.ts';
import { resolveVariant, type KernelVariant } from './variant.ts';
import { loadWidth } from './normal-eq-rows.ts';
import { gatherBindings, withWindows, type FactorWindows } from './factor-windows.ts';

const WG = 256;
const PER = 16;
/** shaders/loss_direct.wgsl: invocations per workgroup and entries each invocation sums. */
const DWG = 64;
const CH = 64;

/**
 * loss_direct.wgsl with the vector type of a factor row of `stride` floats and its row dot product
 * written out (NV vector loads per row, no loop: the stride is known when the pipeline is made).
 */
export function lossDirectWgsl(stride: number): string {
  const W = loadWidth(stride);
  const fv = W === 1 ? 'f32' : `vec${W}<f32>`;
  const terms = Array.from({ length: stride / W }, (_, c) => (W === 1 ? `W_at(xu + ${c}u) * H_at(yi + ${c}u)` : `dot(W_at(xu + ${c}u), H_at(yi + ${c}u))`));
  return `alias FV = ${fv};\nfn rowDot(xu: u32, yi: u32) -> f32 { return ${terms.join(' + ')}; }\n${lossDirectBody}`;
}
/** The windows of the user and item factor matrices (src/kernels/factor-windows.ts). */
export interface LossWindows {
  W: FactorWindows;
  H: FactorWindows;
}

/** `code` reading W and H through their windows (W_at, H_at); the code itself with one window each. */
function windowed(code: string, w: LossWindows | undefined, floats: number): string {
  return withWindows(withWindows(code, 'W', w?.W ?? ONE, floats), 'H', w?.H ?? ONE, floats);
}
const ONE: FactorWindows = { nRows: 0, stride: 1, rowsPer: 1, count: 1 };
/** The tiled kernel with W and H in one binding each. */
const lossWgsl1 = windowed(lossWgsl, undefined, 1);

function factorBindings(W: GPUBuffer, H: GPUBuffer, w: LossWindows | undefined): Record<string, GPUBuffer | GPUBufferBinding> {
  return w ? { ...gatherBindings('W', W, w.W), ...gatherBindings('H', H, w.H) } : { W, H };
}

/** One 256-byte uniform slot per chunk (the minimum uniform offset alignment). */
const PARAM_STRIDE = 256;
/**
 * Ratings per chunk are a multiple of this: whole blocks of 32 partial-sum workgroups, so a chunk's
 * first partial sits at a multiple of 32 x 8 = 256 bytes (minStorageBufferOffsetAlignment) in `part`.
 * 131,072 ratings = 512 KiB per array, which is why GpuContext accepts no size limit under 1 MiB.
 */
export const LOSS_CHUNK_QUANTUM = WG * PER * 32;

/** Ratings [k0, k0 + n) with their three arrays in buffers of their own; partial sums from `part0`. */
interface LossChunk {
  k0: number;
  n: number;
  part0: number;
  parts: number;
  users: GPUBuffer;
  items: GPUBuffer;
  values: GPUBuffer;
}

/**
 * Ratings above the storage-binding limit are cut into chunks (a multiple of LOSS_CHUNK_QUANTUM
 * each): one `partials` dispatch per chunk writes its workgroups' sums into its window of `part`,
 * and `total` sums all of `part` as before. Each workgroup sums the same ratings in the same order
 * as without chunks, so the result is bit for bit the unchunked one.
 */
export class LossKernel {
  readonly out: GPUBuffer;
  private readonly chunks: LossChunk[] = [];
  private readonly part: GPUBuffer;
  private readonly params: GPUBuffer;
  private readonly parts: number;
  private readonly pPartials: GPUComputePipeline;
  private readonly pTotal: GPUComputePipeline;
  private readonly groups = new Map<string, GPUBindGroup[]>();
  /** 'tiled' (loss.wgsl: workgroup tree reductions) or 'direct' (loss_direct.wgsl: no barriers). */
  readonly variant: Exclude<KernelVariant, 'auto'>;
  private readonly part2: GPUBuffer;
  private readonly parts2: number;

  constructor(
    private readonly gpu: GpuContext,
    readonly label: string,
    users: Int32Array,
    items: Int32Array,
    values: Float32Array,
    variant: KernelVariant = 'auto',
  ) {
    this.n = values.length;
    const per = Math.floor(gpu.maxStorageBytes / 4);
    const size = this.n <= per ? Math.max(1, this.n) : Math.floor(per / LOSS_CHUNK_QUANTUM) * LOSS_CHUNK_QUANTUM;
    const made: GPUBuffer[] = [];
    const mk = (b: GPUBuffer) => (made.push(b), b);
    try {
      for (let k0 = 0; k0 < Math.max(1, this.n); k0 += size) {
        const n = Math.min(size, this.n - k0);
        const tag = size < this.n ? `[${this.chunks.length}]` : '';
        const part0 = k0 / (WG * PER);
        this.chunks.push({
          k0, n, part0,
          parts: Math.max(1, Math.ceil(n / (WG * PER))),
          users: mk(gpu.storage(`${label}.users${tag}`, users.subarray(k0, k0 + n))),
          items: mk(gpu.storage(`${label}.items${tag}`, items.subarray(k0, k0 + n))),
          values: mk(gpu.storage(`${label}.values${tag}`, values.subarray(k0, k0 + n))),
        });
      }
      this.variant = resolveVariant(gpu, variant);
      const direct = this.variant === 'direct';
      this.parts = Math.max(1, Math.ceil(this.n / (direct ? CH : WG * PER)));
      this.parts2 = Math.max(1, Math.ceil(this.parts / CH));
      this.part = mk(gpu.storage(`${label}.partials`, this.parts * 8));
      this.part2 = mk(gpu.storage(`${label}.partials2`, direct ? this.parts2 * 8 : 8));
      this.out = mk(gpu.storage(`${label}.out`, 8));
      // One uniform slot per chunk and one for the whole (either variant's P fits a slot).
      this.params = mk(gpu.buffer(`${label}.params`, (this.chunks.length + 1) * PARAM_STRIDE, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST));
    } catch (e) {
      for (const b of made) b.destroy();
      throw e;
    }
    this.pPartials = gpu.pipeline(`${label}.partials`, lossWgsl1, { WG, PER }, 'partials');
    this.pTotal = gpu.pipeline(`${label}.total`, lossWgsl1, { WG, PER }, 'total');
  }

  /**
   * The barrier-free reduction. Chunked ratings: one `partials` dispatch per chunk into its window
   * of `part` (a chunk holds a multiple of CH ratings, so every invocation sums the same CH ratings
   * as without chunks: the result is the unchunked one bit for bit); `sums` and `total` then run
   * over all of `part` with the last uniform slot.
   */
  private encodeDirect(enc: GPUCommandEncoder, W: GPUBuffer, H: GPUBuffer, stride: number, mu: number, implicitAlpha?: number, windows?: LossWindows): void {
    const code = windowed(lossDirectWgsl(stride), windows, loadWidth(stride));
    const c = { WG: DWG, CH, NV: stride / loadWidth(stride) };
    const pipes = (['partials', 'sums', 'total'] as const).map((e) => this.gpu.pipeline(`${this.label}.direct.${e}`, code, e === 'total' ? { NV: c.NV } : c, e));
    const nc = this.chunks.length;
    const common = { mu, alpha: implicitAlpha ?? 0, implicit: implicitAlpha !== undefined };
    const data = new Uint8Array((nc + 1) * PARAM_STRIDE);
    this.chunks.forEach((ch, k) => data.set(packUniform(code, 'P', { n: ch.n, parts: Math.max(1, Math.ceil(ch.n / CH)), parts2: this.parts2, ...common }), k * PARAM_STRIDE));
    data.set(packUniform(code, 'P', { n: this.n, parts: this.parts, parts2: this.parts2, ...common }), nc * PARAM_STRIDE);
    this.gpu.write(this.params, data);
    const key = `direct#${stride}#${bufferId(W)}#${bufferId(H)}`;
    let g = this.groups.get(key);
    if (!g) {
      const { part, part2, out } = this;
      const pSize = uniformSize(code, 'P');
      const slot = (k: number): GPUBufferBinding => ({ buffer: this.params, offset: k * PARAM_STRIDE, size: pSize });
      g = this.chunks.map((ch, k) => {
        const win: GPUBuffer | GPUBufferBinding = nc === 1 ? part : { buffer: part, offset: (ch.k0 / CH) * 8, size: Math.max(1, Math.ceil(ch.n / CH)) * 8 };
        return bindGroupByName(this.gpu, `${this.label}.direct.partials${nc === 1 ? '' : `[${k}]`}`, pipes[0], code, { P: slot(k), users: ch.users, items: ch.items, values: ch.values, ...factorBindings(W, H, windows), part: win });
      });
      g.push(bindGroupByName(this.gpu, `${this.label}.direct.sums`, pipes[1], code, { P: slot(nc), part, part2 }));
      g.push(bindGroupByName(this.gpu, `${this.label}.direct.total`, pipes[2], code, { P: slot(nc), part2, out }));
      this.groups.set(key, g);
    }
    const pass = enc.beginComputePass({ label: `${this.label}.pass` });
    this.chunks.forEach((ch, k) => this.gpu.dispatch(pass, pipes[0], g[k], Math.ceil(Math.ceil(ch.n / CH) / DWG)));
    this.gpu.dispatch(pass, pipes[1], g[nc], Math.ceil(this.parts2 / DWG));
    this.gpu.dispatch(pass, pipes[2], g[nc + 1], 1);
    pass.end();
  }

  readonly n: number;

  /** The ratings' arrays of chunk 0 (the only chunk below the binding limit). */
  get users(): GPUBuffer {
    return this.chunks[0].users;
  }
  get items(): GPUBuffer {
    return this.chunks[0].items;
  }
  get values(): GPUBuffer {
    return this.chunks[0].values;
  }
  /** How many chunks the ratings are stored in. */
  get chunkCount(): number {
    return this.chunks.length;
  }

  /**
   * Encodes the reduction for factors W (users) and H (items) of the given stride; `windows` when
   * either is over one storage binding (src/kernels/factor-windows.ts).
   */
  encode(enc: GPUCommandEncoder, W: GPUBuffer, H: GPUBuffer, stride: number, mu: number, implicitAlpha?: number, windows?: LossWindows): void {
    if (this.variant === 'direct') {
      this.encodeDirect(enc, W, H, stride, mu, implicitAlpha, windows);
      return;
    }
    const code = windowed(lossWgsl, windows, 1);
    const pPartials = code === lossWgsl1 ? this.pPartials : this.gpu.pipeline(`${this.label}.partials`, code, { WG, PER }, 'partials');
    const data = new Uint8Array(this.chunks.length * PARAM_STRIDE);
    this.chunks.forEach((c, k) =>
      data.set(packUniform(lossWgsl, 'P', { n: c.n, stride, mu, parts: this.parts, alpha: implicitAlpha ?? 0, implicit: implicitAlpha !== undefined }), k * PARAM_STRIDE),
    );
    this.gpu.write(this.params, data);
    const key = `${bufferId(W)}#${bufferId(H)}`;
    let g = this.groups.get(key);
    if (!g) {
      const { part, out } = this;
      const pSize = uniformSize(lossWgsl, 'P');
      const one = this.chunks.length === 1;
      g = this.chunks.map((c, k) => {
        const P: GPUBufferBinding = { buffer: this.params, offset: k * PARAM_STRIDE, size: pSize };
        const win: GPUBuffer | GPUBufferBinding = one ? part : { buffer: part, offset: c.part0 * 8, size: c.parts * 8 };
        return bindGroupByName(this.gpu, `${this.label}.partials${one ? '' : `[${k}]`}`, pPartials, code, { P, users: c.users, items: c.items, values: c.values, ...factorBindings(W, H, windows), part: win });
      });
      g.push(bindGroupByName(this.gpu, `${this.label}.total`, this.pTotal, lossWgsl1, { P: { buffer: this.params, offset: 0, size: pSize }, part, out }));
      this.groups.set(key, g);
    }
    const pass = enc.beginComputePass({ label: `${this.label}.pass` });
    this.chunks.forEach((c, k) => this.gpu.dispatch(pass, pPartials, g[k], c.parts));
    this.gpu.dispatch(pass, this.pTotal, g[this.chunks.length], 1);
    pass.end();
  }

  /** Runs the reduction and reads (sse, sae). */
  async run(W: GPUBuffer, H: GPUBuffer, stride: number, mu: number, windows?: LossWindows): Promise<{ sse: number; sae: number; rmse: number; mae: number }> {
    const enc = this.gpu.device.createCommandEncoder({ label: `${this.label}.encoder` });
    this.encode(enc, W, H, stride, mu, undefined, windows);
    this.gpu.submit(enc);
    const [sse, sae] = await this.gpu.readF32(this.out, 0, 2);
    return { sse, sae, rmse: Math.sqrt(sse / this.n), mae: sae / this.n };
  }

  destroy(): void {
    for (const c of this.chunks) for (const b of [c.users, c.items, c.values]) b.destroy();
    for (const b of [this.part, this.part2, this.out, this.params]) b.destroy();
  }
}
