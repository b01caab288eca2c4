/**
 * Host side of the batched ALS row solve: normal-equation build (shaders/normal_eq.wgsl),
 * finish (shaders/normal_eq_finish.wgsl) and Cholesky solve (shaders/cholesky.wgsl).
 * Rows are processed in batches sized so the per-batch scratch (A, b, segment partials) fits the
 * device's storage-binding limit and a memory budget. Everything is encoded into the caller's
 * command encoder; the only readback is the two-word singular-system status.
 */
import { bufferId, type GpuContext } from '../gpu/context.ts';
import { LimitError } from '../core/errors.ts';
import { layoutOf, singularError, type SolveLayout, type SolveSpec } from '../core/layout.ts';
import type { DeviceCsr } from './device-csr.ts';
import { bindGroupByName, packUniform, uniformSize } from '../gpu/wgsl.ts';
import { SHARED } from './constants.ts';
import { resolveVariant, type KernelVariant } from './variant.ts';
import { choleskyBlockedWgsl, choleskyDirectWgsl, choleskyWgsl, normalEqDirectWgsl, normalEqFinishWgsl, normalEqWgsl } from './shaders.ts';
import { normalEqRowsWgsl, planBands, type Band } from './normal-eq-rows.ts';
import { normalEqSubgroupWgsl, subgroupShare, SUBGROUP_LANES } from './normal-eq-subgroup.ts';
import { DUAL_BUCKETS, DUAL_STARTS, dualSolveRegsWgsl, dualSolveWgsl } from './dual-solve.ts';
import { factorWindows, gatherBindings, requireStorageBindings, storageBindings, windowBinding, windowOf, withWindows, type FactorWindows } from './factor-windows.ts';

/**
 * How the direct variant sums the systems: 'rows' (shaders/normal_eq_rows.wgsl, one invocation per
 * row), 'subgroups' (shaders/normal_eq_subgroup.wgsl, four subgroup lanes per row; needs the
 * 'subgroups' feature), 'segments' (normal_eq_direct.wgsl partials + finish), or 'auto' (subgroups
 * for SHARED.SUBGROUP_MINK..SUBGROUP_MAXK unknowns where the device has them, else rows up to
 * SHARED.ROWS_MAXK, else segments).
 */
export type DirectBuild = 'auto' | 'rows' | 'subgroups' | 'segments';

/** The build 'auto' resolves to for K unknowns on this device (the direct variant). */
export function resolveDirectBuild(gpu: GpuContext, K: number, build: DirectBuild = 'auto'): Exclude<DirectBuild, 'auto'> {
  const sub = subgroupShare(gpu) !== null && K <= SHARED.SUBGROUP_MAXK;
  if (build === 'subgroups') return sub ? 'subgroups' : K <= SHARED.ROWS_MAXK ? 'rows' : 'segments';
  if (build === 'rows') return K <= SHARED.ROWS_MAXK ? 'rows' : 'segments';
  if (build === 'segments') return 'segments';
  if (sub && K >= SHARED.SUBGROUP_MINK) return 'subgroups';
  return K <= SHARED.ROWS_MAXK ? 'rows' : 'segments';
}

export interface SolveParams {
  mu: number;
  lambda: number;
  lambdaBias: number;
  weighted: boolean;
  alpha: number;
}

/**
 * Writes the `Params` uniform shared by normal_eq*.wgsl, cholesky*.wgsl and cg.wgsl, packed by
 * field name from its WGSL declaration.
 */
export function packSolveParams(dv: DataView, b: Batch, L: SolveLayout, implicit: boolean, p: SolveParams, useBase: boolean, dual = { max: 0, starts: [0, 0, 0, 0] }): void {
  // shaders/solve_params.wgsl declares the struct; every solve kernel binds it as `P`
  const bytes = packUniform(normalEqWgsl, 'P', {
    segBase: b.segBase, segCount: b.segCount, rowBase: b.rowBase, rowCount: b.rowCount,
    stride: L.stride, xBias: L.xBias, yBias: L.yBias, implicit,
    mu: p.mu, alpha: p.alpha, lambda: p.lambda, lambdaBias: p.lambdaBias,
    weighted: p.weighted, useBase, xRow0: b.xRow0, dualMax: dual.max,
    ...Object.fromEntries(DUAL_STARTS.map((f, k) => [f, dual.starts[k]])),
  });
  new Uint8Array(dv.buffer, dv.byteOffset, bytes.byteLength).set(bytes);
}

