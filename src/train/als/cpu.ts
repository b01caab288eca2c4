/** The CPU ALS backend: the f64 reference kernels, used as the fallback engine and to check the GPU. */
import {
  cgSolveRow,
  colOf,
  factorDeltaSquared,
  gram,
  gramOfColumns,
  layoutOf,
  residuals,
  solveSide,
  traceProduct,
  type SolveSpec,
} from '../../reference/reference.ts';
import { rowCounts, type Csr, type Ratings } from '../../data/ratings.ts';
import { penalty, type AlsBackend, type AlsProblem, type IterationStats } from './backend.ts';
import type { Factors } from '../backend.ts';

export class CpuAls implements AlsBackend {
  readonly kind = 'cpu' as const;
  private W: Float64Array;
  private H: Float64Array;
  private best: [Float64Array, Float64Array] | null = null;
  private last: [Float64Array, Float64Array] | null = null;
  private readonly uCounts: Uint32Array;
  private readonly iCounts: Uint32Array;

  constructor(
    private readonly p: AlsProblem,
    private readonly byUser: Csr,
    private readonly byItem: Csr,
    private readonly train: Ratings,
    private readonly validation: Ratings | undefined,
    W0: Float32Array,
    H0: Float32Array,
  ) {
    this.W = Float64Array.from(W0);
    this.H = Float64Array.from(H0);
    this.uCounts = rowCounts(byUser);
    this.iCounts = rowCounts(byItem);
  }

  private solve(csr: Csr, X: Float64Array, Y: Float64Array, spec: SolveSpec, nY: number): void {
    const base = this.p.implicit ? gramOfColumns(Y, nY, spec) : undefined;
    if (this.p.solver === 'cholesky') {
      solveSide(csr, X, Y, spec, base);
      return;
    }
    const L = layoutOf(spec);
    const x = new Float64Array(L.K);
    for (let row = 0; row < csr.nRows; row++) {
      const n = csr.indptr[row + 1] - csr.indptr[row];
      for (let t = 0; t < L.K; t++) x[t] = n === 0 ? 0 : X[row * L.stride + colOf(t, spec.rank, L)];
      if (n > 0) cgSolveRow(csr, row, Y, spec, x, this.p.cgSteps, base);
      for (let t = 0; t < L.K; t++) X[row * L.stride + colOf(t, spec.rank, L)] = x[t];
    }
  }

  async step(): Promise<IterationStats> {
    const Wp = this.W.slice();
    const Hp = this.H.slice();
    this.last = [Wp, Hp];
    // solve into copies, so that an error part-way leaves the last good factors in place
    const W = this.W.slice();
    const H = this.H.slice();
    this.solve(this.byUser, W, this.H, this.p.userSpec, this.p.nItems);
    this.solve(this.byItem, H, W, this.p.itemSpec, this.p.nUsers);
    this.W = W;
    this.H = H;
    const s = await this.evaluate();
    if (this.p.trackDelta) s.delta2 = Math.max(0, factorDeltaSquared(this.W, Wp, this.H, Hp, this.p.nUsers, this.p.nItems, this.p.stride));
    return s;
  }

  async evaluate(): Promise<IterationStats> {
    const { p } = this;
    const S = p.stride;
    const mu = p.userSpec.mu;
    const t = this.train;
    let sse: number;
    let sae: number;
    let implicitTrace = 0;
    if (p.implicit) {
      sse = 0;
      sae = 0;
      for (let k = 0; k < t.values.length; k++) {
        let s = 0;
        for (let c = 0; c < S; c++) s += this.W[t.users[k] * S + c] * this.H[t.items[k] * S + c];
        // c (p - s)^2 - s^2 with c = 1 + alpha f and p = [f > 0], as the solver uses them: a stored
        // f = 0 is c = 1, p = 0, the same as an unobserved entry, and adds 0 here.
        const af = p.alpha * t.values[k];
        const pref = t.values[k] > 0 ? 1 : 0;
        sse += (1 + af) * (pref - s) ** 2 - s * s;
        sae += af;
      }
      implicitTrace = traceProduct(gram(this.W, this.W, p.nUsers, S), gram(this.H, this.H, p.nItems, S), S);
    } else {
      ({ sse, sae } = residuals(t.users, t.items, t.values, this.W, this.H, S, mu));
    }
    const wU = p.userSpec.weighted ? this.uCounts : undefined;
    const wI = p.itemSpec.weighted ? this.iCounts : undefined;
    const dW = diagOf(gram(this.W, this.W, p.nUsers, S, wU), S);
    const dH = diagOf(gram(this.H, this.H, p.nItems, S, wI), S);
    const reg = penalty(dW, p.userSpec, layoutOf(p.userSpec).xBias) + penalty(dH, p.itemSpec, layoutOf(p.itemSpec).xBias);
    const out: IterationStats = { sse, sae, reg, implicitTrace };
    if (this.validation && !p.implicit) {
      const v = this.validation;
      const r = residuals(v.users, v.items, v.values, this.W, this.H, S, mu);
      out.valSse = r.sse;
      out.valSae = r.sae;
    }
    return out;
  }

  async readFactors(): Promise<Factors> {
    return { W: Float32Array.from(this.W), H: Float32Array.from(this.H) };
  }

  async restoreLast(): Promise<void> {
    if (this.last) [this.W, this.H] = [this.last[0].slice(), this.last[1].slice()];
  }

  async saveBest(): Promise<void> {
    this.best = [this.W.slice(), this.H.slice()];
  }

  async restoreBest(): Promise<void> {
    if (this.best) [this.W, this.H] = [this.best[0].slice(), this.best[1].slice()];
  }

  destroy(): void {}
}

function diagOf(G: Float64Array, S: number): Float64Array {
  return Float64Array.from({ length: S }, (_, i) => G[i * S + i]);
}
