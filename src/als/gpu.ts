/**
 * The GPU ALS backend. Inputs are uploaded once (CSR by user, CSC by item, COO for the loss);
 * W and H live on the device for the whole fit. One iteration is one submission: [Y^T Y] → user
 * solves → [X^T X] → item solves → loss → regularization Grams → convergence Grams; the only
 * readback is one small scalars buffer (statuses, sums, two Gram diagonals).
 */
import { adapterName, type GpuContext } from '../gpu/context.ts';
import { layoutOf, singularError } from '../cpu/reference.ts';
import type { Csr, Ratings } from '../data/ratings.ts';
import { destroyCsr, uploadCsr, type DeviceCsr } from '../kernels/device-csr.ts';
import { defaultVariant, NormalEqSolver } from '../kernels/normal-eq.ts';
import { CgSolver } from '../kernels/cg.ts';
import { LossKernel } from '../kernels/loss.ts';
import { GramKernel } from '../kernels/gram.ts';
import { penalty, type AlsBackend, type AlsProblem, type IterationStats } from './backend.ts';

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
  private readonly scalars: GPUBuffer;
  private readonly scalarWords: number;

  constructor(
    private readonly gpu: GpuContext,
    private readonly p: AlsProblem,
    byUser: Csr,
    byItem: Csr,
    train: Ratings,
    validation: Ratings | undefined,
    W0: Float32Array,
    H0: Float32Array,
  ) {
    this.adapter = adapterName(gpu.adapter);
    const K = layoutOf(p.userSpec).K;
    gpu.requireLimit(`rank ${p.rank}: Cholesky vectors in workgroup memory`, 'maxComputeWorkgroupStorageSize', 16 * K + 20);
    const bytes = (n: number) => n * p.stride * 4;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.W = gpu.buffer('als.userFactors', W0, usage);
    this.H = gpu.buffer('als.itemFactors', H0, usage);
    this.Wp = gpu.storage('als.userFactors.previous', bytes(p.nUsers));
    this.Hp = gpu.storage('als.itemFactors.previous', bytes(p.nItems));
    this.users = uploadCsr(gpu, 'als.byUser', byUser);
    this.items = uploadCsr(gpu, 'als.byItem', byItem);
    const mk = (csr: DeviceCsr, spec: typeof p.userSpec, label: string) => {
      const s = p.solver === 'cg' ? new CgSolver(gpu, csr, spec, p.cgSteps, label) : new NormalEqSolver(gpu, csr, spec, label, p.kernels === 'auto' ? defaultVariant(gpu) : p.kernels);
      s.setParams({ mu: spec.mu, lambda: spec.lambda, lambdaBias: spec.lambdaBias, weighted: spec.weighted, alpha: p.alpha }, p.implicit);
      return s;
    };
    this.uSolve = mk(this.users, p.userSpec, 'als.users');
    this.iSolve = mk(this.items, p.itemSpec, 'als.items');
    this.uStatus = this.uSolve instanceof NormalEqSolver ? this.uSolve : null;
    this.iStatus = this.iSolve instanceof NormalEqSolver ? this.iSolve : null;
    this.loss = new LossKernel(gpu, 'als.trainLoss', train.users, train.items, train.values);
    this.valLoss = validation && !p.implicit ? new LossKernel(gpu, 'als.validationLoss', validation.users, validation.items, validation.values) : null;
    this.gram = new GramKernel(gpu, 'als.gram', p.stride, Math.max(p.nUsers, p.nItems));
    this.scalarWords = S_DIAG + 2 * p.stride;
    this.scalars = gpu.storage('als.scalars', this.scalarWords * 4);
  }

  private encodeSolve(enc: GPUCommandEncoder, s: NormalEqSolver | CgSolver, X: GPUBuffer, Y: GPUBuffer, nY: number): void {
    const base = this.p.implicit ? this.gram.grams : undefined;
    if (base) {
      const pass = enc.beginComputePass({ label: 'als.baseGram' });
      this.gram.encodeGram(pass, 0, nY, { x: Y }, { x: Y });
      pass.end();
    }
    if (s instanceof NormalEqSolver) s.encode(enc, X, Y, { base });
    else s.encode(enc, X, Y, base);
  }

  private encodeStats(enc: GPUCommandEncoder, wantDelta: boolean): void {
    const { p, W, H, Wp, Hp, gram } = this;
    const mu = p.userSpec.mu;
    this.loss.encode(enc, W, H, p.stride, mu, p.implicit ? p.alpha : undefined);
    enc.copyBufferToBuffer(this.loss.out, 0, this.scalars, S_LOSS * 4, 8);
    if (this.valLoss) {
      this.valLoss.encode(enc, W, H, p.stride, mu);
      enc.copyBufferToBuffer(this.valLoss.out, 0, this.scalars, S_VAL * 4, 8);
    }
    const pass = enc.beginComputePass({ label: 'als.stats' });
    // regularization: (weighted) diagonals of W^T W and H^T H
    gram.encodeGram(pass, 2, p.nUsers, { x: W }, { x: W }, p.userSpec.weighted ? this.users.counts : undefined);
    gram.encodeGram(pass, 3, p.nItems, { x: H }, { x: H }, p.itemSpec.weighted ? this.items.counts : undefined);
    gram.encodeDiag(pass, 2, this.scalars, S_DIAG);
    gram.encodeDiag(pass, 3, this.scalars, S_DIAG + p.stride);
    if (p.implicit) {
      gram.encodeGram(pass, 0, p.nUsers, { x: W }, { x: W });
      gram.encodeGram(pass, 1, p.nItems, { x: H }, { x: H });
      gram.encodeTraces(pass, this.scalars, S_TRACE, 1);
    }
    if (wantDelta) {
      gram.encodeGram(pass, 0, p.nUsers, { x: W }, { x: W });
      gram.encodeGram(pass, 1, p.nItems, { x: H, minus: Hp }, { x: H, minus: Hp });
      gram.encodeGram(pass, 2, p.nUsers, { x: W }, { x: W, minus: Wp });
      gram.encodeGram(pass, 3, p.nItems, { x: Hp }, { x: H, minus: Hp });
      gram.encodeGram(pass, 4, p.nUsers, { x: W, minus: Wp }, { x: W, minus: Wp });
      gram.encodeGram(pass, 5, p.nItems, { x: Hp }, { x: Hp });
      gram.encodeTraces(pass, this.scalars, S_DELTA, 3);
    }
    pass.end();
  }

  private async readStats(wantDelta: boolean): Promise<IterationStats> {
    const buf = await this.gpu.read(this.scalars, 0, this.scalarWords * 4);
    const u = new Uint32Array(buf);
    const f = new Float32Array(buf);
    for (const [at, spec, solver] of [
      [S_STATUS_U, this.p.userSpec, this.uStatus],
      [S_STATUS_I, this.p.itemSpec, this.iStatus],
    ] as const) {
      if (solver && u[at] > 0) {
        const row = u[at + 1];
        const csr = solver.csr.host;
        throw singularError(spec, row, csr.indptr[row + 1] - csr.indptr[row], u[at]);
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

  async iterate(wantDelta: boolean): Promise<IterationStats> {
    const { gpu, p } = this;
    this.gram.begin();
    const enc = gpu.device.createCommandEncoder({ label: 'als.iteration' });
    if (wantDelta) {
      enc.copyBufferToBuffer(this.W, 0, this.Wp, 0, p.nUsers * p.stride * 4);
      enc.copyBufferToBuffer(this.H, 0, this.Hp, 0, p.nItems * p.stride * 4);
    }
    enc.clearBuffer(this.scalars);
    this.encodeSolve(enc, this.uSolve, this.W, this.H, p.nItems);
    if (this.uStatus) this.uStatus.encodeStatusCopy(enc, this.scalars, S_STATUS_U * 4);
    this.encodeSolve(enc, this.iSolve, this.H, this.W, p.nUsers);
    if (this.iStatus) this.iStatus.encodeStatusCopy(enc, this.scalars, S_STATUS_I * 4);
    this.encodeStats(enc, wantDelta);
    gpu.submit(enc);
    return this.readStats(wantDelta);
  }

  async stats(): Promise<IterationStats> {
    this.gram.begin();
    const enc = this.gpu.device.createCommandEncoder({ label: 'als.stats' });
    enc.clearBuffer(this.scalars);
    this.encodeStats(enc, false);
    this.gpu.submit(enc);
    return this.readStats(false);
  }

  async readFactors(): Promise<{ users: Float32Array; items: Float32Array }> {
    return { users: await this.gpu.readF32(this.W), items: await this.gpu.readF32(this.H) };
  }

  saveBest(): void {
    const { gpu, p } = this;
    if (!this.best) this.best = [gpu.storage('als.userFactors.best', p.nUsers * p.stride * 4), gpu.storage('als.itemFactors.best', p.nItems * p.stride * 4)];
    const enc = gpu.device.createCommandEncoder({ label: 'als.saveBest' });
    enc.copyBufferToBuffer(this.W, 0, this.best[0], 0, p.nUsers * p.stride * 4);
    enc.copyBufferToBuffer(this.H, 0, this.best[1], 0, p.nItems * p.stride * 4);
    gpu.submit(enc);
  }

  restoreBest(): void {
    if (!this.best) return;
    const { gpu, p } = this;
    const enc = gpu.device.createCommandEncoder({ label: 'als.restoreBest' });
    enc.copyBufferToBuffer(this.best[0], 0, this.W, 0, p.nUsers * p.stride * 4);
    enc.copyBufferToBuffer(this.best[1], 0, this.H, 0, p.nItems * p.stride * 4);
    gpu.submit(enc);
  }

  destroy(): void {
    for (const b of [this.W, this.H, this.Wp, this.Hp, this.scalars, ...(this.best ?? [])]) b.destroy();
    this.uSolve.destroy();
    this.iSolve.destroy();
    this.loss.destroy();
    this.valLoss?.destroy();
    this.gram.destroy();
    destroyCsr(this.users);
    destroyCsr(this.items);
  }
}
