/**
 * The GPU backend: ratings and factors are uploaded once; each epoch is one submit (backup copy,
 * shuffle or block sweep or gradient step, loss reductions) followed by one readback of up to four
 * floats (train and validation sums of squared errors). Factors are read back once, at the end.
 */
import { adapterName, type GpuContext } from '../gpu/context.ts';
import { LossKernel } from '../kernels/loss.ts';
import { SgdKernel, ShuffleKernel } from '../kernels/sgd.ts';
import { GdKernel } from '../kernels/gd.ts';
import { gdViews, strideFor } from '../cpu/sgd-reference.ts';
import type { EngineSpec, SgdBackend, Sse } from './backend.ts';
import { feistelParams, packRatings, stratifiedPlan, strataShifts } from './plan.ts';

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
  private readonly scalars: GPUBuffer;
  private readonly trainLoss: LossKernel;
  private readonly valLoss?: LossKernel;
  private readonly owned: { destroy(): void }[] = [];
  private sgd?: SgdKernel;
  private shuffle?: ShuffleKernel;
  private rt?: GPUBuffer;
  private gd?: GdKernel;

  constructor(
    private readonly gpu: GpuContext,
    private readonly s: EngineSpec,
  ) {
    this.adapter = adapterName(gpu.adapter);
    this.stride = strideFor(s.rank, s.bias);
    const { train } = s;
    const n = train.values.length;
    const fb = (label: string, data: ArrayBufferView | number) => {
      const b = gpu.storage(label, data);
      this.owned.push(b);
      return b;
    };
    this.X = fb('sgd.userFactors', s.X0);
    this.Y = fb('sgd.itemFactors', s.Y0);
    this.Xb = fb('sgd.userFactors.lastGood', s.X0.byteLength);
    this.Yb = fb('sgd.itemFactors.lastGood', s.Y0.byteLength);
    this.scalars = fb('sgd.lossScalars', 16);
    this.trainLoss = new LossKernel(gpu, 'sgd.trainLoss', train.users, train.items, train.values);
    this.owned.push(this.trainLoss);
    if (s.validation) {
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
    if (s.mode === 'hogwild') {
      const src = fb('sgd.ratings', packRatings(train));
      this.rt = fb('sgd.ratings.shuffled', n * 12);
      this.shuffle = new ShuffleKernel(gpu, 'sgd.shuffle', n, src, this.rt);
      this.owned.push(this.shuffle);
      this.sgd = new SgdKernel(gpu, 'sgd.hogwild', n, spec, this.X, this.Y);
    } else {
      const plan = stratifiedPlan(train, s.blocks, s.seed);
      this.rt = fb('sgd.ratings.blocked', packRatings(train, plan.order));
      this.sgd = new SgdKernel(gpu, 'sgd.stratified', n, spec, this.X, this.Y);
      this.sgd.setPlan(plan, this.rt);
    }
    this.owned.push(this.sgd);
  }

  private copy(enc: GPUCommandEncoder, from: [GPUBuffer, GPUBuffer], to: [GPUBuffer, GPUBuffer]): void {
    enc.copyBufferToBuffer(from[0], 0, to[0], 0, from[0].size);
    enc.copyBufferToBuffer(from[1], 0, to[1], 0, from[1].size);
  }

  /** Encodes the loss reductions, copies the scalars together, submits, reads them once. */
  private async finish(enc: GPUCommandEncoder): Promise<Sse> {
    this.trainLoss.encode(enc, this.X, this.Y, this.stride, this.s.mu);
    enc.copyBufferToBuffer(this.trainLoss.out, 0, this.scalars, 0, 8);
    if (this.valLoss) {
      this.valLoss.encode(enc, this.X, this.Y, this.stride, this.s.mu);
      enc.copyBufferToBuffer(this.valLoss.out, 0, this.scalars, 8, 8);
    }
    this.gpu.submit(enc);
    const r = await this.gpu.readF32(this.scalars, 0, 4);
    return { train: r[0], validation: this.valLoss ? r[2] : undefined };
  }

  async evaluate(): Promise<Sse> {
    return this.finish(this.gpu.device.createCommandEncoder({ label: 'sgd.evaluate' }));
  }

  async epoch(epoch: number, lr: number): Promise<Sse> {
    const s = this.s;
    const enc = this.gpu.device.createCommandEncoder({ label: `sgd.epoch${epoch}` });
    this.copy(enc, [this.X, this.Y], [this.Xb, this.Yb]);
    const step = { mu: s.mu, lr, lambda: s.lambda, lambdaBias: s.lambdaBias };
    if (this.gd) {
      this.gd.setStep(step);
      const pass = enc.beginComputePass({ label: 'gd.step' });
      this.gd.encode(pass);
      pass.end();
    } else {
      const sgd = this.sgd!;
      sgd.setStep(step);
      if (s.mode === 'hogwild') this.shuffle!.encode(enc, feistelParams(s.train.values.length, s.seed, epoch));
      const pass = enc.beginComputePass({ label: `sgd.${s.mode}` });
      if (s.mode === 'hogwild') sgd.encodeHogwild(pass, this.rt!);
      else sgd.encodeStratified(pass, strataShifts(s.blocks, s.seed, epoch));
      pass.end();
    }
    return this.finish(enc);
  }

  private submitCopy(label: string, from: [GPUBuffer, GPUBuffer], to: [GPUBuffer, GPUBuffer]): void {
    const enc = this.gpu.device.createCommandEncoder({ label });
    this.copy(enc, from, to);
    this.gpu.submit(enc);
  }

  async revert(): Promise<void> {
    this.submitCopy('sgd.revert', [this.Xb, this.Yb], [this.X, this.Y]);
  }

  async saveBest(): Promise<void> {
    if (!this.Xbest || !this.Ybest) {
      this.Xbest = this.gpu.storage('sgd.userFactors.best', this.X.size);
      this.Ybest = this.gpu.storage('sgd.itemFactors.best', this.Y.size);
      this.owned.push(this.Xbest, this.Ybest);
    }
    this.submitCopy('sgd.saveBest', [this.X, this.Y], [this.Xbest, this.Ybest]);
  }

  async restoreBest(): Promise<void> {
    if (this.Xbest && this.Ybest) this.submitCopy('sgd.restoreBest', [this.Xbest, this.Ybest], [this.X, this.Y]);
  }

  async factors(): Promise<{ X: Float32Array; Y: Float32Array }> {
    const X = await this.gpu.readF32(this.X, 0, this.s.X0.length);
    const Y = await this.gpu.readF32(this.Y, 0, this.s.Y0.length);
    return { X, Y };
  }

  destroy(): void {
    for (const o of this.owned) o.destroy();
  }
}
