/**
 * Host side of shaders/cg.wgsl: matrix-free conjugate-gradient solve of every row, warm-started
 * from the factors already in X, with a fixed number of steps.
 */
import { bufferId, type GpuContext } from '../gpu/context.ts';
import { layoutOf, type SolveSpec } from '../core/layout.ts';
import type { DeviceCsr } from './device-csr.ts';
import { bindGroupByName, uniformSize } from '../gpu/wgsl.ts';
import { packSolveParams, type SolveParams } from './normal-eq.ts';
import { cgWgsl } from './shaders.ts';

export class CgSolver {
  private readonly params: GPUBuffer;
  private readonly indptr: GPUBuffer;
  private readonly dummyBase: GPUBuffer;
  private readonly pipe: GPUComputePipeline;
  private readonly groups = new Map<string, GPUBindGroup>();
  private useBase = false;

  constructor(
    private readonly gpu: GpuContext,
    readonly csr: DeviceCsr,
    readonly spec: Pick<SolveSpec, 'rank' | 'bias' | 'side' | 'implicit'>,
    readonly steps: number,
    readonly label: string,
  ) {
    const L = layoutOf(spec);
    const K = L.K;
    const lim = gpu.limits;
    const WG = Math.min(64, lim.maxComputeInvocationsPerWorkgroup);
    const budget = lim.maxComputeWorkgroupStorageSize - (5 * K + WG) * 4;
    const TILE = Math.max(1, Math.min(64, Math.floor(budget / ((K + 2) * 4))));
    gpu.requireLimit(`CG solve at rank ${spec.rank}`, 'maxComputeWorkgroupStorageSize', (5 * K + WG + K + 2) * 4);
    this.pipe = gpu.pipeline(`${label}.cg`, cgWgsl, { WG, K, RANK: spec.rank, TILE, STEPS: steps });
    this.params = gpu.uniform(`${label}.params`, new Uint8Array(uniformSize(cgWgsl, 'P')));
    this.indptr = gpu.storage(`${label}.indptr`, csr.host.indptr);
    this.dummyBase = gpu.storage(`${label}.noBase`, 16);
  }

  setParams(p: SolveParams, useBase = false): void {
    const buf = new ArrayBuffer(uniformSize(cgWgsl, 'P'));
    const all = { rowBase: 0, rowCount: this.csr.nRows, segBase: 0, segCount: 0 };
    packSolveParams(new DataView(buf), all, layoutOf(this.spec), !!this.spec.implicit, p, useBase);
    this.gpu.write(this.params, new Uint8Array(buf));
    this.useBase = useBase;
  }

  encode(enc: GPUCommandEncoder, X: GPUBuffer, Y: GPUBuffer, base?: GPUBuffer): void {
    if (!!base !== this.useBase) throw new Error(`${this.label}: base Gram given=${!!base} but params say ${this.useBase}`);
    const key = `${bufferId(X)}#${bufferId(Y)}#${bufferId(base)}`;
    let g = this.groups.get(key);
    if (!g) {
      const { idx, val, counts } = this.csr;
      g = bindGroupByName(this.gpu, `${this.label}.cg`, this.pipe, cgWgsl, { P: this.params, idx, val, Y, counts, indptr: this.indptr, base: base ?? this.dummyBase, X });
      this.groups.set(key, g);
    }
    const pass = enc.beginComputePass({ label: `${this.label}.cg.pass` });
    this.gpu.dispatch(pass, this.pipe, g, this.csr.nRows);
    pass.end();
  }

  destroy(): void {
    for (const b of [this.params, this.indptr, this.dummyBase]) b.destroy();
  }
}
