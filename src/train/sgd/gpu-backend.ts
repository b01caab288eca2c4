/**
 * The GPU backend: ratings and factors are uploaded once; each epoch is one submit (backup copy,
 * Hogwild sweep (after the one shuffle, in the first epoch) or block sweep or gradient step, loss
 * reductions) followed by one readback of up to four floats (train and validation sums of squared
 * errors). Factors are read back once, at the end.
 */
import { adapterName, type GpuContext } from '../../gpu/context.ts';
import { InputError } from '../../core/errors.ts';
import { LossKernel } from '../../kernels/loss.ts';
import { factorWindows } from '../../kernels/factor-windows.ts';
import { SgdKernel, ShuffleKernel, ratingBytes, ratingsBuffer, sgdChunkRatings, type SgdWindows } from '../../kernels/sgd.ts';
import type { Parallelism } from '../../model/types.ts';
import { GdKernel } from '../../kernels/gd.ts';
import { gdViews } from '../../core/sparse.ts';
import { strideOf } from '../../core/layout.ts';
import type { EngineSpec, SgdBackend, Sse } from './backend.ts';
import { releaseFactorBuffers, type Factors } from '../backend.ts';
import { chunkFeistelParams, chunkOrder, packRatings, packRatingsStrided, stratifiedPlan, strataShifts, stridedChunkSize } from '../../core/sgd-plan.ts';
import { checkDevicePlan, sgdDevicePlan, type DevicePlan } from '../../gpu/budget.ts';
import type { SgdUploads } from './uploads.ts';

export class GpuSgdBackend implements SgdBackend {
  readonly kind = 'gpu' as const;
  readonly adapter: string;
  private readonly stride: number;
  private readonly X: GPUBuffer;
  private readonly Y: GPUBuffer;
  private readonly Xb: GPUBuffer;
  private readonly Yb: GPUBuffer;
  private Xbest?: GPUBuffer;
  private Ybest?: GPUBuffer;
  /** [train sse, sae, validation sse, sae, t0 lo, t0 hi, t1 lo, t1 hi]: the one per-epoch readback. */
  private readonly scalars: GPUBuffer;
  private readonly timer?: { set: GPUQuerySet; resolve: GPUBuffer };
  private readonly trainLoss: LossKernel;
  /** SGD's factor windows (src/kernels/factor-windows.ts); GD binds each factor matrix whole. */
  private readonly windows?: SgdWindows;
  private readonly valLoss?: LossKernel;
  private readonly owned: { destroy(): void }[] = [];
  /** The factors as of the end of the last epoch, read back with its sums (kept for a lost device). */
  private kept: Factors;
  private sgd?: SgdKernel;
  /** Hogwild: one shuffle per storage chunk of the rating list. */
  private shuffles: ShuffleKernel[] = [];
  /** Whether this fit's list has been shuffled (its first epoch's pass does it). */
  private shuffled = false;
  /** The rating list the SGD kernel walks (for Hogwild shuffled once per fit), in storage chunks. */
  private rts: GPUBuffer[] = [];
  private gd?: GdKernel;
  /** Stratified: the plan's b (b blocks of a stratum run at once). */
  private strata = 0;
  /** What this fit planned to allocate on the device (bytes by part), checked before allocating. */
  readonly devicePlan: DevicePlan;

  /** The factors as of the last step, on the host: only with host copies (the default). */
  readonly keptFactors?: () => Factors;
  /** Read the factors back with each epoch's sums (false: only the sums; a search's trials). */
  private readonly hostCopies: boolean;
  /** Bytes of W and H (nUsers and nItems x stride f32). */
  private readonly wBytes: number;
  private readonly hBytes: number;

