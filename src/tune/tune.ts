/**
 * Hyperparameter search for explicit ALS, implicit ALS and SGD: grid or seeded random search over
 * rank and λ (and α for implicit ALS, the learning rate for SGD), chosen on a validation split cut
 * from the training data (never on a test set), or by k-fold cross-validation.
 *
 * Successive halving: every trial runs a first rung of iterations, the better half continues from
 * its own factors (a warm start, no work repeated), and so on until the full iteration count.
 * Explicit models are scored by validation RMSE (lower is better); implicit ALS by validation
 * NDCG@10 (every held-out item relevant, training items left out; higher is better).
 *
 * On the GPU, trials share one device and one upload of each split's ratings (AlsUploads for ALS,
 * SgdUploads for SGD), and each iteration (epoch) reads back only its scalars. Trials keep their
 * factors on the device between rungs (the next rung starts from them there); implicit ALS trials
 * are scored there too (model/metrics.ts ndcgOnDevice: one word of top-10 hits per user back); a
 * dropped trial's buffers are released, except those of the best dropped trial so far (it could
 * still win). Only the best trial's factors come back, once, at the end. When the live trials'
 * factors and a fit would not fit the device-memory budget together, the factors come back after
 * each rung instead (the result's `note` says so). An AbortSignal stops the search between iterations;
 * the result then holds the trials finished so far and the best of them (`stopped: 'aborted'`).
 */
import { AbortError, DivergenceError, InputError } from '../core/errors.ts';
import { buildCsr, type Ratings } from '../data/ratings.ts';
import type { Dataset } from '../data/dataset.ts';
import { kFold, splitRandom } from '../data/split.ts';
import { Rng } from '../util/random.ts';
import type { FitResult } from '../model/types.ts';
import type { AlsOptions } from '../train/als/options.ts';
import type { SgdOptions } from '../train/sgd/index.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { AlsUploads } from '../train/als/uploads.ts';
import type { SgdUploads } from '../train/sgd/uploads.ts';
import { strideOf } from '../core/layout.ts';
import { alsDevicePlan, formatBytes, sgdDevicePlan } from '../gpu/budget.ts';
import { batchRows } from '../kernels/scratch.ts';

export type TuneAlgo = 'als' | 'ials' | 'sgd';
export type TuneMetric = 'rmse' | 'ndcg@10';

export interface TuneOptions {
  /** Which model to tune. Default 'als' (explicit ALS). */
  algo?: TuneAlgo;
  /**
   * Values to try (grid), or the range to sample from (random: log-uniform in [min, max]).
   * `alpha` (implicit ALS) and `learningRate` (SGD) are optional: without them every trial uses
   * the `als`/`sgd` options' value (or the library default).
   */
  grid: { rank: number[]; lambda: number[]; alpha?: number[]; learningRate?: number[] };
  search?: 'grid' | 'random';
  /** Random search: how many trials. Default 8. */
  trials?: number;
  /** Iterations (SGD: epochs) of a trial that survives every rung. Default 10. */
  iterations?: number;
  /** Successive halving (default true); false runs every trial to the end. */
  halving?: boolean;
  /** Held out of the training data to choose on (ignored with `folds`). Default 0.1. */
  validationFraction?: number;
  /** k-fold cross-validation (k >= 2): every trial is fitted k times and scored by the mean. */
  folds?: number;
  seed?: number;
  /** Other ALS options every trial uses (algo 'als' and 'ials': biases, ALS-WR, backend, gpu...). */
  als?: Omit<AlsOptions, 'rank' | 'lambda' | 'iterations' | 'validation' | 'init' | 'signal' | 'onIteration' | 'implicit' | 'uploads'>;
  /** Other SGD options every trial uses (algo 'sgd'). */
  sgd?: Omit<SgdOptions, 'rank' | 'lambda' | 'epochs' | 'validation' | 'init' | 'signal' | 'onIteration' | 'uploads'>;
  signal?: AbortSignal;
  /** Called when a trial stops for good (dropped by a rung, or finished). */
  onTrial?: (t: Trial) => void;
  /** Called after every rung of every trial (a live plot). */
  onRung?: (t: Trial) => void;
}

