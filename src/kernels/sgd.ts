/**
 * Host side of shaders/shuffle.wgsl (the per-epoch permutation), shaders/sgd.wgsl (one invocation
 * per rating) and shaders/sgd_lanes.wgsl (several lanes per rating): Hogwild and stratified SGD.
 * The factors stay on the device; each epoch is encoded into the caller's encoder.
 */
import { adagradLead, strideOf } from '../core/layout.ts';
import { bindGroupByName, packUniform, uniformSize } from '../gpu/wgsl.ts';
import type { GpuContext } from '../gpu/context.ts';
import { runOrderParams, type FeistelParams, type StratifiedPlan } from '../core/sgd-plan.ts';
import { sgdLanesWgsl, sgdWgsl, shuffleWgsl } from './shaders.ts';
import { gatherBindings, requireStorageBindings, withWindows, type FactorWindows } from './factor-windows.ts';

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
  /**
   * Lanes per rating (default defaultLanes). 1 runs shaders/sgd.wgsl (one invocation per rating,
   * vector loads, no barriers); more run shaders/sgd_lanes.wgsl (lanes share a rating through
   * workgroup memory).
   */
  lanes?: number;
}

export interface SgdStepUniform {
  mu: number;
  lr: number;
  lambda: number;
  lambdaBias: number;
  /** ADAGRAD only: update only the lead columns (LIBMF's first epoch). */
  leadOnly?: boolean;
  /** Hogwild: the seed and epoch of this epoch's run order (runOrderParams); without it the runs go in order. */
  runOrder?: { seed: number; epoch: number };
}

/**
 * The default lanes per rating: 1 on a software adapter (SwiftShader), where one invocation per
 * rating with vector loads runs at copy bandwidth and barriers cost more than they save; else
 * lanesFor(rank) (coalesced row access on hardware GPUs).
 */
export function defaultLanes(gpu: GpuContext | null | undefined, rank: number): number {
  return gpu && gpu.adapter.software ? 1 : lanesFor(rank);
}

/** Workgroup size of the Hogwild entries (a multiple of the lanes). */
const HOGWILD_WG = 64;
/**
 * Ratings per invocation of the one-lane Hogwild entry (a multiple of 4: shaders/sgd.wgsl reads four
 * packed ratings as three vec4). Long runs amortize the per-invocation start; 64 reached copy
 * bandwidth at rank 16 on SwiftShader.
 */
export const SGD_RUN = 64;
/**
 * Invocations per workgroup of the one-lane stratified entry. Each invocation walks one block of a
 * sub-epoch, and a software adapter runs a workgroup on one thread in SIMD groups of 4: small
 * workgroups spread the b blocks over every core.
 */
const STRAT_WG = 4;

/** Bytes of a packed-rating buffer for n ratings: 12 n rounded up to whole vec4 (what shaders/sgd.wgsl reads). */
export const ratingBytes = (n: number): number => Math.max(16, Math.ceil((12 * n) / 16) * 16);

/**
 * Ratings per storage chunk of a packed rating list: the most whole groups of four (shaders/sgd.wgsl
 * reads four ratings as three vec4) whose 12 bytes each fit min(maxStorageBufferBindingSize,
 * maxBufferSize). A list up to this long is one buffer.
 */
export function sgdChunkRatings(gpu: GpuContext): number {
  return Math.max(4, Math.floor(gpu.maxStorageBytes / 48) * 4);
}

/** A device buffer of packed ratings (src/core/sgd-plan.ts packRatings), padded to whole vec4. */
export function ratingsBuffer(gpu: GpuContext, label: string, packed: Uint32Array): GPUBuffer {
  const n = packed.length / 3;
  const padded = new Uint32Array(ratingBytes(n) / 4);
  padded.set(packed);
  return gpu.storage(label, padded);
}

/**
 * The row accessors shaders/sgd.wgsl is compiled with (a binding's element type and a function-scope
 * array length are what `override` cannot express): W and H as arrays of vec4 when a row is whole
 * vec4 (stride % 4 == 0), of vec2 when it is even, else of f32; slot j of a row is columns
 * [4j, 4j + 4), padded with zeros past the stride and stored only up to it.
 */
