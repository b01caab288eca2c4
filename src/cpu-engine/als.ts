/**
 * ALS on the f32 CPU engine (AlsBackend): factors in f32 (shared with the workers), each row's
 * normal equations built by the blocked kernel and solved by Cholesky (or CG) in f64, rows spread
 * over the pool. The statistics the loop needs (residuals, penalty, implicit trace, the change
 * of W H^T) are computed on the calling thread with f64 sums.
 */
import { layoutOf, maxAbs, singularError, type SolveSpec } from '../core/layout.ts';
import { gramOfColumns, normalEquations, traceProduct } from '../reference/reference.ts';
import { rowCounts, type Csr, type Ratings } from '../data/ratings.ts';
import { penalty, type AlsBackend, type AlsProblem, type IterationStats } from '../train/als/backend.ts';
import type { Factors } from '../train/backend.ts';
import { HostCopies } from '../train/host-copies.ts';
import { deltaScratch, engineScratch, gramRows, type SolveJob, type SolveResult } from './kernels.ts';
import { lazyExec, residualsOnPool, type Exec } from './pool.ts';
import { gramKernel } from './wasm.ts';

interface SharedCsr {
  indptr: Uint32Array;
  indices: Uint32Array;
  values: Float32Array;
  nRows: number;
}

export class FastCpuAls implements AlsBackend {
  readonly kind = 'cpu' as const;
  private readonly W: Float32Array;
  private readonly H: Float32Array;
  private readonly uCounts: Uint32Array;
  private readonly iCounts: Uint32Array;
  private readonly byUser: SharedCsr;
  private readonly byItem: SharedCsr;
  private readonly counter: Int32Array;
  private readonly base: Float64Array;
  private readonly ratings: { users: Int32Array; items: Int32Array; values: Float32Array };
  private readonly val?: { users: Int32Array; items: Int32Array; values: Float32Array };
  /** The Gram kernel: WebAssembly SIMD where it runs, else blocked JS. */
  readonly kernel = gramKernel();
  /** Each thread's scratch for engine.wat's row solver (made at the first step, when the thread count is known). */
  private scratch: Float64Array[] | null = null;
  /** Each thread's scratch for the convergence quantity's Grams on engine.wat (null: the JS Grams). */
  private dScratch: Float64Array[] | null | undefined;
  /** The longest row of either side. */
  private readonly cap: number;
  /** The factors before the iteration (for the convergence quantity), shared with the workers. */
  /** The last good W and H (`last`), in shared buffers: the workers read them for the convergence quantity. */
  private readonly copies: HostCopies;

  constructor(
    private readonly p: AlsProblem,
    byUser: Csr,
    byItem: Csr,
    private readonly train: Ratings,
    private readonly validation: Ratings | undefined,
    W0: Float32Array,
    H0: Float32Array,
    /** Where the kernels run (default: a pool of core-count workers, started at the first step). */
    readonly exec: Exec = lazyExec(),
  ) {
    const share = (c: Csr): SharedCsr => {
      const indptr = exec.u32(c.indptr.length);
      indptr.set(c.indptr);
      const indices = exec.u32(c.indices.length);
      indices.set(c.indices);
      const values = exec.f32(c.values.length);
      values.set(c.values);
      return { indptr, indices, values, nRows: c.nRows };
    };
    this.byUser = share(byUser);
    this.byItem = share(byItem);
    this.W = exec.f32(W0.length);
    this.W.set(W0);
    this.H = exec.f32(H0.length);
    this.H.set(H0);
    this.copies = new HostCopies([this.W, this.H], exec.f32);
    this.counter = exec.i32(1);
    this.base = exec.f64(p.implicit ? p.stride * p.stride : 1);
    const share3 = (r: Ratings) => {
      const users = exec.i32(r.users.length);
      users.set(r.users);
      const items = exec.i32(r.items.length);
      items.set(r.items);
      const values = exec.f32(r.values.length);
      values.set(r.values);
      return { users, items, values };
    };
    this.ratings = share3(train);
    if (validation && !p.implicit) this.val = share3(validation);
    this.uCounts = rowCounts(byUser);
    this.iCounts = rowCounts(byItem);
    let cap = 1;
    for (const c of [this.uCounts, this.iCounts]) for (let r = 0; r < c.length; r++) cap = Math.max(cap, c[r]);
    this.cap = cap;
  }

