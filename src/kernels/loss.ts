/**
 * Host side of shaders/loss.wgsl: sum of squared and absolute residuals over observed ratings
 * (or the observed part of the implicit loss), reduced on the device to two floats in `out`.
 */
import { bufferId, type GpuContext } from '../gpu/context.ts';
import { bindGroupByName, packUniform, uniformSize } from '../gpu/wgsl.ts';
import { lossDirectBody, lossWgsl } from './shaders.ts';
import { resolveVariant, type KernelVariant } from './variant.ts';
import { loadWidth } from './normal-eq-rows.ts';

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
  const terms = Array.from({ length: stride / W }, (_, c) => (W === 1 ? `X[xu + ${c}u] * Y[yi + ${c}u]` : `dot(X[xu + ${c}u], Y[yi + ${c}u])`));
  return `alias FV = ${fv};\nfn rowDot(xu: u32, yi: u32) -> f32 { return ${terms.join(' + ')}; }\n${lossDirectBody}`;
}

export class LossKernel {
  readonly users: GPUBuffer;
  readonly items: GPUBuffer;
  readonly values: GPUBuffer;
  readonly out: GPUBuffer;
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
    this.variant = resolveVariant(gpu, variant);
    this.n = values.length;
    this.users = gpu.storage(`${label}.users`, users);
    this.items = gpu.storage(`${label}.items`, items);
    this.values = gpu.storage(`${label}.values`, values);
    const direct = this.variant === 'direct';
    this.parts = Math.max(1, Math.ceil(this.n / (direct ? CH : WG * PER)));
    this.parts2 = Math.max(1, Math.ceil(this.parts / CH));
    this.part = gpu.storage(`${label}.partials`, this.parts * 8);
    this.part2 = gpu.storage(`${label}.partials2`, direct ? this.parts2 * 8 : 8);
    this.out = gpu.storage(`${label}.out`, 8);
    this.params = gpu.uniform(`${label}.params`, new Uint8Array(Math.max(uniformSize(lossWgsl, 'P'), uniformSize(lossDirectWgsl(1), 'P'))));
    this.pPartials = gpu.pipeline(`${label}.partials`, lossWgsl, { WG, PER }, 'partials');
    this.pTotal = gpu.pipeline(`${label}.total`, lossWgsl, { WG, PER }, 'total');
  }

  private encodeDirect(enc: GPUCommandEncoder, X: GPUBuffer, Y: GPUBuffer, stride: number, mu: number, implicitAlpha?: number): void {
    const code = lossDirectWgsl(stride);
    const c = { WG: DWG, CH, NV: stride / loadWidth(stride) };
    const pipes = (['partials', 'sums', 'total'] as const).map((e) => this.gpu.pipeline(`${this.label}.direct.${e}`, code, e === 'total' ? { NV: c.NV } : c, e));
    this.gpu.write(this.params, packUniform(code, 'P', { n: this.n, parts: this.parts, parts2: this.parts2, mu, alpha: implicitAlpha ?? 0, implicit: implicitAlpha !== undefined }));
    const key = `direct#${stride}#${bufferId(X)}#${bufferId(Y)}`;
    let g = this.groups.get(key);
    if (!g) {
      const { params: P, users, items, values, part, part2, out } = this;
      g = [
        bindGroupByName(this.gpu, `${this.label}.direct.partials`, pipes[0], code, { P, users, items, values, X, Y, part }),
        bindGroupByName(this.gpu, `${this.label}.direct.sums`, pipes[1], code, { P, part, part2 }),
        bindGroupByName(this.gpu, `${this.label}.direct.total`, pipes[2], code, { P, part2, out }),
      ];
      this.groups.set(key, g);
    }
    const pass = enc.beginComputePass({ label: `${this.label}.pass` });
    this.gpu.dispatch(pass, pipes[0], g[0], Math.ceil(this.parts / DWG));
    this.gpu.dispatch(pass, pipes[1], g[1], Math.ceil(this.parts2 / DWG));
    this.gpu.dispatch(pass, pipes[2], g[2], 1);
    pass.end();
  }

  readonly n: number;

  /** Encodes the reduction for factors X (users) and Y (items) of the given stride. */
  encode(enc: GPUCommandEncoder, X: GPUBuffer, Y: GPUBuffer, stride: number, mu: number, implicitAlpha?: number): void {
    if (this.variant === 'direct') {
      this.encodeDirect(enc, X, Y, stride, mu, implicitAlpha);
      return;
    }
    this.gpu.write(this.params, packUniform(lossWgsl, 'P', { n: this.n, stride, mu, parts: this.parts, alpha: implicitAlpha ?? 0, implicit: implicitAlpha !== undefined }));
    const key = `${bufferId(X)}#${bufferId(Y)}`;
    let g = this.groups.get(key);
    if (!g) {
      const { params: P, users, items, values, part, out } = this;
      g = [
        bindGroupByName(this.gpu, `${this.label}.partials`, this.pPartials, lossWgsl, { P, users, items, values, X, Y, part }),
        bindGroupByName(this.gpu, `${this.label}.total`, this.pTotal, lossWgsl, { P, part, out }),
      ];
      this.groups.set(key, g);
    }
    const pass = enc.beginComputePass({ label: `${this.label}.pass` });
    this.gpu.dispatch(pass, this.pPartials, g[0], this.parts);
    this.gpu.dispatch(pass, this.pTotal, g[1], 1);
    pass.end();
  }

  /** Runs the reduction and reads (sse, sae). */
  async run(X: GPUBuffer, Y: GPUBuffer, stride: number, mu: number): Promise<{ sse: number; sae: number; rmse: number; mae: number }> {
    const enc = this.gpu.device.createCommandEncoder({ label: `${this.label}.encoder` });
    this.encode(enc, X, Y, stride, mu);
    this.gpu.submit(enc);
    const [sse, sae] = await this.gpu.readF32(this.out, 0, 2);
    return { sse, sae, rmse: Math.sqrt(sse / this.n), mae: sae / this.n };
  }

  destroy(): void {
    for (const b of [this.users, this.items, this.values, this.part, this.part2, this.out, this.params]) b.destroy();
  }
}
