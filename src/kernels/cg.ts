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
import { resolveVariant, type KernelVariant } from './variant.ts';
import { CG_DIRECT_MAXK, cgDirectWgsl } from './cg-direct.ts';
import { factorWindows, gatherBindings, requireStorageBindings, windowBinding, windowRows, withWindows, type FactorWindows } from './factor-windows.ts';

/** One 256-byte uniform slot per storage chunk (the minimum uniform offset alignment). */
const PARAM_STRIDE = 256;

/**
 * With a CSR in several storage chunks (DeviceCsr.chunks), one dispatch per chunk: its rows, its
 * indices and values, and an indptr whose positions are relative to the chunk's first entry. With
 * the solved factors in several windows (src/kernels/factor-windows.ts), one dispatch per part of a
 * chunk inside one window; the other side's factors are gathered through their windows.
 */
export class CgSolver {
  private readonly params: GPUBuffer;
  private readonly indptr: GPUBuffer[];
  private readonly dummyBase: GPUBuffer;
  private readonly pipe: GPUComputePipeline;
  /** The kernel's source (bindings by name) and rows per workgroup (1 tiled, WG direct). */
  private readonly code: string;
  private readonly perWorkgroup: number;
  /** The kernel in use: 'tiled' (shaders/cg.wgsl, a workgroup per row) or 'direct' (src/kernels/cg-direct.ts, an invocation per row; up to CG_DIRECT_MAXK unknowns). */
  readonly variant: Exclude<KernelVariant, 'auto'>;
  private readonly groups = new Map<string, GPUBindGroup[]>();
  private readonly xWin: FactorWindows;
  private readonly yWin: FactorWindows;
  /** Dispatches: rows [row0, row1) of CSR chunk `chunk`, inside window `window` of X. */
  private readonly pieces: { row0: number; row1: number; chunk: number; window: number }[] = [];
  private useBase = false;

  constructor(
    private readonly gpu: GpuContext,
    readonly csr: DeviceCsr,
    readonly spec: Pick<SolveSpec, 'rank' | 'bias' | 'side' | 'implicit'>,
    readonly steps: number,
    readonly label: string,
    variant: KernelVariant = 'auto',
  ) {
    const L = layoutOf(spec);
    const K = L.K;
    const lim = gpu.limits;
    const WG = Math.min(64, lim.maxComputeInvocationsPerWorkgroup);
    this.variant = resolveVariant(gpu, variant);
    this.xWin = factorWindows(gpu, csr.nRows, L.stride, `${spec.side} factors`);
    this.yWin = factorWindows(gpu, csr.nCols, L.stride, `${spec.side === 'user' ? 'item' : 'user'} factors`);
    csr.chunks.forEach((c, k) => {
      for (let w = 0; w < this.xWin.count; w++) {
        const { row0, rows } = windowRows(this.xWin, w);
        const r0 = Math.max(c.row0, row0);
        const r1 = Math.min(c.row1, row0 + rows);
        if (r1 > r0) this.pieces.push({ row0: r0, row1: r1, chunk: k, window: w });
      }
    });
    if (this.pieces.length === 0) this.pieces.push({ row0: 0, row1: 0, chunk: 0, window: 0 });
    if (this.variant === 'direct' && K > CG_DIRECT_MAXK) this.variant = 'tiled';
    if (this.variant === 'direct') {
      this.code = withWindows(cgDirectWgsl(K, { rank: spec.rank, stride: L.stride, xBias: L.xBias, yBias: L.yBias, bias: !!spec.bias }), 'Y', this.yWin);
      this.pipe = gpu.pipeline(`${label}.cgDirect`, this.code, { WG, STEPS: steps });
      this.perWorkgroup = WG;
    } else {
      const budget = lim.maxComputeWorkgroupStorageSize - (5 * K + WG) * 4;
      const TILE = Math.max(1, Math.min(64, Math.floor(budget / ((K + 2) * 4))));
      gpu.requireLimit(`CG solve at rank ${spec.rank}`, 'maxComputeWorkgroupStorageSize', (5 * K + WG + K + 2) * 4);
      this.code = withWindows(cgWgsl, 'Y', this.yWin);
      this.pipe = gpu.pipeline(`${label}.cg`, this.code, { WG, K, RANK: spec.rank, TILE, STEPS: steps });
      this.perWorkgroup = 1;
    }
    requireStorageBindings(gpu, `${label}: CG with the other side's factors in ${this.yWin.count} bindings`, this.code);
    const n = this.pieces.length;
    this.params = gpu.buffer(`${label}.params`, n * PARAM_STRIDE, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.indptr = [];
    try {
      if (n === 1) this.indptr.push(gpu.storage(`${label}.indptr`, csr.host.indptr));
      else {
        csr.chunks.forEach((c, k) => {
          // rows before the chunk are never read (clamped to 0); rows row0..row1 relative to entry0
          const rel = new Uint32Array(c.row1 + 1);
          for (let r = c.row0; r <= c.row1; r++) rel[r] = csr.host.indptr[r] - c.entry0;
          this.indptr.push(gpu.storage(`${label}.indptr[${k}]`, rel));
        });
      }
      this.dummyBase = gpu.storage(`${label}.noBase`, 16);
    } catch (e) {
      this.params.destroy();
      for (const b of this.indptr) b.destroy();
      throw e;
    }
  }

  setParams(p: SolveParams, useBase = false): void {
    const buf = new ArrayBuffer(this.pieces.length * PARAM_STRIDE);
    this.pieces.forEach((c, k) => {
      const rows = { rowBase: c.row0, rowCount: c.row1 - c.row0, segBase: 0, segCount: 0, chunk: c.chunk, xWindow: c.window, xRow0: windowRows(this.xWin, c.window).row0 };
      packSolveParams(new DataView(buf, k * PARAM_STRIDE, uniformSize(cgWgsl, 'P')), rows, layoutOf(this.spec), !!this.spec.implicit, p, useBase);
    });
    this.gpu.write(this.params, new Uint8Array(buf));
    this.useBase = useBase;
  }

  encode(enc: GPUCommandEncoder, X: GPUBuffer, Y: GPUBuffer, base?: GPUBuffer): void {
    if (!!base !== this.useBase) throw new Error(`${this.label}: base Gram given=${!!base} but params say ${this.useBase}`);
    const key = `${bufferId(X)}#${bufferId(Y)}#${bufferId(base)}`;
    let g = this.groups.get(key);
    if (!g) {
      const { counts } = this.csr;
      g = this.pieces.map((pc, k) => {
        const c = this.csr.chunks[pc.chunk];
        const P: GPUBufferBinding = { buffer: this.params, offset: k * PARAM_STRIDE, size: uniformSize(cgWgsl, 'P') };
        return bindGroupByName(this.gpu, `${this.label}.cg[${k}]`, this.pipe, this.code, {
          P, idx: c.idx, val: c.val, ...gatherBindings('Y', Y, this.yWin), counts, indptr: this.indptr[pc.chunk], base: base ?? this.dummyBase, X: windowBinding(X, this.xWin, pc.window),
        });
      });
      this.groups.set(key, g);
    }
    const pass = enc.beginComputePass({ label: `${this.label}.cg.pass` });
    this.pieces.forEach((c, k) => this.gpu.dispatch(pass, this.pipe, g[k], Math.ceil((c.row1 - c.row0) / this.perWorkgroup)));
    pass.end();
  }

  destroy(): void {
    for (const b of [this.params, ...this.indptr, this.dummyBase]) b.destroy();
  }
}
