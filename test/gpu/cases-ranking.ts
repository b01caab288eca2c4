/**
 * The ranking model and the baselines on the GPU, each against the f64 CPU path:
 *  - a model carrying a ranking model recommends (and evaluate ranks) by it on the device;
 *  - fitRecommender on the GPU gives the ranking quality the CPU fit gives;
 *  - popularity and baseline models score on the device exactly / within f32 rounding.
 * Browser-safe (shared by Node and headless Chrome).
 *
 * Tolerances. Scores: a GPU score is mu + Σ_{c<stride} x_c y_c summed in f32, within
 * (stride + 1)·u·(|mu| + Σ|x_c y_c|) of the exact value (u = 2⁻²⁴); we allow twice that. Lists: the
 * ranker's factors are Gaussian-like, so exact near-ties are rare and (nearly) every user's GPU list
 * equals the CPU list; we allow two users in a hundred to differ by a swap inside the rounding band.
 * Popularity scores are integer counts below 2²⁴: exact in f32, so the lists must be identical.
 * Whole fits (f32 GPU vs f64 CPU ALS) drift in the factors by rounding amplified over iterations;
 * the metrics may then differ only through the users whose top-10 lists differ: each moves a mean
 * over the ranked users by at most 1/users, and the tests bound the metrics by exactly that count.
 */
import type { GpuContext } from '../../src/gpu/context.ts';
import { Model } from '../../src/model/model.ts';
import { evaluate, ndcgOnDevice } from '../../src/model/metrics.ts';
import { Rng } from '../../src/util/random.ts';
import { fitBaseline, fitPopularity } from '../../src/model/baseline.ts';
import { fitRankingModel, fitRecommender, withRanking } from '../../src/model/ranking.ts';
import type { FactorModelData } from '../../src/model/types.ts';
import { expect, expectClose } from './check.ts';
import { plantedRatings, randomFactors, setConstColumn } from './fixtures.ts';
import type { GpuCase } from './types.ts';

const U32 = 2 ** -24;

function explicitData(seed: number, nUsers: number, nItems: number, rank: number): FactorModelData {
  const stride = rank + 2;
  const X = setConstColumn(randomFactors(seed, nUsers, stride, 0.6), nUsers, rank, 'user');
  const Y = setConstColumn(randomFactors(seed + 1, nItems, stride, 0.6), nItems, rank, 'item');
  return { algo: 'als', rank, bias: true, implicit: false, stride, mu: 3.5, nUsers, nItems, userFactors: X, itemFactors: Y, hyperparams: { lambda: 0.1 }, ratingScale: [1, 5] };
}

function scoreScale(m: Model, u: number, i: number): number {
  let s = Math.abs(m.mu);
  for (let c = 0; c < m.stride; c++) s += Math.abs(m.userFactors[u * m.stride + c] * m.itemFactors[i * m.stride + c]);
  return s;
}

