/**
 * SGD and full-batch GD on the f32 CPU engine (SgdBackend), over the worker pool:
 *  - Hogwild: the epoch's seeded permutation (src/sgd/plan.ts, the GPU's order) cut into chunks
 *    that the workers take in turn and apply without locks. With one thread this is plain
 *    sequential SGD in the reference's order; with more, races make it (slightly) nondeterministic,
 *    as Hogwild is everywhere.
 *  - Stratified: the b x b grid of the GPU and reference backends; each sub-epoch's b blocks are
 *    disjoint in users and items, so workers share them and the result does not depend on the
 *    number of threads; a barrier in shared memory separates sub-epochs.
 *  - GD: residuals, then both sides' new rows from the old factors (simultaneous update).
 * Updates use f64 arithmetic with f32 stores (src/cpu-engine/kernels.ts sgdUpdate), the rule of
 * src/cpu/sgd-reference.ts sgdUpdateF64.
 */
import { adagradLead, strideOf } from '../core/layout.ts';
import { gdViews } from '../core/sparse.ts';
import type { Ratings } from '../data/ratings.ts';
import type { EngineSpec, SgdBackend, Sse } from '../train/sgd/backend.ts';
import type { Factors } from '../train/backend.ts';
import { HostCopies } from '../train/host-copies.ts';
import { feistelParams, stratifiedPlan, strataShifts } from '../core/sgd-plan.ts';
import { type SgdJob } from './kernels.ts';
import { lazyExec, residualsOnPool, type Exec } from './pool.ts';

export class FastCpuSgd implements SgdBackend {
  readonly kind = 'cpu' as const;
  private readonly X: Float32Array;
  private readonly Y: Float32Array;
  private readonly copies: HostCopies;
  private readonly stride: number;
  private readonly users: Int32Array;
  private readonly items: Int32Array;
  private readonly values: Float32Array;
  private readonly order: Uint32Array;
  private readonly counter: Int32Array;
  private readonly GU: Float32Array | null = null;
  private readonly GI: Float32Array | null = null;
  private readonly blockStart?: Uint32Array;
  private readonly validation?: Pick<Ratings, 'users' | 'items' | 'values'>;
  private readonly gd?: {
    userPtr: Uint32Array; userCols: Uint32Array; rowOf: Uint32Array; vals: Float32Array; itemPtr: Uint32Array; itemCols: Uint32Array; map: Uint32Array;
    E: Float64Array; NX: Float32Array; NY: Float32Array;
  };