export function rowPrelude(stride: number): string {
  const nv = Math.ceil(stride / 4);
  const head = `const STRIDE: u32 = ${stride}u;\nconst NV: u32 = ${nv}u;\n`;
  const side = (M: string, binding: number) => {
    if (stride % 4 === 0) {
      return (
        `@group(0) @binding(${binding}) var<storage, read_write> ${M}: array<vec4<f32>>;\n` +
        `fn load${M}(r: u32, j: u32) -> vec4<f32> { return ${M}[r * NV + j]; }\n` +
        `fn store${M}(r: u32, j: u32, v: vec4<f32>) { ${M}[r * NV + j] = v; }\n`
      );
    }
    if (stride % 2 === 0) {
      const s2 = stride / 2;
      // the last slot of a row is half (two floats) when s2 is odd
      const lastHalf = s2 % 2 === 1;
      return (
        `@group(0) @binding(${binding}) var<storage, read_write> ${M}: array<vec2<f32>>;\n` +
        `fn load${M}(r: u32, j: u32) -> vec4<f32> {\n  let b = r * ${s2}u + 2u * j;\n` +
        (lastHalf ? `  if (j + 1u == NV) { return vec4<f32>(${M}[b], 0.0, 0.0); }\n` : '') +
        `  return vec4<f32>(${M}[b], ${M}[b + 1u]);\n}\n` +
        `fn store${M}(r: u32, j: u32, v: vec4<f32>) {\n  let b = r * ${s2}u + 2u * j;\n  ${M}[b] = v.xy;\n` +
        (lastHalf ? `  if (j + 1u < NV) { ${M}[b + 1u] = v.zw; }\n` : `  ${M}[b + 1u] = v.zw;\n`) +
        `}\n`
      );
    }
    return (
      `@group(0) @binding(${binding}) var<storage, read_write> ${M}: array<f32>;\n` +
      `fn load${M}(r: u32, j: u32) -> vec4<f32> {\n  let b = r * STRIDE + 4u * j;\n  var v = vec4<f32>(0.0);\n` +
      `  for (var c = 0u; c < 4u && 4u * j + c < STRIDE; c++) { v[c] = ${M}[b + c]; }\n  return v;\n}\n` +
      `fn store${M}(r: u32, j: u32, v: vec4<f32>) {\n  let b = r * STRIDE + 4u * j;\n` +
      `  for (var c = 0u; c < 4u && 4u * j + c < STRIDE; c++) { ${M}[b + c] = v[c]; }\n}\n`
    );
  };
  // element accesses go through W_at / W_put (and H's), which withWindows() defines over the windows
  const viaAccessors = (t: string) =>
    t
      .split('\n')
      .map((l) => (l.startsWith('@group') ? l : l.replace(/\b([WH])\[([^\]\n]+)\] = ([^;\n]+);/g, '$1_put($2, $3);').replace(/\b([WH])\[([^\]\n]+)\]/g, '$1_at($2)')))
      .join('\n');
  return head + viaAccessors(side('W', 2) + side('H', 3));
}

/** Rows of at most this many vec4 slots get the unrolled `rate` (longer ones loop: code size). */
export const UNROLL_SLOTS = 17;

/**
 * `fn rate` of shaders/sgd.wgsl for one layout, unrolled: the steps of `rateLoop`, slot by slot, with
 * each column's role (factor or bias or constant, lead or rest group) resolved here, so a slot of
 * plain factor columns is four vector operations and two stores. A software adapter's compiler
 * keeps the named slots in registers, where a loop over a private array goes through memory.
 * Same arithmetic, same order as rateLoop (and sgdUpdateF32Fused).
 */