export const rankingCases: GpuCase[] = [
  {
    name: 'recommend and evaluate rank by the attached ranking model on the GPU like the f64 CPU path; rankBy explicit uses the own factors',
    run: async (gpu: GpuContext) => {
      const nUsers = 100;
      const nItems = 700;
      const { train, test } = plantedRatings(31, nUsers, nItems, 4, 0.05, 0.3);
      const rk = await fitRankingModel(train, { rank: 6, iterations: 3, backend: 'cpu' });
      const data = withRanking(explicitData(30, nUsers, nItems, 5), rk.model);
      const m = new Model(data, { gpu, seen: train });
      try {
        const users = Uint32Array.from({ length: nUsers }, (_, u) => u);
        let differAuto = nUsers;
        for (const rankBy of ['auto', 'explicit'] as const) {
          const scorer = m.rankerFor(rankBy);
          const ref = await m.recommendIndices(users, { k: 10, rankBy }, 'cpu');
          const got = await m.recommendIndices(users, { k: 10, rankBy }, 'gpu');
          let same = 0;
          for (let u = 0; u < nUsers; u++) {
            const exact = Array.from(got[u].index, (i) => scorer.scoreIndex(u, i));
            const scale = Array.from(got[u].index, (i) => scoreScale(scorer, u, i));
            expectClose(`${rankBy}: user ${u} scores`, got[u].score, exact, { rtol: 2 * (scorer.stride + 1) * U32, scale });
            if (got[u].index.every((v, j) => v === ref[u].index[j])) same++;
          }
          expect(same >= nUsers - 2, `${rankBy}: only ${same}/${nUsers} users got exactly the CPU list`);
          if (rankBy === 'auto') differAuto = nUsers - same;
        }
        const metrics = ['precision@10', 'recall@10', 'ndcg@10'];
        const c = await evaluate(m, test, { metrics, backend: 'cpu' });
        const g = await evaluate(m, test, { metrics, backend: 'gpu' });
        expect(g.rankedBy === c.rankedBy && /ranking model/.test(g.rankedBy ?? ''), `rankedBy: GPU ${g.rankedBy}, CPU ${c.rankedBy}`);
        // Each metric is a mean over the g.users ranked users of a per-user value in [0, 1], computed
        // in f64 from the top-10 lists. The lists are the ones compared above (evaluate ranks by the
        // same 'auto' scorer, seen items filtered), so only the differAuto users whose GPU list is not
        // the CPU's can move a metric, each by at most 1/g.users; with every list equal it is f64
        // summation order (1e-12). A GPU result of 0 (or any real bug) is far outside this.
        expect(g.users === c.users && g.users > 50, `users ranked: GPU ${g.users}, CPU ${c.users}`);
        const atol = differAuto / g.users + 1e-12;
        for (const name of metrics) expectClose(name, [g.metrics[name]], [c.metrics[name]], { rtol: 0, atol });
        expect(c.metrics['ndcg@10'] > 0 && c.metrics['precision@10'] > 0, `the metrics are not degenerate (ndcg@10 ${c.metrics['ndcg@10']})`);
      } finally {
        m.destroy();
      }
    },
  },
  {
    name: 'fitRecommender on the GPU: the ranking model it attaches ranks as the CPU fit does (NDCG@10 within what its differing top-10 lists allow) and beats popularity',
    run: async (gpu: GpuContext) => {
      const { train, test } = plantedRatings(41, 60, 300, 3, 0.15, 0.3);
      const opts = { rank: 3, iterations: 3, useBias: true, weightedLambda: true, ranking: { rank: 4, iterations: 4 } };
      const fg = await fitRecommender(train, { ...opts, backend: 'gpu', gpu });
      const fc = await fitRecommender(train, { ...opts, backend: 'cpu' });
      expect(fg.backend === 'gpu', `the GPU fit ran on ${fg.backend}`);
      const mg = new Model(fg.model, { gpu, seen: train });
      const mc = new Model(fc.model, { seen: train });
      const pop = new Model(fitPopularity(train).model, { seen: train });
      try {
        const g = await evaluate(mg, test, { metrics: ['ndcg@10'], backend: 'gpu' });
        const c = await evaluate(mc, test, { metrics: ['ndcg@10'], backend: 'cpu' });
        const p = await evaluate(pop, test, { metrics: ['ndcg@10'], backend: 'cpu' });
        // The two fits agree to f32 rounding of different summation orders (the ALS whole-fit cases
        // bound that), so their top-10 lists can differ only where two scores nearly tie. Count the
        // users whose lists differ (both ranked on the CPU, so only the factors differ): NDCG@10 is a
        // mean over g.users users of a value in [0, 1], so it can move by at most that count / g.users.
        const users = Uint32Array.from({ length: 60 }, (_, u) => u);
        const lg = await mg.recommendIndices(users, { k: 10 }, 'cpu');
        const lc = await mc.recommendIndices(users, { k: 10 }, 'cpu');
        const differ = lg.filter((l, u) => l.index.some((v, j) => v !== lc[u].index[j])).length;
        expect(differ <= 6, `the GPU and CPU fits rank differently for ${differ}/60 users`);
        expect(g.users === c.users && g.users > 20, `users ranked: GPU ${g.users}, CPU ${c.users}`);
        expectClose('ndcg@10 GPU fit vs CPU fit', [g.metrics['ndcg@10']], [c.metrics['ndcg@10']], { rtol: 0, atol: differ / g.users + 1e-12 });
        expect(c.metrics['ndcg@10'] > p.metrics['ndcg@10'], `ranking model NDCG@10 ${c.metrics['ndcg@10']} does not beat popularity ${p.metrics['ndcg@10']}`);
      } finally {
        mg.destroy();
      }
    },
  },
  {
    name: 'popularity ranks identically on the GPU (integer counts are exact in f32); baseline predictions match f64',
    run: async (gpu: GpuContext) => {
      const { train, test } = plantedRatings(51, 80, 500, 3, 0.08, 0.3);
      const pop = new Model(fitPopularity(train).model, { gpu, seen: train });
      const base = new Model(fitBaseline(train).model, { gpu, seen: train });
      try {
        const users = Uint32Array.from({ length: 80 }, (_, u) => u);
        const c = await pop.recommendIndices(users, { k: 20 }, 'cpu');
        const g = await pop.recommendIndices(users, { k: 20 }, 'gpu');
        for (let u = 0; u < 80; u++) {
          expect(g[u].index.every((v, j) => v === c[u].index[j]), `user ${u}: GPU popularity list ${g[u].index} vs CPU ${c[u].index}`);
          expectClose(`user ${u} counts`, g[u].score, c[u].score, { rtol: 0, atol: 0 });
        }
        const tu = new Uint32Array(test.users.buffer, test.users.byteOffset, test.users.length);
        const ti = new Uint32Array(test.items.buffer, test.items.byteOffset, test.items.length);
        const pc = await base.predictIndices(tu, ti, 'cpu');
        const pg = await base.predictIndices(tu, ti, 'gpu');
        // mu + b_u + b_i: three f32 terms, each < 6 in magnitude
        expectClose('baseline predictions', pg, pc, { rtol: 4 * 4 * U32, atol: 4 * 6 * U32 });
      } finally {
        pop.destroy();
        base.destroy();
      }
    },
  },
  {
    name: 'ndcgOnDevice: NDCG@k of factors on the device from one word of hits per user equals evaluate on the GPU bit for bit, and the f64 CPU path within its differing top-k lists',
    run: async (gpu: GpuContext) => {
      // 300 users: two batches of ranked users (256 + 44), so the masks of the second land at its offset
      const nUsers = 300;
      const nItems = 400;
      const { train, test: planted } = plantedRatings(41, nUsers, nItems, 4, 0.05, 0.3);
      const rk = await fitRankingModel(train, { rank: 6, iterations: 3, backend: 'cpu' });
      const m = new Model(rk.model, { gpu, seen: train });
      try {
        // Held-out items the model ranks high, so that hits fall at every position of the top k: the
        // planted test ratings (random items: few hits) and, per user, every third of the CPU's top 20
        const all = Uint32Array.from({ length: nUsers }, (_, u) => u);
        const top20 = (await m.rankUsers(all, { k: 20, filterSeen: true }, 'cpu')).top;
        const tu: number[] = Array.from(planted.users);
        const ti: number[] = Array.from(planted.items);
        top20.forEach((l, u) => l.index.forEach((i, p) => (u + p) % 3 === 0 && (tu.push(u), ti.push(i))));
        const test = { users: Int32Array.from(tu), items: Int32Array.from(ti), values: new Float32Array(tu.length).fill(1), nUsers, nItems };
        const input = { gpu, users: m.deviceUsers(), items: m.deviceItems(), nUsers, nItems, stride: m.stride, mu: m.mu, kernels: m.kernels };
        for (const k of [10, 3]) {
          const name = `ndcg@${k}`;
          const d = await ndcgOnDevice(input, test, (u) => m.seenOf(u), k);
          const g = await evaluate(m, test, { metrics: [name], backend: 'gpu' });
          const c = await evaluate(m, test, { metrics: [name], backend: 'cpu' });
          expect(d.users === g.users && d.users > 256, `users ranked: on the device ${d.users}, evaluate ${g.users}`);
          // the same top k (the same kernels on the same factors), and the host sums the same terms
          // in the same order from the mask as from the list: equal, not close
          expect(Object.is(d.ndcg, g.metrics[name]), `${name}: on the device ${d.ndcg}, evaluate on the GPU ${g.metrics[name]}`);
          // against f64: only users whose GPU top k differs from the CPU's can move the mean, each by
          // at most 1/users (the argument at the top of this file); they are counted here
          const users = Uint32Array.from(new Set(Array.from(test.users))).sort();
          const lg = await m.rankUsers(users, { k, filterSeen: true }, 'gpu');
          const lc = await m.rankUsers(users, { k, filterSeen: true }, 'cpu');
          const differ = lg.top.filter((l, u) => l.index.length !== lc.top[u].index.length || l.index.some((v, j) => v !== lc.top[u].index[j])).length;
          expect(differ <= 6, `${name}: the GPU and CPU rank differently for ${differ}/${users.length} users`);
          expectClose(name, [d.ndcg], [c.metrics[name]], { rtol: 0, atol: differ / d.users + 1e-12 });
          expect(d.ndcg > 0.2 && d.ndcg < 0.9, `${name} is not degenerate (${d.ndcg})`);
        }
      } finally {
        m.destroy();
      }
      // A catalogue smaller than k once seen items are filtered: each user rated 8 of 12 items, so each
      // top 10 holds 4 candidates followed by masked (seen) entries, and one of each user's test items
      // is also a training item (evaluate leaves it out of the relevant set). The short lists must give
      // the same NDCG from the device's masks as evaluate's lists, bit for bit.
      {
        const nU = 30;
        const nI = 12;
        const rng = new Rng(43);
        const us: number[] = [];
        const is: number[] = [];
        const vs: number[] = [];
        const tu: number[] = [];
        const ti: number[] = [];
        for (let u = 0; u < nU; u++) {
          const order = rng.shuffle(Array.from({ length: nI }, (_, i) => i));
          for (const i of order.slice(0, 8)) (us.push(u), is.push(i), vs.push(1));
          for (const i of [order[8], order[9], order[0]]) (tu.push(u), ti.push(i));
        }
        const small = { users: Int32Array.from(us), items: Int32Array.from(is), values: Float32Array.from(vs), nUsers: nU, nItems: nI };
        const rk = await fitRankingModel(small, { rank: 4, iterations: 3, backend: 'cpu' });
        const sm = new Model(rk.model, { gpu, seen: small });
        try {
          const test = { users: Int32Array.from(tu), items: Int32Array.from(ti), values: new Float32Array(tu.length).fill(1), nUsers: nU, nItems: nI };
          const input = { gpu, users: sm.deviceUsers(), items: sm.deviceItems(), nUsers: nU, nItems: nI, stride: sm.stride, mu: sm.mu, kernels: sm.kernels };
          const d = await ndcgOnDevice(input, test, (u) => sm.seenOf(u), 10);
          const g = await evaluate(sm, test, { metrics: ['ndcg@10'], backend: 'gpu' });
          expect(Object.is(d.ndcg, g.metrics['ndcg@10']), `4 candidates for k = 10: on the device ${d.ndcg}, evaluate on the GPU ${g.metrics['ndcg@10']}`);
          expect(d.ndcg > 0 && d.ndcg < 1, `NDCG@10 over 4 candidates is not degenerate (${d.ndcg})`);
        } finally {
          sm.destroy();
        }
      }
    },
  },
];