export interface Trial {
  rank: number;
  lambda: number;
  /** Implicit ALS's confidence scale, when tuned. */
  alpha?: number;
  /** SGD's learning rate, when tuned. */
  learningRate?: number;
  /** Iterations run (fewer when halving dropped it). */
  iterations: number;
  /** What `score` measures. */
  metric: TuneMetric;
  /** The held-out score: validation RMSE (lower is better) or NDCG@10 (higher is better); the mean over folds. */
  score: number;
  /** Validation RMSE (explicit models; NaN for implicit ALS). Same as `score` for 'rmse'. */
  validationRmse: number;
  /** One score per fold (one entry without `folds`). */
  foldScores: number[];
  seconds: number;
  /**
   * Why the trial stopped for good when one of its fits diverged (a learning rate too high): its
   * score is then NaN and it is out of the search; the others go on.
   */
  diverged?: string;
}

export interface TuneResult {
  algo: TuneAlgo;
  metric: TuneMetric;
  trials: Trial[];
  best: Trial;
  /** The best trial's fit (of the first fold: the training data minus its validation part). */
  bestFit: FitResult;
  stopped: 'done' | 'aborted';
  /** Validation ratings (of the first fold). */
  validationRatings: number;
  folds: number;
  /** Ratings uploads made on the device (one per fold when trials share them; 0 on the CPU). */
  uploads: number;
  /** On a device: whether the trials' factors stayed there between rungs (false: read back after each rung). */
  factorsOnDevice: boolean;
  /**
   * On a device with shared uploads: bytes of the trials' factors kept between rungs (every trial's
   * folds, plus the best dropped trial's), and of the largest trial's fit at the least scratch.
   */
  deviceMemory?: { kept: number; fit: number; budget?: number };
  /** Why the factors came back after each rung, when they did on a device. */
  note?: string;
}

interface Point {
  rank: number;
  lambda: number;
  alpha?: number;
  learningRate?: number;
}

function checkList(name: string, v: number[] | undefined, positive: boolean): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || !v.length) throw new InputError(`tune: the grid's ${name} needs at least one value`);
  for (const x of v) if (!(Number.isFinite(x) && (positive ? x > 0 : x >= 0))) throw new InputError(`tune: ${name} ${x} must be a number ${positive ? '> 0' : '>= 0'}`);
}

function points(o: TuneOptions, algo: TuneAlgo): Point[] {
  const { rank, lambda } = o.grid;
  if (!rank?.length || !lambda?.length) throw new InputError('tune: the grid needs at least one rank and one lambda');
  for (const r of rank) if (!(Number.isInteger(r) && r >= 1)) throw new InputError(`tune: rank ${r} is not a positive integer`);
  checkList('lambda', lambda, false);
  const alpha = algo === 'ials' ? o.grid.alpha : undefined;
  const lr = algo === 'sgd' ? o.grid.learningRate : undefined;
  checkList('alpha', alpha, false);
  checkList('learningRate', lr, true);
  if ((o.search ?? 'grid') === 'grid') {
    const out: Point[] = [];
    for (const r of rank) for (const l of lambda) for (const a of alpha ?? [undefined]) for (const s of lr ?? [undefined]) out.push({ rank: r, lambda: l, ...(a !== undefined ? { alpha: a } : {}), ...(s !== undefined ? { learningRate: s } : {}) });
    return out;
  }
  const n = o.trials ?? 8;
  if (!(Number.isInteger(n) && n >= 1)) throw new InputError(`tune: trials must be a positive integer, got ${n}`);
  const rng = new Rng(o.seed ?? 42);
  const logUniform = (name: string, v: number[]) => {
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    if (!(lo > 0)) throw new InputError(`tune: random search samples ${name} log-uniformly and needs ${name} > 0`);
    return +Math.exp(Math.log(lo) + rng.next() * (Math.log(hi) - Math.log(lo))).toPrecision(3);
  };
  return Array.from({ length: n }, () => {
    const p: Point = { rank: rank[rng.int(rank.length)], lambda: logUniform('lambda', lambda) };
    if (alpha) p.alpha = logUniform('alpha', alpha);
    if (lr) p.learningRate = logUniform('learningRate', lr);
    return p;
  });
}