export interface Batch {
  rowBase: number;
  rowCount: number;
  segBase: number;
  segCount: number;
  /** The storage chunk of the CSR holding every row of the batch (DeviceCsr.chunks). */
  chunk: number;
  /** The window of the solved factor matrix holding every row of the batch, and its first row (src/kernels/factor-windows.ts). */
  xWindow: number;
  xRow0: number;
}

export { defaultVariant, type KernelVariant } from './variant.ts';

const PARAM_STRIDE = 256; // minUniformBufferOffsetAlignment upper bound
const DEFAULT_BUDGET = 128 * 1024 * 1024;
/** Smallest K the direct variant solves with the blocked kernel (below it, cholesky_direct.wgsl). */
const BLOCKED_MINK = 8;
/**
 * Workgroup size of the blocked Cholesky: a few SIMD groups, so that even a few hundred systems of
 * rank 128 (the bench's, or a small batch) spread over every core of a software adapter, which
 * runs each workgroup on one thread.
 */
const BLOCKED_WG = 8;

export class NormalEqSolver {
  readonly L: SolveLayout;
  /** The kernels in use ('auto' resolved; 'direct' falls back to 'tiled' above DIRECT_MAXK unknowns). */
  readonly variant: Exclude<KernelVariant, 'auto'>;
  readonly batches: Batch[] = [];
  /** Windows of the solved side's factors (X, one per batch) and of the other side's (Y, gathered). */
  readonly xWin: FactorWindows;
  readonly yWin: FactorWindows;
  private readonly A: GPUBuffer;
  private readonly B: GPUBuffer;
  private readonly partial: GPUBuffer;
  private readonly params: GPUBuffer;
  private readonly status: GPUBuffer;
  private readonly dummyBase: GPUBuffer;
  /** The blocked direct Cholesky's per-system block scratch (shaders/cholesky_blocked.wgsl), when it is the solve. */
  private readonly blocks?: GPUBuffer;
  private readonly buildPipe: GPUComputePipeline;
  private readonly finishPipe: GPUComputePipeline;
  private readonly cholPipe: GPUComputePipeline;
  /** The sources of the build and Cholesky pipelines (for binding by name). */
  private readonly buildCode: string;
  private readonly cholCode: string;
  private readonly groups = new Map<string, GPUBindGroup[][]>();
  private paramsSet = false;
  private useBase = false;
  /** Rows (segments) per workgroup: 1 for the tiled kernels, WG for the direct ones. */
  private readonly perInvocation: number;
  /** Systems per workgroup of the Cholesky dispatch (the blocked kernel uses small workgroups: see BLOCKED_WG). */
  private readonly cholPer: number;
  /**
   * How the systems are summed: 'segments' (a partial per segment of at most csr.chunk ratings,
   * then the finish kernel) or 'rows' (shaders/normal_eq_rows.wgsl: one invocation sums a whole
   * row in registers, a band of the triangle at a time) or 'subgroups' (normal_eq_subgroup.wgsl:
   * four subgroup lanes share a row, each holding a quarter of the triangle in registers).
   */
  readonly build: Exclude<DirectBuild, 'auto'>;
  /** 'rows' build: the bands, their pipelines, and the fused build + solve when one band holds the system. */
  private readonly rows?: { bands: Band[]; pipes: { pipe: GPUComputePipeline; code: string }[]; fused?: { pipe: GPUComputePipeline; code: string } };
  /** 'subgroups' build: its pipeline and rows per workgroup (the row order is rowOrder()'s; rows.pipes is empty). */
  private subgroup?: { pipe: GPUComputePipeline; code: string; perGroup: number };
  /** Each batch's rows longest first (rowOrder()). */
  private order?: { buffer: GPUBuffer; rows: Uint32Array };
  /**
   * The dual solve of short rows, where the blocked Cholesky solves: the storage kernel
   * (shaders/dual_solve.wgsl) and the register kernels per bucket of lengths
   * (shaders/dual_solve_regs.wgsl, DUAL_BUCKETS), and per batch where each one's range of the row
   * order starts (the first row with fewer than K ratings, then with at most 16, 8, 4).
   */
  private readonly dual?: { kernels: { pipe: GPUComputePipeline; code: string }[]; starts: number[][] };
  /** Rows with 0 < n < dualMax ratings take the dual solve under the current params (0: none). */
  dualMax = 0;