export function unrolledRate(rank: number, bias: boolean, adagrad: boolean): string {
  const stride = strideOf(rank, bias);
  const lead = adagrad ? adagradLead(rank) : rank;
  const nv = Math.ceil(stride / 4);
  const C = ['x', 'y', 'z', 'w'];
  const L: string[] = ['fn rate(u: u32, i: u32, a: f32) {', '  var s = 0.0;'];
  for (let j = 0; j < nv; j++) {
    L.push(`  let w${j} = loadW(u, ${j}u);`, `  let h${j} = loadH(i, ${j}u);`);
    for (let q = 0; q < 4 && 4 * j + q < stride; q++) L.push(`  s = fma(w${j}.${C[q]}, h${j}.${C[q]}, s);`);
  }
  L.push('  let e = a - (P.mu + s);', '  let ev = vec4<f32>(e);');
  if (adagrad) {
    L.push(
      '  let gu = GU[u];', '  let gi = GI[i];',
      '  let ru = vec2<f32>(P.lr / sqrt(gu.x), P.lr / sqrt(gu.y));', '  let ri = vec2<f32>(P.lr / sqrt(gi.x), P.lr / sqrt(gi.y));',
      '  var tu = vec2<f32>(0.0);', '  var ti = vec2<f32>(0.0);',
    );
  } else {
    L.push('  let ru = vec2<f32>(P.lr);', '  let ri = vec2<f32>(P.lr);');
  }
  L.push('  let rest = P.leadOnly == 0u;');
  const vec = (xs: string[], t: string) => (xs.every((x) => x === xs[0]) ? `vec4<${t}>(${xs[0]})` : `vec4<${t}>(${xs.join(', ')})`);
  for (let j = 0; j < nv; j++) {
    const cols = [0, 1, 2, 3].map((q) => 4 * j + q);
    const fac = cols.map((c) => c < rank);
    const isLead = cols.map((c, q) => c < lead || !fac[q]);
    // 'true', 'false' or 'rest' (a rest-group column: updated unless P.leadOnly)
    const upd = (own: number) => cols.map((c, q) => (c >= stride || !(fac[q] || c === own) ? 'false' : isLead[q] ? 'true' : 'rest'));
    const uU = upd(rank);
    const uI = upd(rank + 1);
    const lam = vec(fac.map((x) => (x ? 'P.lambda' : 'P.lambdaBias')), 'f32');
    const store = (M: string, r: string, old: string, rate: string, g: string, u: string[]) => {
      const next = `fma(${rate}, ${g}, ${old})`;
      L.push(u.every((x) => x === 'true') ? `    store${M}(${r}, ${j}u, ${next});` : `    store${M}(${r}, ${j}u, select(${old}, ${next}, ${vec(u, 'bool')}));`);
    };
    L.push('  {');
    L.push(`    let gw = fma(ev, h${j}, -(${lam} * w${j}));`, `    let gh = fma(ev, w${j}, -(${lam} * h${j}));`);
    store('W', 'u', `w${j}`, vec(isLead.map((x) => (x ? 'ru.x' : 'ru.y')), 'f32'), 'gw', uU);
    store('H', 'i', `h${j}`, vec(isLead.map((x) => (x ? 'ri.x' : 'ri.y')), 'f32'), 'gh', uI);
    if (adagrad) {
      for (let q = 0; q < 4; q++) {
        const g = isLead[q] ? 'x' : 'y';
        if (uU[q] !== 'false') L.push(`    tu.${g} = tu.${g} + gw.${C[q]} * gw.${C[q]};`);
        if (uI[q] !== 'false') L.push(`    ti.${g} = ti.${g} + gh.${C[q]} * gh.${C[q]};`);
      }
    }
    L.push('  }');
  }
  if (adagrad) {
    const K0 = bias ? lead + 1 : lead;
    if (lead < rank) {
      const K1 = rank - lead;
      L.push(
        `  GU[u] = vec2<f32>(gu.x + tu.x / ${K0}.0, select(gu.y, gu.y + tu.y / ${K1}.0, rest));`,
        `  GI[i] = vec2<f32>(gi.x + ti.x / ${K0}.0, select(gi.y, gi.y + ti.y / ${K1}.0, rest));`,
      );
    } else {
      L.push(`  GU[u] = vec2<f32>(gu.x + tu.x / ${K0}.0, gu.y);`, `  GI[i] = vec2<f32>(gi.x + ti.x / ${K0}.0, gi.y);`);
    }
  }
  L.push('}');
  return L.join('\n') + '\n';
}