/** Rungs of successive halving: iterations / 2^k ... iterations, as many as halvings are needed. */
export function rungsOf(iterations: number, trials: number, halving: boolean): number[] {
  const rungs: number[] = [];
  if (!halving) return [iterations];
  for (let it = iterations, k = 0; it >= 1 && k < Math.ceil(Math.log2(Math.max(2, trials))); it = Math.floor(it / 2), k++) rungs.unshift(it);
  if (rungs[rungs.length - 1] !== iterations) rungs.push(iterations);
  return rungs;
}

interface Fold {
  train: Ratings;
  validation: Ratings;
  fitData: Ratings | Dataset;
  uploads?: AlsUploads;
  sgdUploads?: SgdUploads;
  /** Implicit ALS on the device: the training items of each user (what the ranking filters). */
  seenOf?: (u: number) => Uint32Array;
}

export async function tune(data: Ratings | Dataset, options: TuneOptions): Promise<TuneResult> {
  const algo = options.algo ?? 'als';
  if (!['als', 'ials', 'sgd'].includes(algo)) throw new InputError(`tune: algo must be als, ials or sgd, got ${JSON.stringify(algo)}`);
  const metric: TuneMetric = algo === 'ials' ? 'ndcg@10' : 'rmse';
  const better = (a: number, b: number) => (metric === 'rmse' ? a - b : b - a);
  const ds = 'ratings' in data ? data : undefined;
  const r = ds ? ds.ratings : (data as Ratings);
  const iterations = options.iterations ?? 10;
  if (!(Number.isInteger(iterations) && iterations >= 1)) throw new InputError(`tune: iterations must be a positive integer, got ${iterations}`);
  const seed = options.seed ?? 42;
  const K = options.folds ?? 1;
  if (!(Number.isInteger(K) && K >= 1)) throw new InputError(`tune: folds must be an integer >= 2 (or 1 for one validation split), got ${K}`);
  let splits: { train: Ratings; test: Ratings }[];
  if (K >= 2) splits = kFold(r, { k: K, seed });
  else {
    const vf = options.validationFraction ?? 0.1;
    if (!(vf > 0 && vf < 1)) throw new InputError(`tune: validationFraction must be in (0, 1), got ${vf}`);
    splits = [splitRandom(r, { testFraction: vf, seed })];
  }
  const cands = points(options, algo);
  const rungs = rungsOf(iterations, cands.length, options.halving ?? true);

  const { fitAls } = await import('../train/als/index.ts');
  const { fitSgd, defaultBlocks } = await import('../train/sgd/index.ts');
  const { DEFAULTS } = await import('../train/options.ts');
  const { Model } = await import('../model/model.ts');
  const { evaluate, ndcgOnDevice } = await import('../model/metrics.ts');

  // One device for every trial: the caller's, or one the search makes (and destroys) when the backend allows a GPU.
  const choice = algo === 'sgd' ? options.sgd : options.als;
  // ('auto' without a caller's device leaves the engine to each fit, which then uploads its own copy.)
  const wanted = choice?.backend ?? 'auto';
  let gpu: GpuContext | null = wanted === 'cpu' || wanted === 'reference' ? null : (choice?.gpu ?? null);
  let ownGpu: GpuContext | null = null;
  if (!gpu && wanted === 'gpu') {
    const { acquireGpu } = await import('../gpu/acquire.ts');
    const got = await acquireGpu({ backend: 'gpu', gpuSource: choice?.gpuSource, onWarning: choice?.onWarning });
    gpu = got.gpu;
    ownGpu = got.own;
  }
  const folds: Fold[] = [];
  let uploads = 0;
  let onDevice = false;
  let unreserve: (() => void) | undefined;
  let note: string | undefined;
  let deviceMemory: TuneResult['deviceMemory'];
  /** Releases a fit's factors left on the device (none on the CPU or after readback). */
  const release = (fit: FitResult | undefined) => {
    if (fit?.device) {
      fit.device.users.destroy();
      fit.device.items.destroy();
      fit.device = undefined;
    }
  };
  /** The best trial dropped so far, whose first fold's factors stay on the device (it may still be the best). */
  let incumbent: { score: number; iterations: number; fits: (FitResult | undefined)[] } | undefined;
  const beats = (a: { score: number; iterations: number }, b: { score: number; iterations: number }) => (orderOf(a.score, b.score, better) || b.iterations - a.iterations) < 0;
  interface Live {
    c: Point;
    fits: (FitResult | undefined)[];
    trial: Trial;
  }
  let stopped: TuneResult['stopped'] = 'done';
  const all: Live[] = cands.map((c) => ({ c, fits: [], trial: { ...c, iterations: 0, metric, score: NaN, validationRmse: NaN, foldScores: [], seconds: 0 } }));
  try {
    try {
      for (const s of splits) {
        const f: Fold = { train: s.train, validation: s.test, fitData: ds ? { ...ds, ratings: s.train } : s.train };
        // ALS on a device: each split's ratings go up once, for every trial and rung
        if (gpu && algo !== 'sgd') {
          const { AlsUploads } = await import('../train/als/uploads.ts');
          f.uploads = new AlsUploads(gpu, s.train, algo === 'als' ? s.test : undefined, `tune.fold${folds.length + 1}`, options.als?.kernels);
          uploads++;
        }
        // SGD on a device likewise: the rating list (shuffled or blocked) and the loss's copies, once
        // per split; full-batch GD keeps its own upload per fit
        if (gpu && algo === 'sgd' && (options.sgd?.algo ?? 'sgd') === 'sgd') {
          const { SgdUploads } = await import('../train/sgd/uploads.ts');
          const mode = options.sgd?.mode ?? 'hogwild';
          const layout = { blocks: options.sgd?.blocks ?? defaultBlocks(s.train), seed: options.seed ?? options.sgd?.seed ?? DEFAULTS.common.seed };
          f.sgdUploads = new SgdUploads(gpu, s.train, s.test, mode, layout, `tune.fold${folds.length + 1}`);
          uploads++;
        }
        folds.push(f);
      }
      // Factors between rungs: on the device when the trials share uploads and the budget holds every
      // trial's factors (all folds, at the first rung every trial is live; plus the best dropped
      // trial's first fold) beside the largest fit; otherwise read back after each rung.
      if (gpu && folds.every((f) => f.uploads || f.sgdUploads)) {
        const bias = algo === 'sgd' ? !!options.sgd?.useBias : (options.als?.useBias ?? DEFAULTS.als.useBias);
        const factorBytes = (rank: number) => (r.nUsers + r.nItems) * strideOf(rank, bias) * 4;
        const maxRank = Math.max(...cands.map((c) => c.rank));
        const kept = cands.reduce((a, c) => a + folds.length * factorBytes(c.rank), 0) + factorBytes(maxRank);
        const f0 = folds[0];
        const size = { nUsers: r.nUsers, nItems: r.nItems, nRatings: f0.train.values.length, nValidation: f0.validation.values.length };
        const fit = algo === 'sgd'
          ? sgdDevicePlan(gpu, { rank: maxRank, bias, adagrad: options.sgd?.schedule === 'adagrad', algo: 'sgd', mode: options.sgd?.mode ?? 'hogwild', ...size }).total
          : Math.max(
            alsDevicePlan(gpu, { rank: maxRank, bias, implicit: algo === 'ials', solver: options.als?.solver ?? DEFAULTS.als.solver, scratchBytes: 2 ** 18, ...size }).total,
            // implicit trials are ranked on the device after each fit: one batch's score matrix, and as much
            // again for its masks and top-k passes (a few entries per chunk of 1024)
            algo === 'ials' ? 2 * batchRows(gpu, r.nItems, 256) * r.nItems * 4 : 0,
          );
        const budget = gpu.memoryBudget;
        deviceMemory = { kept, fit, ...(budget !== undefined ? { budget } : {}) };
        if (budget === undefined || kept + fit <= budget) {
          onDevice = true;
          unreserve = gpu.reserveMemory(kept);
        } else {
          note = `the trials' factors between rungs (${formatBytes(kept)}) and a fit (${formatBytes(fit)}) exceed the ${formatBytes(budget)} device-memory budget: factors are read back after each rung instead of staying on the device`;
        }
      } else if (gpu) note = 'trials without shared uploads (full-batch GD) read their factors back after each rung';
      const fitOne = async (t: Live, k: number, more: number): Promise<{ fit: FitResult; score: number; rmse: number }> => {
        const f = folds[k];
        const prev = t.fits[k];
        // a warm start from the last rung: its factors on the device, or read back
        const init = prev && !prev.device ? { users: prev.model.userFactors, items: prev.model.itemFactors } : undefined;
        const dev = onDevice ? { keepOnDevice: 'only' as const, ...(prev?.device ? { deviceInit: { users: prev.device.users, items: prev.device.items } } : {}) } : {};
        if (algo === 'sgd') {
          const fit = await fitSgd(f.fitData, { ...options.sgd, gpu: gpu ?? undefined, backend: gpu ? 'gpu' : wanted, rank: t.c.rank, lambda: t.c.lambda, ...(t.c.learningRate !== undefined ? { learningRate: t.c.learningRate } : {}), epochs: more, validation: f.validation, seed: options.seed ?? options.sgd?.seed, init, ...dev, signal: options.signal, uploads: f.sgdUploads, hostCopies: f.sgdUploads ? false : undefined });
          const rmse = fit.history[fit.history.length - 1]?.validationRmse ?? NaN;
          return { fit, score: rmse, rmse };
        }
        const common = { ...options.als, gpu: gpu ?? undefined, backend: gpu ? ('gpu' as const) : wanted, rank: t.c.rank, lambda: t.c.lambda, iterations: more, seed: options.seed ?? options.als?.seed, init, signal: options.signal, uploads: f.uploads, hostCopies: f.uploads ? false : undefined };
        if (algo === 'als') {
          const fit = await fitAls(f.fitData, { ...common, ...dev, validation: f.validation });
          const rmse = fit.history[fit.history.length - 1]?.validationRmse ?? NaN;
          return { fit, score: rmse, rmse };
        }
        const fit = await fitAls(f.fitData, { ...common, ...dev, ...(t.c.alpha !== undefined ? { alpha: t.c.alpha } : {}), implicit: true, useBias: false, trackDelta: false });
        if (fit.device) {
          // scored where the factors are: the top 10 and their hits on the device, one word per user back
          const m = fit.model;
          if (!f.seenOf) {
            const c = buildCsr(f.train.users, f.train.items, f.train.values, f.train.nUsers, f.train.nItems);
            f.seenOf = (u) => (u < c.nRows ? c.indices.subarray(c.indptr[u], c.indptr[u + 1]) : new Uint32Array(0));
          }
          const ev = await ndcgOnDevice({ gpu: fit.device.gpu, users: fit.device.users, items: fit.device.items, nUsers: m.nUsers, nItems: m.nItems, stride: m.stride, mu: m.mu, kernels: 'auto' }, f.validation, f.seenOf, 10);
          return { fit, score: ev.ndcg, rmse: NaN };
        }
        const model = new Model(fit.model, { gpu: gpu ?? undefined, seen: f.train });
        try {
          const ev = await evaluate(model, f.validation, { metrics: ['ndcg@10'] });
          return { fit, score: ev.metrics['ndcg@10'], rmse: NaN };
        } finally {
          model.destroy();
        }
      };
      let live = [...all];
      let done = 0;
      for (let g = 0; g < rungs.length; g++) {
        for (const t of live) {
          const more = rungs[g] - done;
          if (more <= 0 || t.trial.diverged) continue;
          const t0 = performance.now();
          const scores: number[] = [];
          const rmses: number[] = [];
          const fits: FitResult[] = [];
          try {
            for (let k = 0; k < folds.length; k++) {
              const one = await fitOne(t, k, more);
              fits.push(one.fit);
              scores.push(one.score);
              rmses.push(one.rmse);
            }
          } catch (e) {
            for (const fit of fits) release(fit); // an unfinished rung: the trial keeps its last one
            if (!(e instanceof DivergenceError)) throw e;
            // a diverged fit takes its trial out (scored NaN, ranked last), not the search
            for (const old of t.fits) release(old);
            t.fits = [];
            Object.assign(t.trial, { iterations: rungs[g], score: NaN, validationRmse: NaN, foldScores: [], diverged: e.message });
            t.trial.seconds += (performance.now() - t0) / 1000;
            options.onRung?.({ ...t.trial });
            options.onTrial?.({ ...t.trial });
            continue;
          }
          // every fold of this rung finished: the trial moves on as one
          for (const old of t.fits) release(old);
          t.fits = fits;
          const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
          t.trial.iterations = rungs[g];
          t.trial.foldScores = scores;
          t.trial.score = mean(scores);
          t.trial.validationRmse = mean(rmses);
          t.trial.seconds += (performance.now() - t0) / 1000;
          options.onRung?.({ ...t.trial, foldScores: [...scores] });
          if (g === rungs.length - 1 || live.length === 1) options.onTrial?.({ ...t.trial });
        }
        done = rungs[g];
        if (g < rungs.length - 1) {
          const ranked = [...live].sort((a, b) => orderOf(a.trial.score, b.trial.score, better));
          const keep = Math.max(1, Math.ceil(ranked.length / 2));
          for (const d of ranked.slice(keep)) {
            if (!d.trial.diverged) options.onTrial?.({ ...d.trial }); // (a diverged one was reported then)
            for (const fit of d.fits.slice(1)) release(fit);
            d.fits = d.fits.slice(0, 1); // a dropped trial keeps only what a "best" could need
            if (onDevice) {
              // on the device only the best dropped trial keeps its factors: a worse one can no longer win
              if (!incumbent || beats(d.trial, incumbent)) {
                if (incumbent) release(incumbent.fits[0]);
                incumbent = { score: d.trial.score, iterations: d.trial.iterations, fits: d.fits };
              } else release(d.fits[0]);
            }
          }
          live = ranked.slice(0, keep);
        }
      }
    } catch (e) {
      if (!(e instanceof AbortError)) throw e;
      stopped = 'aborted';
    }
    // (on the device, a dropped trial's released factors cannot be the best: the best dropped one kept its own)
    const finished = all.filter((t) => t.fits[0] && (!onDevice || t.fits[0].device) && Number.isFinite(t.trial.score));
    if (finished.length === 0) throw stopped === 'aborted' ? new AbortError('tune: aborted before any trial finished') : new InputError(`tune: no trial gave a finite validation ${metric}`);
    finished.sort((a, b) => orderOf(a.trial.score, b.trial.score, better) || b.trial.iterations - a.trial.iterations);
    const best = finished[0];
    let bestFit = best.fits[0]!;
    if (bestFit.device) {
      // the one factor readback of a search on the device: the best trial's W and H, in one mapping
      const m = bestFit.model;
      const [w, h] = await bestFit.device.gpu.readMany([
        { buffer: bestFit.device.users, size: m.nUsers * m.stride * 4 },
        { buffer: bestFit.device.items, size: m.nItems * m.stride * 4 },
      ]);
      const { device: _, ...rest } = bestFit;
      bestFit = { ...rest, model: { ...m, userFactors: new Float32Array(w), itemFactors: new Float32Array(h) } };
    }
    const extra = { factorsOnDevice: onDevice, ...(deviceMemory ? { deviceMemory } : {}), ...(note ? { note } : {}) };
    return { algo, metric, trials: all.map((t) => t.trial), best: best.trial, bestFit, stopped, validationRatings: folds[0]?.validation.values.length ?? 0, folds: folds.length, uploads, ...extra };
  } finally {
    for (const t of all) t.fits.forEach(release);
    unreserve?.();
    for (const f of folds) {
      f.uploads?.destroy();
      f.sgdUploads?.destroy();
    }
    ownGpu?.destroy();
  }
}

/** Finite scores first, in the metric's order. */
function orderOf(a: number, b: number, better: (a: number, b: number) => number): number {
  const fa = Number.isFinite(a);
  const fb = Number.isFinite(b);
  if (fa !== fb) return fa ? -1 : 1;
  return fa ? better(a, b) : 0;
}

/** `8,16,32` → [8, 16, 32]; `0.02..0.3` → n log-spaced values (default 4). */
export function parseValues(spec: string, n = 4): number[] {
  const m = /^\s*([0-9.eE+-]+)\s*\.\.\s*([0-9.eE+-]+)\s*$/.exec(spec);
  if (m) {
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    if (!(lo > 0 && hi > lo)) throw new InputError(`range ${spec}: expected 0 < lo < hi`);
    return Array.from({ length: n }, (_, k) => +Math.exp(Math.log(lo) + (k * (Math.log(hi) - Math.log(lo))) / (n - 1)).toPrecision(3));
  }
  const v = spec.split(',').map((x) => Number(x.trim()));
  if (v.some((x) => !Number.isFinite(x)) || v.length === 0) throw new InputError(`bad value list ${JSON.stringify(spec)} (expected 8,16,32 or 0.02..0.3)`);
  return v;
}
