/**
 * SGD and full-batch GD for explicit ratings, on the GPU or the CPU, behind one API:
 *  - algo 'sgd', mode 'hogwild': a seeded GPU permutation of the ratings each epoch, updates in
 *    place with benign races (see shaders/sgd.wgsl for what they can and cannot do);
 *  - algo 'sgd', mode 'stratified': b x b blocks, b conflict-free blocks per sub-epoch, deterministic;
 *  - algo 'gd': simultaneous full-gradient steps (the source's equations 9-10).
 * The update is the source's rule e = a - w.h, w += lr (e h - lambda w), h += lr (e w_old - lambda h),
 * plus optional biases (prediction mu + b_u + b_i + w.h, their own lambdaBias). Note that SGD's
 * lambda applies per visited rating (a row with n ratings is shrunk n times per epoch) while GD's
 * lambda applies once per step to the full gradient.
 *
 * The training loop lives here, once; backends (gpu-backend.ts, cpu-backend.ts) run epochs.
 */
import { IdMap, globalMean, validateRatings, type Ratings } from '../data/ratings.ts';
import type { Dataset } from '../data/dataset.ts';
import { GpuContext } from '../gpu/context.ts';
import { AbortError, DivergenceError, InputError, NoWebGpuError, throwIfAborted } from '../gpu/errors.ts';
import type { FactorModelData, FitResult, IterationReport } from '../model/types.ts';
import { Rng } from '../util/random.ts';
import { strideFor } from '../cpu/sgd-reference.ts';
import { lanesFor } from '../kernels/sgd.ts';
import type { EngineSpec, SgdBackend } from './backend.ts';
import { CpuSgdBackend } from './cpu-backend.ts';
import { GpuSgdBackend } from './gpu-backend.ts';

export type SgdSchedule = 'constant' | 'inverse' | 'bold-driver' | 'adagrad';

export interface SgdOptions {
  /** 'sgd' (default) or 'gd' (full-batch gradient descent). */
  algo?: 'sgd' | 'gd';
  /** SGD only: 'hogwild' (default) or 'stratified' (deterministic). */
  mode?: 'hogwild' | 'stratified';
  /** Latent factors (default 10). */
  rank?: number;
  /** Base learning rate (default: 0.01 sgd, 0.1 with 'adagrad', 0.001 gd). */
  learningRate?: number;
  /** L2 regularization of the factors (default 0.05; 0 gives the source's plain rule). */
  lambda?: number;
  /** L2 regularization of the biases (default lambda). */
  lambdaBias?: number;
  /** Learn mu + b_u + b_i (default false). */
  useBias?: boolean;
  /** Epochs (default 20). */
  epochs?: number;
  /**
   * 'constant'; 'inverse': lr / (1 + decay (t - 1)); 'bold-driver': x1.05 after an epoch that lowers
   * the training RMSE, else undo the epoch and x0.5; 'adagrad': LIBMF's per-row adaptive rate
   * lr / sqrt(G), with LIBMF's two accumulators per row (the first 8 columns plus the biases, and
   * the rest) and its warm-up: the first epoch of a fit without `init` updates only the first 8
   * columns (and the biases). Without biases, 'adagrad' also starts from LIBMF's factors, uniform
   * [0, sqrt(std(ratings) / rank)). Default 'constant' (sgd), 'bold-driver' (gd).
   */
  schedule?: SgdSchedule;
  /** Decay of the 'inverse' schedule (default 0.1). */
  decay?: number;
  seed?: number;
  /** Starting factors (stride layout: rank, or rank + 2 with biases). */
  init?: { users: Float32Array; items: Float32Array };
  /** Standard deviation of the random start with biases (default 0.1). */
  initScale?: number;
  /** Global mean to use (default: the training mean with biases, 0 without). */
  globalMean?: number;
  validation?: Ratings;
  /** Stop when the validation RMSE has not improved for `patience` epochs; keeps the best epoch. */
  earlyStopping?: { patience: number; minDelta?: number };
  /** Training RMSE above (1 + this) x the best so far counts as divergence (default 0.1). */
  divergenceTolerance?: number;
  /** 'gpu' or 'cpu'. Default: the GPU when one is found, else the CPU (with a warning). */
  backend?: 'gpu' | 'cpu';
  gpu?: GpuContext;
  /**
   * Invocations that share one rating in the GPU kernel (a power of two <= 64). Default: the
   * smallest power of two >= rank, at most 32 (coalesced row access on hardware GPUs), but 1 on a
   * software adapter (SwiftShader), where workgroup barriers cost more than they save. The CPU
   * engine replays the same summation order; the value used is saved in the model's hyperparams.
   */
  lanes?: number;
  /** Stratified grid size b (default min(64, nUsers, nItems, sqrt(n / 16))). */
  blocks?: number;
  onIteration?: (r: SgdIterationReport) => void;
  signal?: AbortSignal;
}