/** The windows of the user and item factor matrices (src/kernels/factor-windows.ts). */
export interface SgdWindows {
  W: FactorWindows;
  H: FactorWindows;
}
const oneWindow = (nRows: number, stride: number): FactorWindows => ({ nRows, stride, rowsPer: Math.max(1, nRows), count: 1 });
const windowsKey = (w?: SgdWindows) => (w ? `${w.W.count}x${w.W.rowsPer},${w.H.count}x${w.H.rowsPer}` : '1,1');

/** `code` with W and H read and written through their windows (one each when `w` is absent). */
function windowed(code: string, stride: number, w?: SgdWindows): string {
  return withWindows(withWindows(code, 'W', w?.W ?? oneWindow(0, stride)), 'H', w?.H ?? oneWindow(0, stride));
}

/** shaders/sgd.wgsl for one layout (cached: the pipeline cache keys on the text). */
const sgdCodes = new Map<string, string>();
export function sgdCode(rank: number, bias: boolean, adagrad: boolean, windows?: SgdWindows): string {
  const stride = strideOf(rank, bias);
  const key = `${rank},${bias},${adagrad},${windowsKey(windows)}`;
  let c = sgdCodes.get(key);
  if (!c) {
    const rate = Math.ceil(stride / 4) <= UNROLL_SLOTS ? unrolledRate(rank, bias, adagrad) : 'fn rate(u: u32, i: u32, a: f32) { rateLoop(u, i, a); }\n';
    sgdCodes.set(key, (c = windowed(rowPrelude(stride) + rate + sgdWgsl, stride, windows)));
  }
  return c;
}

/**
 * SGD over packed ratings `rt` (n triples, a ratingsBuffer) with factors W (users) and H (items)
 * updated in place. Hogwild: `encodeHogwild` (rt permuted beforehand by ShuffleKernel). Stratified:
 * `encodeStratified` with rt in the plan's block order.
 */
export class SgdKernel {
  readonly lanes: number;
  readonly stride: number;
  readonly GU: GPUBuffer;
  readonly GI: GPUBuffer;
  private readonly params: GPUBuffer;
  private readonly constants: Record<string, number>;
  /** The module: shaders/sgd.wgsl with its row prelude (one lane) or shaders/sgd_lanes.wgsl. */
  private readonly code: string;
  private pHog?: GPUComputePipeline;
  private pStrat?: GPUComputePipeline;
  private subs?: GPUBuffer;
  private subGroups?: GPUBindGroup[];
  private hogGroups = new Map<GPUBuffer, GPUBindGroup>();
  private stratB = 0;
  /** W and H as the kernel binds them (their windows, by name). */
  private readonly factors: Record<string, GPUBuffer | GPUBufferBinding>;
  /** Ratings per storage chunk of the rating list (one entry when the list is one buffer). */
  readonly chunkSizes: number[];
  /** Per chunk: Hogwild invocations (or groups) and ratings each walks (P.groups, P.run of its uniform slot). */
  private readonly chunkGroups: number[];
  private readonly chunkRuns: number[];
  /** Per chunk: its stratified block boundaries (chunk-relative). */
  private chunkBstart: GPUBuffer[] = [];
  /**
   * Hogwild parallelism: with one lane, the invocations (each a run of SGD_RUN ratings); with more,
   * the concurrent groups of lanes (one rating each at a time).
   */
  readonly groups: number;
  /** Ratings each Hogwild invocation (one lane) or group (more) walks per epoch. */
  readonly run: number;

