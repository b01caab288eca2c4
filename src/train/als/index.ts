/**
 * Alternating least squares, explicit (optionally biased, ALS-WR weighted lambda) and implicit
 * (Hu, Koren & Volinsky). Written once against AlsBackend; runs on the GPU, the f32 CPU engine or the f64 reference.
 *
 *   explicit: min sum_obs (a - mu - b_u - b_i - w_u.h_i)^2 + lambda (|W|^2 + |H|^2) + lambdaBias (|b_u|^2 + |b_i|^2)
 *   implicit: min sum_all c (p - w_u.h_i)^2 + lambda (|W|^2 + |H|^2),  c = 1 + alpha f, p = [f > 0]
 *
 * One iteration solves every user with H fixed, then every item with W fixed (the source's order).
 */
import { InputError } from '../../core/errors.ts';
import { asRatings, buildViews, globalMean, validateRatings, type Ratings } from '../../data/ratings.ts';
import type { Dataset } from '../../data/dataset.ts';
import { fillRandomFactors, packFactors, strideOf, type SolveSpec } from '../../core/layout.ts';
import { Rng } from '../../util/random.ts';
import { checkCpuBudget } from '../../util/budget.ts';
import type { FactorModelData, FitResult, IterationReport } from '../../model/types.ts';
import { chooseEngine, engineOf } from '../../cpu-engine/auto.ts';
import { FastCpuAls } from '../../cpu-engine/als.ts';
import { lazyExec } from '../../cpu-engine/pool.ts';
import { runLoop, type LoopAlgorithm } from '../loop.ts';
import { checkValidation } from '../options.ts';
import { resolveAls, type AlsOptions, type ResolvedAls } from './options.ts';
import type { AlsBackend, AlsProblem, IterationStats } from './backend.ts';
import { CpuAls } from './cpu.ts';
import { GpuAls } from './gpu.ts';

export type { AlsOptions } from './options.ts';
/** @deprecated import from src/gpu/acquire.ts */
export { acquireGpu } from '../../gpu/acquire.ts';