/** An epoch's report; `gpuSeconds` is the device time of the training pass (timestamp queries) when available. */
export interface SgdIterationReport extends IterationReport {
  gpuSeconds?: number;
}

export interface SgdFitResult extends FitResult {
  /**
   * Continues from the current factors on `newRatings` only (online update), for `epochs`
   * (default: the fit's epochs). New users and items are added: with a Dataset, by external ID
   * (the model's ID maps are extended); with plain Ratings, by index (indices >= the current
   * counts are new rows). Returns a new result; this one is unchanged.
   */
  partialFit(newRatings: Ratings | Dataset, epochs?: number): Promise<SgdFitResult>;
}

/** Training diverged; `result` holds the factors of the last good epoch. */
export class SgdDivergenceError extends DivergenceError {
  constructor(
    iteration: number,
    message: string,
    readonly result: FitResult,
  ) {
    super(iteration, message);
    this.name = 'DivergenceError';
  }
}

const MAX_RANK = 4096;

function isDataset(d: Ratings | Dataset): d is Dataset {
  return (d as Dataset).ratings !== undefined;
}

function checkNumber(name: string, v: number, ok: (v: number) => boolean, what: string): void {
  if (!(typeof v === 'number' && ok(v))) throw new InputError(`${name} must be ${what} (got ${v})`);
}

