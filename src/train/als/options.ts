/** ALS options (Spark / implicit names where they exist), defaults and validation. */
import { InputError } from '../../core/errors.ts';
import { checkBackend, type GpuChoice } from '../../gpu/acquire.ts';
import { atLeast, check, checkEarlyStopping, DEFAULTS, oneOf } from '../options.ts';
import type { Ratings } from '../../data/ratings.ts';
import type { IterationReport } from '../../model/types.ts';
import type { CpuBudget } from '../../util/budget.ts';
import type { AlsUploads } from './uploads.ts';

export interface AlsOptions extends GpuChoice {
  /** Factors per user/item. Default 10. */
  rank?: number;
  /** L2 regularization of the factors. Default 0.1. */
  lambda?: number;
  /** L2 regularization of the biases (useBias). Default: lambda. */
  lambdaBias?: number;
  /**
   * ALS-WR: scale lambda by each row's number of ratings (Spark's regParam semantics). Default true
   * for explicit ALS, false for implicit. `{ useBias: false, weightedLambda: false }` is the source's
   * plain model a = w.h with an unweighted lambda.
   */
  weightedLambda?: boolean;
  /** Add mu + b_u + b_i (explicit only). Default true for explicit ALS (false for implicit). */
  useBias?: boolean;
  /** Implicit feedback (Hu, Koren & Volinsky): values are frequencies f, c = 1 + alpha f, p = [f > 0]. */
  implicit?: boolean;
  /** Confidence scale for implicit feedback. Default 40 (as implicit and Spark's examples). */
  alpha?: number;
  /** Iterations (users then items each). Default 10. */
  iterations?: number;
  /** Stop when ||W_t H_t - W_{t-1} H_{t-1}||_F < tolerance. Default 0 (run all iterations). */
  tolerance?: number;
  /** Compute the convergence quantity every iteration even without a tolerance. Default true. */
  trackDelta?: boolean;
  /** Seed for the initial factors. Default 42. */
  seed?: number;
  /** Standard deviation of the random initial factors. Default 0.1. */
  initScale?: number;
  /** Warm start: factors as nUsers x rank (or x stride) and nItems x rank (or x stride), row-major. */
  init?: { users: Float32Array; items: Float32Array };
  /** Row solver. Default 'cholesky'. */
  solver?: 'cholesky' | 'cg';
  /**
   * Kernels for the normal equations, the Cholesky solve and the loss reduction: 'tiled'
   * (workgroup-cooperative, for hardware GPUs), 'direct' (barrier-free, for software adapters) or
   * 'auto' (default: by the adapter).
   */
  kernels?: 'auto' | 'tiled' | 'direct';
  /**
   * Explicit ALS with the Cholesky solver on the 'direct' kernels: a row with fewer ratings than
   * unknowns is solved through its n x n dual (Y D^-1 Y^T + I) z = t, x = D^-1 Y^T z, the same
   * solution at a fraction of the K x K Cholesky's cost (most items have few ratings). Needs every
   * unknown regularized (lambda > 0, and lambdaBias > 0 with biases); otherwise those rows take the
   * Cholesky. Default true; false solves every row with the K x K Cholesky.
   */
  dualSolve?: boolean;
  /** Conjugate-gradient steps per row per half-iteration (solver 'cg'). Default 3. */
  cgSteps?: number;
  /** Held-out ratings for validation RMSE each iteration (explicit). */
  validation?: Ratings;
  /** Stop when validation RMSE has not improved for `patience` iterations; keeps the best factors. */
  earlyStopping?: { patience: number; minDelta?: number };
  onIteration?: (r: IterationReport) => void;
  signal?: AbortSignal;
  /** Host memory and CPU work allowed before a fit starts (see util/budget.ts); a rank past it is a LimitError. */
  cpuBudget?: CpuBudget;
  /**
   * With a caller's `gpu`: leave the final factors on that device and hand them over as
   * `FitResult.device` (no readback and re-upload for a `Model` made with the same context; the
   * caller owns them: pass them to `Model` or destroy them). Ignored on the CPU and when the fit
   * makes its own device. 'only': the same, and the final factors are not read back either
   * (`model.userFactors`/`itemFactors` are empty until the caller reads `device`): a search's rungs,
   * which read back only the best trial's factors, once. Needs `hostCopies: false`.
   */
  keepOnDevice?: boolean | 'only';
  /**
   * Warm start from factors already on the fit's `gpu` (a previous fit's `FitResult.device`, same
   * rank, biases and row counts): copied on the device, no upload; the caller's buffers are left as
   * they are. Needs a caller's `gpu` and `hostCopies: false`; `init` is then ignored.
   */
  deviceInit?: { users: GPUBuffer; items: GPUBuffer };
  /**
   * Ratings already uploaded to the fit's `gpu` (src/train/als/uploads.ts), made from this very
   * `ratings` and `validation`: the GPU backend uses them instead of uploading its own. Ignored on
   * the CPU.
   */
  uploads?: AlsUploads;
  /**
   * Read the factors back with each iteration's scalars (default true), so a lost device resumes
   * from the last finished iteration on the CPU. false: only the scalars come back per iteration
   * (a search's trials); a lost device then ends the fit with a DeviceLostError.
   */
  hostCopies?: boolean;
}

