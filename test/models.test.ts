/**
 * Baselines, the ranking model recommend uses, the zero-rating fallback and the model file carrying
 * both models (CPU path; the GPU path of the same verbs is in test/gpu/cases-ranking.ts).
 */
import { describe, expect, it } from 'vitest';
import { fitBaseline, fitPopularity } from '../src/model/baseline.ts';
import { fitRankingModel, fitRecommender, ratedEvents, withRanking } from '../src/model/ranking.ts';
import { compareWithBaselines } from '../src/model/compare.ts';
import { addItemsFromContent, foldInItems } from '../src/model/coldstart.ts';
import { fitContentMap, itemFeatures, rowsFromContent } from '../src/model/content.ts';
import { Model } from '../src/model/model.ts';
import { evaluate } from '../src/model/metrics.ts';
import { decodeModel, encodeModel, loadModel } from '../src/model/io.ts';
import { splitRandom } from '../src/data/split.ts';
import { generatePreset } from '../src/data/synthetic.ts';
import type { Ratings } from '../src/data/ratings.ts';
import { Rng } from '../src/util/random.ts';

function tiny(): Ratings {
  // 3 users x 4 items; item 3 unrated, user 2 rates one item
  const t = [
    [0, 0, 5], [0, 1, 3], [0, 2, 4],
    [1, 0, 4], [1, 1, 1],
    [2, 0, 2],
  ];
  return {
    users: Int32Array.from(t, (x) => x[0]),
    items: Int32Array.from(t, (x) => x[1]),
    values: Float32Array.from(t, (x) => x[2]),
    nUsers: 3,
    nItems: 4,
  };
}

describe('baseline (mu + b_u + b_i)', () => {
  it('one iteration is the closed form b_i = Σ(r − μ)/(λ_i + n_i), then b_u = Σ(r − μ − b_i)/(λ_u + n_u)', () => {
    const r = tiny();
    const f = fitBaseline(r, { lambdaItem: 2, lambdaUser: 3, iterations: 1 });
    const mu = 19 / 6;
    const bi = [(5 + 4 + 2 - 3 * mu) / 5, (3 + 1 - 2 * mu) / 4, (4 - mu) / 3, 0];
    const bu = [(5 - mu - bi[0] + 3 - mu - bi[1] + 4 - mu - bi[2]) / 6, (4 - mu - bi[0] + 1 - mu - bi[1]) / 5, (2 - mu - bi[0]) / 4];
    const m = new Model(f.model);
    expect(m.mu).toBeCloseTo(mu, 6);
    for (let u = 0; u < 3; u++) for (let i = 0; i < 4; i++) expect(m.scoreIndex(u, i)).toBeCloseTo(mu + bu[u] + bi[i], 5);
  });

  it('converged biases satisfy both stationarity equations of the regularized objective', () => {
    const ds = generatePreset('ml-100k', { seed: 3, nUsers: 60, nItems: 90, nRatings: 1500 });
    const r = ds.ratings;
    const f = fitBaseline(r, { iterations: 60 });
    const { mu, userFactors: U, itemFactors: V } = f.model;
    const bu = (u: number) => U[u * 3 + 1];
    const bi = (i: number) => V[i * 3 + 2];
    const gu = new Float64Array(r.nUsers);
    const gi = new Float64Array(r.nItems);
    for (let k = 0; k < r.values.length; k++) {
      const e = r.values[k] - mu - bu(r.users[k]) - bi(r.items[k]);
      gu[r.users[k]] += e;
      gi[r.items[k]] += e;
    }
    // ∂/∂b_u: Σ e = λ_u b_u, ∂/∂b_i: Σ e = λ_i b_i (f32 storage: ~1e-6 relative per term)
    for (let u = 0; u < r.nUsers; u++) expect(Math.abs(gu[u] - 15 * bu(u))).toBeLessThan(1e-3 * (1 + Math.abs(gu[u])));
    for (let i = 0; i < r.nItems; i++) expect(Math.abs(gi[i] - 10 * bi(i))).toBeLessThan(1e-3 * (1 + Math.abs(gi[i])));
    expect(f.history.at(-1)!.trainRmse).toBeLessThan(f.history[0].trainRmse + 1e-9);
  });

  it('rejects bad options with a clear error', () => {
    expect(() => fitBaseline(tiny(), { lambdaItem: -1 })).toThrow(/lambdaItem/);
    expect(() => fitBaseline(tiny(), { iterations: 1.5 })).toThrow(/iterations/);
  });
});