/** Random initial factors in the stride layout (N(0, scale^2), biases 0, constant columns 1), or the caller's. */
export function initialFactors(
  n: number,
  rank: number,
  bias: boolean,
  side: 'user' | 'item',
  rng: Rng,
  scale: number,
  given?: Float32Array,
): Float32Array {
  if (given) return packFactors(given, n, rank, bias, side);
  const X = new Float32Array(n * strideOf(rank, bias));
  fillRandomFactors(X, rank, bias, side, rng, 'normal', scale);
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
  const ratings = asRatings(ds ? ds.ratings : (data as Ratings));
  validateRatings(ratings);
  if (o.validation) o.validation = asRatings(o.validation, 'validation');
  checkValidation(o.validation, ratings);
  if (o.implicit) {
    for (let k = 0; k < ratings.values.length; k++) {
      if (ratings.values[k] < 0) throw new InputError(`implicit feedback: rating ${k} has negative frequency ${ratings.values[k]}`);
    }
  }
  const budget = { algo: 'als' as const, rank: o.rank, nUsers: ratings.nUsers, nItems: ratings.nItems, nRatings: ratings.values.length };
  checkCpuBudget({ ...budget, cpu: o.backend === 'cpu' || o.backend === 'reference' }, o.cpuBudget);
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
    dualSolve: o.dualSolve,
    cgSteps: o.cgSteps,
    implicit: o.implicit,
    alpha: o.alpha,
    trackDelta: o.trackDelta || o.tolerance > 0,
    hostCopies: o.hostCopies ?? true,
  };
  const shared = o.uploads;
  if (shared && (shared.train !== (ds ? ds.ratings : data) || shared.validation !== options.validation)) {
    throw new InputError('uploads were made from other ratings: pass the same training and validation objects the uploads were made from');
  }
  const rng = new Rng(o.seed);
  // a warm start on the device needs no host factors (the GPU backend copies the caller's buffers)
  const W0 = o.deviceInit ? new Float32Array(0) : initialFactors(ratings.nUsers, o.rank, o.useBias, 'user', rng, o.initScale, o.init?.users);
  const H0 = o.deviceInit ? new Float32Array(0) : initialFactors(ratings.nItems, o.rank, o.useBias, 'item', rng, o.initScale, o.init?.items);
  const { byUser, byItem } = shared ?? buildViews(ratings);

  const choice = await chooseEngine(o, 'als', o.rank);
  const { gpu, own: ownGpu } = choice;
  if (o.deviceInit && (!gpu || ownGpu || problem.hostCopies)) {
    ownGpu?.destroy();
    throw new InputError("deviceInit (factors on the device) needs the caller's gpu, a GPU fit and hostCopies: false");
  }
  if (!gpu && o.backend !== 'cpu' && o.backend !== 'reference') {
    try {
      checkCpuBudget({ ...budget, cpu: true }, o.cpuBudget);
    } catch (e) {
      ownGpu?.destroy();
      throw e;
    }
  }
  const loop = {
    backend: undefined as AlsBackend | undefined,
  };
  try {
    const fastFrom = (W: Float32Array, H: Float32Array) => new FastCpuAls(problem, byUser, byItem, ratings, o.validation, W, H, lazyExec({ threads: o.threads }));
    loop.backend = gpu
      ? new GpuAls(gpu, problem, byUser, byItem, ratings, o.validation, W0, H0, shared && shared.gpu === gpu ? shared : undefined, o.deviceInit)
      : choice.engine === 'reference'
        ? new CpuAls(problem, byUser, byItem, ratings, o.validation, W0, H0)
        : fastFrom(W0, H0);
    const nObs = ratings.values.length;
    const nVal = o.validation?.values.length ?? 0;
    const algorithm: LoopAlgorithm<IterationStats> = {
      unit: 'iteration',
      rate: () => 0,
      judge(it, s, seconds) {
        const report = toReport(it, seconds, s, o, nObs, nVal, ratings);
        if (![report.trainLoss!, report.trainRmse, report.validationRmse ?? 0, report.delta ?? 0].every(Number.isFinite)) {
          return { kind: 'diverge', message: `ALS produced a non-finite loss at iteration ${it} (${JSON.stringify(report)}); the factors of iteration ${it - 1} are kept (error.result)` };
        }
        return { kind: 'accept', report };
      },
    };
    const finish = (f: { W: Float32Array; H: Float32Array }, history: IterationReport[], stopped: FitResult['stopped'], b: AlsBackend): FitResult => {
      const model: FactorModelData = {
        algo: o.implicit ? 'ials' : 'als',
        rank: o.rank,
        bias: o.useBias,
        implicit: o.implicit,
        stride: problem.stride,
        mu,
        nUsers: ratings.nUsers,
        nItems: ratings.nItems,
        userFactors: f.W,
        itemFactors: f.H,
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
      const e = engineOf(b, choice);
      const parallelism = b.parallelism?.();
      return { model, history, backend: e.engine, adapter: b.adapter, backendReason: e.reason, stopped, ...(parallelism ? { parallelism } : {}) };
    };
    const run = {
      backend: loop.backend,
      algorithm,
      iterations: o.iterations,
      signal: o.signal,
      earlyStopping: o.earlyStopping,
      tolerance: o.tolerance,
      onIteration: o.onIteration,
      finish,
      // a lost device under 'auto' hands the fit to the f32 CPU engine, from the last finished iteration
      fallback: o.backend === 'auto' && problem.hostCopies ? (f: { W: Float32Array; H: Float32Array }) => fastFrom(f.W, f.H) : undefined,
      onWarning: o.onWarning,
      readBack: true,
    };
    // 'only': the final factors stay on the caller's device, unread (the caller reads `device`)
    run.readBack = !(o.keepOnDevice === 'only' && gpu && !ownGpu && !run.fallback);
    try {
      const res = await runLoop(run);
      if (o.keepOnDevice && gpu && !ownGpu && run.backend instanceof GpuAls) res.device = { gpu, ...run.backend.releaseFactors() };
      return res;
    } finally {
      loop.backend = run.backend;
    }
  } finally {
    loop.backend?.destroy();
    ownGpu?.destroy();
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
