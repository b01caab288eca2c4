/**
 * Alternating least squares, explicit (optionally biased, ALS-WR weighted lambda) and implicit
 * (Hu, Koren & Volinsky). Written once against AlsBackend; runs on the GPU or on the f64 CPU path.
 *
 *   explicit: min sum_obs (a - mu - b_u - b_i - w_u.h_i)^2 + lambda (|W|^2 + |H|^2) + lambdaBias (|b_u|^2 + |b_i|^2)
 *   implicit: min sum_all c (p - w_u.h_i)^2 + lambda (|W|^2 + |H|^2),  c = 1 + alpha f, p = [f > 0]
 *
 * One iteration solves every user with H fixed, then every item with W fixed (the source's order).
 */
import { GpuContext } from '../gpu/context.ts';
import { DivergenceError, InputError, NoWebGpuError, throwIfAborted } from '../gpu/errors.ts';
import { buildViews, globalMean, validateRatings, type Ratings } from '../data/ratings.ts';
import type { Dataset } from '../data/dataset.ts';
import { strideOf, type SolveSpec } from '../cpu/reference.ts';
import { Rng } from '../util/random.ts';
import type { FactorModelData, FitResult, IterationReport } from '../model/types.ts';
import { resolveAls, type AlsOptions, type ResolvedAls } from './options.ts';
import type { AlsBackend, AlsProblem, IterationStats } from './backend.ts';
import { CpuAls } from './cpu.ts';
import { GpuAls } from './gpu.ts';

export type { AlsOptions } from './options.ts';

/** Random initial factors in the stride layout (biases 0, constant columns 1), or the caller's. */
export function initialFactors(
  n: number,
  rank: number,
  bias: boolean,
  side: 'user' | 'item',
  rng: Rng,
  scale: number,
  given?: Float32Array,
): Float32Array {
  const S = strideOf(rank, bias);
  const X = new Float32Array(n * S);
  if (given) {
    const per = given.length / Math.max(1, n);
    if (!(given.length === n * S || given.length === n * rank)) {
      throw new InputError(`init.${side}s has ${given.length} values; expected ${n} x ${rank} (or x ${S} with biases)`);
    }
    for (let i = 0; i < given.length; i++) {
      if (!Number.isFinite(given[i])) throw new InputError(`init.${side}s[${i}] is not finite`);
    }
    for (let r = 0; r < n; r++) for (let c = 0; c < per; c++) X[r * S + c] = given[r * per + c];
  } else {
    for (let r = 0; r < n; r++) for (let c = 0; c < rank; c++) X[r * S + c] = rng.normal() * scale;
  }
  if (bias) for (let r = 0; r < n; r++) X[r * S + (side === 'user' ? rank + 1 : rank)] = 1;
  return X;
}

function specs(o: ResolvedAls, mu: number): [SolveSpec, SolveSpec] {
  const base = {
    rank: o.rank,
    bias: o.useBias,
    mu,
    lambda: o.lambda,
    lambdaBias: o.lambdaBias,
    weighted: o.weightedLambda,
    implicit: o.implicit ? { alpha: o.alpha } : undefined,
  };
  return [
    { ...base, side: 'user' },
    { ...base, side: 'item' },
  ];
}

