/**
 * A model beside its baselines on one test set: the numbers that say whether a model is worth its
 * cost. Rows: the model ranking by its own factors, its ranking model (when it carries one), the
 * baseline μ + b_u + b_i and popularity. Columns: RMSE, MAE (rating models only) and
 * precision/recall/NDCG@k over the whole catalogue, training items left out (see metrics.ts).
 */
import type { Ratings } from '../data/ratings.ts';
import type { Dataset } from '../data/dataset.ts';
import { Model } from './model.ts';
import { evaluate } from './metrics.ts';
import { fitBaseline, fitPopularity } from './baseline.ts';

export async function compareWithBaselines(model: Model, train: Dataset | Ratings, test: Ratings, k = 10): Promise<Record<string, Record<string, number>>> {
  const tr = 'ratings' in train ? train.ratings : train;
  const ranked = [`precision@${k}`, `recall@${k}`, `ndcg@${k}`];
  const rows: Record<string, Record<string, number>> = {};
  rows[`${model.algo} (own factors)`] = (await evaluate(model, test, { metrics: ['rmse', 'mae', ...ranked], rankBy: 'explicit' })).metrics;
  if (model.ranker) rows[`${model.algo} + ranking model`] = { rmse: rows[`${model.algo} (own factors)`].rmse, mae: rows[`${model.algo} (own factors)`].mae, ...(await evaluate(model, test, { metrics: ranked, rankBy: 'ranking' })).metrics };
  for (const [name, fit] of [['baseline', fitBaseline(train)], ['popularity', fitPopularity(train)]] as const) {
    const m = new Model(fit.model, { gpu: model.gpu, seen: tr });
    try {
      const metrics = name === 'popularity' ? ranked : ['rmse', 'mae', ...ranked];
      rows[name] = { rmse: NaN, mae: NaN, ...(await evaluate(m, test, { metrics })).metrics };
    } finally {
      m.destroy();
    }
  }
  return rows;
}
