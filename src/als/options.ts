/** ALS options (Spark / implicit names where they exist), defaults and validation. */
import type { GpuContext } from '../gpu/context.ts';
import { InputError } from '../gpu/errors.ts';
import type { Ratings } from '../data/ratings.ts';
import type { IterationReport } from '../model/types.ts';

export interface AlsOptions {
  /** Factors per user/item. Default 10. */
  rank?: number;
  /** L2 regularization of the factors. Default 0.1. */
  lambda?: number;
  /** L2 regularization of the biases (useBias). Default: lambda. */
  lambdaBias?: number;
  /** ALS-WR: scale lambda by each row's number of ratings. Default false. */
  weightedLambda?: boolean;
  /** Add mu + b_u + b_i (explicit only). Default false: the source's plain model a = w.h. */
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
   * Normal-equation kernels: 'tiled' (workgroup-cooperative, for hardware GPUs), 'direct'
   * (barrier-free, for software adapters) or 'auto' (default: by the adapter).
   */
  kernels?: 'auto' | 'tiled' | 'direct';
  /** Conjugate-gradient steps per row per half-iteration (solver 'cg'). Default 3. */
  cgSteps?: number;
  /**
   * 'auto' (default): the GPU when a WebGPU adapter exists, else the f64 CPU engine, with a warning
   * saying so. 'gpu': the GPU or an error. 'cpu': the f64 reference engine.
   */
  backend?: 'auto' | 'gpu' | 'cpu';
  /** GPU to use; created (and destroyed) by the fit when omitted. */
  gpu?: GpuContext;
  /** The WebGPU entry object to request an adapter from (default: navigator.gpu, or Dawn in Node). */
  gpuSource?: GPU;
  /** Where warnings go (the CPU fallback). Default console.warn. */
  onWarning?: (message: string) => void;
  /** Held-out ratings for validation RMSE each iteration (explicit). */
  validation?: Ratings;
  /** Stop when validation RMSE has not improved for `patience` iterations; keeps the best factors. */
  earlyStopping?: { patience: number; minDelta?: number };
  onIteration?: (r: IterationReport) => void;
  signal?: AbortSignal;
}

type Passthrough = 'init' | 'gpu' | 'gpuSource' | 'onWarning' | 'validation' | 'earlyStopping' | 'onIteration' | 'signal';
export type ResolvedAls = Required<Omit<AlsOptions, Passthrough>> & Pick<AlsOptions, Passthrough>;

function num(name: string, v: number, lo: number, integer = false): number {
  if (!Number.isFinite(v) || v < lo || (integer && !Number.isInteger(v))) {
    throw new InputError(`option ${name} must be ${integer ? 'an integer' : 'a number'} >= ${lo}, got ${v}`);
  }
  return v;
}

export function resolveAls(o: AlsOptions): ResolvedAls {
  const lambda = o.lambda ?? 0.1;
  const r: ResolvedAls = {
    rank: o.rank ?? 10,
    lambda,
    lambdaBias: o.lambdaBias ?? lambda,
    weightedLambda: o.weightedLambda ?? false,
    useBias: o.useBias ?? false,
    implicit: o.implicit ?? false,
    alpha: o.alpha ?? 40,
    iterations: o.iterations ?? 10,
    tolerance: o.tolerance ?? 0,
    trackDelta: o.trackDelta ?? true,
    seed: o.seed ?? 42,
    initScale: o.initScale ?? 0.1,
    solver: o.solver ?? 'cholesky',
    kernels: o.kernels ?? 'auto',
    cgSteps: o.cgSteps ?? 3,
    backend: o.backend ?? 'auto',
    init: o.init,
    gpu: o.gpu,
    gpuSource: o.gpuSource,
    onWarning: o.onWarning,
    validation: o.validation,
    earlyStopping: o.earlyStopping,
    onIteration: o.onIteration,
    signal: o.signal,
  };
  if (!(Number.isInteger(r.rank) && r.rank >= 1)) throw new InputError(`rank must be an integer >= 1, got ${o.rank}`);
  num('lambda', r.lambda, 0);
  num('lambdaBias', r.lambdaBias, 0);
  num('alpha', r.alpha, 0);
  num('iterations', r.iterations, 0, true);
  num('tolerance', r.tolerance, 0);
  num('cgSteps', r.cgSteps, 1, true);
  num('initScale', r.initScale, 0);
  if (!['auto', 'tiled', 'direct'].includes(r.kernels)) throw new InputError(`kernels must be 'auto', 'tiled' or 'direct', got ${String(r.kernels)}`);
  if (r.solver !== 'cholesky' && r.solver !== 'cg') throw new InputError(`solver must be 'cholesky' or 'cg', got ${String(r.solver)}`);
  if (!['auto', 'gpu', 'cpu'].includes(r.backend)) throw new InputError(`backend must be 'auto', 'gpu' or 'cpu', got ${String(r.backend)}`);
  if (r.implicit && r.useBias) throw new InputError('useBias is for explicit ratings; implicit ALS has no biases');
  if (r.earlyStopping && !r.validation) throw new InputError('earlyStopping needs a validation set');
  return r;
}
