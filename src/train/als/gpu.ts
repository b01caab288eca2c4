/**
 * The GPU ALS backend. Inputs are uploaded once (CSR by user, CSC by item, COO for the loss);
 * W and H live on the device for the whole fit. One iteration is one submission: [Y^T Y] → user
 * solves → [X^T X] → item solves → loss → regularization Grams → convergence Grams; the only
 * readback is one small scalars buffer (statuses, sums, two Gram diagonals).
 */
import { adapterName, type GpuContext } from '../../gpu/context.ts';
import { InputError } from '../../core/errors.ts';
import { layoutOf, maxAbs, singularError } from '../../core/layout.ts';
import type { Csr, Ratings } from '../../data/ratings.ts';
import { destroyCsr, uploadCsr, type DeviceCsr } from '../../kernels/device-csr.ts';
import { NormalEqSolver } from '../../kernels/normal-eq.ts';
import { CgSolver } from '../../kernels/cg.ts';
import { LossKernel } from '../../kernels/loss.ts';
import { resolveVariant } from '../../kernels/variant.ts';
import { GramKernel } from '../../kernels/gram.ts';
import { factorWindows, type FactorWindows } from '../../kernels/factor-windows.ts';
import { penalty, type AlsBackend, type AlsProblem, type IterationStats } from './backend.ts';
import { releaseFactorBuffers, type Factors } from '../backend.ts';
import type { Parallelism } from '../../model/types.ts';
import type { AlsUploads } from './uploads.ts';
import { alsDevicePlan, checkDevicePlan, largestFittingRank, type AlsPlanInput, type DevicePlan } from '../../gpu/budget.ts';

const MIB = 2 ** 20;

/**
 * The device plan of a GPU ALS fit, checked before anything is allocated (src/gpu/budget.ts). With a
 * device-memory budget, the solve scratch per buffer shrinks (more, smaller solve batches: the passes)
 * to what is left after the factors and ratings, between 256 KiB and 128 MiB.
 */
export function planAlsDevice(gpu: GpuContext, p: AlsProblem, nRatings: number, nValidation: number): { plan: DevicePlan; scratchBytes: number } {
  const input = (rank: number, scratchBytes: number): AlsPlanInput => ({
    rank, bias: p.userSpec.bias, implicit: p.implicit, nUsers: p.nUsers, nItems: p.nItems, nRatings, nValidation, solver: p.solver, scratchBytes,
  });
  const scratchFor = (rank: number): number => {
    const budget = gpu.memoryBudget;
    if (budget === undefined) return 128 * MIB;
    const fixed = alsDevicePlan(gpu, input(rank, 0)).total;
    return Math.max(MIB / 4, Math.min(128 * MIB, Math.floor((budget - fixed) / 6)));
  };
  const fits = (rank: number): boolean => {
    try {
      checkDevicePlan(gpu, '', alsDevicePlan(gpu, input(rank, scratchFor(rank))), () => '');
      return true;
    } catch {
      return false;
    }
  };
  const scratchBytes = scratchFor(p.rank);
  const plan = checkDevicePlan(gpu, `ALS at rank ${p.rank} (${p.nUsers} users, ${p.nItems} items, ${nRatings} ratings)`, alsDevicePlan(gpu, input(p.rank, scratchBytes)), () => {
    const r = p.rank > 1 ? largestFittingRank(p.rank - 1, fits) : 0;
    return r > 0
      ? `lower the rank to at most ${r}, or raise the limit; backend 'cpu' has no device limit`
      : "the ratings alone do not fit: raise the limit, or use backend 'cpu'";
  });
  return { plan, scratchBytes };
}

// scalars buffer layout (4-byte words)
const S_STATUS_U = 0; // u32 count, u32 min row
const S_STATUS_I = 2;
const S_LOSS = 4; // sse, sae
const S_VAL = 6; // sse, sae
const S_DELTA = 8;
const S_TRACE = 9;
const S_DIAG = 16;

