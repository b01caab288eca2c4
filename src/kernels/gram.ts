/**
 * Host side of shaders/gram.wgsl: S x S Grams A^T B of tall factor matrices (optionally of
 * differences, optionally row-weighted), written into numbered slots of one `grams` buffer, plus
 * the trace products of the convergence identity and diagonal extraction into a scalars buffer.
 */
import { bufferId, type GpuContext } from '../gpu/context.ts';
import { gramWgsl } from './shaders.ts';
import { bindGroupByName, packUniform, uniformSize } from '../gpu/wgsl.ts';
import { FACTOR_ROW_BLOCK, MAX_FACTOR_WINDOWS, windowBinding, windowRows, type FactorWindows } from './factor-windows.ts';

export interface GramOperand {
  x: GPUBuffer;
  /** Subtract this buffer (same shape) from x. */
  minus?: GPUBuffer;
}

const WG = 128;
/** Rows per partial; a window of a factor matrix holds a multiple of it (FACTOR_ROW_BLOCK). */
const CH = FACTOR_ROW_BLOCK;
/** Most partials per CH rows: runs of 64 rows. */
const MAX_SUBS = 16;
/** Partials that give a small matrix enough invocations (times the 4x4 blocks of G) without a big partials buffer. */
const TARGET_PARTIALS = 64;
/** Workgroup size of the diagonal-only partials: a few invocations per partial, spread over threads. */
const DIAG_WG = 8;

export class GramKernel {
  /** 6 slots of S x S floats. */
  readonly grams: GPUBuffer;
  private readonly part: GPUBuffer;
  private readonly dummy: GPUBuffer;
  private readonly paramBufs: GPUBuffer[] = [];
  private readonly groupCache = new Map<string, GPUBindGroup>();
  /** Partials per CH rows (shaders/gram.wgsl SUBS): enough invocations for small matrices, few partials for big ones. */
  private readonly SUBS: number;
  private paramCursor = 0;

  constructor(
    private readonly gpu: GpuContext,
    readonly label: string,
    readonly S: number,
    readonly maxRows: number,
    readonly slots = 6,
  ) {
    const S4 = Math.ceil(S / 4);
    const SP = S4 * 4;
    // (+ one per extra window: a window of fewer than CH rows ends in a partial of its own)
    const parts = Math.max(1, Math.ceil(maxRows / CH)) + MAX_FACTOR_WINDOWS - 1;
    let subs = 1;
    while (subs < MAX_SUBS && parts * subs * 2 <= TARGET_PARTIALS) subs *= 2;
    this.SUBS = subs;
    this.grams = gpu.storage(`${label}.grams`, slots * S * S * 4);
    this.part = gpu.storage(`${label}.partials`, parts * subs * SP * SP * 4);
    this.dummy = gpu.storage(`${label}.none`, 16);
  }