  constructor(
    private readonly s: EngineSpec,
    /** Where the kernels run (default: a pool of core-count workers, started at the first epoch). */
    readonly exec: Exec = lazyExec(),
  ) {
    this.stride = strideOf(s.rank, s.bias);
    const copy = <T extends Float32Array | Uint32Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const o = make(a.length);
      o.set(a as never);
      return o;
    };
    this.X = copy(s.W0, exec.f32);
    this.Y = copy(s.H0, exec.f32);
    const t = s.train;
    this.users = copy(t.users, exec.i32);
    this.items = copy(t.items, exec.i32);
    this.values = copy(t.values, exec.f32);
    const n = t.values.length;
    this.counter = exec.i32(Math.max(2, 2 * s.blocks));
    if (s.algo === 'gd') {
      const v = gdViews(t);
      this.gd = {
        userPtr: copy(v.userPtr, exec.u32), userCols: copy(v.userCols, exec.u32), rowOf: copy(v.rowOf, exec.u32), vals: copy(v.vals, exec.f32),
        itemPtr: copy(v.itemPtr, exec.u32), itemCols: copy(v.itemCols, exec.u32), map: copy(v.map, exec.u32),
        E: exec.f64(n), NX: exec.f32(this.X.length), NY: exec.f32(this.Y.length),
      };
      this.order = exec.u32(0);
    } else if (s.mode === 'stratified') {
      const plan = stratifiedPlan(t, s.blocks, s.seed);
      this.order = copy(plan.order, exec.u32);
      this.blockStart = copy(plan.blockStart, exec.u32);
    } else {
      this.order = exec.u32(0);
    }
    if (s.validation) {
      const v = s.validation;
      this.validation = { users: copy(v.users, exec.i32), items: copy(v.items, exec.i32), values: copy(v.values, exec.f32) };
    }
    if (s.adagrad) {
      this.GU = exec.f32(2 * t.nUsers).fill(1);
      this.GI = exec.f32(2 * t.nItems).fill(1);
    }
    // the AdaGrad accumulators go back with the factors when a step is undone
    this.copies = new HostCopies(this.GU && this.GI ? [this.X, this.Y, this.GU, this.GI] : [this.X, this.Y]);
  }

  get reason(): string {
    return this.exec.reason;
  }

  async evaluate(): Promise<Sse> {
    await this.exec.ready();
    const train = (await residualsOnPool(this.exec, { users: this.users, items: this.items, values: this.values }, this.X, this.Y, this.stride, this.s.mu)).sse;
    const v = this.validation;
    return { train, validation: v ? (await residualsOnPool(this.exec, v, this.X, this.Y, this.stride, this.s.mu)).sse : undefined };
  }

  private all(job: object): object[] {
    return Array.from({ length: this.exec.threads }, () => job);
  }

  /** Epoch `epoch` (1-based) at learning rate `lr`, after keeping the current factors for restoreLast. */
  async step(epoch: number, lr: number): Promise<Sse> {
    await this.exec.ready();
    const { s, exec } = this;
    this.copies.keepLast();
    if (this.gd) {
      await this.gdStep(lr);
      return this.evaluate();
    }
    const job: SgdJob = {
      users: this.users, items: this.items, values: this.values, X: this.X, Y: this.Y, rank: s.rank, bias: s.bias, mu: s.mu, lr,
      lambda: s.lambda, lambdaBias: s.lambdaBias, GU: this.GU, GI: this.GI, lead: adagradLead(s.rank), leadOnly: s.adagrad && s.adagradWarmup && epoch === 1,
      order: this.order,
    };
    const arrays = [this.users, this.items, this.values, this.X, this.Y, this.order, ...(this.GU && this.GI ? [this.GU, this.GI] : []), ...(this.blockStart ? [this.blockStart] : [])];
    job.heap = exec.heapFor(...arrays);
    this.counter.fill(0);
    if (this.blockStart) {
      const shifts = Int32Array.from(strataShifts(s.blocks, s.seed, epoch));
      await exec.run('sgdStratified', this.all({ ...job, counter: this.counter, b: s.blocks, blockStart: this.blockStart, shifts, workers: exec.threads }));
    } else {
      const f = feistelParams(s.train.values.length, s.seed, epoch);
      const chunk = Math.max(256, Math.min(8192, Math.ceil(f.n / (16 * exec.threads))));
      await exec.run('sgdHogwild', this.all({ ...job, counter: this.counter, chunk, n: f.n, half: f.half, mask: f.mask, keys: f.keys }));
    }
    return this.evaluate();
  }

  private async gdStep(lr: number): Promise<void> {
    const g = this.gd!;
    const { s, exec, stride: S } = this;
    const chunk = 4096;
    this.counter.fill(0);
    await exec.run('gdResiduals', this.all({ rowOf: g.rowOf, cols: g.userCols, vals: g.vals, X: this.X, Y: this.Y, S, mu: s.mu, E: g.E, counter: this.counter, chunk }));
    const common = { E: g.E, S, rank: s.rank, lr, lambda: s.lambda, lambdaBias: s.lambdaBias, chunk: 64 };
    this.counter.fill(0);
    await exec.run('gdSide', this.all({
      ...common, nRows: s.train.nUsers, ptr: g.userPtr, cols: g.userCols, map: null, Old: this.X, Other: this.Y, New: g.NX,
      constCol: s.bias ? s.rank + 1 : -1, counter: this.counter,
    }));
    this.counter.fill(0);
    await exec.run('gdSide', this.all({
      ...common, nRows: s.train.nItems, ptr: g.itemPtr, cols: g.itemCols, map: g.map, Old: this.Y, Other: this.X, New: g.NY,
      constCol: s.bias ? s.rank : -1, counter: this.counter,
    }));
    this.X.set(g.NX);
    this.Y.set(g.NY);
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

  destroy(): void {
    this.exec.destroy();
  }
}
