/**
 * The CPU engine: the same epochs as the GPU backend, sequentially in JS, with the f32 update of
 * src/reference/sgd-reference.ts. Hogwild visits the same seeded permutation (without races, so it is
 * plain sequential SGD in that order); stratified and GD replay the GPU's arithmetic order, so their
 * results agree with the GPU's to a few ULP.
 */
import { residuals } from '../../reference/reference.ts';
import { adagradState, gdStepF32, sgdUpdateF32, type AdagradState, type SgdStepParams } from '../../reference/sgd-reference.ts';
import { gdViews, type GdViews } from '../../core/sparse.ts';
import { strideOf } from '../../core/layout.ts';
import type { Ratings } from '../../data/ratings.ts';
import { AbortError } from '../../core/errors.ts';
import type { EngineSpec, SgdBackend, Sse } from './backend.ts';
import type { Factors } from '../backend.ts';
import { HostCopies } from '../host-copies.ts';
import { feistelParams, feistelPermutation, stratifiedPlan, strataShifts, type StratifiedPlan } from '../../core/sgd-plan.ts';

const CHUNK = 1 << 14;

export class CpuSgdBackend implements SgdBackend {
  readonly kind = 'cpu' as const;
  private readonly X: Float32Array;
  private readonly Y: Float32Array;
  private readonly copies: HostCopies;
  private readonly stride: number;
  private perm: Uint32Array;
  private readonly plan?: StratifiedPlan;
  private readonly views?: GdViews;
  private readonly adagrad?: AdagradState;

  constructor(private readonly s: EngineSpec) {
    this.stride = strideOf(s.rank, s.bias);
    this.X = Float32Array.from(s.W0);
    this.Y = Float32Array.from(s.H0);
    this.copies = new HostCopies([this.X, this.Y]);
    this.perm = new Uint32Array(s.algo === 'sgd' && s.mode === 'hogwild' ? s.train.values.length : 0);
    if (s.algo === 'gd') this.views = gdViews(s.train);
    else if (s.mode === 'stratified') this.plan = stratifiedPlan(s.train, s.blocks, s.seed);
    if (s.adagrad) this.adagrad = adagradState(s.train.nUsers, s.train.nItems, s.rank);
  }

  async evaluate(): Promise<Sse> {
    const sse = (r: Ratings) => residuals(r.users, r.items, r.values, this.X, this.Y, this.stride, this.s.mu).sse;
    return { train: sse(this.s.train), validation: this.s.validation ? sse(this.s.validation) : undefined };
  }

  async step(epoch: number, lr: number): Promise<Sse> {
    const s = this.s;
    const { X, Y } = this;
    this.copies.keepLast();
    if (s.algo === 'gd') {
      gdStepF32(this.views!, X, Y, { rank: s.rank, bias: s.bias, mu: s.mu, lr, lambda: s.lambda, lambdaBias: s.lambdaBias });
      return this.evaluate();
    }
    if (this.adagrad) this.adagrad.leadOnly = s.adagradWarmup && epoch === 1;
    const p: SgdStepParams = { rank: s.rank, bias: s.bias, mu: s.mu, lr, lambda: s.lambda, lambdaBias: s.lambdaBias, lanes: s.lanes, adagrad: this.adagrad };
    const { users, items, values } = s.train;
    // The ratings in this epoch's order: the seeded permutation, or block by block.
    let order: Uint32Array;
    if (s.mode === 'hogwild') {
      order = feistelPermutation(feistelParams(values.length, s.seed, epoch), this.perm);
    } else {
      const plan = this.plan!;
      const { b, blockStart } = plan;
      order = this.perm.length ? this.perm : (this.perm = new Uint32Array(values.length));
      let q = 0;
      for (const shift of strataShifts(b, s.seed, epoch)) {
        for (let r = 0; r < b; r++) {
          const blk = r * b + ((r + shift) % b);
          order.set(plan.order.subarray(blockStart[blk], blockStart[blk + 1]), q);
          q += blockStart[blk + 1] - blockStart[blk];
        }
      }
    }
    // Long epochs yield to the event loop every ~50 ms, so a page stays responsive and an abort
    // is seen mid-epoch (the factors are then partly updated; the fit rejects with AbortError).
    let last = performance.now();
    for (let q0 = 0; q0 < order.length; q0 += CHUNK) {
      const q1 = Math.min(order.length, q0 + CHUNK);
      for (let q = q0; q < q1; q++) {
        const k = order[q];
        sgdUpdateF32(X, Y, users[k], items[k], values[k], p);
      }
      if (q1 < order.length && performance.now() - last > 50) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        last = performance.now();
        if (s.signal?.aborted) throw new AbortError(`aborted during epoch ${epoch}`, { cause: s.signal.reason });
      }
    }
    return this.evaluate();
  }

  async restoreLast(): Promise<void> {
    this.copies.restoreLast();
  }

  async saveBest(): Promise<void> {
    this.copies.saveBest();
  }

  async restoreBest(): Promise<void> {
    this.copies.restoreBest();
  }

  async readFactors(): Promise<Factors> {
    return this.copies.read();
  }

  destroy(): void {}
}
