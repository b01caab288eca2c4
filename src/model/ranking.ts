/**
 * The ranking model that `recommend` uses: implicit ALS (Hu, Koren & Volinsky) trained on the
 * rating events read as "rated" (f = 1 for every rating, whatever its value), alongside the
 * explicit model that predicts ratings.
 *
 * Why: a model fitted to predict ratings puts items with one or two high ratings first, and loses
 * to "most popular" at top-k; a model of who rated what ranks well. Measured on MovieLens
 * latest-small, every test item relevant, seen items left out (bench/models.ts, numbers in
 * bench/results/models/ranking.md and the README), NDCG@10 on a random 90/10 split: popularity
 * 0.115, biased ALS-WR ranking by predicted rating 0.0003, this model (rank 16, α 1) 0.239; on a
 * leave-10-out split 0.084, 0.0008 and 0.191. α 5 gave 0.224 / 0.187, α 20 0.168 / 0.149, rank 32
 * (α 5) 0.228 / 0.191 at 2.5x the time.
 *
 * The explicit model keeps answering predict/evaluate's RMSE; the ranking model rides in the same
 * FactorModelData (`ranking`) and model file. Model.recommend ranks by it unless rankBy:'explicit'.
 */
import { InputError } from '../core/errors.ts';
import type { Ratings } from '../data/ratings.ts';
import type { Dataset } from '../data/dataset.ts';
import type { FactorModelData, FitResult } from './types.ts';
import type { AlsOptions } from '../train/als/options.ts';

/** Ranking model defaults, chosen by NDCG@10 on MovieLens latest-small (bench/models.ts). */
export const RANKING_DEFAULTS = { rank: 16, alpha: 1, lambda: 0.1, iterations: 10 } as const;

export type RankingOptions = Pick<AlsOptions, 'rank' | 'alpha' | 'lambda' | 'iterations' | 'seed' | 'backend' | 'gpu' | 'gpuSource' | 'gpuLimits' | 'onWarning' | 'onIteration' | 'signal' | 'kernels' | 'solver' | 'cgSteps'>;

/** The events of `r` as implicit feedback: every rating becomes f = 1. */
export function ratedEvents(r: Ratings): Ratings {
  return { ...r, values: new Float32Array(r.values.length).fill(1) };
}

/** Implicit ALS on who rated what (values ignored), with the ranking defaults. */
export async function fitRankingModel(data: Ratings | Dataset, options: RankingOptions = {}): Promise<FitResult> {
  const { fitAls } = await import('../train/als/index.ts');
  const r = 'ratings' in data ? data.ratings : data;
  const o = { ...RANKING_DEFAULTS, ...options };
  return fitAls(ratedEvents(r), { ...o, implicit: true, useBias: false, weightedLambda: false, trackDelta: false });
}

/** `explicit` with `ranking` attached (same users and items). */
export function withRanking(explicit: FactorModelData, ranking: FactorModelData): FactorModelData {
  if (ranking.nUsers !== explicit.nUsers || ranking.nItems !== explicit.nItems) {
    throw new InputError(`ranking model is ${ranking.nUsers} x ${ranking.nItems}; the explicit model is ${explicit.nUsers} x ${explicit.nItems}`);
  }
  if (ranking.ranking) throw new InputError('a ranking model cannot carry its own ranking model');
  return { ...explicit, ranking: { ...ranking, userIds: undefined, itemIds: undefined } };
}

export interface RecommenderOptions extends AlsOptions {
  /** The ranking model's options, or false for none (recommend then ranks by the explicit model). */
  ranking?: RankingOptions | false;
}

/**
 * Explicit ALS for ratings plus the implicit ranking model for recommend, as one model: what
 * `webmf train` builds by default. Shared options (backend, gpu, seed, signal) apply to both fits.
 */
export async function fitRecommender(data: Ratings | Dataset, options: RecommenderOptions = {}): Promise<FitResult> {
  const { fitAls } = await import('../train/als/index.ts');
  const { ranking, ...als } = options;
  if (als.implicit) throw new InputError('fitRecommender: the explicit model must be explicit (use fitAls for implicit feedback)');
  const fit = await fitAls(data, als);
  if (ranking === false) return fit;
  const shared = { backend: als.backend, gpu: als.gpu, gpuSource: als.gpuSource, gpuLimits: als.gpuLimits, onWarning: als.onWarning, signal: als.signal, seed: als.seed, kernels: als.kernels };
  const rk = await fitRankingModel(data, { ...shared, ...(ranking ?? {}) });
  return { ...fit, model: withRanking(fit.model, rk.model) };
}

/** A short description of the model that ranks (for CLI output and evaluate's report). */
export function describeRanker(m: { algo: string; rank: number; implicit: boolean; hyperparams: Record<string, number | string | boolean> }, isRanking: boolean): string {
  const h = m.hyperparams;
  if (isRanking) return `ranking model: implicit ALS on rated events, rank ${m.rank}, alpha ${h.alpha}, lambda ${h.lambda}`;
  if (m.algo === 'popularity') return 'popularity (most rated first)';
  if (m.algo === 'baseline') return 'baseline (mu + b_u + b_i)';
  return `${m.implicit ? 'implicit' : 'explicit'} ${m.algo} model itself, rank ${m.rank}`;
}