  constructor(
    private readonly gpu: GpuContext,
    readonly label: string,
    readonly n: number,
    readonly spec: SgdKernelSpec,
    private readonly W: GPUBuffer,
    private readonly H: GPUBuffer,
    /**
     * `chunks`: ratings per storage chunk when the rating list is stored in several buffers (they
     * sum to n); each chunk gets its own uniform slot and is one dispatch. Default: one chunk of n.
     * `windows`: W's and H's windows when either is over one storage binding.
     */
    opts: { groups?: number; chunks?: number[]; windows?: SgdWindows } = {},
  ) {
    this.lanes = spec.lanes ?? defaultLanes(gpu, spec.rank);
    this.stride = strideOf(spec.rank, spec.bias);
    const lead = spec.adagrad ? adagradLead(spec.rank) : spec.rank;
    this.chunkSizes = opts.chunks ?? [n];
    if (this.chunkSizes.reduce((a, b) => a + b, 0) !== n) throw new Error(`${label}: chunk sizes ${this.chunkSizes.join(', ')} do not sum to ${n} ratings`);
    if (this.lanes === 1) {
      this.code = sgdCode(spec.rank, spec.bias, spec.adagrad, opts.windows);
      this.constants = { RANK: spec.rank, BIAS: spec.bias ? 1 : 0, ADAGRAD: spec.adagrad ? 1 : 0, LEAD: lead };
      this.chunkRuns = this.chunkSizes.map(() => SGD_RUN);
      this.chunkGroups = this.chunkSizes.map((m) => Math.max(1, Math.ceil(m / SGD_RUN)));
    } else {
      this.code = windowed(sgdLanesWgsl, this.stride, opts.windows);
      this.constants = {
        RANK: spec.rank, STRIDE: this.stride, LANES: this.lanes, BIAS: spec.bias ? 1 : 0, ADAGRAD: spec.adagrad ? 1 : 0, LEAD: lead,
      };
      // Enough concurrent groups to fill a large GPU, but at least ~16 ratings per group per epoch.
      this.chunkGroups = this.chunkSizes.map((m) => Math.max(1, Math.min(opts.groups ?? 16384, Math.ceil(m / 16))));
      this.chunkRuns = this.chunkSizes.map((m, c) => Math.ceil(m / this.chunkGroups[c]));
    }
    requireStorageBindings(gpu, `${label}: SGD with the factors in ${opts.windows?.W.count ?? 1} + ${opts.windows?.H.count ?? 1} bindings`, this.code);
    this.factors = opts.windows ? { ...gatherBindings('W', W, opts.windows.W), ...gatherBindings('H', H, opts.windows.H) } : { W, H };
    this.groups = this.chunkGroups[0];
    this.run = this.chunkRuns[0];
    // One uniform slot per chunk, 256 bytes apart (the minimum uniform offset alignment).
    const C = this.chunkSizes.length;
    this.params = gpu.uniform(`${label}.params`, new Uint8Array(C === 1 ? uniformSize(this.code, 'P') : C * 256));
    // Two ADAGRAD accumulators per row (lead columns, the rest), starting at 1 (LIBMF); unused (tiny) buffers otherwise.
    this.GU = gpu.storage(`${label}.adagradUsers`, spec.adagrad ? new Float32Array(2 * spec.nUsers).fill(1) : new Float32Array(4));
    this.GI = gpu.storage(`${label}.adagradItems`, spec.adagrad ? new Float32Array(2 * spec.nItems).fill(1) : new Float32Array(4));
  }

  /** The ADAGRAD accumulators, where the module reads them (the unrolled one-lane code does only with ADAGRAD). */
  private accumulators(): { GU?: GPUBuffer; GI?: GPUBuffer } {
    const unrolled = this.lanes === 1 && Math.ceil(this.stride / 4) <= UNROLL_SLOTS;
    return this.spec.adagrad || !unrolled ? { GU: this.GU, GI: this.GI } : {};
  }

