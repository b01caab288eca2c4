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
import { IdMap, asRatings, globalMean, validateRatings, type Ratings } from '../../data/ratings.ts';
import type { Dataset } from '../../data/dataset.ts';
import { DivergenceError, InputError } from '../../core/errors.ts';
import type { FactorModelData, FitResult, IterationReport } from '../../model/types.ts';
import { Rng } from '../../util/random.ts';
import { checkCpuBudget, type CpuBudget } from '../../util/budget.ts';
import { fillRandomFactors, packFactors, strideOf } from '../../core/layout.ts';
import { defaultLanes } from '../../kernels/sgd.ts';
import { checkBackend, type GpuChoice } from '../../gpu/acquire.ts';
import { chooseEngine, engineOf } from '../../cpu-engine/auto.ts';
import { FastCpuSgd } from '../../cpu-engine/sgd.ts';
import { lazyExec } from '../../cpu-engine/pool.ts';
import type { Factors } from '../backend.ts';
import { runLoop, type LoopAlgorithm } from '../loop.ts';
import { atLeast, check, checkEarlyStopping, checkValidation, DEFAULTS, oneOf } from '../options.ts';
import type { EngineSpec, SgdBackend, Sse } from './backend.ts';
import { CpuSgdBackend } from './cpu-backend.ts';
import { GpuSgdBackend } from './gpu-backend.ts';
import type { SgdUploads } from './uploads.ts';

export type SgdSchedule = 'constant' | 'inverse' | 'bold-driver' | 'adagrad';