export class GpuAls implements AlsBackend {
  readonly kind = 'gpu' as const;
  readonly adapter: string;
  /** W and H as of the end of the last step, read back with its statistics (kept for a lost device). */
  private kept: Factors;
  private readonly owned: { destroy(): void }[] = [];
  private readonly W: GPUBuffer;
  private readonly H: GPUBuffer;
  private readonly Wp: GPUBuffer;
  private readonly Hp: GPUBuffer;
  private best: [GPUBuffer, GPUBuffer] | null = null;
  private readonly users: DeviceCsr;
  private readonly items: DeviceCsr;
  private readonly uSolve: NormalEqSolver | CgSolver;
  private readonly iSolve: NormalEqSolver | CgSolver;
  private readonly uStatus: NormalEqSolver | null;
  private readonly iStatus: NormalEqSolver | null;
  private readonly loss: LossKernel;
  private readonly valLoss: LossKernel | null;
  private readonly gram: GramKernel;
  /** W's and H's windows (one each below the storage-binding limit: src/kernels/factor-windows.ts). */
  private readonly win: { W: FactorWindows; H: FactorWindows };
  private readonly scalars: GPUBuffer;
  private readonly scalarWords: number;
  /** What this fit planned to allocate on the device (bytes by part), checked before allocating. */
  readonly devicePlan: DevicePlan;