describe('popularity', () => {
  it('ranks by training count, ties to the lower index, seen items left out', async () => {
    const r = tiny();
    const m = new Model(fitPopularity(r).model, { seen: r });
    // counts: item0 3, item1 2, item2 1, item3 0
    const recs = await m.recommend(2, { k: 3 });
    expect(recs.map((x) => x.index)).toEqual([1, 2, 3]);
    expect(recs.map((x) => x.score)).toEqual([2, 1, 0]);
    expect((await m.recommend(0, { k: 4 })).map((x) => x.index)).toEqual([3]);
  });
});

describe('the ranking model recommend uses', () => {
  const ds = generatePreset('ml-100k', { seed: 5, nUsers: 80, nItems: 150, nRatings: 3000 });
  const { train, test } = splitRandom(ds.ratings, { testFraction: 0.1, seed: 2 });

  it('fitRecommender attaches an implicit model of rated events; recommend ranks by it, rankBy explicit by the own factors', async () => {
    const fit = await fitRecommender(train, { rank: 4, useBias: true, weightedLambda: true, iterations: 3, backend: 'cpu', ranking: { rank: 4, iterations: 3 } });
    expect(fit.model.ranking?.implicit).toBe(true);
    const own = await fitRankingModel(train, { rank: 4, iterations: 3, backend: 'cpu' });
    // same seed, same events: the attached model is the standalone one
    expect(Array.from(fit.model.ranking!.itemFactors)).toEqual(Array.from(own.model.itemFactors));
    const m = new Model(fit.model, { seen: train });
    const ranker = new Model(own.model, { seen: train });
    const plain = new Model({ ...fit.model, ranking: undefined }, { seen: train });
    for (const u of [0, 7, 19]) {
      expect((await m.recommend(u, { k: 10 })).map((x) => x.index)).toEqual((await ranker.recommend(u, { k: 10 })).map((x) => x.index));
      expect((await m.recommend(u, { k: 10, rankBy: 'explicit' })).map((x) => x.index)).toEqual((await plain.recommend(u, { k: 10 })).map((x) => x.index));
    }
    // predictions come from the explicit model
    expect(m.predict(3, 5)).toBe(plain.predict(3, 5));
    const ev = await evaluate(m, test, { metrics: ['rmse', 'ndcg@10'] });
    const evR = await evaluate(ranker, test, { metrics: ['ndcg@10'] });
    const evE = await evaluate(plain, test, { metrics: ['rmse', 'ndcg@10'] });
    expect(ev.metrics['ndcg@10']).toBe(evR.metrics['ndcg@10']);
    expect(ev.metrics.rmse).toBe(evE.metrics.rmse);
    expect(ev.rankedBy).toMatch(/ranking model: implicit ALS/);
    expect((await evaluate(m, test, { metrics: ['ndcg@10'], rankBy: 'explicit' })).metrics['ndcg@10']).toBe(evE.metrics['ndcg@10']);
    await expect(plain.recommend(0, { rankBy: 'ranking' })).rejects.toThrow(/no ranking model/);
  });

  it('the model file carries both models; a file without a ranking model loads as before', async () => {
    const fit = await fitRecommender(train, { rank: 3, iterations: 2, backend: 'cpu', ranking: { rank: 2, iterations: 2 } });
    const m = new Model(fit.model, { seen: train });
    const back = loadModel(encodeModel(m));
    expect(back.ranker).toBeDefined();
    expect(Array.from(back.ranker!.itemFactors)).toEqual(Array.from(fit.model.ranking!.itemFactors));
    expect((await back.recommend(4)).map((x) => x.index)).toEqual((await m.recommend(4)).map((x) => x.index));
    const old = decodeModel(encodeModel(new Model({ ...fit.model, ranking: undefined }, { seen: train })));
    expect(old.data.ranking).toBeUndefined();
    // a corrupted ranking block is caught like any other
    const bytes = encodeModel(m);
    bytes[bytes.length - 3] ^= 0x40;
    expect(() => decodeModel(bytes)).toThrow(/rankingItemFactors checksum/);
  });

  it('fold-in adds the user to both models (the ranking model sees the rated events)', async () => {
    const fit = await fitRecommender(train, { rank: 3, iterations: 2, backend: 'cpu', ranking: { rank: 3, iterations: 2 } });
    const m = new Model(fit.model, { seen: train });
    const alone = new Model(fit.model.ranking!, { seen: train });
    const rated: [number, number][] = [[1, 5], [4, 2], [9, 4]];
    const f = m.foldIn(rated);
    const g = alone.foldIn(rated.map(([i]) => [i, 1] as [number, number]));
    expect(f.index).toBe(g.index);
    expect(Array.from(m.ranker!.userFactors.subarray(f.index * 3))).toEqual(Array.from(g.factors));
    const recs = await m.recommend(f.index, { k: 5 });
    expect(recs.map((x) => x.index)).toEqual((await alone.recommend(g.index, { k: 5 })).map((x) => x.index));
    expect(recs.some((x) => [1, 4, 9].includes(x.index))).toBe(false);
  });

  it('a user with no training ratings gets the most-rated items, marked source popularity', async () => {
    const r = tiny();
    const withLonely: Ratings = { ...r, nUsers: 4 };
    const fit = await fitRecommender(withLonely, { rank: 2, iterations: 2, backend: 'cpu', ranking: { rank: 2, iterations: 2 } });
    const m = new Model(fit.model, { seen: withLonely });
    const recs = await m.recommend(3, { k: 2 });
    expect(recs.map((x) => [x.index, x.score, x.source])).toEqual([[0, 3, 'popularity'], [1, 2, 'popularity']]);
    expect((await m.recommend(0, { k: 1 }))[0].source).toBeUndefined();
    expect(m.recommendPopular({ k: 2, exclude: [0] }).map((x) => x.index)).toEqual([1, 2]);
  });

  it('ratedEvents sets every value to 1 and keeps the events', () => {
    const e = ratedEvents(tiny());
    expect(Array.from(e.values)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(e.items)).toEqual(Array.from(tiny().items));
    expect(() => withRanking(fitPopularity(tiny()).model, { ...fitPopularity(tiny()).model, nItems: 5 })).toThrow(/ranking model is/);
  });

  it('compareWithBaselines: one row per model, popularity has no RMSE, the baseline beats the global mean on planted biases', async () => {
    // ratings 3 + b_u + b_i + noise, b ~ N(0, 0.5), noise ~ N(0, 0.3): the biases are what there is to learn
    const rng = new Rng(4);
    const bu = Array.from({ length: 60 }, () => rng.normal() * 0.5);
    const bi = Array.from({ length: 80 }, () => rng.normal() * 0.5);
    const uu: number[] = [];
    const ii: number[] = [];
    const vv: number[] = [];
    for (let u = 0; u < 60; u++) for (let i = 0; i < 80; i++) if (rng.next() < 0.3) {
      uu.push(u);
      ii.push(i);
      vv.push(3 + bu[u] + bi[i] + rng.normal() * 0.3);
    }
    const all: Ratings = { users: Int32Array.from(uu), items: Int32Array.from(ii), values: Float32Array.from(vv), nUsers: 60, nItems: 80 };
    const { train, test } = splitRandom(all, { testFraction: 0.2, seed: 1 });
    const fit = await fitRecommender(train, { rank: 3, iterations: 2, backend: 'cpu', ranking: { rank: 3, iterations: 2 } });
    const m = new Model(fit.model, { seen: train });
    const rows = await compareWithBaselines(m, train, test);
    expect(Object.keys(rows)).toEqual(['als (own factors)', 'als + ranking model', 'baseline', 'popularity']);
    expect(Number.isNaN(rows.popularity.rmse)).toBe(true);
    let sse = 0;
    const mu = train.values.reduce((a, b) => a + b, 0) / train.values.length;
    for (const v of test.values) sse += (v - mu) ** 2;
    expect(rows.baseline.rmse).toBeLessThan(0.7 * Math.sqrt(sse / test.values.length));
    for (const row of Object.values(rows)) expect(row['ndcg@10']).toBeGreaterThanOrEqual(0);
  });
});