  setStep(s: SgdStepUniform): void {
    const C = this.chunkSizes.length;
    const slot = (c: number) => {
      const g = this.chunkGroups[c];
      const o = s.runOrder && g > 1 ? runOrderParams(g, s.runOrder.seed, s.runOrder.epoch, c, C) : { half: 0, mask: 0, keys: [0, 0, 0, 0] };
      return packUniform(this.code, 'P', {
        n: this.chunkSizes[c], run: this.chunkRuns[c], groups: g, leadOnly: this.spec.adagrad && !!s.leadOnly, mu: s.mu, lr: s.lr, lambda: s.lambda, lambdaBias: s.lambdaBias,
        runHalf: o.half, runMask: o.mask, runKeys: o.keys,
      });
    };
    if (C === 1) {
      this.gpu.write(this.params, slot(0));
      return;
    }
    const data = new Uint8Array(C * 256);
    for (let c = 0; c < C; c++) data.set(slot(c), c * 256);
    this.gpu.write(this.params, data);
  }

  /** Chunk c's uniform slot (the whole buffer when there is one chunk). */
  private paramsOf(c: number): GPUBuffer | GPUBufferBinding {
    return this.chunkSizes.length === 1 ? this.params : { buffer: this.params, offset: c * 256, size: uniformSize(this.code, 'P') };
  }

  private checkChunks(rts: GPUBuffer[]): void {
    if (rts.length !== this.chunkSizes.length) throw new Error(`${this.label}: ${rts.length} rating buffers for ${this.chunkSizes.length} chunks`);
    for (const [c, rt] of rts.entries()) {
      const m = this.chunkSizes[c];
      if (rt.size < ratingBytes(m)) throw new Error(`${this.label}: rating buffer ${c} holds ${rt.size} bytes; its ${m} ratings need ${ratingBytes(m)} (ratingsBuffer)`);
    }
  }

  /**
   * One Hogwild epoch over `rt` (already shuffled; at least ratingBytes(n) bytes), or over the
   * chunks `rt[order[0]], rt[order[1]], ...` of a chunked list: one dispatch per chunk in the same
   * pass, each seeing the writes of the ones before (the order defaults to 0, 1, ...).
   */
  encodeHogwild(pass: GPUComputePassEncoder, rt: GPUBuffer | GPUBuffer[], order?: ArrayLike<number>): void {
    const rts = Array.isArray(rt) ? rt : [rt];
    this.checkChunks(rts);
    const wg = Math.max(HOGWILD_WG, this.lanes);
    this.pHog ??= this.gpu.pipeline(`${this.label}.hogwild`, this.code, { ...this.constants, WG: wg }, 'hogwild');
    for (let k = 0; k < rts.length; k++) {
      const c = order ? order[k] : k;
      const buf = rts[c];
      let bg = this.hogGroups.get(buf);
      if (!bg) {
        bg = bindGroupByName(this.gpu, `${this.label}.hogwild${rts.length > 1 ? `.chunk${c}` : ''}`, this.pHog, this.code, { P: this.paramsOf(c), rt: buf, ...this.factors, ...this.accumulators() });
        this.hogGroups.set(buf, bg);
      }
      this.gpu.dispatch(pass, this.pHog, bg, Math.ceil(this.chunkGroups[c] / (wg / this.lanes)));
    }
  }

  /**
   * Runs the `runs` entry (tests) under the params of the last setStep: element t of the result is
   * the run (one lane) or the first position (more lanes) that Hogwild invocation or group t of
   * chunk 0 walks. It overwrites column 0 of the first `groups` rows of W, which must hold them.
   */
  async runOrderOnDevice(): Promise<Uint32Array> {
    const g = this.chunkGroups[0];
    if (this.W.size < g * this.stride * 4 || !('W' in this.factors)) throw new Error(`${this.label}: the run order needs W in one binding of at least ${g} rows`);
    const wg = Math.max(HOGWILD_WG, this.lanes);
    const pipe = this.gpu.pipeline(`${this.label}.runs`, this.code, { ...this.constants, WG: wg }, 'runs');
    const bg = bindGroupByName(this.gpu, `${this.label}.runs`, pipe, this.code, { P: this.paramsOf(0), W: this.W });
    const enc = this.gpu.device.createCommandEncoder({ label: `${this.label}.runs` });
    const pass = enc.beginComputePass({ label: `${this.label}.runs` });
    this.gpu.dispatch(pass, pipe, bg, Math.ceil(g / wg));
    pass.end();
    this.gpu.submit(enc);
    const w = await this.gpu.readF32(this.W, 0, g * this.stride);
    return Uint32Array.from({ length: g }, (_, t) => w[t * this.stride]);
  }