export async function fitSgd(data: Ratings | Dataset, opts: SgdOptions = {}): Promise<SgdFitResult> {
  const ds = isDataset(data) ? data : undefined;
  const train = ds ? ds.ratings : (data as Ratings);
  if (ds?.implicit) throw new InputError(`data set '${ds.name}' is implicit feedback; SGD/GD here fit explicit ratings (use fitAls with implicit: true)`);
  const algo = opts.algo ?? 'sgd';
  const mode = opts.mode ?? 'hogwild';
  if (algo !== 'sgd' && algo !== 'gd') throw new InputError(`algo must be 'sgd' or 'gd' (got ${String(algo)})`);
  if (mode !== 'hogwild' && mode !== 'stratified') throw new InputError(`mode must be 'hogwild' or 'stratified' (got ${String(mode)})`);
  const rank = opts.rank ?? 10;
  checkNumber('rank', rank, (v) => Number.isInteger(v) && v >= 1 && v <= MAX_RANK, `an integer in [1, ${MAX_RANK}]`);
  const schedule: SgdSchedule = opts.schedule ?? (algo === 'gd' ? 'bold-driver' : 'constant');
  if (!['constant', 'inverse', 'bold-driver', 'adagrad'].includes(schedule)) throw new InputError(`unknown schedule '${schedule}'`);
  if (algo === 'gd' && schedule === 'adagrad') throw new InputError(`schedule 'adagrad' is for algo 'sgd' (GD takes constant, inverse or bold-driver)`);
  const lr0 = opts.learningRate ?? (algo === 'gd' ? 0.001 : schedule === 'adagrad' ? 0.1 : 0.01);
  checkNumber('learningRate', lr0, (v) => Number.isFinite(v) && v > 0, 'a positive finite number');
  const lambda = opts.lambda ?? 0.05;
  checkNumber('lambda', lambda, (v) => Number.isFinite(v) && v >= 0, 'a finite number >= 0');
  const lambdaBias = opts.lambdaBias ?? lambda;
  checkNumber('lambdaBias', lambdaBias, (v) => Number.isFinite(v) && v >= 0, 'a finite number >= 0');
  const epochs = opts.epochs ?? 20;
  checkNumber('epochs', epochs, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
  const decay = opts.decay ?? 0.1;
  checkNumber('decay', decay, (v) => Number.isFinite(v) && v >= 0, 'a finite number >= 0');
  const divTol = opts.divergenceTolerance ?? 0.1;
  checkNumber('divergenceTolerance', divTol, (v) => v >= 0, 'a number >= 0');
  const seed = opts.seed ?? 1;
  checkNumber('seed', seed, Number.isInteger, 'an integer');
  const bias = !!opts.useBias;
  validateRatings(train);
  const n = train.values.length;
  if (n >= 2 ** 30) throw new InputError(`too many ratings for SGD's packed 32-bit layout: ${n} (limit 2^30)`);
  if (opts.validation) {
    const v = opts.validation;
    validateRatings(v);
    if (v.nUsers > train.nUsers || v.nItems > train.nItems) {
      throw new InputError(`validation ratings have ${v.nUsers} users x ${v.nItems} items; the training set has only ${train.nUsers} x ${train.nItems}`);
    }
  }
  if (opts.earlyStopping) {
    if (!opts.validation) throw new InputError('earlyStopping needs validation ratings');
    checkNumber('earlyStopping.patience', opts.earlyStopping.patience, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  }
  const blocks = opts.blocks ?? Math.max(1, Math.min(64, train.nUsers, train.nItems, Math.floor(Math.sqrt(n / 16))));
  checkNumber('blocks', blocks, (v) => Number.isInteger(v) && v >= 1 && v <= 4096, 'an integer in [1, 4096]');
  if (opts.lanes !== undefined) checkNumber('lanes', opts.lanes, (v) => [1, 2, 4, 8, 16, 32, 64].includes(v), 'a power of two in [1, 64]');
  const stride = strideFor(rank, bias);
  const mu = opts.globalMean ?? (bias ? globalMean(train.values) : 0);
  checkNumber('globalMean', mu, Number.isFinite, 'finite');

  let X0: Float32Array;
  let Y0: Float32Array;
  if (opts.init) {
    const { users, items } = opts.init;
    if (users.length !== train.nUsers * stride || items.length !== train.nItems * stride) {
      throw new InputError(
        `init factors have ${users.length} and ${items.length} floats; expected nUsers x stride = ${train.nUsers * stride} and nItems x stride = ${train.nItems * stride} (stride ${stride})`,
      );
    }
    for (const [name, a] of [['users', users], ['items', items]] as const) {
      for (let k = 0; k < a.length; k++) if (!Number.isFinite(a[k])) throw new InputError(`init.${name}[${k}] is not finite (${a[k]})`);
    }
    X0 = Float32Array.from(users);
    Y0 = Float32Array.from(items);
    if (bias) setConstantColumns(X0, Y0, rank);
  } else {
    X0 = new Float32Array(train.nUsers * stride);
    Y0 = new Float32Array(train.nItems * stride);
    const scale = bias ? (opts.initScale ?? 0.1) : schedule === 'adagrad' ? libmfScale(train, rank) : defaultScale(train, rank);
    initFactors(X0, Y0, rank, bias, 0, 0, seed, scale);
  }

  let gpu: GpuContext | undefined = opts.gpu;
  let ownGpu = false;
  let backendKind = opts.backend ?? (gpu ? 'gpu' : undefined);
  if (backendKind === 'gpu' || backendKind === undefined) {
    if (!gpu) {
      try {
        gpu = await GpuContext.create();
        ownGpu = true;
        backendKind = 'gpu';
      } catch (e) {
        if (backendKind === 'gpu' || !(e instanceof NoWebGpuError)) throw e;
        console.warn(`webmf: ${(e as Error).message} Training ${algo.toUpperCase()} on the CPU instead.`);
        backendKind = 'cpu';
      }
    }
  }
  const lanes = opts.lanes ?? (backendKind === 'gpu' && gpu!.adapter.software ? 1 : lanesFor(rank));
  const spec: EngineSpec = {
    algo, mode, rank, bias, adagrad: schedule === 'adagrad', adagradWarmup: schedule === 'adagrad' && !opts.init, mu, lambda, lambdaBias, seed, blocks,
    lanes, train, validation: opts.validation, X0, Y0, signal: opts.signal,
  };

  let backend: SgdBackend | undefined;
  try {
    backend = backendKind === 'gpu' ? new GpuSgdBackend(gpu!, spec) : new CpuSgdBackend(spec);
    const hyperparams: Record<string, number | string | boolean> = {
      rank, learningRate: lr0, lambda, lambdaBias, epochs, schedule, seed, algo, lanes, ...(algo === 'sgd' ? { mode } : {}),
      ...(algo === 'sgd' && mode === 'stratified' ? { blocks } : {}), ...(schedule === 'inverse' ? { decay } : {}),
    };
    const result = await trainLoop(backend, spec, {
      epochs, lr0, schedule, decay, divTol, opts, n, hyperparams,
      userIds: ds?.users, itemIds: ds?.items, scale: ds?.scale,
    });
    return withPartialFit(result, opts);
  } finally {
    backend?.destroy();
    if (ownGpu) gpu?.destroy();
  }
}

interface LoopArgs {
  epochs: number;
  lr0: number;
  schedule: SgdSchedule;
  decay: number;
  divTol: number;
  opts: SgdOptions;
  n: number;
  hyperparams: Record<string, number | string | boolean>;
  userIds?: IdMap;
  itemIds?: IdMap;
  scale?: [number, number];
}

async function trainLoop(backend: SgdBackend, spec: EngineSpec, a: LoopArgs): Promise<FitResult> {
  const { opts, n } = a;
  const nVal = opts.validation?.values.length ?? 0;
  const history: IterationReport[] = [];
  const modelOf = async (): Promise<FitResult['model']> => {
    const { X, Y } = await backend.factors();
    const model: FactorModelData = {
      algo: spec.algo, rank: spec.rank, bias: spec.bias, implicit: false, stride: strideFor(spec.rank, spec.bias), mu: spec.mu,
      nUsers: spec.train.nUsers, nItems: spec.train.nItems, userFactors: X, itemFactors: Y, hyperparams: a.hyperparams,
    };
    if (a.userIds) model.userIds = a.userIds;
    if (a.itemIds) model.itemIds = a.itemIds;
    if (a.scale) model.ratingScale = a.scale;
    return model;
  };
  const result = async (stopped: FitResult['stopped']): Promise<FitResult> => ({
    model: await modelOf(), history, backend: backend.kind, ...(backend.adapter ? { adapter: backend.adapter } : {}), stopped,
  });
  const diverged = async (epoch: number, why: string): Promise<never> => {
    await backend.revert();
    throw new SgdDivergenceError(epoch, `SGD diverged at epoch ${epoch}: ${why}. The factors of epoch ${epoch - 1} are kept (error.result); lower learningRate.`, await result('iterations'));
  };

  throwIfAborted(opts.signal);
  const start = await backend.evaluate();
  let best = Math.sqrt(start.train / n);
  if (!Number.isFinite(best)) throw new InputError(`the starting factors give a non-finite training RMSE (${best})`);
  let prev = best;
  let lr = a.lr0;
  let bestVal = Infinity;
  let sinceBest = 0;
  let rejected = 0;
  for (let t = 1; t <= a.epochs; t++) {
    if (opts.signal?.aborted) throw new AbortError(`aborted before epoch ${t}`, { cause: opts.signal.reason });
    const lrT = a.schedule === 'inverse' ? a.lr0 / (1 + a.decay * (t - 1)) : lr;
    const t0 = performance.now();
    const sse = await backend.epoch(t, lrT);
    let rmse = Math.sqrt(sse.train / n);
    let valRmse = sse.validation !== undefined ? Math.sqrt(sse.validation / nVal) : undefined;
    if (a.schedule === 'bold-driver') {
      if (!(rmse <= prev)) {
        // Undo the epoch and halve the rate (the bold driver's rule); give up after 20 halvings in a row.
        await backend.revert();
        if (++rejected > 20) await diverged(t, `training RMSE ${rmse} after ${rejected} halvings of the learning rate (now ${lrT})`);
        lr = lrT * 0.5;
        rmse = prev;
        valRmse = history.length ? history[history.length - 1].validationRmse : start.validation !== undefined ? Math.sqrt(start.validation / nVal) : undefined;
      } else {
        rejected = 0;
        lr = lrT * 1.05;
      }
    } else if (!Number.isFinite(rmse)) {
      await diverged(t, `training RMSE is ${rmse}`);
    } else if (rmse > best * (1 + a.divTol)) {
      await diverged(t, `training RMSE grew to ${rmse.toPrecision(6)} (best so far ${best.toPrecision(6)})`);
    }
    prev = rmse;
    best = Math.min(best, rmse);
    const report: SgdIterationReport = { iteration: t, seconds: (performance.now() - t0) / 1000, trainRmse: rmse, learningRate: lrT };
    if (sse.gpuSeconds !== undefined) report.gpuSeconds = sse.gpuSeconds;
    if (valRmse !== undefined) report.validationRmse = valRmse;
    history.push(report);
    opts.onIteration?.(report);
    if (opts.earlyStopping && valRmse !== undefined) {
      if (valRmse < bestVal - (opts.earlyStopping.minDelta ?? 0)) {
        bestVal = valRmse;
        sinceBest = 0;
        await backend.saveBest();
      } else if (++sinceBest >= opts.earlyStopping.patience) {
        await backend.restoreBest();
        return result('early-stopping');
      }
    }
  }
  return result('iterations');
}

/** Without biases: uniform [0, 2 sqrt(|mean| / rank)) so that w.h starts near the mean rating (LIBMF-like). */
function defaultScale(r: Ratings, rank: number): number {
  return 2 * Math.sqrt(Math.max(Math.abs(globalMean(r.values)), 1e-3) / rank);
}

/**
 * Without biases, with 'adagrad': LIBMF's start, uniform [0, 1/sqrt(rank)) on ratings divided by
 * their standard deviation s, i.e. uniform [0, sqrt(s / rank)) on the ratings themselves.
 */
function libmfScale(r: Ratings, rank: number): number {
  const mean = globalMean(r.values);
  let ss = 0;
  for (let k = 0; k < r.values.length; k++) ss += (r.values[k] - mean) ** 2;
  return Math.sqrt(Math.max(Math.sqrt(ss / Math.max(1, r.values.length)), 1e-4) / rank);
}

/** Random rows from `fromUser` / `fromItem` on; with biases N(0, scale^2) factors, zero biases, constant columns 1. */
function initFactors(X: Float32Array, Y: Float32Array, rank: number, bias: boolean, fromUser: number, fromItem: number, seed: number, scale: number): void {
  const stride = strideFor(rank, bias);
  const rng = new Rng(seed);
  const fill = (M: Float32Array, from: number) => {
    for (let r = from; r < M.length / stride; r++) {
      for (let k = 0; k < rank; k++) M[r * stride + k] = bias ? rng.normal() * scale : rng.next() * scale;
      if (bias) {
        M[r * stride + rank] = 0;
        M[r * stride + rank + 1] = 0;
      }
    }
  };
  fill(X, fromUser);
  fill(Y, fromItem);
  if (bias) setConstantColumns(X, Y, rank);
}

function setConstantColumns(X: Float32Array, Y: Float32Array, rank: number): void {
  const stride = rank + 2;
  for (let r = 0; r < X.length / stride; r++) X[r * stride + rank + 1] = 1;
  for (let r = 0; r < Y.length / stride; r++) Y[r * stride + rank] = 1;
}

function withPartialFit(res: FitResult, opts: SgdOptions): SgdFitResult {
  const out = res as SgdFitResult;
  out.partialFit = async (newData: Ratings | Dataset, epochs?: number) => {
    const m = res.model;
    let r: Ratings;
    let userIds = m.userIds;
    let itemIds = m.itemIds;
    if (isDataset(newData) && userIds && itemIds) {
      // Re-index the new ratings through copies of the model's maps, adding unseen IDs.
      userIds = IdMap.from(userIds.ids);
      itemIds = IdMap.from(itemIds.ids);
      const src = newData.ratings;
      validateRatings(src);
      const users = new Int32Array(src.users.length);
      const items = new Int32Array(src.items.length);
      for (let k = 0; k < users.length; k++) {
        users[k] = userIds.add(newData.users.external(src.users[k]));
        items[k] = itemIds.add(newData.items.external(src.items[k]));
      }
      r = { users, items, values: src.values, nUsers: userIds.size, nItems: itemIds.size };
    } else {
      const src = isDataset(newData) ? newData.ratings : newData;
      r = { ...src, nUsers: Math.max(src.nUsers, m.nUsers), nItems: Math.max(src.nItems, m.nItems) };
    }
    const stride = m.stride;
    const X = new Float32Array(r.nUsers * stride);
    const Y = new Float32Array(r.nItems * stride);
    X.set(m.userFactors);
    Y.set(m.itemFactors);
    const seed = (opts.seed ?? 1) + 7919 * (res.history.length + 1);
    const scale = m.bias ? (opts.initScale ?? 0.1) : 2 * Math.sqrt(Math.max(Math.abs(m.mu || globalMean(r.values)), 1e-3) / m.rank);
    initFactors(X, Y, m.rank, m.bias, m.nUsers, m.nItems, seed, scale);
    const next = await fitSgd(r, {
      ...opts, validation: undefined, earlyStopping: undefined, epochs: epochs ?? opts.epochs, seed, init: { users: X, items: Y }, globalMean: m.mu,
      rank: m.rank, useBias: m.bias,
    });
    if (userIds) next.model.userIds = userIds;
    if (itemIds) next.model.itemIds = itemIds;
    if (m.ratingScale) next.model.ratingScale = m.ratingScale;
    return next;
  };
  return out;
}
