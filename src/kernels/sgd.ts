/**
 * Host side of shaders/shuffle.wgsl (the per-epoch permutation) and shaders/sgd.wgsl (Hogwild and
 * stratified SGD). The factors stay on the device; each epoch is encoded into the caller's encoder.
 */
import { adagradLead, strideOf } from '../core/layout.ts';
import { bindGroupByName, packUniform, uniformSize } from '../gpu/wgsl.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { FeistelParams, StratifiedPlan } from '../core/sgd-plan.ts';
import { sgdWgsl, shuffleWgsl } from './shaders.ts';

/** Lanes per rating: the smallest power of two >= rank, at most 32 (one warp / subgroup on most GPUs). */
export function lanesFor(rank: number): number {
  let l = 1;
  while (l < rank && l < 32) l *= 2;
  return l;
}

const SHUFFLE_WG = 256;

/** Writes dst = src permuted by the epoch's Feistel permutation (packed ratings, 3 words each). */
export class ShuffleKernel {
  private readonly params: GPUBuffer;
  private readonly pGather: GPUComputePipeline;
  private readonly bg: GPUBindGroup;

  constructor(
    private readonly gpu: GpuContext,
    readonly label: string,
    readonly n: number,
    src: GPUBuffer,
    dst: GPUBuffer,
  ) {
    this.params = gpu.uniform(`${label}.params`, new Uint8Array(uniformSize(shuffleWgsl, 'P')));
    this.pGather = gpu.pipeline(`${label}.gather`, shuffleWgsl, { WG: SHUFFLE_WG }, 'gather');
    this.bg = bindGroupByName(gpu, `${label}.gather`, this.pGather, shuffleWgsl, { P: this.params, src, dst });
  }

  /**
   * Sets the keys (queue write, applied before the next submit) and records the gather into `pass`;
   * later dispatches in the same pass see its writes.
   */
  encode(pass: GPUComputePassEncoder, f: FeistelParams): void {
    this.gpu.write(this.params, feistelUniform(f));
    this.gpu.dispatch(pass, this.pGather, this.bg, Math.ceil(this.n / SHUFFLE_WG));
  }

  destroy(): void {
    this.params.destroy();
  }
}

export function feistelUniform(f: FeistelParams): Uint8Array {
  return packUniform(shuffleWgsl, 'P', { n: f.n, half: f.half, mask: f.mask, keys: f.keys });
}

/** Runs the `indices` entry: idx[p] = perm(p) on the GPU (for checking the permutation). */
export async function gpuPermutation(gpu: GpuContext, f: FeistelParams): Promise<Uint32Array> {
  const params = gpu.uniform('sgd.perm.params', feistelUniform(f));
  const idx = gpu.storage('sgd.perm.indices', f.n * 4);
  try {
    const p = gpu.pipeline('sgd.perm.indices', shuffleWgsl, { WG: SHUFFLE_WG }, 'indices');
    const bg = bindGroupByName(gpu, 'sgd.perm.indices', p, shuffleWgsl, { P: params, idx });
    const enc = gpu.device.createCommandEncoder({ label: 'sgd.perm' });
    const pass = enc.beginComputePass({ label: 'sgd.perm.pass' });
    gpu.dispatch(pass, p, bg, Math.ceil(f.n / SHUFFLE_WG));
    pass.end();
    gpu.submit(enc);
    return new Uint32Array(await gpu.read(idx, 0, f.n * 4));
  } finally {
    params.destroy();
    idx.destroy();
  }
}

export interface SgdKernelSpec {
  rank: number;
  bias: boolean;
  adagrad: boolean;
  nUsers: number;
  nItems: number;
  /** Lanes per rating (default lanesFor(rank)). */
  lanes?: number;
}

export interface SgdStepUniform {
  mu: number;
  lr: number;
  lambda: number;
  lambdaBias: number;
  /** ADAGRAD only: update only the lead columns (LIBMF's first epoch). */
  leadOnly?: boolean;
}

/** Workgroup size of the Hogwild entry (a multiple of the lanes). */
const HOGWILD_WG = 64;

/**
 * SGD over packed ratings `rt` (n triples) with factors X (users) and Y (items) updated in place.
 * Hogwild: `encodeHogwild` (rt permuted beforehand by ShuffleKernel). Stratified: `encodeStratified`
 * with rt in the plan's block order.
 */
export class SgdKernel {
  readonly lanes: number;
  readonly stride: number;
  readonly GU: GPUBuffer;
  readonly GI: GPUBuffer;
  private readonly params: GPUBuffer;
  private readonly constants: Record<string, number>;
  private pHog?: GPUComputePipeline;
  private pStrat?: GPUComputePipeline;
  private subs?: GPUBuffer;
  private subGroups?: GPUBindGroup[];
  private bstart?: GPUBuffer;
  private hogGroups = new Map<GPUBuffer, GPUBindGroup>();
  private stratB = 0;
  /** Hogwild parallelism: concurrent groups (one rating each at a time). */
  readonly groups: number;