  /**
   * Uploads the block boundaries of a stratified plan. `rt` holds the ratings in plan order: one
   * buffer, or consecutive chunks (chunk c = plan positions [start_c, start_c + chunkSizes[c])).
   * A chunk binds its own copy of the boundaries, relative to the chunk and clamped to it, so a
   * block (or the part of a block) outside the chunk is empty there; a sub-epoch runs each chunk in
   * turn, and a block cut by a chunk border runs its first part, then the rest, in plan order.
   */
  setPlan(plan: StratifiedPlan, rt: GPUBuffer | GPUBuffer[]): void {
    const rts = Array.isArray(rt) ? rt : [rt];
    this.checkChunks(rts);
    const b = plan.b;
    this.stratB = b;
    const C = rts.length;
    if (C === 1) {
      this.chunkBstart = [this.gpu.storage(`${this.label}.blockStart`, plan.blockStart)];
    } else {
      let start = 0;
      for (let c = 0; c < C; c++) {
        const end = start + this.chunkSizes[c];
        const rel = new Uint32Array(plan.blockStart.length);
        for (let j = 0; j < rel.length; j++) rel[j] = Math.min(end, Math.max(start, plan.blockStart[j])) - start;
        this.chunkBstart.push(this.gpu.storage(`${this.label}.blockStart.chunk${c}`, rel));
        start = end;
      }
    }
    // One 256-byte slot per sub-epoch (the minimum uniform offset alignment), one bind group each (per chunk).
    this.subs = this.gpu.buffer(`${this.label}.subEpochs`, b * 256, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    const wg = this.lanes === 1 ? STRAT_WG : this.lanes;
    this.pStrat = this.gpu.pipeline(`${this.label}.stratified`, this.code, { ...this.constants, WG: wg }, 'stratified');
    this.subGroups = [];
    for (let s = 0; s < b; s++) {
      for (let c = 0; c < C; c++) {
        this.subGroups.push(
          bindGroupByName(this.gpu, `${this.label}.stratified.${s}${C > 1 ? `.chunk${c}` : ''}`, this.pStrat, this.code, {
            P: this.paramsOf(c),
            rt: rts[c],
            ...this.factors,
            ...this.accumulators(),
            bstart: this.chunkBstart[c],
            S: { buffer: this.subs, offset: s * 256, size: uniformSize(this.code, 'S') },
          }),
        );
      }
    }
  }

  /**
   * One stratified epoch: b sub-epochs, the diagonal order given by `shifts`; a sub-epoch is one
   * dispatch per chunk. The blocks of a sub-epoch share no row, so running them chunk by chunk
   * instead of all at once changes no result: each block still sees its ratings in plan order.
   */
  encodeStratified(pass: GPUComputePassEncoder, shifts: Uint32Array): void {
    const b = this.stratB;
    if (!this.subs || !this.subGroups || !this.pStrat) throw new Error('SgdKernel.setPlan must be called before encodeStratified');
    const data = new Uint8Array(b * 256);
    for (let s = 0; s < b; s++) data.set(packUniform(this.code, 'S', { shift: shifts[s], b }), s * 256);
    this.gpu.write(this.subs, data);
    // one lane: one invocation per block, STRAT_WG per workgroup; more: one workgroup per block
    const count = this.lanes === 1 ? Math.ceil(b / STRAT_WG) : b;
    const C = this.chunkSizes.length;
    for (let s = 0; s < b; s++) for (let c = 0; c < C; c++) this.gpu.dispatch(pass, this.pStrat, this.subGroups[s * C + c], count);
  }

  destroy(): void {
    for (const buf of [this.params, this.GU, this.GI, this.subs]) buf?.destroy();
    for (const buf of this.chunkBstart) buf.destroy();
  }
}