  constructor(
    private readonly gpu: GpuContext,
    readonly csr: DeviceCsr,
    readonly spec: Pick<SolveSpec, 'rank' | 'bias' | 'side' | 'implicit'>,
    readonly label: string,
    variant: KernelVariant = 'auto',
    budgetBytes = DEFAULT_BUDGET,
    /** The direct variant's build (DirectBuild; 'auto' by default, the others for tests and benchmarks of each path). */
    directBuild: DirectBuild = 'auto',
    /** The direct variant's Cholesky: 'blocked' where K allows (the default), or 'scalar' (cholesky_direct.wgsl; tests and A/B bench). */
    directSolve: 'blocked' | 'scalar' = 'blocked',
    /**
     * Rows with fewer ratings than unknowns solved through their n x n dual (shaders/dual_solve.wgsl)
     * where the blocked Cholesky is the solve and the feedback is explicit (the default); false
     * solves every row with the K x K Cholesky (tests and benchmarks of that kernel).
     */
    dual = true,
  ) {
    const L = (this.L = layoutOf(spec));
    const K = L.K;
    this.variant = resolveVariant(gpu, variant);
    const lim = gpu.limits;
    const maxK = Math.floor(Math.sqrt(lim.maxStorageBufferBindingSize / 4));
    if (K > maxK) throw new LimitError(`rank ${spec.rank} too large for one ${K}x${K} system`, 'maxStorageBufferBindingSize', K * K * 4, lim.maxStorageBufferBindingSize);
    const KP = Math.ceil(K / 4) * 4;
    const budget = Math.min(budgetBytes, gpu.maxStorageBytes);
    // the blocked direct Cholesky also keeps each system's 4 x 4 blocks (padded) in a scratch
    const blocked = this.variant === 'direct' && directSolve === 'blocked' && K >= BLOCKED_MINK && K <= SHARED.DIRECT_MAXK;
    const NB = Math.ceil(K / 4);
    const blockBytes = ((NB * (NB + 1)) / 2 * 4 + NB) * 16;
    const rowBytes = Math.max(K * K * 4, blocked ? blockBytes : 0);
    const slotBytes = KP * (KP + 4) * 4;
    const maxRows = Math.max(1, Math.min(Math.floor(budget / rowBytes), lim.maxComputeWorkgroupsPerDimension * 64));
    const maxSlots = Math.max(1, Math.floor(budget / slotBytes));
    const other = spec.side === 'user' ? 'item' : 'user';
    this.xWin = factorWindows(gpu, csr.nRows, L.stride, `${spec.side} factors`);
    this.yWin = factorWindows(gpu, csr.nCols, L.stride, `${other} factors`);
    // plan batches (never across a storage chunk of the CSR, nor a window of X: a batch binds one of each)
    const rs = csr.rowSegHost;
    let r0 = 0;
    while (r0 < csr.nRows) {
      let r1 = r0;
      const ck = csr.rowChunk[r0];
      const xw = windowOf(this.xWin, r0);
      const end = Math.min(csr.chunks[ck].row1, (xw + 1) * this.xWin.rowsPer);
      while (r1 < end && r1 - r0 < maxRows && rs[r1 + 1] - rs[r0] <= maxSlots) r1++;
      if (r1 === r0) {
        throw new LimitError(`${spec.side} ${r0} has too many ratings for one batch at rank ${spec.rank}`, 'segment partials per batch', rs[r0 + 1] - rs[r0], maxSlots);
      }
      this.batches.push({ rowBase: r0, rowCount: r1 - r0, segBase: rs[r0], segCount: rs[r1] - rs[r0], chunk: ck, xWindow: xw, xRow0: xw * this.xWin.rowsPer });
      r0 = r1;
    }
    const rowsMax = Math.max(1, ...this.batches.map((b) => b.rowCount));
    const slotsMax = Math.max(1, ...this.batches.map((b) => b.segCount));
    this.A = gpu.storage(`${label}.A`, rowsMax * rowBytes);
    this.B = gpu.storage(`${label}.b`, rowsMax * K * 4);
    this.partial = gpu.storage(`${label}.partial`, slotsMax * slotBytes);
    this.params = gpu.buffer(`${label}.params`, Math.max(1, this.batches.length) * PARAM_STRIDE, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.status = gpu.storage(`${label}.status`, 8);
    this.dummyBase = gpu.storage(`${label}.noBase`, 16);

    const WG = Math.min(128, lim.maxComputeInvocationsPerWorkgroup, lim.maxComputeWorkgroupSizeX);
    const SH = Math.min(1024, Math.floor(lim.maxComputeWorkgroupStorageSize / 16));
    const KP4 = KP / 4;
    const TILE = Math.max(1, Math.min(64, Math.floor(SH / (2 * KP4 + 1))));
    const buildC = { WG, K, RANK: spec.rank, TILE, SH };
    this.finishPipe = gpu.pipeline(`${label}.finish`, normalEqFinishWgsl, { WG, K, RANK: spec.rank });
    const cholWG = Math.min(64, WG);
    // the direct build keeps 4 rows x K columns in a private array of DIRECT_MAXK columns
    if (this.variant === 'direct' && K > SHARED.DIRECT_MAXK) this.variant = 'tiled';
    const gathered = (code: string, what: string): string => {
      const c = withWindows(code, 'Y', this.yWin);
      requireStorageBindings(gpu, `${label}: ${what} with the ${other} factors in ${this.yWin.count} bindings`, c);
      return c;
    };
    if (this.variant === 'direct') {
      this.buildCode = gathered(normalEqDirectWgsl, 'direct build');
      this.buildPipe = gpu.pipeline(`${label}.buildDirect`, this.buildCode, { WG: cholWG, K, RANK: spec.rank });
      if (blocked) {
        // 4 x 4 blocks with vec4 scratch (shaders/cholesky_blocked.wgsl)
        this.cholCode = choleskyBlockedWgsl;
        this.blocks = gpu.storage(`${label}.blocks`, rowsMax * blockBytes);
        this.cholPipe = gpu.pipeline(`${label}.choleskyBlocked`, choleskyBlockedWgsl, { WG: BLOCKED_WG, K, RANK: spec.rank, NB });
      } else {
        this.cholCode = choleskyDirectWgsl;
        this.cholPipe = gpu.pipeline(`${label}.choleskyDirect`, choleskyDirectWgsl, { WG: cholWG, K, RANK: spec.rank });
      }
    } else {
      this.buildCode = gathered(normalEqWgsl, 'build');
      this.cholCode = choleskyWgsl;
      this.buildPipe = gpu.pipeline(`${label}.build`, this.buildCode, buildC, 'build');
      const sharedBudget = Math.floor((lim.maxComputeWorkgroupStorageSize - 16 * K - 16) / 4);
      const MS = K * K <= sharedBudget ? K * K : 1;
      this.cholPipe = gpu.pipeline(`${label}.cholesky`, choleskyWgsl, { WG: cholWG, K, RANK: spec.rank, MS });
    }
    this.perInvocation = this.variant === 'direct' ? cholWG : 1;
    this.cholPer = this.blocks ? BLOCKED_WG : this.perInvocation;
    this.build = this.variant === 'direct' ? resolveDirectBuild(gpu, K, directBuild) : 'segments';
    if (this.build === 'subgroups') {
      const code = gathered(normalEqSubgroupWgsl(K, spec.rank, spec.bias, subgroupShare(gpu)!), 'subgroup build');
      const WGS = 64;
      this.subgroup = { pipe: gpu.pipeline(`${label}.subgroups`, code, { WG: WGS, K, RANK: spec.rank }), code, perGroup: WGS / SUBGROUP_LANES };
    }
    if (this.build === 'rows' || this.build === 'subgroups') {
      const bands = this.build === 'rows' ? planBands(K) : [];
      // two ratings per loop pass where the system fits one invocation; one in the bands (half the
      // code to compile, no measurable difference per flop)
      const unroll = bands.length === 1 ? 2 : 1;
      const make = (b: Band, mode: 'build' | 'solve', name: string) => {
        const code = withWindows(normalEqRowsWgsl(K, { rank: spec.rank, stride: L.stride, xBias: L.xBias, yBias: L.yBias, bias: spec.bias }, b, mode, unroll), 'Y', this.yWin);
        if (mode === 'build') requireStorageBindings(gpu, `${label}: build with the ${other} factors in ${this.yWin.count} bindings`, code);
        return { code, pipe: () => gpu.pipeline(`${label}.${name}`, code, { WG: cholWG, K, RANK: spec.rank }) };
      };
      const pipes = bands.map((b, i) => make(b, 'build', `rows[${i}]`)).map((m) => ({ code: m.code, pipe: m.pipe() }));
      // the fused kernel binds 9 storage buffers, more with Y in windows (the WebGPU default allows 8)
      const solve = bands.length === 1 ? make(bands[0], 'solve', 'rowsSolve') : undefined;
      const fused = solve && gpu.limits.maxStorageBuffersPerShaderStage >= storageBindings(solve.code) ? { code: solve.code, pipe: solve.pipe() } : undefined;
      this.rows = { bands, pipes, fused };
    }
    if (blocked && dual && !spec.implicit && !this.rows?.fused) {
      const RL = { rank: spec.rank, stride: L.stride, xBias: L.xBias, yBias: L.yBias, bias: spec.bias };
      const codes = [dualSolveWgsl(RL), ...DUAL_BUCKETS.map((_, b) => dualSolveRegsWgsl(RL, b))].map((c) => withWindows(c, 'Y', this.yWin));
      // (8 storage buffers, more with Y in windows: without enough bindings every row takes the Cholesky)
      if (gpu.limits.maxStorageBuffersPerShaderStage >= Math.max(...codes.map(storageBindings))) {
        const order = this.rowOrder().rows;
        const ip = csr.host.indptr;
        const len = (b: Batch, i: number) => ip[order[b.rowBase + i] + 1] - ip[order[b.rowBase + i]];
        // each range starts at the first row (longest first) under its bound, and not before the previous range
        const bounds = [K - 1, ...DUAL_BUCKETS];
        const starts = this.batches.map((b) => {
          const out: number[] = [];
          let i = 0;
          for (const max of bounds) {
            while (i < b.rowCount && len(b, i) > max) i++;
            out.push(i);
          }
          return out;
        });
        const kernels = codes.map((code, k) => ({ code, pipe: gpu.pipeline(`${label}.dual[${k}]`, code, { WG: cholWG, K, RANK: spec.rank }) }));
        this.dual = { kernels, starts };
      }
    }
  }

  /**
   * Each batch's rows longest first, so the lanes of one SIMD group run about as long (the rows
   * build's order, and the dual solve's: its short rows are the tail). Uploads (row, first rating,
   * count, 0) per row once; the first rating is a position in the batch's storage chunk (a batch
   * never spans two), as the segment build's positions are. The device buffer, and the rows in
   * that order on the host.
   */
  private rowOrder(): { buffer: GPUBuffer; rows: Uint32Array } {
    const csr = this.csr;
    if (!this.order) {
      const ip = csr.host.indptr;
      const order = new Uint32Array(Math.max(1, csr.nRows) * 4);
      const rows = new Uint32Array(csr.nRows);
      for (const b of this.batches) {
        const e0 = csr.chunks[b.chunk].entry0;
        const rowsOf = Array.from({ length: b.rowCount }, (_, i) => b.rowBase + i);
        rowsOf.sort((x, y) => ip[y + 1] - ip[y] - (ip[x + 1] - ip[x]) || x - y);
        rowsOf.forEach((row, i) => {
          order.set([row, ip[row] - e0, ip[row + 1] - ip[row], 0], (b.rowBase + i) * 4);
          rows[b.rowBase + i] = row;
        });
      }
      this.order = { buffer: this.gpu.storage(`${this.label}.order`, order), rows };
    }
    return this.order;
  }

  /** Writes the per-batch parameters (cheap; call when lambda, mu or alpha change). */
  setParams(p: SolveParams, useBase = false): void {
    const buf = new ArrayBuffer(Math.max(1, this.batches.length) * PARAM_STRIDE);
    // the dual needs every unknown regularized (D^-1) and no base Gram
    this.dualMax = this.dual && !useBase && p.lambda > 0 && (!this.spec.bias || p.lambdaBias > 0) ? this.L.K : 0;
    this.batches.forEach((b, i) => {
      const dual = { max: this.dualMax, starts: this.dual?.starts[i] ?? [0, 0, 0, 0] };
      packSolveParams(new DataView(buf, i * PARAM_STRIDE, uniformSize(normalEqWgsl, 'P')), b, this.L, !!this.spec.implicit, p, useBase, dual);
    });
    this.gpu.write(this.params, new Uint8Array(buf));
    this.paramsSet = true;
    this.useBase = useBase;
  }

  /** The Cholesky kernel's buffers (the blocked one also binds its scratch). */
  private cholBuffers(P: GPUBufferBinding, X: GPUBuffer | GPUBufferBinding): Record<string, GPUBuffer | GPUBufferBinding> {
    const { A, B, status, blocks } = this;
    const counts = this.csr.counts;
    return blocks ? { P, A, B, X, counts, status, blocks, order: this.rowOrder().buffer } : { P, A, B, X, counts, status };
  }

  private bindGroups(X: GPUBuffer, Y: GPUBuffer, base: GPUBuffer | undefined): GPUBindGroup[][] {
    const key = `${bufferId(X)}#${bufferId(Y)}#${bufferId(base)}`;
    let g = this.groups.get(key);
    if (g) return g;
    const gpu = this.gpu;
    g = this.batches.map((bt, i) => {
      const P: GPUBufferBinding = { buffer: this.params, offset: i * PARAM_STRIDE, size: uniformSize(normalEqWgsl, 'P') };
      const { segs, rowSeg, counts } = this.csr;
      const { idx, val } = this.csr.chunks[bt.chunk];
      const { partial, A, B, status } = this;
      const Xw = windowBinding(X, this.xWin, bt.xWindow);
      const dual = (this.dual?.kernels ?? []).map((k, j) =>
        bindGroupByName(gpu, `${this.label}.dual[${j}][${i}]`, k.pipe, k.code, { P, idx, val, ...gatherBindings('Y', Y, this.yWin), order: this.order!.buffer, ...(j === 0 ? { A } : {}), X: Xw, status }),
      );
      if (this.rows) {
        const ro = this.rows;
        const common = { P, idx, val, ...gatherBindings('Y', Y, this.yWin), order: this.rowOrder().buffer, base: base ?? this.dummyBase, A, B };
        const sg = this.subgroup;
        return [
          ...(sg ? [bindGroupByName(gpu, `${this.label}.subgroups[${i}]`, sg.pipe, sg.code, common)] : []),
          ...ro.pipes.map((p, k) => bindGroupByName(gpu, `${this.label}.rows[${k}][${i}]`, p.pipe, p.code, common)),
          ro.fused ? bindGroupByName(gpu, `${this.label}.rowsSolve[${i}]`, ro.fused.pipe, ro.fused.code, { ...common, X: Xw, status }) : null,
          bindGroupByName(gpu, `${this.label}.cholesky[${i}]`, this.cholPipe, this.cholCode, this.cholBuffers(P, Xw)),
          ...dual,
        ].filter((x): x is GPUBindGroup => x !== null);
      }
      return [
        bindGroupByName(gpu, `${this.label}.build[${i}]`, this.buildPipe, this.buildCode, { P, idx, val, ...gatherBindings('Y', Y, this.yWin), segs, partial }),
        bindGroupByName(gpu, `${this.label}.finish[${i}]`, this.finishPipe, normalEqFinishWgsl, { P, partial, rowSeg, counts, base: base ?? this.dummyBase, A, B }),
        bindGroupByName(gpu, `${this.label}.cholesky[${i}]`, this.cholPipe, this.cholCode, this.cholBuffers(P, Xw)),
        ...dual,
      ];
    });
    this.groups.set(key, g);
    return g;
  }

  /**
   * Encodes the solve of every row into X with Y fixed: the normal-equation build, then Cholesky.
   * `base` is the K x K Gram added to every row (implicit ALS).
   */
  encode(enc: GPUCommandEncoder, X: GPUBuffer, Y: GPUBuffer, opts: { base?: GPUBuffer } = {}): void {
    this.encodeStages(enc, X, Y, opts.base, true, true);
  }

  /** Encodes only the build of the systems (A, b in `systems`), without solving them. */
  encodeBuild(enc: GPUCommandEncoder, X: GPUBuffer, Y: GPUBuffer, opts: { base?: GPUBuffer } = {}): void {
    this.encodeStages(enc, X, Y, opts.base, true, false);
  }

  /** Encodes only the Cholesky solve of systems already built (by `encodeBuild`) into X. One batch. */
  encodeCholesky(enc: GPUCommandEncoder, X: GPUBuffer, Y: GPUBuffer, opts: { base?: GPUBuffer } = {}): void {
    if (this.batches.length !== 1) throw new Error(`${this.label}: a Cholesky-only solve needs the rows in one batch (${this.batches.length})`);
    this.encodeStages(enc, X, Y, opts.base, false, true);
  }

  /** The systems of the last batch: A (rows x K x K, upper triangle used) and b (rows x K). */
  get systems(): { A: GPUBuffer; B: GPUBuffer } {
    return { A: this.A, B: this.B };
  }

  private encodeStages(enc: GPUCommandEncoder, X: GPUBuffer, Y: GPUBuffer, base: GPUBuffer | undefined, build: boolean, solve: boolean): void {
    if (!this.paramsSet) throw new Error(`${this.label}: setParams() first`);
    if (!!base !== this.useBase) throw new Error(`${this.label}: base Gram given=${!!base} but params say ${this.useBase}`);
    this.gpu.write(this.status, new Uint32Array([0, 0xffffffff]));
    const groups = this.bindGroups(X, Y, base);
    const pass = enc.beginComputePass({ label: `${this.label}.pass` });
    const dualOn = solve && this.dualMax > 0;
    this.batches.forEach((b, i) => {
      const per = this.perInvocation;
      const g = groups[i];
      const nDual = this.dual?.kernels.length ?? 0;
      const chol = g[g.length - 1 - nDual];
      // rows the solve reads from A: with the dual on, only the rows before its start (the Cholesky
      // skips the others); encodeBuild alone builds every row
      const starts = this.dual?.starts[i];
      const built = dualOn ? starts![0] : b.rowCount;
      if (this.rows) {
        const ro = this.rows;
        if (build && solve && ro.fused) {
          this.gpu.dispatch(pass, ro.fused.pipe, g[ro.pipes.length], Math.ceil(b.rowCount / per));
          return;
        }
        const sg = this.subgroup;
        if (build && built > 0 && sg) this.gpu.dispatch(pass, sg.pipe, g[0], Math.ceil(built / sg.perGroup));
        else if (build && built > 0) ro.pipes.forEach((p, k) => this.gpu.dispatch(pass, p.pipe, g[k], Math.ceil(built / per)));
      } else if (build) {
        this.gpu.dispatch(pass, this.buildPipe, g[0], Math.ceil(b.segCount / per));
        this.gpu.dispatch(pass, this.finishPipe, g[1], b.rowCount);
      }
      // (with the dual on, the blocked Cholesky takes only the rows before the dual's: its row order)
      const cholRows = dualOn ? starts![0] : b.rowCount;
      if (solve && cholRows > 0) this.gpu.dispatch(pass, this.cholPipe, chol, Math.ceil(cholRows / this.cholPer));
      if (!dualOn) return;
      // each dual kernel over its range of the row order (the storage kernel, then the buckets)
      this.dual!.kernels.forEach((k, j) => {
        const end = j + 1 < starts!.length ? starts![j + 1] : b.rowCount;
        if (end > starts![j]) this.gpu.dispatch(pass, k.pipe, g[g.length - nDual + j], Math.ceil((end - starts![j]) / this.perInvocation));
      });
    });
    pass.end();
  }

  /** Copies the two status words (count, smallest failing row) into `dst` at `offset`. */
  encodeStatusCopy(enc: GPUCommandEncoder, dst: GPUBuffer, offset: number): void {
    enc.copyBufferToBuffer(this.status, 0, dst, offset, 8);
  }

  /** Reads the singular-system status and throws a clear error when any row failed. */
  async checkStatus(spec: SolveSpec): Promise<void> {
    const s = new Uint32Array(await this.gpu.read(this.status, 0, 8));
    if (s[0] > 0) {
      const row = s[1];
      const n = this.csr.host.indptr[row + 1] - this.csr.host.indptr[row];
      throw singularError(spec, row, n, s[0]);
    }
  }

  destroy(): void {
    for (const b of [this.A, this.B, this.partial, this.params, this.status, this.dummyBase]) b.destroy();
    this.blocks?.destroy();
    this.order?.buffer.destroy();
  }
}