describe('item fold-in (the mirror of user fold-in)', () => {
  it('folding in a training item\'s ratings reproduces its last ALS item solve, in the explicit and the ranking model', async () => {
    const ds = generatePreset('ml-100k', { seed: 9, nUsers: 70, nItems: 60, nRatings: 1800 });
    const r = ds.ratings;
    const fit = await fitRecommender(r, { rank: 4, iterations: 3, backend: 'cpu', ranking: { rank: 3, iterations: 3 } });
    const m = new Model(fit.model, { seen: r });
    const j = 5;
    const ratings: [number, number][] = [];
    for (let k = 0; k < r.values.length; k++) if (r.items[k] === j) ratings.push([r.users[k], r.values[k]]);
    expect(ratings.length).toBeGreaterThan(3);
    const m2 = foldInItems(m, [{ ratings, title: 'new' }]);
    expect(m2.nItems).toBe(61);
    const S = m.stride;
    const got = Array.from(m2.itemFactors.subarray(60 * S, 61 * S));
    const want = Array.from(m.itemFactors.subarray(j * S, (j + 1) * S));
    for (let c = 0; c < S; c++) expect(Math.abs(got[c] - want[c])).toBeLessThan(1e-4 * (1 + Math.abs(want[c])));
    const RS = m.ranker!.stride;
    const gr = Array.from(m2.ranker!.itemFactors.subarray(60 * RS, 61 * RS));
    const wr = Array.from(m.ranker!.itemFactors.subarray(j * RS, (j + 1) * RS));
    for (let c = 0; c < RS; c++) expect(Math.abs(gr[c] - wr[c])).toBeLessThan(1e-4 * (1 + Math.abs(wr[c])));
    // the new item is recommendable to users who did not rate it, seen by those who did, and similar to its twin
    const rater = ratings[0][0];
    expect(m2.seenOf(rater)).toContain(60);
    const sim = await m2.similarItems(60, 1);
    expect(sim[0].index).toBe(j);
    const all = await m2.recommend(rater, { k: 61, rankBy: 'explicit' });
    expect(all.some((x) => x.index === 60)).toBe(false);
    expect(m.nItems).toBe(60); // the original is untouched
  });

  it('bad input is a clear error', () => {
    const r = tiny();
    const m = new Model(fitBaseline(r).model, { seen: r });
    expect(() => foldInItems(m, [])).toThrow(/at least one item/);
    expect(() => foldInItems(m, [{ ratings: [] }])).toThrow(/no ratings/);
    expect(() => foldInItems(m, [{ ratings: [[0, 1], [0, 2]] }])).toThrow(/twice/);
    expect(() => foldInItems(m, [{ ratings: [[9, 1]] }])).toThrow(/unknown user/);
    expect(() => foldInItems(m, [{ id: 'x', ratings: [[0, 1]] }])).toThrow(/no item ID map/);
  });
});

