/**
 * Host side of shaders/gd.wgsl: one full-batch gradient step, reading the old factors from
 * (Xold, Yold) and writing the new ones to (X, Y). The caller copies X -> Xold, Y -> Yold first
 * (the SGD engine's last-good-epoch backup doubles as the old copy).
 */
import type { GpuContext } from '../gpu/context.ts';
import type { GdViews } from '../core/sparse.ts';
import { strideOf } from '../core/layout.ts';
import { gdWgsl } from './shaders.ts';

const WG = 64;

export interface GdStepUniform {
  mu: number;
  lr: number;
  lambda: number;
  lambdaBias: number;
}

export class GdKernel {
  readonly stride: number;
  private readonly bufs: GPUBuffer[];
  private readonly E: GPUBuffer;
  private readonly pUser: GPUBuffer;
  private readonly pItem: GPUBuffer;
  private readonly pResidual: GPUComputePipeline;
  private readonly pGrad: GPUComputePipeline;
  private readonly bgResidual: GPUBindGroup;
  private readonly bgUser: GPUBindGroup;
  private readonly bgItem: GPUBindGroup;
  readonly n: number;

  constructor(
    private readonly gpu: GpuContext,
    readonly label: string,
    private readonly v: GdViews,
    readonly rank: number,
    readonly bias: boolean,
    X: GPUBuffer,
    Y: GPUBuffer,
    Xold: GPUBuffer,
    Yold: GPUBuffer,
  ) {
    this.n = v.vals.length;
    this.stride = strideOf(rank, bias);
    const consts = { RANK: rank, STRIDE: this.stride, WG };
    const rowOf = gpu.storage(`${label}.rowOf`, v.rowOf);
    const userCols = gpu.storage(`${label}.userCols`, v.userCols);
    const vals = gpu.storage(`${label}.values`, v.vals);
    const userPtr = gpu.storage(`${label}.userPtr`, v.userPtr);
    const itemPtr = gpu.storage(`${label}.itemPtr`, v.itemPtr);
    const itemCols = gpu.storage(`${label}.itemCols`, v.itemCols);
    const map = gpu.storage(`${label}.cscToCsr`, v.map);
    this.E = gpu.storage(`${label}.residuals`, this.n * 4);
    this.pUser = gpu.uniform(`${label}.params.user`, new Uint32Array(8));
    this.pItem = gpu.uniform(`${label}.params.item`, new Uint32Array(8));
    this.bufs = [rowOf, userCols, vals, userPtr, itemPtr, itemCols, map, this.E, this.pUser, this.pItem];
    this.pResidual = gpu.pipeline(`${label}.residual`, gdWgsl, consts, 'residual');
    this.pGrad = gpu.pipeline(`${label}.grad`, gdWgsl, consts, 'grad');
    this.bgResidual = gpu.bindGroup(`${label}.residual`, this.pResidual, [this.pUser, rowOf, userCols, vals, Xold, Yold, this.E]);
    const g = (p: GPUBuffer, ptr: GPUBuffer, cols: GPUBuffer, m: GPUBuffer, old: GPUBuffer, other: GPUBuffer, out: GPUBuffer) =>
      [p, null, null, null, null, null, this.E, ptr, cols, m, old, other, out];
    this.bgUser = gpu.bindGroup(`${label}.grad.user`, this.pGrad, g(this.pUser, userPtr, userCols, map, Xold, Yold, X));
    this.bgItem = gpu.bindGroup(`${label}.grad.item`, this.pGrad, g(this.pItem, itemPtr, itemCols, map, Yold, Xold, Y));
  }

  setStep(s: GdStepUniform): void {
    const none = 0xffffffff;
    const make = (nRows: number, constCol: number, useMap: number) => {
      const buf = new ArrayBuffer(32);
      new Uint32Array(buf, 0, 4).set([this.n, nRows, constCol, useMap]);
      new Float32Array(buf, 16, 4).set([s.mu, s.lr, s.lambda, s.lambdaBias]);
      return new Uint8Array(buf);
    };
    this.gpu.write(this.pUser, make(this.v.nUsers, this.bias ? this.rank + 1 : none, 0));
    this.gpu.write(this.pItem, make(this.v.nItems, this.bias ? this.rank : none, 1));
  }

  /** Residuals, then both sides' updates (simultaneous: both read only the old copies). */
  encode(pass: GPUComputePassEncoder): void {
    this.gpu.dispatch(pass, this.pResidual, this.bgResidual, Math.ceil(this.n / WG));
    this.gpu.dispatch(pass, this.pGrad, this.bgUser, Math.ceil((this.v.nUsers * this.stride) / WG));
    this.gpu.dispatch(pass, this.pGrad, this.bgItem, Math.ceil((this.v.nItems * this.stride) / WG));
  }

  destroy(): void {
    for (const b of this.bufs) b.destroy();
  }
}