  constructor(
    private readonly gpu: GpuContext,
    private readonly p: AlsProblem,
    byUser: Csr,
    byItem: Csr,
    train: Ratings,
    validation: Ratings | undefined,
    W0: Float32Array,
    H0: Float32Array,
    /** Ratings already on this device (a search's trials share them): used, not uploaded, and left alive. */
    shared?: AlsUploads,
    /** Starting factors already on this device (a warm start without an upload): copied, left alive. */
    deviceInit?: { users: GPUBuffer; items: GPUBuffer },
  ) {
    this.adapter = adapterName(gpu.adapter);
    this.kept = { W: W0.slice(), H: H0.slice() };
    if (deviceInit && (p.hostCopies ?? true)) throw new Error('ALS: a warm start on the device keeps no host copies (hostCopies: false)');
    if (p.hostCopies ?? true) this.keptFactors = () => this.kept;
    const K = layoutOf(p.userSpec).K;
    gpu.requireLimit(`rank ${p.rank}: Cholesky vectors in workgroup memory`, 'maxComputeWorkgroupStorageSize', 16 * K + 20);
    const { plan, scratchBytes } = planAlsDevice(gpu, p, train.values.length, validation && !p.implicit ? validation.values.length : 0);
    this.devicePlan = plan;
    this.win = { W: factorWindows(gpu, p.nUsers, p.stride, 'user factors'), H: factorWindows(gpu, p.nItems, p.stride, 'item factors') };
    const bytes = (n: number) => n * p.stride * 4;
    // A failure part-way (a size over a device limit) releases what was already made.
    const own = <T extends { destroy(): void }>(o: T): T => {
      this.owned.push(o);
      return o;
    };
    try {
      if (deviceInit) {
        const [wb, hb] = [bytes(p.nUsers), bytes(p.nItems)];
        if (deviceInit.users.size < wb || deviceInit.items.size < hb) {
          throw new InputError(`deviceInit: factor buffers of ${deviceInit.users.size} and ${deviceInit.items.size} bytes, expected ${p.nUsers} users and ${p.nItems} items x ${p.stride} floats (${wb} and ${hb} bytes)`);
        }
        this.W = own(gpu.factorStorage('als.userFactors', wb));
        this.H = own(gpu.factorStorage('als.itemFactors', hb));
        const enc = gpu.device.createCommandEncoder({ label: 'als.deviceInit' });
        enc.copyBufferToBuffer(deviceInit.users, 0, this.W, 0, wb);
        enc.copyBufferToBuffer(deviceInit.items, 0, this.H, 0, hb);
        gpu.submit(enc);
      } else {
        this.W = own(gpu.factorStorage('als.userFactors', W0));
        this.H = own(gpu.factorStorage('als.itemFactors', H0));
      }
      this.Wp = own(gpu.factorStorage('als.userFactors.lastGood', bytes(p.nUsers)));
      this.Hp = own(gpu.factorStorage('als.itemFactors.lastGood', bytes(p.nItems)));
      if (shared) {
        if (shared.gpu !== gpu) throw new Error('ALS: shared uploads belong to another GPU context');
        this.users = shared.users;
        this.items = shared.items;
      } else {
        this.users = uploadCsr(gpu, 'als.byUser', byUser);
        own({ destroy: () => destroyCsr(this.users) });
        this.items = uploadCsr(gpu, 'als.byItem', byItem);
        own({ destroy: () => destroyCsr(this.items) });
      }
      const mk = (csr: DeviceCsr, spec: typeof p.userSpec, label: string) => {
        const s = own(p.solver === 'cg' ? new CgSolver(gpu, csr, spec, p.cgSteps, label, p.kernels) : new NormalEqSolver(gpu, csr, spec, label, p.kernels, scratchBytes, 'auto', 'blocked', p.dualSolve ?? true));
        s.setParams({ mu: spec.mu, lambda: spec.lambda, lambdaBias: spec.lambdaBias, weighted: spec.weighted, alpha: p.alpha }, p.implicit);
        return s;
      };
      this.uSolve = mk(this.users, p.userSpec, 'als.users');
      this.iSolve = mk(this.items, p.itemSpec, 'als.items');
      this.uStatus = this.uSolve instanceof NormalEqSolver ? this.uSolve : null;
      this.iStatus = this.iSolve instanceof NormalEqSolver ? this.iSolve : null;
      // The loss reduction follows the `kernels` option too (tiled: workgroup tree; direct: barrier-free).
      if (shared && shared.loss.variant !== resolveVariant(gpu, p.kernels)) {
        throw new Error(`ALS: the shared uploads' loss kernels are '${shared.loss.variant}', this fit asks for kernels '${p.kernels}': make the AlsUploads with the same kernels`);
      }
      this.loss = shared ? shared.loss : own(new LossKernel(gpu, 'als.trainLoss', train.users, train.items, train.values, p.kernels));
      this.valLoss = validation && !p.implicit ? (shared?.valLoss ?? own(new LossKernel(gpu, 'als.validationLoss', validation.users, validation.items, validation.values, p.kernels))) : null;
      this.gram = own(new GramKernel(gpu, 'als.gram', p.stride, Math.max(p.nUsers, p.nItems)));
      this.scalarWords = S_DIAG + 2 * p.stride;
      this.scalars = own(gpu.storage('als.scalars', this.scalarWords * 4));
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  private encodeSolve(enc: GPUCommandEncoder, s: NormalEqSolver | CgSolver, X: GPUBuffer, Y: GPUBuffer, nY: number): void {
    const base = this.p.implicit ? this.gram.grams : undefined;
    if (base) {
      const pass = enc.beginComputePass({ label: 'als.baseGram' });
      this.gram.encodeGram(pass, 0, nY, { x: Y }, { x: Y }, undefined, Y === this.W ? this.win.W : this.win.H);
      pass.end();
    }
    if (s instanceof NormalEqSolver) s.encode(enc, X, Y, { base });
    else s.encode(enc, X, Y, base);
  }

  private encodeStats(enc: GPUCommandEncoder, wantDelta: boolean): void {
    const { p, W, H, Wp, Hp, gram, win } = this;
    const mu = p.userSpec.mu;
    this.loss.encode(enc, W, H, p.stride, mu, p.implicit ? p.alpha : undefined, win);
    enc.copyBufferToBuffer(this.loss.out, 0, this.scalars, S_LOSS * 4, 8);
    if (this.valLoss) {
      this.valLoss.encode(enc, W, H, p.stride, mu, undefined, win);
      enc.copyBufferToBuffer(this.valLoss.out, 0, this.scalars, S_VAL * 4, 8);
    }
    const pass = enc.beginComputePass({ label: 'als.stats' });
    // regularization: (weighted) diagonals of W^T W and H^T H (only the diagonals are computed)
    gram.encodeGram(pass, 2, p.nUsers, { x: W }, { x: W }, p.userSpec.weighted ? this.users.counts : undefined, win.W, true);
    gram.encodeGram(pass, 3, p.nItems, { x: H }, { x: H }, p.itemSpec.weighted ? this.items.counts : undefined, win.H, true);
    gram.encodeDiag(pass, 2, this.scalars, S_DIAG);
    gram.encodeDiag(pass, 3, this.scalars, S_DIAG + p.stride);
    if (p.implicit) {
      gram.encodeGram(pass, 0, p.nUsers, { x: W }, { x: W }, undefined, win.W);
      gram.encodeGram(pass, 1, p.nItems, { x: H }, { x: H }, undefined, win.H);
      gram.encodeTraces(pass, this.scalars, S_TRACE, 1);
    }
    if (wantDelta) {
      // (implicit: slot 0 already holds W^T W, from the loss's trace above)
      if (!p.implicit) gram.encodeGram(pass, 0, p.nUsers, { x: W }, { x: W }, undefined, win.W);
      gram.encodeGram(pass, 1, p.nItems, { x: H, minus: Hp }, { x: H, minus: Hp }, undefined, win.H);
      gram.encodeGram(pass, 2, p.nUsers, { x: W }, { x: W, minus: Wp }, undefined, win.W);
      gram.encodeGram(pass, 3, p.nItems, { x: Hp }, { x: H, minus: Hp }, undefined, win.H);
      gram.encodeGram(pass, 4, p.nUsers, { x: W, minus: Wp }, { x: W, minus: Wp }, undefined, win.W);
      gram.encodeGram(pass, 5, p.nItems, { x: Hp }, { x: Hp }, undefined, win.H);
      gram.encodeTraces(pass, this.scalars, S_DELTA, 3);
    }
    pass.end();
  }

  private async readStats(wantDelta: boolean, keep: boolean): Promise<IterationStats> {
    const { p } = this;
    const parts = [{ buffer: this.scalars, size: this.scalarWords * 4 }];
    if (keep) parts.push({ buffer: this.W, size: p.nUsers * p.stride * 4 }, { buffer: this.H, size: p.nItems * p.stride * 4 });
    const [buf, w, h] = await this.gpu.readMany(parts);
    if (keep) this.kept = { W: new Float32Array(w), H: new Float32Array(h) };
    const u = new Uint32Array(buf);
    const f = new Float32Array(buf);
    for (const [at, spec, solver] of [
      [S_STATUS_U, this.p.userSpec, this.uStatus],
      [S_STATUS_I, this.p.itemSpec, this.iStatus],
    ] as const) {
      if (solver && u[at] > 0) {
        const row = u[at + 1];
        const csr = solver.csr.host;
        // Overflow or too few ratings? The row's ratings (squared, as they enter b and the next side's Gram) and the
        // factor Grams' diagonals read back in the same buffer (when finite: a failed solve may have left NaN) tell.
        const S = this.p.stride;
        const diag = maxAbs(f.subarray(S_DIAG, S_DIAG + 2 * S));
        const maxRating = maxAbs(csr.values.subarray(csr.indptr[row], csr.indptr[row + 1]));
        const evidence = { maxAbs: Math.max(Number.isFinite(diag) ? diag : 0, maxRating * maxRating), maxRating };
        throw singularError(spec, row, csr.indptr[row + 1] - csr.indptr[row], u[at], evidence);
      }
    }
    const S = this.p.stride;
    const dW = f.subarray(S_DIAG, S_DIAG + S);
    const dH = f.subarray(S_DIAG + S, S_DIAG + 2 * S);
    const reg = penalty(dW, this.p.userSpec, layoutOf(this.p.userSpec).xBias) + penalty(dH, this.p.itemSpec, layoutOf(this.p.itemSpec).xBias);
    const s: IterationStats = { sse: f[S_LOSS], sae: f[S_LOSS + 1], reg, implicitTrace: this.p.implicit ? f[S_TRACE] : 0 };
    if (this.valLoss) {
      s.valSse = f[S_VAL];
      s.valSae = f[S_VAL + 1];
    }
    if (wantDelta) s.delta2 = Math.max(0, f[S_DELTA]);
    return s;
  }

  async step(): Promise<IterationStats> {
    const { gpu, p } = this;
    const wantDelta = p.trackDelta;
    this.gram.begin();
    const enc = gpu.device.createCommandEncoder({ label: 'als.iteration' });
    // the last good copy (restoreLast), which is also W', H' of the convergence quantity
    enc.copyBufferToBuffer(this.W, 0, this.Wp, 0, p.nUsers * p.stride * 4);
    enc.copyBufferToBuffer(this.H, 0, this.Hp, 0, p.nItems * p.stride * 4);
    enc.clearBuffer(this.scalars);
    this.encodeSolve(enc, this.uSolve, this.W, this.H, p.nItems);
    if (this.uStatus) this.uStatus.encodeStatusCopy(enc, this.scalars, S_STATUS_U * 4);
    this.encodeSolve(enc, this.iSolve, this.H, this.W, p.nUsers);
    if (this.iStatus) this.iStatus.encodeStatusCopy(enc, this.scalars, S_STATUS_I * 4);
    this.encodeStats(enc, wantDelta);
    gpu.submit(enc);
    return this.readStats(wantDelta, p.hostCopies ?? true);
  }

  async evaluate(): Promise<IterationStats> {
    this.gram.begin();
    const enc = this.gpu.device.createCommandEncoder({ label: 'als.stats' });
    enc.clearBuffer(this.scalars);
    this.encodeStats(enc, false);
    this.gpu.submit(enc);
    return this.readStats(false, false);
  }

  async readFactors(): Promise<Factors> {
    const { p } = this;
    return { W: await this.gpu.readF32(this.W, 0, p.nUsers * p.stride), H: await this.gpu.readF32(this.H, 0, p.nItems * p.stride) };
  }

  /**
   * The host copy of the last finished iteration; absent when the problem reads back no host copies
   * (a lost device then loses the fit instead of resuming from a stale copy).
   */
  readonly keptFactors?: () => Factors;

  async restoreLast(): Promise<void> {
    const { gpu, p } = this;
    const enc = gpu.device.createCommandEncoder({ label: 'als.restoreLast' });
    enc.copyBufferToBuffer(this.Wp, 0, this.W, 0, p.nUsers * p.stride * 4);
    enc.copyBufferToBuffer(this.Hp, 0, this.H, 0, p.nItems * p.stride * 4);
    gpu.submit(enc);
  }

  async saveBest(): Promise<void> {
    const { gpu, p } = this;
    if (!this.best) {
      this.best = [gpu.factorStorage('als.userFactors.best', p.nUsers * p.stride * 4), gpu.factorStorage('als.itemFactors.best', p.nItems * p.stride * 4)];
      this.owned.push(...this.best);
    }
    const enc = gpu.device.createCommandEncoder({ label: 'als.saveBest' });
    enc.copyBufferToBuffer(this.W, 0, this.best[0], 0, p.nUsers * p.stride * 4);
    enc.copyBufferToBuffer(this.H, 0, this.best[1], 0, p.nItems * p.stride * 4);
    gpu.submit(enc);
  }

  async restoreBest(): Promise<void> {
    if (!this.best) return;
    const { gpu, p } = this;
    const enc = gpu.device.createCommandEncoder({ label: 'als.restoreBest' });
    enc.copyBufferToBuffer(this.best[0], 0, this.W, 0, p.nUsers * p.stride * 4);
    enc.copyBufferToBuffer(this.best[1], 0, this.H, 0, p.nItems * p.stride * 4);
    gpu.submit(enc);
  }

  parallelism(): Parallelism {
    const side = (s: NormalEqSolver | CgSolver, n: number) => (s instanceof NormalEqSolver ? { rows: Math.max(0, ...s.batches.map((b) => b.rowCount)), batches: s.batches.length } : { rows: n, batches: 1 });
    const u = side(this.uSolve, this.p.nUsers);
    const i = side(this.iSolve, this.p.nItems);
    return { userRows: u.rows, userBatches: u.batches, itemRows: i.rows, itemBatches: i.batches };
  }

  /** Gives up W and H (the current factors) to the caller: `destroy` leaves them alive. */
  releaseFactors(): { users: GPUBuffer; items: GPUBuffer } {
    return releaseFactorBuffers(this.owned, this.W, this.H, 'ALS');
  }

  destroy(): void {
    for (const o of this.owned.splice(0)) o.destroy();
  }
}