  /** engine.wat solves the rows when every array of the job lives in the engine's shared memory. */
  private heapScratch(): Float64Array[] | null {
    const { exec } = this;
    if (this.scratch === null && exec.heapFor(this.W, this.H, this.base, this.byUser.indptr, this.byUser.indices, this.byUser.values, this.byItem.indptr, this.byItem.indices, this.byItem.values)) {
      const n = engineScratch(layoutOf(this.p.userSpec).K, this.cap);
      const s = Array.from({ length: exec.threads }, () => exec.f64(n));
      if (s.every((a) => exec.heapFor(a))) this.scratch = s;
    }
    return this.scratch;
  }

  /** Solves every row of `csr` into X with Y fixed, over the pool. */
  private async solve(csr: SharedCsr, X: Float32Array, Y: Float32Array, spec: SolveSpec, nY: number): Promise<void> {
    const L = layoutOf(spec);
    const { p, exec } = this;
    if (p.implicit) this.base.set(gramRows(Y, Y, nY, L.stride, true));
    this.counter[0] = 0;
    const job: SolveJob = {
      indptr: csr.indptr,
      indices: csr.indices,
      values: csr.values,
      nRows: csr.nRows,
      X,
      Y,
      stride: L.stride,
      rank: spec.rank,
      K: L.K,
      bias: spec.bias,
      xBias: L.xBias,
      yBias: L.yBias,
      mu: spec.mu,
      lambda: spec.lambda,
      lambdaBias: spec.lambdaBias,
      weighted: spec.weighted,
      implicit: !!spec.implicit,
      alpha: spec.implicit?.alpha ?? 0,
      base: p.implicit ? this.base : null,
      cholesky: p.solver === 'cholesky',
      cgSteps: p.cgSteps,
      counter: this.counter,
      chunk: Math.max(1, Math.min(64, Math.ceil(csr.nRows / (8 * exec.threads)))),
      wasm: this.kernel.wasm,
    };
    const scratch = p.solver === 'cholesky' ? this.heapScratch() : null;
    const jobs = Array.from({ length: exec.threads }, (_, t) => (scratch ? { ...job, heap: exec.heapFor(X), scratch: scratch[t], cap: this.cap } : job));
    const res = await exec.run<SolveResult>('solveRows', jobs);
    let singular = 0;
    let first = -1;
    let firstN = 0;
    let overflow = 0;
    let firstOver = -1;
    for (const r of res) {
      singular += r.singular;
      if (r.singular > 0 && (first < 0 || r.firstRow < first)) {
        first = r.firstRow;
        firstN = r.firstN;
      }
      overflow += r.overflow;
      if (r.overflow > 0 && (firstOver < 0 || r.firstOverflow < firstOver)) firstOver = r.firstOverflow;
    }
    if (overflow > 0) {
      // The evidence the f64 reference gives (src/reference/reference.ts solveSide): the row's normal
      // equations rebuilt in f64 from the f32 factors, and its largest rating.
      const Y64 = Float64Array.from(Y);
      const { A, b } = normalEquations({ ...csr, nCols: nY }, firstOver, Y64, spec, p.implicit ? gramOfColumns(Y64, nY, spec) : undefined);
      const values = csr.values.subarray(csr.indptr[firstOver], csr.indptr[firstOver + 1]);
      const big = Math.max(maxAbs(A), maxAbs(b));
      // (a solution past f32 from entries below the limit: the evidence is the f32 range itself)
      throw singularError(spec, firstOver, csr.indptr[firstOver + 1] - csr.indptr[firstOver], overflow, { maxAbs: big > 1e30 || !Number.isFinite(big) ? big : Infinity, maxRating: maxAbs(values) });
    }
    if (singular > 0) throw singularError(spec, first, firstN, singular);
  }

  /** How the engine runs: threads and Gram kernel. */
  get reason(): string {
    return `${this.exec.reason}, ${this.kernel.name === 'wasm-simd' ? 'WebAssembly SIMD' : 'blocked JS'} Gram`;
  }

  /** One iteration: users with H fixed, then items with W fixed, then the statistics. */
  async step(): Promise<IterationStats> {
    await this.exec.ready();
    // The factors before the step: for the convergence quantity, for restoreLast, and put back
    // at once if the step fails part-way (a singular row), so no half-solved side is left.
    this.copies.keepLast();
    try {
      await this.solve(this.byUser, this.W, this.H, this.p.userSpec, this.p.nItems);
      await this.solve(this.byItem, this.H, this.W, this.p.itemSpec, this.p.nUsers);
    } catch (e) {
      await this.restoreLast();
      throw e;
    }
    const s = await this.evaluate();
    if (this.p.trackDelta) s.delta2 = Math.max(0, await this.deltaSquared());
    return s;
  }

  async restoreLast(): Promise<void> {
    this.copies.restoreLast();
  }

