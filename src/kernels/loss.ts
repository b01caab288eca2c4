/**
 * Host side of shaders/loss.wgsl: sum of squared and absolute residuals over observed ratings
 * (or the observed part of the implicit loss), reduced on the device to two floats in `out`.
 */
import { bufferId, type GpuContext } from '../gpu/context.ts';
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
    this.params = gpu.uniform(`${label}.params`, new Uint32Array(8));
    this.pPartials = gpu.pipeline(`${label}.partials`, lossWgsl, { WG, PER }, 'partials');
    this.pTotal = gpu.pipeline(`${label}.total`, lossWgsl, { WG, PER }, 'total');
  }

  readonly n: number;

  /** Encodes the reduction for factors X (users) and Y (items) of the given stride. */
  encode(enc: GPUCommandEncoder, X: GPUBuffer, Y: GPUBuffer, stride: number, mu: number, implicitAlpha?: number): void {
    const p = new ArrayBuffer(32);
    new Uint32Array(p, 0, 2).set([this.n, stride]);
    new Float32Array(p, 8, 1)[0] = mu;
    new Uint32Array(p, 12, 1)[0] = this.parts;
    new Float32Array(p, 16, 1)[0] = implicitAlpha ?? 0;
    new Uint32Array(p, 20, 1)[0] = implicitAlpha === undefined ? 0 : 1;
    this.gpu.write(this.params, new Uint8Array(p));
    const key = `${bufferId(X)}#${bufferId(Y)}`;
    let g = this.groups.get(key);
    if (!g) {
      const b = [this.params, this.users, this.items, this.values, X, Y, this.part, this.out];
      const t = [this.params, null, null, null, null, null, this.part, this.out];
      g = [this.gpu.bindGroup(`${this.label}.partials`, this.pPartials, b.slice(0, 7)), this.gpu.bindGroup(`${this.label}.total`, this.pTotal, t)];
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
