/**
 * Hyperparameter search for explicit ALS: grid or seeded random search over rank and λ, chosen on a
 * validation split cut from the training data (never on a test set), with successive halving:
 * every trial runs a first rung of iterations, the better half (by validation RMSE) continues from
 * its own factors (a warm start, no work repeated), and so on until the full iteration count.
 * Trials share one GpuContext. An AbortSignal stops the search between iterations; the result then
 * holds the trials finished so far and the best of them (`stopped: 'aborted'`).
 */
import { AbortError, InputError } from '../core/errors.ts';
import type { Ratings } from '../data/ratings.ts';
import type { Dataset } from '../data/dataset.ts';
import { splitRandom } from '../data/split.ts';
import { Rng } from '../util/random.ts';
import type { FitResult } from '../model/types.ts';
import type { AlsOptions } from '../train/als/options.ts';

export interface TuneOptions {
  /** Values to try (grid), or the range to sample from (random: log-uniform in [min, max]). */
  grid: { rank: number[]; lambda: number[] };
  search?: 'grid' | 'random';
  /** Random search: how many (rank, λ) pairs. Default 8. */
  trials?: number;
  /** Iterations of a trial that survives every rung. Default 10. */
  iterations?: number;
  /** Successive halving (default true); false runs every trial to the end. */
  halving?: boolean;
  /** Held out of the training data to choose on. Default 0.1. */
  validationFraction?: number;
  seed?: number;
  /** Other ALS options every trial uses (biases, ALS-WR, backend, gpu...). */
  als?: Omit<AlsOptions, 'rank' | 'lambda' | 'iterations' | 'validation' | 'init' | 'signal' | 'onIteration'>;
  signal?: AbortSignal;
  onTrial?: (t: Trial) => void;
}

export interface Trial {
  rank: number;
  lambda: number;
  /** Iterations run (fewer when halving dropped it). */
  iterations: number;
  validationRmse: number;
  seconds: number;
}

export interface TuneResult {
  trials: Trial[];
  best: Trial;
  /** The best trial's fit (on the training data minus the validation split). */
  bestFit: FitResult;
  stopped: 'done' | 'aborted';
  validationRatings: number;
}

function pairs(o: TuneOptions): { rank: number; lambda: number }[] {
  const { rank, lambda } = o.grid;
  if (!rank?.length || !lambda?.length) throw new InputError('tune: the grid needs at least one rank and one lambda');
  for (const r of rank) if (!(Number.isInteger(r) && r >= 1)) throw new InputError(`tune: rank ${r} is not a positive integer`);
  for (const l of lambda) if (!(Number.isFinite(l) && l >= 0)) throw new InputError(`tune: lambda ${l} must be a number >= 0`);
  if ((o.search ?? 'grid') === 'grid') return rank.flatMap((r) => lambda.map((l) => ({ rank: r, lambda: l })));
  const n = o.trials ?? 8;
  if (!(Number.isInteger(n) && n >= 1)) throw new InputError(`tune: trials must be a positive integer, got ${n}`);
  const rng = new Rng(o.seed ?? 42);
  const lo = Math.min(...lambda);
  const hi = Math.max(...lambda);
  if (!(lo > 0)) throw new InputError('tune: random search samples lambda log-uniformly and needs lambda > 0');
  return Array.from({ length: n }, () => ({ rank: rank[rng.int(rank.length)], lambda: +Math.exp(Math.log(lo) + rng.next() * (Math.log(hi) - Math.log(lo))).toPrecision(3) }));
}

export async function tune(data: Ratings | Dataset, options: TuneOptions): Promise<TuneResult> {
  const { fitAls } = await import('../train/als/index.ts');
  const ds = 'ratings' in data ? data : undefined;
  const r = ds ? ds.ratings : (data as Ratings);
  const iterations = options.iterations ?? 10;
  if (!(Number.isInteger(iterations) && iterations >= 1)) throw new InputError(`tune: iterations must be a positive integer, got ${iterations}`);
  const vf = options.validationFraction ?? 0.1;
  if (!(vf > 0 && vf < 1)) throw new InputError(`tune: validationFraction must be in (0, 1), got ${vf}`);
  const { train, test: validation } = splitRandom(r, { testFraction: vf, seed: options.seed ?? 42 });
  const fitData = ds ? { ...ds, ratings: train } : train;
  const cands = pairs(options);
  // rungs: iterations / 2^k ... iterations (halving), or one rung
  const rungs: number[] = [];
  if (options.halving ?? true) {
    for (let it = iterations, k = 0; it >= 1 && k < Math.ceil(Math.log2(Math.max(2, cands.length))); it = Math.floor(it / 2), k++) rungs.unshift(it);
    if (rungs[rungs.length - 1] !== iterations) rungs.push(iterations);
  } else rungs.push(iterations);
  interface Live { c: { rank: number; lambda: number }; fit?: FitResult; trial: Trial }
  let live: Live[] = cands.map((c) => ({ c, trial: { rank: c.rank, lambda: c.lambda, iterations: 0, validationRmse: Infinity, seconds: 0 } }));
  const all: Live[] = [...live];
  let stopped: TuneResult['stopped'] = 'done';
  let done = 0;
  try {
    for (let g = 0; g < rungs.length; g++) {
      for (const t of live) {
        const more = rungs[g] - done;
        if (more <= 0) continue;
        const t0 = performance.now();
        const f = await fitAls(fitData, {
          ...options.als,
          rank: t.c.rank,
          lambda: t.c.lambda,
          iterations: more,
          validation,
          seed: options.seed ?? options.als?.seed,
          init: t.fit ? { users: t.fit.model.userFactors, items: t.fit.model.itemFactors } : undefined,
          signal: options.signal,
        });
        t.fit = f;
        t.trial.iterations = rungs[g];
        t.trial.validationRmse = f.history[f.history.length - 1]?.validationRmse ?? NaN;
        t.trial.seconds += (performance.now() - t0) / 1000;
        if (g === rungs.length - 1 || live.length === 1) options.onTrial?.({ ...t.trial });
      }
      done = rungs[g];
      if (g < rungs.length - 1) {
        const ranked = [...live].sort((a, b) => a.trial.validationRmse - b.trial.validationRmse);
        const keep = Math.max(1, Math.ceil(ranked.length / 2));
        for (const d of ranked.slice(keep)) options.onTrial?.({ ...d.trial });
        live = ranked.slice(0, keep);
      }
    }
  } catch (e) {
    if (!(e instanceof AbortError)) throw e;
    stopped = 'aborted';
  }
  const finished = all.filter((t) => t.fit && Number.isFinite(t.trial.validationRmse));
  if (finished.length === 0) throw stopped === 'aborted' ? new AbortError('tune: aborted before any trial finished') : new InputError('tune: no trial gave a finite validation RMSE');
  finished.sort((a, b) => a.trial.validationRmse - b.trial.validationRmse || b.trial.iterations - a.trial.iterations);
  const best = finished[0];
  return { trials: all.map((t) => t.trial), best: best.trial, bestFit: best.fit!, stopped, validationRatings: validation.values.length };
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