  constructor(
    private readonly gpu: GpuContext,
    private readonly s: EngineSpec,
    /** Ratings already on this device (a search's trials share them): used, not uploaded, and left alive. */
    shared?: SgdUploads,
    hostCopies = true,
    /** Starting factors already on this device (a warm start without an upload): copied, left alive; s.W0/H0 are then unused. */
    deviceInit?: { users: GPUBuffer; items: GPUBuffer },
  ) {
    this.adapter = adapterName(gpu.adapter);
    this.stride = strideOf(s.rank, s.bias);
    this.wBytes = s.train.nUsers * this.stride * 4;
    this.hBytes = s.train.nItems * this.stride * 4;
    if (deviceInit && hostCopies) throw new Error('SGD: a warm start on the device keeps no host copies (hostCopies: false)');
    if (deviceInit && (deviceInit.users.size < this.wBytes || deviceInit.items.size < this.hBytes)) {
      throw new InputError(`deviceInit: factor buffers of ${deviceInit.users.size} and ${deviceInit.items.size} bytes, expected ${s.train.nUsers} users and ${s.train.nItems} items x ${this.stride} floats (${this.wBytes} and ${this.hBytes} bytes)`);
    }
    this.kept = { W: s.W0.slice(), H: s.H0.slice() };
    this.hostCopies = hostCopies;
    if (hostCopies) this.keptFactors = () => this.kept;
    if (shared) {
      if (shared.gpu !== gpu) throw new Error('SGD: shared uploads belong to another GPU context');
      if (shared.train !== s.train || shared.validation !== s.validation) throw new Error('SGD: shared uploads were made from other ratings');
      if (s.algo !== 'sgd' || shared.mode !== s.mode || (s.mode === 'stratified' && (shared.layout.blocks !== s.blocks || shared.layout.seed !== s.seed))) {
        throw new Error(`SGD: shared uploads are laid out for ${shared.mode} (blocks ${shared.layout.blocks}, seed ${shared.layout.seed}), the fit is ${s.algo} ${s.mode} (blocks ${s.blocks}, seed ${s.seed})`);
      }
    }
    const nRatings = s.train.values.length;
    // The rating list is stored in chunks under the binding limit (one dispatch each); SGD's factors
    // are one buffer each, bound in windows (GD's are one binding each): checked, with the
    // device-memory budget, before anything is made.
    this.devicePlan = checkDevicePlan(
      gpu,
      `${s.algo === 'gd' ? 'GD' : `SGD (${s.mode})`} at rank ${s.rank} (${s.train.nUsers} users, ${s.train.nItems} items, ${nRatings} ratings)`,
      sgdDevicePlan(gpu, { ...s, nUsers: s.train.nUsers, nItems: s.train.nItems, nRatings, nValidation: s.validation?.values.length ?? 0 }),
      (part) =>
        part && /GD /.test(part.what)
          ? "ALS and SGD store their ratings in chunks under this limit (algo 'als' or 'sgd'), or use backend 'cpu', or fewer ratings"
          : "lower the rank, or raise the limit; backend 'cpu' has no device limit",
    );
    const windows = s.algo === 'sgd' ? { W: factorWindows(gpu, s.train.nUsers, this.stride, 'user factors'), H: factorWindows(gpu, s.train.nItems, this.stride, 'item factors') } : undefined;
    this.windows = windows;
    // A failure part-way (a size over a device limit) releases what was already made.
    try {
      const { train } = s;
      const n = train.values.length;
      const fb = (label: string, data: ArrayBufferView | number) => {
        const b = gpu.storage(label, data);
        this.owned.push(b);
        return b;
      };
      const ff = (label: string, data: ArrayBufferView | number) => {
        const b = windows ? gpu.factorStorage(label, data) : gpu.storage(label, data);
        this.owned.push(b);
        return b;
      };
      this.X = ff('sgd.userFactors', deviceInit ? this.wBytes : s.W0);
      this.Y = ff('sgd.itemFactors', deviceInit ? this.hBytes : s.H0);
      if (deviceInit) {
        const enc = gpu.device.createCommandEncoder({ label: 'sgd.deviceInit' });
        enc.copyBufferToBuffer(deviceInit.users, 0, this.X, 0, this.wBytes);
        enc.copyBufferToBuffer(deviceInit.items, 0, this.Y, 0, this.hBytes);
        gpu.submit(enc);
      }
      this.Xb = ff('sgd.userFactors.lastGood', this.wBytes);
      this.Yb = ff('sgd.itemFactors.lastGood', this.hBytes);
      this.scalars = fb('sgd.epochScalars', 32);
      if (gpu.hasTimestamps) {
        const set = gpu.device.createQuerySet({ label: 'sgd.epochTimer', type: 'timestamp', count: 2 });
        const resolve = gpu.buffer('sgd.epochTimer.resolve', 16, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
        this.timer = { set, resolve };
        this.owned.push(set, resolve);
      }
      if (shared) {
        this.trainLoss = shared.loss;
        this.valLoss = shared.valLoss ?? undefined;
      } else {
        this.trainLoss = new LossKernel(gpu, 'sgd.trainLoss', train.users, train.items, train.values);
        this.owned.push(this.trainLoss);
      }
      if (s.validation && !shared) {
        const v = s.validation;
        this.valLoss = new LossKernel(gpu, 'sgd.validationLoss', v.users, v.items, v.values);
        this.owned.push(this.valLoss);
      }
      if (s.algo === 'gd') {
        this.gd = new GdKernel(gpu, 'gd', gdViews(train), s.rank, s.bias, this.X, this.Y, this.Xb, this.Yb);
        this.owned.push(this.gd);
        return;
      }
      const spec = { rank: s.rank, bias: s.bias, adagrad: s.adagrad, nUsers: train.nUsers, nItems: train.nItems, lanes: s.lanes };
      // A list over the binding limit is stored in C chunks, each one buffer and one dispatch.
      const cap = sgdChunkRatings(gpu);
      const C = Math.max(1, Math.ceil(n / cap));
      const tag = (c: number) => (C > 1 ? `.chunk${c}` : '');
      if (shared && C > 1) {
        throw new Error(`SGD: shared uploads hold the rating list in one buffer, and ${n} ratings need ${C} chunks under this device's binding limit; fit without shared uploads`);
      }
      if (shared && s.mode === 'hogwild') {
        // The shared list, its shuffled copy and its shuffle kernel stay alive for the next fit.
        this.rts.push(shared.shuffled!);
        this.shuffles.push(shared.shuffle!);
        this.sgd = new SgdKernel(gpu, 'sgd.hogwild', n, spec, this.X, this.Y, { chunks: [n], windows });
        this.owned.push(this.sgd);
      } else if (shared) {
        this.strata = shared.plan!.b;
        this.rts.push(shared.blocked!);
        this.sgd = new SgdKernel(gpu, 'sgd.stratified', n, spec, this.X, this.Y, { chunks: [n], windows });
        this.owned.push(this.sgd);
        this.sgd.setPlan(shared.plan!, this.rts);
      } else if (s.mode === 'hogwild') {
        // Chunk c holds the ratings p = c (mod C) (an interleaved share of the whole list); the first
        // epoch shuffles every chunk, and each epoch runs the chunks in a seeded order (chunkOrder)
        // and each chunk's runs in its own (runOrderParams). One chunk is exactly the unchunked list.
        const sizes = Array.from({ length: C }, (_, c) => stridedChunkSize(n, c, C));
        for (let c = 0; c < C; c++) {
          const src = fb(`sgd.ratings${tag(c)}`, C === 1 ? packRatings(train) : packRatingsStrided(train, c, C));
          const dst = fb(`sgd.ratings.shuffled${tag(c)}`, ratingBytes(sizes[c]));
          this.rts.push(dst);
          const sh = new ShuffleKernel(gpu, `sgd.shuffle${tag(c)}`, sizes[c], src, dst);
          this.shuffles.push(sh);
          this.owned.push(sh);
        }
        this.sgd = new SgdKernel(gpu, 'sgd.hogwild', n, spec, this.X, this.Y, { chunks: sizes, windows });
        this.owned.push(this.sgd);
      } else {
        // The list in plan order, cut into consecutive chunks of `cap` ratings (blocks may straddle
        // a border: SgdKernel.setPlan gives each chunk its part of every block).
        const plan = stratifiedPlan(train, s.blocks, s.seed);
        this.strata = plan.b;
        const sizes: number[] = [];
        for (let c = 0; c < C; c++) {
          const p0 = c * cap;
          const p1 = Math.min(n, p0 + cap);
          sizes.push(p1 - p0);
          const rt = ratingsBuffer(gpu, `sgd.ratings.blocked${tag(c)}`, packRatings(train, C === 1 ? plan.order : plan.order.subarray(p0, p1)));
          this.owned.push(rt);
          this.rts.push(rt);
        }
        this.sgd = new SgdKernel(gpu, 'sgd.stratified', n, spec, this.X, this.Y, { chunks: sizes, windows });
        this.owned.push(this.sgd);
        this.sgd.setPlan(plan, this.rts);
      }
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  private copy(enc: GPUCommandEncoder, from: [GPUBuffer, GPUBuffer], to: [GPUBuffer, GPUBuffer]): void {
    enc.copyBufferToBuffer(from[0], 0, to[0], 0, from[0].size);
    enc.copyBufferToBuffer(from[1], 0, to[1], 0, from[1].size);
  }

  /** Encodes the loss reductions, copies the scalars together, submits, reads them once. */
  private async finish(enc: GPUCommandEncoder, timed = false, keep = false): Promise<Sse> {
    this.trainLoss.encode(enc, this.X, this.Y, this.stride, this.s.mu, undefined, this.windows);
    enc.copyBufferToBuffer(this.trainLoss.out, 0, this.scalars, 0, 8);
    if (this.valLoss) {
      this.valLoss.encode(enc, this.X, this.Y, this.stride, this.s.mu, undefined, this.windows);
      enc.copyBufferToBuffer(this.valLoss.out, 0, this.scalars, 8, 8);
    }
    if (timed && this.timer) {
      enc.resolveQuerySet(this.timer.set, 0, 2, this.timer.resolve, 0);
      enc.copyBufferToBuffer(this.timer.resolve, 0, this.scalars, 16, 16);
    }
    this.gpu.submit(enc);
    const parts = [{ buffer: this.scalars, size: timed && this.timer ? 32 : 16 }];
    if (keep) parts.push({ buffer: this.X, size: this.wBytes }, { buffer: this.Y, size: this.hBytes });
    const [raw, w, h] = await this.gpu.readMany(parts);
    if (keep) this.kept = { W: new Float32Array(w), H: new Float32Array(h) };
    const r = new Float32Array(raw, 0, 4);
    const out: Sse = { train: r[0], validation: this.valLoss ? r[2] : undefined };
    if (timed && this.timer) {
      const t = new Uint32Array(raw, 16, 4);
      const ns = (t[2] - t[0]) + (t[3] - t[1]) * 2 ** 32;
      // Timestamps may be quantized or zero (privacy); report only a positive span.
      if (ns > 0 && Number.isFinite(ns)) out.gpuSeconds = ns / 1e9;
    }
    return out;
  }

  async evaluate(): Promise<Sse> {
    return this.finish(this.gpu.device.createCommandEncoder({ label: 'sgd.evaluate' }));
  }

  async step(epoch: number, lr: number): Promise<Sse> {
    const s = this.s;
    const enc = this.gpu.device.createCommandEncoder({ label: `sgd.epoch${epoch}` });
    this.copy(enc, [this.X, this.Y], [this.Xb, this.Yb]);
    const step = { mu: s.mu, lr, lambda: s.lambda, lambdaBias: s.lambdaBias, leadOnly: s.adagradWarmup && epoch === 1, runOrder: { seed: s.seed, epoch } };
    // The whole epoch is one compute pass (dispatches in a pass see each other's writes), timed
    // with timestamp queries when the device has them.
    const timestampWrites = this.timer ? { querySet: this.timer.set, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } : undefined;
    const pass = enc.beginComputePass({ label: s.algo === 'gd' ? 'gd.step' : `sgd.${s.mode}`, timestampWrites });
    if (this.gd) {
      this.gd.setStep(step);
      this.gd.encode(pass);
    } else {
      const sgd = this.sgd!;
      sgd.setStep(step);
      if (s.mode === 'hogwild') {
        const C = this.rts.length;
        // The list is shuffled once, in the fit's first epoch; each epoch walks its runs in a new order.
        if (!this.shuffled) for (const [c, sh] of this.shuffles.entries()) sh.encode(pass, chunkFeistelParams(sh.n, s.seed, 1, c, C));
        this.shuffled = true;
        sgd.encodeHogwild(pass, this.rts, chunkOrder(C, s.seed, epoch));
      } else {
        sgd.encodeStratified(pass, strataShifts(s.blocks, s.seed, epoch));
      }
    }
    pass.end();
    return this.finish(enc, true, this.hostCopies);
  }

  private submitCopy(label: string, from: [GPUBuffer, GPUBuffer], to: [GPUBuffer, GPUBuffer]): void {
    const enc = this.gpu.device.createCommandEncoder({ label });
    this.copy(enc, from, to);
    this.gpu.submit(enc);
  }

  async restoreLast(): Promise<void> {
    this.submitCopy('sgd.revert', [this.Xb, this.Yb], [this.X, this.Y]);
  }

  async saveBest(): Promise<void> {
    if (!this.Xbest || !this.Ybest) {
      this.Xbest = this.gpu.factorStorage('sgd.userFactors.best', this.X.size);
      this.Ybest = this.gpu.factorStorage('sgd.itemFactors.best', this.Y.size);
      this.owned.push(this.Xbest, this.Ybest);
    }
    this.submitCopy('sgd.saveBest', [this.X, this.Y], [this.Xbest, this.Ybest]);
  }

  async restoreBest(): Promise<void> {
    if (this.Xbest && this.Ybest) this.submitCopy('sgd.restoreBest', [this.Xbest, this.Ybest], [this.X, this.Y]);
  }

  async readFactors(): Promise<Factors> {
    const W = await this.gpu.readF32(this.X, 0, this.wBytes / 4);
    const H = await this.gpu.readF32(this.Y, 0, this.hBytes / 4);
    return { W, H };
  }

  /** Updates in flight per dispatch: Hogwild's concurrent groups, a stratum's blocks, or GD's every rating. */
  parallelism(): Parallelism {
    if (this.gd) return { updatesInFlight: this.s.train.values.length };
    if (this.s.mode === 'stratified') return { updatesInFlight: this.strata };
    return { updatesInFlight: this.sgd?.groups ?? 0 };
  }

  /** Hands the factor buffers (users, items) to the caller: destroy() then leaves them alive. */
  releaseFactors(): { users: GPUBuffer; items: GPUBuffer } {
    return releaseFactorBuffers(this.owned, this.X, this.Y, 'SGD');
  }

  destroy(): void {
    for (const o of this.owned.splice(0)) o.destroy();
  }
}