type Passthrough = 'threads' | 'cpuBudget' | 'init' | 'deviceInit' | 'gpu' | 'gpuSource' | 'gpuLimits' | 'onWarning' | 'validation' | 'earlyStopping' | 'onIteration' | 'signal' | 'keepOnDevice' | 'uploads' | 'hostCopies';
export type ResolvedAls = Required<Omit<AlsOptions, Passthrough>> & Pick<AlsOptions, Passthrough>;

export function resolveAls(o: AlsOptions): ResolvedAls {
  const A = DEFAULTS.als;
  const C = DEFAULTS.common;
  const lambda = o.lambda ?? A.lambda;
  const r: ResolvedAls = {
    rank: o.rank ?? C.rank,
    lambda,
    lambdaBias: o.lambdaBias ?? lambda,
    // explicit ALS: biases and ALS-WR by default (the table); implicit ALS has neither
    weightedLambda: o.weightedLambda ?? (o.implicit ? false : A.weightedLambda),
    useBias: o.useBias ?? (o.implicit ? false : A.useBias),
    implicit: o.implicit ?? A.implicit,
    alpha: o.alpha ?? A.alpha,
    iterations: o.iterations ?? A.iterations,
    tolerance: o.tolerance ?? A.tolerance,
    trackDelta: o.trackDelta ?? A.trackDelta,
    seed: o.seed ?? C.seed,
    initScale: o.initScale ?? C.initScale,
    solver: o.solver ?? A.solver,
    kernels: o.kernels ?? A.kernels,
    dualSolve: o.dualSolve ?? A.dualSolve,
    cgSteps: o.cgSteps ?? A.cgSteps,
    backend: o.backend ?? C.backend,
    threads: o.threads,
    init: o.init,
    deviceInit: o.deviceInit,
    gpu: o.gpu,
    gpuSource: o.gpuSource,
    gpuLimits: o.gpuLimits,
    onWarning: o.onWarning,
    validation: o.validation,
    earlyStopping: o.earlyStopping,
    onIteration: o.onIteration,
    signal: o.signal,
    keepOnDevice: o.keepOnDevice,
    uploads: o.uploads,
    hostCopies: o.hostCopies,
  };
  atLeast('rank', r.rank, 1, true);
  atLeast('lambda', r.lambda, 0);
  atLeast('lambdaBias', r.lambdaBias, 0);
  atLeast('alpha', r.alpha, 0);
  atLeast('iterations', r.iterations, 0, true);
  atLeast('tolerance', r.tolerance, 0);
  atLeast('cgSteps', r.cgSteps, 1, true);
  atLeast('initScale', r.initScale, 0);
  check('seed', r.seed, Number.isFinite, 'a finite number');
  oneOf('kernels', r.kernels, ['auto', 'tiled', 'direct'] as const);
  if (typeof r.dualSolve !== 'boolean') throw new InputError(`dualSolve must be true or false (got ${String(r.dualSolve)})`);
  oneOf('solver', r.solver, ['cholesky', 'cg'] as const);
  checkBackend(r.backend);
  if (r.threads !== undefined) atLeast('threads', r.threads, 1, true);
  if (r.implicit && r.useBias) throw new InputError('useBias is for explicit ratings; implicit ALS has no biases');
  checkEarlyStopping(r.earlyStopping, r.validation);
  return r;
}