export async function fitAls(data: Ratings | Dataset, options: AlsOptions = {}): Promise<FitResult> {
  const o = resolveAls(options);
  const ds = 'ratings' in data ? data : undefined;
  const ratings = ds ? ds.ratings : (data as Ratings);
  validateRatings(ratings);
  if (o.validation) {
    validateRatings(o.validation, { allowEmpty: true });
    if (o.validation.nUsers > ratings.nUsers || o.validation.nItems > ratings.nItems) {
      throw new InputError(`validation set has users or items beyond the training set (${o.validation.nUsers}x${o.validation.nItems} vs ${ratings.nUsers}x${ratings.nItems})`);
    }
  }
  if (o.implicit) {
    for (let k = 0; k < ratings.values.length; k++) {
      if (ratings.values[k] < 0) throw new InputError(`implicit feedback: rating ${k} has negative frequency ${ratings.values[k]}`);
    }
  }
  const mu = o.useBias ? globalMean(ratings.values) : 0;
  const [userSpec, itemSpec] = specs(o, mu);
  const problem: AlsProblem = {
    rank: o.rank,
    stride: strideOf(o.rank, o.useBias),
    nUsers: ratings.nUsers,
    nItems: ratings.nItems,
    userSpec,
    itemSpec,
    solver: o.solver,
    kernels: o.kernels,
    cgSteps: o.cgSteps,
    implicit: o.implicit,
    alpha: o.alpha,
  };
  const rng = new Rng(o.seed);
  const W0 = initialFactors(ratings.nUsers, o.rank, o.useBias, 'user', rng, o.initScale, o.init?.users);
  const H0 = initialFactors(ratings.nItems, o.rank, o.useBias, 'item', rng, o.initScale, o.init?.items);
  const { byUser, byItem } = buildViews(ratings);

  const { gpu, own: ownGpu } = await acquireGpu(o);
  const backend: AlsBackend = gpu
    ? new GpuAls(gpu, problem, byUser, byItem, ratings, o.validation, W0, H0)
    : new CpuAls(problem, byUser, byItem, ratings, o.validation, W0, H0);

  const history: IterationReport[] = [];
  let stopped: FitResult['stopped'] = 'iterations';
  try {
    const nObs = ratings.values.length;
    const nVal = o.validation?.values.length ?? 0;
    const wantDelta = o.trackDelta || o.tolerance > 0;
    let bestVal = Infinity;
    let sinceBest = 0;
    for (let it = 1; it <= o.iterations; it++) {
      // let queued messages (a worker's stop, an abort) run between iterations, even on the CPU path
      await new Promise((r) => setTimeout(r, 0));
      throwIfAborted(o.signal);
      const t0 = performance.now();
      const s = await backend.iterate(wantDelta);
      const report = toReport(it, (performance.now() - t0) / 1000, s, o, nObs, nVal, ratings);
      if (![report.trainLoss!, report.trainRmse, report.validationRmse ?? 0, report.delta ?? 0].every(Number.isFinite)) {
        throw new DivergenceError(it, `ALS produced a non-finite loss at iteration ${it} (${JSON.stringify(report)})`);
      }
      history.push(report);
      o.onIteration?.(report);
      if (o.earlyStopping && report.validationRmse !== undefined) {
        if (report.validationRmse < bestVal - (o.earlyStopping.minDelta ?? 0)) {
          bestVal = report.validationRmse;
          sinceBest = 0;
          backend.saveBest();
        } else if (++sinceBest >= o.earlyStopping.patience) {
          backend.restoreBest();
          stopped = 'early-stopping';
          break;
        }
      }
      if (o.tolerance > 0 && report.delta !== undefined && report.delta < o.tolerance) {
        stopped = 'converged';
        break;
      }
    }
    const { users, items } = await backend.readFactors();
    const model: FactorModelData = {
      algo: o.implicit ? 'ials' : 'als',
      rank: o.rank,
      bias: o.useBias,
      implicit: o.implicit,
      stride: problem.stride,
      mu,
      nUsers: ratings.nUsers,
      nItems: ratings.nItems,
      userFactors: users,
      itemFactors: items,
      userIds: ds?.users,
      itemIds: ds?.items,
      ratingScale: ds?.scale,
      hyperparams: {
        rank: o.rank,
        lambda: o.lambda,
        lambdaBias: o.lambdaBias,
        weightedLambda: o.weightedLambda,
        useBias: o.useBias,
        implicit: o.implicit,
        alpha: o.alpha,
        iterations: history.length,
        solver: o.solver,
        cgSteps: o.cgSteps,
        seed: o.seed,
      },
    };
    return { model, history, backend: backend.kind, adapter: backend.adapter, stopped };
  } finally {
    backend.destroy();
    ownGpu?.destroy();
  }
}

/**
 * The GPU for a fit: the caller's, or a new one. With backend 'auto' and no adapter, null (CPU),
 * and a warning that says so; with backend 'gpu', no adapter is an error.
 */
export async function acquireGpu(o: {
  backend: 'auto' | 'gpu' | 'cpu';
  gpu?: GpuContext;
  gpuSource?: GPU;
  onWarning?: (m: string) => void;
}): Promise<{ gpu: GpuContext | null; own: GpuContext | null }> {
  if (o.backend === 'cpu') return { gpu: null, own: null };
  if (o.gpu) return { gpu: o.gpu, own: null };
  try {
    const gpu = await GpuContext.create({ gpu: o.gpuSource });
    return { gpu, own: gpu };
  } catch (e) {
    if (o.backend === 'auto' && e instanceof NoWebGpuError) {
      (o.onWarning ?? console.warn)(`webmf: no WebGPU adapter (${e.message}); running on the CPU reference path instead.`);
      return { gpu: null, own: null };
    }
    throw e;
  }
}

function toReport(it: number, seconds: number, s: IterationStats, o: ResolvedAls, nObs: number, nVal: number, r: Ratings): IterationReport {
  const rep: IterationReport = { iteration: it, seconds, trainRmse: 0 };
  if (o.implicit) {
    // full-matrix confidence-weighted loss: observed part + tr(W^T W H^T H) for the rest
    const sq = s.sse + s.implicitTrace;
    rep.trainLoss = sq + s.reg;
    rep.trainRmse = Math.sqrt(Math.max(0, sq) / (r.nUsers * r.nItems + s.sae));
  } else {
    rep.trainLoss = s.sse + s.reg;
    rep.trainRmse = Math.sqrt(s.sse / nObs);
    if (s.valSse !== undefined && nVal > 0) rep.validationRmse = Math.sqrt(s.valSse / nVal);
  }
  if (s.delta2 !== undefined) rep.delta = Math.sqrt(s.delta2);
  return rep;
}