  constructor(
    private readonly gpu: GpuContext,
    readonly label: string,
    readonly n: number,
    readonly spec: SgdKernelSpec,
    private readonly X: GPUBuffer,
    private readonly Y: GPUBuffer,
    opts: { groups?: number } = {},
  ) {
    this.lanes = spec.lanes ?? lanesFor(spec.rank);
    this.stride = strideOf(spec.rank, spec.bias);
    this.constants = {
      RANK: spec.rank, STRIDE: this.stride, LANES: this.lanes, BIAS: spec.bias ? 1 : 0, ADAGRAD: spec.adagrad ? 1 : 0,
      LEAD: spec.adagrad ? adagradLead(spec.rank) : spec.rank,
    };
    this.params = gpu.uniform(`${label}.params`, new Uint8Array(uniformSize(sgdWgsl, 'P')));
    // Two ADAGRAD accumulators per row (lead columns, the rest), starting at 1 (LIBMF); unused (tiny) buffers otherwise.
    this.GU = gpu.storage(`${label}.adagradUsers`, spec.adagrad ? new Float32Array(2 * spec.nUsers).fill(1) : new Float32Array(1));
    this.GI = gpu.storage(`${label}.adagradItems`, spec.adagrad ? new Float32Array(2 * spec.nItems).fill(1) : new Float32Array(1));
    // Enough concurrent groups to fill a large GPU, but at least ~16 ratings per group per epoch.
    this.groups = Math.max(1, Math.min(opts.groups ?? 16384, Math.ceil(n / 16)));
  }

  setStep(s: SgdStepUniform): void {
    const run = Math.ceil(this.n / this.groups);
    this.gpu.write(
      this.params,
      packUniform(sgdWgsl, 'P', { n: this.n, run, groups: this.groups, leadOnly: this.spec.adagrad && !!s.leadOnly, mu: s.mu, lr: s.lr, lambda: s.lambda, lambdaBias: s.lambdaBias }),
    );
  }

  /** One Hogwild epoch over `rt` (already shuffled). */
  encodeHogwild(pass: GPUComputePassEncoder, rt: GPUBuffer): void {
    const wg = Math.max(HOGWILD_WG, this.lanes);
    this.pHog ??= this.gpu.pipeline(`${this.label}.hogwild`, sgdWgsl, { ...this.constants, WG: wg }, 'hogwild');
    let bg = this.hogGroups.get(rt);
    if (!bg) {
      bg = bindGroupByName(this.gpu, `${this.label}.hogwild`, this.pHog, sgdWgsl, { P: this.params, rt, X: this.X, Y: this.Y, GU: this.GU, GI: this.GI });
      this.hogGroups.set(rt, bg);
    }
    this.gpu.dispatch(pass, this.pHog, bg, Math.ceil(this.groups / (wg / this.lanes)));
  }

  /** Uploads the block boundaries of a stratified plan (rt must hold the ratings in plan order). */
  setPlan(plan: StratifiedPlan, rt: GPUBuffer): void {
    const b = plan.b;
    this.stratB = b;
    this.bstart = this.gpu.storage(`${this.label}.blockStart`, plan.blockStart);
    // One 256-byte slot per sub-epoch (the minimum uniform offset alignment), one bind group each.
    this.subs = this.gpu.buffer(`${this.label}.subEpochs`, b * 256, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.pStrat = this.gpu.pipeline(`${this.label}.stratified`, sgdWgsl, { ...this.constants, WG: this.lanes }, 'stratified');
    this.subGroups = [];
    for (let s = 0; s < b; s++) {
      this.subGroups.push(
        bindGroupByName(this.gpu, `${this.label}.stratified.${s}`, this.pStrat, sgdWgsl, {
          P: this.params,
          rt,
          X: this.X,
          Y: this.Y,
          GU: this.GU,
          GI: this.GI,
          bstart: this.bstart,
          S: { buffer: this.subs, offset: s * 256, size: uniformSize(sgdWgsl, 'S') },
        }),
      );
    }
  }

  /** One stratified epoch: b sub-epochs, the diagonal order given by `shifts`. */
  encodeStratified(pass: GPUComputePassEncoder, shifts: Uint32Array): void {
    const b = this.stratB;
    if (!this.subs || !this.subGroups || !this.pStrat) throw new Error('SgdKernel.setPlan must be called before encodeStratified');
    const data = new Uint8Array(b * 256);
    for (let s = 0; s < b; s++) data.set(packUniform(sgdWgsl, 'S', { shift: shifts[s], b }), s * 256);
    this.gpu.write(this.subs, data);
    for (let s = 0; s < b; s++) this.gpu.dispatch(pass, this.pStrat, this.subGroups[s], b);
  }

  destroy(): void {
    for (const buf of [this.params, this.GU, this.GI, this.subs, this.bstart]) buf?.destroy();
  }
}