export interface SgdOptions extends GpuChoice {
  /** 'sgd' (default) or 'gd' (full-batch gradient descent). */
  algo?: 'sgd' | 'gd';
  /** SGD only: 'hogwild' (default) or 'stratified' (deterministic). */
  mode?: 'hogwild' | 'stratified';
  /** Latent factors (default 10). */
  rank?: number;
  /**
   * Base learning rate (default: 0.04 sgd, 0.1 with 'adagrad', 0.001 gd). The update is
   * w += lr (e h - lambda w): the factor -2 of the gradient of (a - w.h)^2, which the source's GD
   * writes out, is folded into lr (lr = 2 x the source's step size).
   */
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
   * [0, sqrt(std(ratings) / rank)). Default 'inverse' (sgd), 'bold-driver' (gd).
   */
  schedule?: SgdSchedule;
  /** Decay of the 'inverse' schedule (default 0.1). */
  decay?: number;
  /** Seed of the initial factors and of the shuffles (default 42, as ALS). */
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
  /** Host memory and CPU work allowed before a fit starts (see util/budget.ts); a rank past it is a LimitError. */
  cpuBudget?: CpuBudget;
  /**
   * With a caller's `gpu`: leave the final factors on that device and hand them over as
   * `FitResult.device` (no readback and re-upload for a `Model` made with the same context; the
   * caller owns them: pass them to `Model` or destroy them). Ignored on the CPU, when the fit makes
   * its own device, and after a lost device moved the fit to the CPU. 'only': the same, and the
   * final factors are not read back either (`model.userFactors`/`itemFactors` are empty until the
   * caller reads `device`): a search's rungs. Needs `hostCopies: false`.
   */
  keepOnDevice?: boolean | 'only';
  /**
   * Warm start from factors already on the fit's `gpu` (a previous fit's `FitResult.device`, same
   * rank, biases and row counts): copied on the device, no upload; the caller's buffers are left as
   * they are. Needs a caller's `gpu` and `hostCopies: false`; `init` is then ignored.
   */
  deviceInit?: { users: GPUBuffer; items: GPUBuffer };
  /**
   * Ratings already uploaded to the fit's `gpu` (src/train/sgd/uploads.ts), made from this very
   * training and validation ratings, mode, blocks and seed: the GPU backend uses them instead of
   * uploading its own. Ignored on the CPU.
   */
  uploads?: SgdUploads;
  /**
   * Read the factors back with each epoch's sums (default true), so a lost device resumes from the
   * last finished epoch on the CPU. false: only the sums come back per epoch (a search's trials); a
   * lost device then ends the fit with a DeviceLostError.
   */
  hostCopies?: boolean;
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

/** Training diverged; `result` holds the factors of the last good epoch (the same class as DivergenceError). */
export const SgdDivergenceError = DivergenceError;
export type SgdDivergenceError = DivergenceError & { result: FitResult };

function isDataset(d: Ratings | Dataset): d is Dataset {
  return (d as Dataset).ratings !== undefined;
}

export async function fitSgd(data: Ratings | Dataset, opts: SgdOptions = {}): Promise<SgdFitResult> {
  const D = DEFAULTS.sgd;
  const ds = isDataset(data) ? data : undefined;
  const train = asRatings(ds ? ds.ratings : (data as Ratings));
  if (opts.validation) opts = { ...opts, validation: asRatings(opts.validation, 'validation') };
  if (ds?.implicit) throw new InputError(`data set '${ds.name}' is implicit feedback; SGD/GD here fit explicit ratings (use fitAls with implicit: true)`);
  const algo = oneOf('algo', opts.algo ?? D.algo, ['sgd', 'gd'] as const);
  const mode = oneOf('mode', opts.mode ?? D.mode, ['hogwild', 'stratified'] as const);
  const rank = check('rank', opts.rank ?? DEFAULTS.common.rank, (v) => Number.isInteger(v) && v >= 1 && v <= D.maxRank, `an integer in [1, ${D.maxRank}]`);
  const schedule: SgdSchedule = opts.schedule ?? D.schedule[algo];
  if (!['constant', 'inverse', 'bold-driver', 'adagrad'].includes(schedule)) throw new InputError(`unknown schedule '${schedule}'`);
  if (algo === 'gd' && schedule === 'adagrad') throw new InputError(`schedule 'adagrad' is for algo 'sgd' (GD takes constant, inverse or bold-driver)`);
  const lr0 = opts.learningRate ?? (algo === 'gd' ? D.learningRate.gd : schedule === 'adagrad' ? D.learningRate.adagrad : D.learningRate.sgd);
  check('learningRate', lr0, (v) => Number.isFinite(v) && v > 0, 'a positive finite number');
  const lambda = atLeast('lambda', opts.lambda ?? D.lambda, 0);
  const lambdaBias = atLeast('lambdaBias', opts.lambdaBias ?? lambda, 0);
  const epochs = atLeast('epochs', opts.epochs ?? D.epochs, 0, true);
  const decay = atLeast('decay', opts.decay ?? D.decay, 0);
  const divTol = check('divergenceTolerance', opts.divergenceTolerance ?? D.divergenceTolerance, (v) => v >= 0, 'a number >= 0');
  const seed = check('seed', opts.seed ?? DEFAULTS.common.seed, Number.isInteger, 'an integer');
  const backendChoice = checkBackend(opts.backend ?? DEFAULTS.common.backend);
  if (opts.threads !== undefined) check('threads', opts.threads, (v) => Number.isInteger(v) && v >= 1 && v <= 256, 'an integer in [1, 256]');
  const bias = !!opts.useBias;
  validateRatings(train);
  const n = train.values.length;
  if (n >= 2 ** 30) throw new InputError(`too many ratings for SGD's packed 32-bit layout: ${n} (limit 2^30)`);
  checkValidation(opts.validation, train, false);
  checkEarlyStopping(opts.earlyStopping, opts.validation);
  const blocks = opts.blocks ?? defaultBlocks(train);
  check('blocks', blocks, (v) => Number.isInteger(v) && v >= 1 && v <= 4096, 'an integer in [1, 4096]');
  if (opts.lanes !== undefined) check('lanes', opts.lanes, (v) => [1, 2, 4, 8, 16, 32, 64].includes(v), 'a power of two in [1, 64]');
  const mu = opts.globalMean ?? (bias ? globalMean(train.values) : 0);
  check('globalMean', mu, Number.isFinite, 'finite');
  const budget = { algo: 'sgd' as const, rank, nUsers: train.nUsers, nItems: train.nItems, nRatings: n };
  checkCpuBudget({ ...budget, cpu: backendChoice === 'cpu' || backendChoice === 'reference' }, opts.cpuBudget);

  let W0: Float32Array;
  let H0: Float32Array;
  if (opts.deviceInit) {
    // the GPU backend copies the caller's buffers; no host factors
    W0 = new Float32Array(0);
    H0 = new Float32Array(0);
  } else if (opts.init) {
    W0 = packFactors(opts.init.users, train.nUsers, rank, bias, 'user');
    H0 = packFactors(opts.init.items, train.nItems, rank, bias, 'item');
  } else {
    const stride = strideOf(rank, bias);
    W0 = new Float32Array(train.nUsers * stride);
    H0 = new Float32Array(train.nItems * stride);
    const scale = bias ? (opts.initScale ?? DEFAULTS.common.initScale) : schedule === 'adagrad' ? libmfScale(train, rank) : defaultScale(train, rank);
    initFactors(W0, H0, rank, bias, 0, 0, seed, scale);
  }

  const choice = await chooseEngine({ ...opts, backend: backendChoice }, 'sgd', rank);
  const { gpu, own: ownGpu } = choice;
  if (!gpu && backendChoice !== 'cpu' && backendChoice !== 'reference') {
    try {
      checkCpuBudget({ ...budget, cpu: true }, opts.cpuBudget);
    } catch (e) {
      ownGpu?.destroy();
      throw e;
    }
  }
  if (opts.deviceInit && (!gpu || ownGpu || opts.hostCopies !== false)) {
    ownGpu?.destroy();
    throw new InputError("deviceInit (factors on the device) needs the caller's gpu, a GPU fit and hostCopies: false");
  }
  const lanes = opts.lanes ?? defaultLanes(gpu, rank);
  const spec: EngineSpec = {
    algo, mode, rank, bias, adagrad: schedule === 'adagrad', adagradWarmup: schedule === 'adagrad' && !opts.init && !opts.deviceInit, mu, lambda, lambdaBias, seed, blocks,
    lanes, train, validation: opts.validation, W0, H0, signal: opts.signal,
  };
  const hyperparams: Record<string, number | string | boolean> = {
    rank, learningRate: lr0, lambda, lambdaBias, epochs, schedule, seed, algo, lanes, ...(algo === 'sgd' ? { mode } : {}),
    ...(algo === 'sgd' && mode === 'stratified' ? { blocks } : {}), ...(schedule === 'inverse' ? { decay } : {}),
  };
  const finish = (f: Factors, history: IterationReport[], stopped: FitResult['stopped'], b: SgdBackend): FitResult => {
    const model: FactorModelData = {
      algo, rank, bias, implicit: false, stride: strideOf(rank, bias), mu,
      nUsers: train.nUsers, nItems: train.nItems, userFactors: f.W, itemFactors: f.H, hyperparams,
    };
    if (ds?.users) model.userIds = ds.users;
    if (ds?.items) model.itemIds = ds.items;
    if (ds?.scale) model.ratingScale = ds.scale;
    const e = engineOf(b as SgdBackend & { reason?: string }, choice);
    const parallelism = b.parallelism?.();
    return withPartialFit({ model, history, backend: e.engine, ...(b.adapter ? { adapter: b.adapter } : {}), backendReason: e.reason, stopped, ...(parallelism ? { parallelism } : {}) }, opts);
  };

  const run = {
    backend: undefined as unknown as SgdBackend,
    algorithm: sgdAlgorithm({ lr0, schedule, decay, divTol, n, nVal: opts.validation?.values.length ?? 0 }),
    iterations: epochs,
    signal: opts.signal,
    earlyStopping: opts.earlyStopping,
    onIteration: opts.onIteration,
    finish,
    // a lost device under 'auto' hands the fit to the f32 CPU engine, from the last finished epoch
    fallback: backendChoice === 'auto' && opts.hostCopies !== false ? (f: Factors) => new FastCpuSgd({ ...spec, W0: f.W, H0: f.H }, lazyExec({ threads: opts.threads })) : undefined,
    onWarning: opts.onWarning,
    readBack: true,
  };
  // 'only': the final factors stay on the caller's device, unread (the caller reads `device`)
  run.readBack = !(opts.keepOnDevice === 'only' && gpu && !ownGpu && !run.fallback);
  try {
    const shared = opts.uploads && opts.uploads.gpu === gpu ? opts.uploads : undefined;
    run.backend = gpu ? new GpuSgdBackend(gpu, spec, shared, opts.hostCopies ?? true, opts.deviceInit) : choice.engine === 'reference' ? new CpuSgdBackend(spec) : new FastCpuSgd(spec, lazyExec({ threads: opts.threads }));
    const result = (await runLoop(run)) as SgdFitResult;
    const { accepted, startRmse, lr } = run.algorithm.tally();
    if (schedule === 'bold-driver' && epochs > 0 && accepted === 0 && result.stopped === 'iterations') {
      // Nothing was learned: the factors are the starting ones. Saying "done" would hide that.
      const e = new DivergenceError(
        epochs,
        `${algo.toUpperCase()} rejected all ${epochs} steps: each raised the training RMSE above its starting ${startRmse.toPrecision(6)}, even after halving the learning rate ${epochs} times (${lr0} -> ${lr.toPrecision(3)}); lower learningRate. error.result holds the starting factors`,
      );
      // No step was kept, so no iteration counts as finished.
      e.result = { ...result, history: [] };
      throw e;
    }
    if (opts.keepOnDevice && gpu && !ownGpu && run.backend instanceof GpuSgdBackend) result.device = { gpu, ...run.backend.releaseFactors() };
    return result;
  } finally {
    run.backend?.destroy();
    ownGpu?.destroy();
  }
}

/** Stratified SGD's default grid size b: min(64, nUsers, nItems, sqrt(n / 16)), at least 1. */
export function defaultBlocks(train: Ratings): number {
  return Math.max(1, Math.min(64, train.nUsers, train.nItems, Math.floor(Math.sqrt(train.values.length / 16))));
}

/**
 * SGD's part of the loop: the learning-rate schedule and how an epoch's sums are judged: the bold
 * driver undoes an epoch that raises the training RMSE and halves the rate (giving up after 20
 * halvings in a row); otherwise a non-finite RMSE, or one above (1 + divTol) x the best so far,
 * is divergence.
 */
function sgdAlgorithm(
  a: { lr0: number; schedule: SgdSchedule; decay: number; divTol: number; n: number; nVal: number },
): LoopAlgorithm<Sse> & { tally(): { accepted: number; startRmse: number; lr: number } } {
  let best = Infinity;
  let startRmse = NaN;
  let accepted = 0;
  let prev = Infinity;
  let startVal: number | undefined;
  let prevVal: number | undefined;
  let lr = a.lr0;
  let rejected = 0;
  const diverged = (t: number, why: string) => ({
    kind: 'diverge' as const,
    message: `SGD diverged at epoch ${t}: ${why}. The factors of epoch ${t - 1} are kept (error.result); lower learningRate.`,
  });
  return {
    tally: () => ({ accepted, startRmse, lr }),
    unit: 'epoch',
    start(s) {
      best = Math.sqrt(s.train / a.n);
      startRmse = best;
      if (!Number.isFinite(best)) throw new InputError(`the starting factors give a non-finite training RMSE (${best})`);
      prev = best;
      startVal = s.validation !== undefined ? Math.sqrt(s.validation / a.nVal) : undefined;
      prevVal = startVal;
    },
    rate: (t) => (a.schedule === 'inverse' ? a.lr0 / (1 + a.decay * (t - 1)) : lr),
    judge(t, sse, seconds, lrT) {
      let rmse = Math.sqrt(sse.train / a.n);
      let valRmse = sse.validation !== undefined ? Math.sqrt(sse.validation / a.nVal) : undefined;
      let kind: 'accept' | 'reject' = 'accept';
      if (a.schedule === 'bold-driver') {
        if (!(rmse <= prev)) {
          if (++rejected > 20) return diverged(t, `training RMSE ${rmse} after ${rejected} halvings of the learning rate (now ${lrT})`);
          lr = lrT * 0.5;
          rmse = prev;
          valRmse = prevVal;
          kind = 'reject';
        } else {
          rejected = 0;
          lr = lrT * 1.05;
        }
      } else if (!Number.isFinite(rmse)) {
        return diverged(t, `training RMSE is ${rmse}`);
      } else if (rmse > best * (1 + a.divTol)) {
        return diverged(t, `training RMSE grew to ${rmse.toPrecision(6)} (best so far ${best.toPrecision(6)})`);
      }
      if (kind === 'accept') accepted++;
      prev = rmse;
      prevVal = valRmse;
      best = Math.min(best, rmse);
      const report: SgdIterationReport = { iteration: t, seconds, trainRmse: rmse, learningRate: lrT };
      if (sse.gpuSeconds !== undefined) report.gpuSeconds = sse.gpuSeconds;
      if (valRmse !== undefined) report.validationRmse = valRmse;
      return { kind, report };
    },
  };
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

/** Random rows from `fromUser` / `fromItem` on; with biases N(0, scale^2) factors, else uniform [0, scale); zero biases, constant columns 1. */
function initFactors(W: Float32Array, H: Float32Array, rank: number, bias: boolean, fromUser: number, fromItem: number, seed: number, scale: number): void {
  const rng = new Rng(seed);
  const dist = bias ? 'normal' : 'uniform';
  fillRandomFactors(W, rank, bias, 'user', rng, dist, scale, fromUser);
  fillRandomFactors(H, rank, bias, 'item', rng, dist, scale, fromItem);
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
    const seed = (opts.seed ?? DEFAULTS.common.seed) + 7919 * (res.history.length + 1);
    const scale = m.bias ? (opts.initScale ?? DEFAULTS.common.initScale) : 2 * Math.sqrt(Math.max(Math.abs(m.mu || globalMean(r.values)), 1e-3) / m.rank);
    initFactors(X, Y, m.rank, m.bias, m.nUsers, m.nItems, seed, scale);
    const next = await fitSgd(r, {
      ...opts, validation: undefined, earlyStopping: undefined, uploads: undefined, hostCopies: undefined, epochs: epochs ?? opts.epochs, seed, init: { users: X, items: Y }, globalMean: m.mu,
      rank: m.rank, useBias: m.bias,
    });
    if (userIds) next.model.userIds = userIds;
    if (itemIds) next.model.itemIds = itemIds;
    if (m.ratingScale) next.model.ratingScale = m.ratingScale;
    return next;
  };
  return out;
}