describe('content-based new items (ridge map from metadata to factor rows)', () => {
  it('recovers a planted linear map from features to item rows, and new items get fᵀW with the constant column 1', () => {
    const rng = new Rng(12);
    const nItems = 40;
    const rank = 3;
    const S = rank + 2;
    const meta = {
      titles: Array.from({ length: nItems }, (_, i) => `m${i}`),
      genres: Array.from({ length: nItems }, (_, i) => (['A', 'B', 'C'] as const).filter((_, g) => (i >> g) & 1 || rng.next() < 0.3)),
      years: Float64Array.from({ length: nItems }, (_, i) => (i % 7 === 0 ? NaN : 1960 + i)),
    };
    const F = itemFeatures(meta);
    expect(F.names).toEqual(['A', 'B', 'C', 'year', 'no year', 'intercept']);
    const W0 = Float64Array.from({ length: F.d * S }, () => rng.normal());
    const Y = new Float32Array(nItems * S);
    for (let i = 0; i < nItems; i++) for (let c = 0; c < S; c++) for (let a = 0; a < F.d; a++) Y[i * S + c] += F.rows[i * F.d + a] * W0[a * S + c];
    for (let i = 0; i < nItems; i++) Y[i * S + rank] = 1; // the item row's constant column
    const users = new Float32Array(5 * S).map(() => rng.normal());
    const m = new Model({ algo: 'als', rank, bias: true, implicit: false, stride: S, mu: 3, nUsers: 5, nItems, userFactors: users, itemFactors: Y, hyperparams: {} });
    const map = fitContentMap(m, F, { lambda: 1e-9 });
    for (let a = 0; a < F.d; a++) for (const c of [0, 1, 2, 4]) expect(Math.abs(map.W[a * S + c] - W0[a * S + c])).toBeLessThan(1e-4 * (1 + Math.abs(W0[a * S + c])));
    const rows = rowsFromContent(map, m, F.rows.subarray(0, 2 * F.d), 2);
    for (let c = 0; c < S; c++) expect(rows[c]).toBeCloseTo(Y[c], 3);
    expect(rows[rank]).toBe(1);
    expect(() => fitContentMap(m, { ...F, n: 3 })).toThrow(/feature rows/);
    expect(() => fitContentMap(m, F, { lambda: 0 })).toThrow(/lambda/);
  });

  it('addItemsFromContent: unseen items join recommend and similarItems in both models; the ranking model needs its own map', async () => {
    const ds = generatePreset('ml-100k', { seed: 13, nUsers: 40, nItems: 40, nRatings: 800 });
    const r = ds.ratings;
    const fit = await fitRecommender(r, { rank: 3, iterations: 2, backend: 'cpu', ranking: { rank: 3, iterations: 2 } });
    const m = new Model(fit.model, { seen: r });
    const meta = { titles: Array.from({ length: 40 }, (_, i) => `m${i}`), genres: Array.from({ length: 40 }, (_, i) => [i % 2 ? 'odd' : 'even']), years: new Float64Array(40).fill(2000) };
    const F = itemFeatures(meta);
    const map = fitContentMap(m, F);
    const rmap = fitContentMap(m.ranker!, F);
    expect(() => addItemsFromContent(m, [{ features: F.rows.subarray(0, F.d) }], map)).toThrow(/ranking model/);
    const m2 = addItemsFromContent(m, [{ features: F.rows.subarray(0, F.d), title: 'new even' }], map, rmap);
    expect(m2.nItems).toBe(41);
    expect(m2.itemTitles).toBeUndefined();
    const all = await m2.recommend(0, { k: 41 });
    expect(all.some((x) => x.index === 40)).toBe(true);
    const sim = await m2.similarItems(40, 40);
    expect(sim.map((x) => x.index)).toContain(0);
    const own = m2.scoreIndex(0, 40);
    const want = rowsFromContent(map, m, F.rows.subarray(0, F.d), 1);
    let v = m.mu;
    for (let c = 0; c < m.stride; c++) v += m.userFactors[c] * want[c];
    expect(own).toBeCloseTo(v, 5);
  });
});
