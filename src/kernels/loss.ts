/**
 * Host side of shaders/loss.wgsl: sum of squared and absolute residuals over observed ratings
 * (or the observed part of the implicit loss), reduced on the device to two floats in `out`.
 */
import { bufferId, type GpuContext } from '../gpu/context.ts';
import { bindGroupByName, packUniform, uniformSize } from '../gpu/wgsl.ts';
import { lossWgsl } from './shaders.ts';

const WG = 256;
const PER = 16;

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
  private readonly groups = new Map<string, [GPUBindGroup, GPUBindGroup]>();

  constructor(
    private readonly gpu: GpuContext,
    readonly label: string,
    users: Int32Array,
    items: Int32Array,
    values: Float32Array,
  ) {
    this.n = values.length;
    this.users = gpu.storage(`${label}.users`, users);
    this.items = gpu.storage(`${label}.items`, items);
    this.values = gpu.storage(`${label}.values`, values);
    this.parts = Math.max(1, Math.ceil(this.n / (WG * PER)));
    this.part = gpu.storage(`${label}.partials`, this.parts * 8);
    this.out = gpu.storage(`${label}.out`, 8);
    this.params = gpu.uniform(`${label}.params`, new Uint8Array(uniformSize(lossWgsl, 'P')));
    this.pPartials = gpu.pipeline(`${label}.partials`, lossWgsl, { WG, PER }, 'partials');
    this.pTotal = gpu.pipeline(`${label}.total`, lossWgsl, { WG, PER }, 'total');
  }

  readonly n: number;

  /** Encodes the reduction for factors X (users) and Y (items) of the given stride. */
  encode(enc: GPUCommandEncoder, X: GPUBuffer, Y: GPUBuffer, stride: number, mu: number, implicitAlpha?: number): void {
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
    for (const b of [this.users, this.items, this.values, this.part, this.out, this.params]) b.destroy();
  }
}