  /**
   * ||W H^T - W' H'^T||_F^2 as in src/cpu/reference.ts factorDeltaSquared (written with the
   * differences, so nothing cancels near convergence), its Grams split by rows over the pool:
   * tr(W^T W . dH^T dH) + 2 tr(W^T dW . H'^T dH) + tr(dW^T dW . H'^T H').
   */
  private async deltaSquared(): Promise<number> {
    const { exec, p } = this;
    const S = p.stride;
    const [Wp, Hp] = this.copies.last;
    const block = 256;
    if (this.dScratch === undefined) {
      const heap = exec.heapFor(this.W, this.H, Wp, Hp);
      const s = heap ? Array.from({ length: exec.threads }, () => exec.f64(deltaScratch(S, block))) : null;
      this.dScratch = s && s.every((a) => exec.heapFor(a)) ? s : null;
    }
    const scratch = this.dScratch;
    const heap = scratch ? exec.heapFor(this.W) : null;
    const parts = async (X: Float32Array, Xp: Float32Array, n: number, side: 'user' | 'item'): Promise<Float64Array[]> => {
      const T = exec.threads;
      const jobs = Array.from({ length: T }, (_, t) => ({ X, Xp, S, r0: Math.floor((t * n) / T), r1: Math.floor(((t + 1) * n) / T), side, heap, scratch: scratch?.[t], block }));
      const res = await exec.run<Float64Array[]>(scratch ? 'deltaGramsWasm' : 'deltaGrams', jobs);
      const sum = res[0];
      for (let t = 1; t < res.length; t++) for (let g = 0; g < 3; g++) for (let e = 0; e < S * S; e++) sum[g][e] += res[t][g][e];
      return sum;
    };
    const [WW, WdW, dWdW] = await parts(this.W, Wp, p.nUsers, 'user');
    const [dHdH, HpdH, HpHp] = await parts(this.H, Hp, p.nItems, 'item');
    return traceProduct(WW, dHdH, S) + 2 * traceProduct(WdW, HpdH, S) + traceProduct(dWdW, HpHp, S);
  }

  async evaluate(): Promise<IterationStats> {
    await this.exec.ready();
    const { p, W, H } = this;
    const S = p.stride;
    const t = this.train;
    let sse = 0;
    let sae = 0;
    let implicitTrace = 0;
    if (p.implicit) {
      const { users, items, values } = t;
      for (let k = 0; k < values.length; k++) {
        const xu = users[k] * S;
        const yi = items[k] * S;
        let s = 0;
        for (let c = 0; c < S; c++) s += W[xu + c] * H[yi + c];
        const af = p.alpha * values[k];
        // p = [f > 0], as the solver uses it: a stored f = 0 (c = 1, p = 0) adds 0, like an unobserved entry.
        const d = (values[k] > 0 ? 1 : 0) - s;
        sse += (1 + af) * d * d - s * s;
        sae += af;
      }
      implicitTrace = traceProduct(gramRows(W, W, p.nUsers, S, true), gramRows(H, H, p.nItems, S, true), S);
    } else {
      ({ sse, sae } = await residualsOnPool(this.exec, this.ratings, W, H, S, p.userSpec.mu));
    }
    const dW = weightedSquares(W, p.nUsers, S, p.userSpec.weighted ? this.uCounts : undefined);
    const dH = weightedSquares(H, p.nItems, S, p.itemSpec.weighted ? this.iCounts : undefined);
    const reg = penalty(dW, p.userSpec, layoutOf(p.userSpec).xBias) + penalty(dH, p.itemSpec, layoutOf(p.itemSpec).xBias);
    const out: IterationStats = { sse, sae, reg, implicitTrace };
    if (this.validation && !p.implicit) {
      const v = this.validation;
      const r = await residualsOnPool(this.exec, this.val ?? v, W, H, S, p.userSpec.mu);
      out.valSse = r.sse;
      out.valSae = r.sae;
    }
    return out;
  }

  async readFactors(): Promise<Factors> {
    return this.copies.read();
  }

  async saveBest(): Promise<void> {
    this.copies.saveBest();
  }

  async restoreBest(): Promise<void> {
    this.copies.restoreBest();
  }

  destroy(): void {
    this.exec.destroy();
  }
}

/** sum_r w_r X[r, c]^2 per column (the diagonal of the weighted Gram). */
function weightedSquares(X: Float32Array, n: number, S: number, w?: Uint32Array): Float64Array {
  const d = new Float64Array(S);
  for (let r = 0; r < n; r++) {
    const wr = w ? w[r] : 1;
    for (let c = 0; c < S; c++) d[c] += wr * X[r * S + c] * X[r * S + c];
  }
  return d;
}