  private params(n: number, parts: number, slot: number, outSlot: number, rowBase = 0, partBase = 0): GPUBuffer {
    // one small uniform per encoded call in a submission (reused across iterations in order)
    const i = this.paramCursor++;
    if (!this.paramBufs[i]) this.paramBufs[i] = this.gpu.buffer(`${this.label}.params[${i}]`, uniformSize(gramWgsl, 'P'), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.gpu.write(this.paramBufs[i], packUniform(gramWgsl, 'P', { n, stride: this.S, parts, slot, outSlot, rowBase, partBase }));
    return this.paramBufs[i];
  }

  /** Call before encoding a new submission's worth of Gram work (recycles the parameter buffers). */
  begin(): void {
    this.paramCursor = 0;
  }

  private group(key: string, pipe: GPUComputePipeline, buffers: Record<string, GPUBuffer | GPUBufferBinding>): GPUBindGroup {
    const id = (b: GPUBuffer | GPUBufferBinding) => ('buffer' in b ? `${bufferId(b.buffer)}@${b.offset ?? 0}` : bufferId(b));
    const k = `${key}#${Object.entries(buffers).map(([n, b]) => `${n}=${id(b)}`).join(',')}`;
    let g = this.groupCache.get(k);
    if (!g) this.groupCache.set(k, (g = bindGroupByName(this.gpu, `${this.label}.${key}`, pipe, gramWgsl, buffers)));
    return g;
  }

  /**
   * Encodes G[slot] = A^T B over n rows (row i scaled by weights[i] when given). With `windows`
   * (the operands' rows over one binding), one partials dispatch per window. `diagOnly`: only G's
   * diagonal is computed and written (its other entries keep what they held).
   */
  encodeGram(pass: GPUComputePassEncoder, slot: number, n: number, A: GramOperand, B: GramOperand, weights?: GPUBuffer, windows?: FactorWindows, diagOnly = false): void {
    const DIAG_ONLY = diagOnly ? 1 : 0;
    const SUBS = diagOnly ? 1 : this.SUBS;
    // A^T B of one operand with itself is symmetric: only the blocks on and above the diagonal are summed
    const SYM = !diagOnly && A.x === B.x && A.minus === B.minus ? 1 : 0;
    const c = { WG: diagOnly ? DIAG_WG : WG, COLS: this.S, CH, SUBS, SYM, SUB_A: A.minus ? 1 : 0, SUB_B: B.minus ? 1 : 0, WEIGHTED: weights ? 1 : 0 };
    const entry = diagOnly ? 'diagPartials' : 'partials';
    const pPart = this.gpu.pipeline(`${this.label}.${entry}`, gramWgsl, c, entry);
    const pRed = this.gpu.pipeline(`${this.label}.reduce`, gramWgsl, { WG, COLS: this.S, DIAG_ONLY, SUBS, SYM }, 'reduce');
    const S4 = Math.ceil(this.S / 4);
    const blocks = SYM ? (S4 * (S4 + 1)) / 2 : S4 * S4;
    const count = windows && windows.count > 1 ? windows.count : 1;
    let parts = 0;
    for (let k = 0; k < count; k++) {
      if (count > 1 && windows!.nRows !== n) throw new Error(`${this.label}: ${n} rows, windows of ${windows!.nRows}`);
      const { row0, rows } = count > 1 ? windowRows(windows!, k) : { row0: 0, rows: n };
      const wParts = Math.max(1, Math.ceil(rows / CH));
      const prm = this.params(rows, wParts, slot, 0, row0, parts);
      parts += wParts;
      const win = (b: GPUBuffer) => (count > 1 ? windowBinding(b, windows!, k) : b);
      const g1 = this.group(`${entry}.${this.paramCursor}`, pPart, {
        P: prm, a1: win(A.x), a2: A.minus ? win(A.minus) : this.dummy, b1: win(B.x), b2: B.minus ? win(B.minus) : this.dummy, w: weights ?? this.dummy, part: this.part,
      });
      this.gpu.dispatch(pass, pPart, g1, diagOnly ? Math.ceil((wParts * S4) / DIAG_WG) : Math.ceil((wParts * SUBS * blocks) / WG));
    }
    const prm = this.params(n, parts, slot, 0);
    const g2 = this.group(`reduce.${this.paramCursor}`, pRed, { P: prm, part: this.part, G: this.grams });
    this.gpu.dispatch(pass, pRed, g2, Math.ceil((this.S * this.S) / WG));
  }

  /** out[outSlot] = tr(G0 G1) (+ 2 tr(G2 G3) + tr(G4 G5) with terms = 3). */
  encodeTraces(pass: GPUComputePassEncoder, out: GPUBuffer, outSlot: number, terms: 1 | 3): void {
    const pipe = this.gpu.pipeline(`${this.label}.traces`, gramWgsl, { WG, COLS: this.S, TERMS: terms }, 'traces');
    const prm = this.params(0, 0, 0, outSlot);
    const g = this.group(`traces.${this.paramCursor}`, pipe, { P: prm, grams: this.grams, out });
    this.gpu.dispatch(pass, pipe, g, 1);
  }

  /** out[outSlot + i] = G[slot][i][i]. */
  encodeDiag(pass: GPUComputePassEncoder, slot: number, out: GPUBuffer, outSlot: number): void {
    const pipe = this.gpu.pipeline(`${this.label}.diag`, gramWgsl, { WG, COLS: this.S }, 'diag');
    const prm = this.params(0, 0, slot, outSlot);
    const g = this.group(`diag.${this.paramCursor}`, pipe, { P: prm, grams: this.grams, out });
    this.gpu.dispatch(pass, pipe, g, 1);
  }

  destroy(): void {
    for (const b of [this.grams, this.part, this.dummy, ...this.paramBufs]) b.destroy();
  }
}
