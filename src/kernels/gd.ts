/**
 * Host side of shaders/gd.wgsl: one full-batch gradient step, reading the old factors from
 * (Wold, Hold) and writing the new ones to (W, H). The caller copies W -> Wold, H -> Hold first
 * (the SGD engine's last-good-epoch backup doubles as the old copy).
 */
import type { GpuContext } from '../gpu/context.ts';
import type { GdViews } from '../core/sparse.ts';
import { constantColumn, strideOf } from '../core/layout.ts';
import { bindGroupByName, packUniform } from '../gpu/wgsl.ts';
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
    W: GPUBuffer,
    H: GPUBuffer,
    Wold: GPUBuffer,
    Hold: GPUBuffer,
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
    const E = this.E;
    this.bgResidual = bindGroupByName(gpu, `${label}.residual`, this.pResidual, gdWgsl, { P: this.pUser, rowOf, colIdx: userCols, vals, W: Wold, H: Hold, E });
    const g = (P: GPUBuffer, indptr: GPUBuffer, cols: GPUBuffer, posMap: GPUBuffer, Old: GPUBuffer, Other: GPUBuffer, New: GPUBuffer) => ({ P, E, indptr, cols, posMap, Old, Other, New });
    this.bgUser = bindGroupByName(gpu, `${label}.grad.user`, this.pGrad, gdWgsl, g(this.pUser, userPtr, userCols, map, Wold, Hold, W));
    this.bgItem = bindGroupByName(gpu, `${label}.grad.item`, this.pGrad, gdWgsl, g(this.pItem, itemPtr, itemCols, map, Hold, Wold, H));
  }

  setStep(s: GdStepUniform): void {
    const none = 0xffffffff;
    const make = (nRows: number, constCol: number, useMap: number) =>
      packUniform(gdWgsl, 'P', { n: this.n, nRows, constCol, useMap, mu: s.mu, lr: s.lr, lambda: s.lambda, lambdaBias: s.lambdaBias });
    this.gpu.write(this.pUser, make(this.v.nUsers, this.bias ? constantColumn(this.rank, 'user') : none, 0));
    this.gpu.write(this.pItem, make(this.v.nItems, this.bias ? constantColumn(this.rank, 'item') : none, 1));
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
