/**
 * Model-out GPU cases: recommend (tiled scoring + multi-pass top-k), masking (seen / exclude /
 * include), deterministic ties, cosine similar items/users, batched clipped predict, fold-in users
 * on the device, and evaluate()'s ranking metrics — each against the f64 CPU path of the same Model.
 * Browser-safe (shared by Node and headless Chrome).
 *
 * Tolerance argument (scores): a GPU score is mu + Σ_{c<stride} x_c y_c accumulated in f32 in
 * column order, so |gpu − exact| ≤ (stride + 1)·u·(|mu| + Σ|x_c y_c|) to first order (u = 2⁻²⁴).
 * We allow 2(stride + 2)·u times that magnitude. Rankings: the GPU list must be a valid top-k of
 * the f64 scores up to twice that bound (an item swapped with one whose exact score is within the
 * rounding band is correct behaviour, anything else fails), and with exact ties (duplicated
 * factor rows give bit-identical f32 scores) the lower index must come first.
 */
import type { GpuContext } from '../../src/gpu/context.ts';
import { Model } from '../../src/model/model.ts';
import { evaluate } from '../../src/model/metrics.ts';
import { encodeModel, loadModel } from '../../src/model/io.ts';
import { IdMap } from '../../src/data/ratings.ts';
import { buildCsr, type Ratings } from '../../src/data/ratings.ts';
import type { FactorModelData } from '../../src/model/types.ts';
import { Rng } from '../../src/util/random.ts';
import { fitAls } from '../../src/train/als/index.ts';
import { CheckError, expect, expectClose, expectThrows } from './check.ts';
import { deviceFactorChecks, randomFactors, setConstColumn, sparseRatings } from './fixtures.ts';
import type { GpuCase } from './types.ts';
import { expectSameBits, limitedContext } from './cases-chunks.ts';
import { factorWindows } from '../../src/kernels/factor-windows.ts';

const U32 = 2 ** -24;

function modelData(seed: number, nUsers: number, nItems: number, rank: number, bias: boolean, extra: Partial<FactorModelData> = {}): FactorModelData {
  const stride = bias ? rank + 2 : rank;
  const X = randomFactors(seed, nUsers, stride, 0.6);
  const Y = randomFactors(seed + 1, nItems, stride, 0.6);
  if (bias) {
    setConstColumn(X, nUsers, rank, 'user');
    setConstColumn(Y, nItems, rank, 'item');
  }
  return { algo: 'als', rank, bias, implicit: false, stride, mu: bias ? 3.5 : 0, nUsers, nItems, userFactors: X, itemFactors: Y, hyperparams: { lambda: 0.1 }, ...extra };
}

/** Magnitude scale of each score: |mu| + Σ|x_c y_c|. */
function scoreScale(m: Model, u: number, i: number): number {
  const X = m.userFactors;
  const Y = m.itemFactors;
  let s = Math.abs(m.mu);
  for (let c = 0; c < m.stride; c++) s += Math.abs(X[u * m.stride + c] * Y[i * m.stride + c]);
  return s;
}

/** The GPU top-k list is a valid top-k of the exact scores, within the rounding band. */
function checkTopK(label: string, m: Model, u: number, got: { index: Uint32Array; score: Float32Array }, candidates: number[], k: number): void {
  const tol = (i: number) => 2 * (m.stride + 2) * U32 * scoreScale(m, u, i);
  const want = Math.min(k, candidates.length);
  expect(got.index.length === want, `${label}: ${got.index.length} items, expected ${want}`);
  const inList = new Set<number>();
  const cand = new Set(candidates);
  for (let j = 0; j < got.index.length; j++) {
    const i = got.index[j];
    expect(cand.has(i), `${label}: position ${j}: item ${i} is not a candidate (seen, excluded or outside include)`);
    expect(!inList.has(i), `${label}: item ${i} twice`);
    inList.add(i);
    const exact = m.scoreIndex(u, i);
    expectClose(`${label}: score of item ${i} at position ${j}`, [got.score[j]], [exact], { rtol: 0, atol: tol(i) });
    if (j > 0) {
      const prev = got.index[j - 1];
      const ep = m.scoreIndex(u, prev);
      if (!(ep >= exact - tol(i) - tol(prev))) throw new CheckError(`${label}: order: item ${prev} (${ep}) before item ${i} (${exact})`);
    }
  }
  if (got.index.length) {
    const last = got.index[got.index.length - 1];
    const floor = m.scoreIndex(u, last) + tol(last);
    for (const i of candidates) {
      if (inList.has(i)) continue;
      const s = m.scoreIndex(u, i);
      if (s > floor + tol(i)) throw new CheckError(`${label}: item ${i} (exact score ${s}) left out but beats the last returned item ${last} (${m.scoreIndex(u, last)})`);
    }
  }
}

const VARIANTS = ['tiled', 'direct'] as const;

/** Runs `fn` with the model's GPU kernels set to each family in turn (staged tiles + bitonic, and direct). */
async function eachVariant(m: Model, fn: (variant: string) => Promise<void>): Promise<void> {
  for (const v of VARIANTS) {
    m.kernels = v;
    try {
      await fn(v);
    } catch (e) {
      if (e instanceof CheckError) throw new CheckError(`[${v} kernels] ${e.message}`);
      throw e;
    }
  }
}

function seenRatings(seed: number, nUsers: number, nItems: number): Ratings {
  return sparseRatings(seed, nUsers, nItems, [0, 3, 40, 250]);
}

async function recommendCase(gpu: GpuContext, nUsers: number, nItems: number, rank: number, bias: boolean, k: number, seed: number): Promise<void> {
  const seen = seenRatings(seed + 7, nUsers, nItems);
  const m = new Model(modelData(seed, nUsers, nItems, rank, bias), { gpu, seen });
  try {
    const users = Uint32Array.from({ length: nUsers }, (_, u) => u);
    const ref = await m.recommendIndices(users, { k }, 'cpu');
    await eachVariant(m, async () => {
      const got = await m.recommendIndices(users, { k }, 'gpu');
      let same = 0;
      for (let u = 0; u < nUsers; u++) {
        const s = new Set(m.seenOf(u));
        const cands = Array.from({ length: nItems }, (_, i) => i).filter((i) => !s.has(i));
        checkTopK(`user ${u}`, m, u, got[u], cands, k);
        if (got[u].index.every((v, j) => v === ref[u].index[j])) same++;
      }
      // random Gaussian scores: exact agreement is expected for (nearly) every user
      expect(same >= nUsers - 2, `only ${same}/${nUsers} users got exactly the CPU list`);
    });
  } finally {
    m.destroy();
  }
}

export const modelCases: GpuCase[] = [
  {
    // 20,000 users x (16 + 2) floats = 1.44 MB: over a 1 MiB binding, one 2 MiB buffer in two windows.
    // Every score reads the same rows in the same order either way, so the results are the same bits.
    name: 'factor windows: recommend, similar users and batched predict on 20,000 x 16 biased user factors over a 1 MiB binding equal the one-binding results bit for bit',
    run: async (gpu) => {
      if (gpu.requestedLimits.maxStorageBufferBindingSize) return; // the comparison needs the unlimited context first
      const nUsers = 20_000;
      const nItems = 300;
      const small = await limitedContext(gpu);
      const data = modelData(70, nUsers, nItems, 16, true, { ratingScale: [1, 5] });
      const seen = seenRatings(71, nUsers, nItems);
      const models = [new Model(data, { gpu, seen }), new Model(data, { gpu: small, seen })];
      try {
        expect(factorWindows(small, nUsers, data.stride).count === 2, 'two windows under 1 MiB');
        const rng = new Rng(9);
        const users = Uint32Array.from({ length: 64 }, () => rng.int(nUsers));
        users[0] = nUsers - 1; // a row of the second window
        const pu = Uint32Array.from({ length: 4000 }, () => rng.int(nUsers));
        const pi = Uint32Array.from({ length: 4000 }, () => rng.int(nItems));
        const [a, b] = await Promise.all(
          models.map(async (m) => ({
            rec: await m.recommendIndices(users, { k: 10 }, 'gpu'),
            sim: await m.similarIndices('user', nUsers - 2, 12, {}, 'gpu'),
            sim0: await m.similarIndices('user', 3, 12, {}, 'gpu'),
            pred: await m.predictIndices(pu, pi, 'gpu'),
          })),
        );
        a.rec.forEach((r, j) => {
          expect(r.index.join() === b.rec[j].index.join(), `user ${users[j]}: the same top 10`);
          expectSameBits(`user ${users[j]}: top-10 scores`, b.rec[j].score, r.score);
        });
        for (const k of ['sim', 'sim0'] as const) {
          expect(a[k].index.join() === b[k].index.join(), `${k}: the same similar users`);
          expectSameBits(`${k}: cosine scores`, b[k].score, a[k].score);
        }
        expectSameBits('batched predict', b.pred, a.pred);
        // and the one-binding answers are the f64 ones (the other model cases argue the tolerance)
        const ref = Array.from(pu, (u, k) => Math.min(5, Math.max(1, models[0].scoreIndex(u, pi[k]))));
        expectClose('predictions vs f64', a.pred, ref, { rtol: 2 * (models[0].stride + 2) * U32, scale: Array.from(pu, (u, k) => scoreScale(models[0], u, pi[k])) });
      } finally {
        for (const m of models) m.destroy();
        small.destroy();
      }
    },
  },
  {
    name: 'recommend top-10 over 3,000 items (multi-pass top-k) with seen items filtered matches f64, biased rank 8, both kernel families',
    run: (gpu) => recommendCase(gpu, 12, 3000, 8, true, 10, 11),
  },
  {
    name: 'recommend top-512 (the on-device maximum) and top-600 (host selection) over 1,500 items, rank 5',
    run: async (gpu) => {
      await recommendCase(gpu, 6, 1500, 5, false, 512, 12);
      await recommendCase(gpu, 3, 1500, 5, false, 600, 13);
    },
  },
  {
    name: 'recommend with exclude and include lists, and filterSeen off, matches f64; k beyond the candidates returns them all',
    run: async (gpu) => {
      const nUsers = 9;
      const nItems = 700;
      const seen = seenRatings(21, nUsers, nItems);
      const m = new Model(modelData(20, nUsers, nItems, 6, false), { gpu, seen });
      try {
        const rng = new Rng(5);
        const include = Array.from({ length: 150 }, () => rng.int(nItems));
        const exclude = Array.from({ length: 40 }, () => rng.int(nItems));
        const users = Uint32Array.from({ length: nUsers }, (_, u) => u);
        for (const [label, opts, cands] of [
          ['include+exclude+seen', { k: 15, include, exclude }, (u: number) => [...new Set(include)].filter((i) => !exclude.includes(i) && !m.seenOf(u).includes(i))],
          ['no filter', { k: 15, filterSeen: false }, () => Array.from({ length: nItems }, (_, i) => i)],
          ['k > candidates', { k: 100, include: include.slice(0, 20), filterSeen: false }, () => [...new Set(include.slice(0, 20))]],
        ] as const) {
          await eachVariant(m, async () => {
            const got = await m.recommendIndices(users, opts, 'gpu');
            for (let u = 0; u < nUsers; u++) checkTopK(`${label}, user ${u}`, m, u, got[u], cands(u), opts.k);
          });
        }
      } finally {
        m.destroy();
      }
    },
  },
  {
    name: 'recommend ties: duplicated item rows (bit-identical scores) come out lower index first, like the CPU',
    run: async (gpu) => {
      const d = modelData(30, 4, 2100, 4, false);
      // items 5, 77, 900, 1500, 2050 share one row; items 3, 1200..1210 another; each row is far
      // the best for one user (other scores are ~N(0, 1.2²), these are 20)
      for (const j of [5, 77, 900, 1500, 2050]) d.itemFactors.set([5, 5, 5, 5], j * 4);
      for (const j of [3, ...Array.from({ length: 11 }, (_, t) => 1200 + t)]) d.itemFactors.set([-5, -5, 5, 5], j * 4);
      d.userFactors.set([1, 1, 1, 1], 0);
      d.userFactors.set([-1, -1, 1, 1], 4);
      const m = new Model(d, { gpu });
      try {
        const ref = await m.recommendIndices(Uint32Array.of(0, 1), { k: 13, filterSeen: false }, 'cpu');
        await eachVariant(m, async () => {
          // 5 users in the batch so the tiled family really uses its 64 x 64 tiles
          const got = await m.recommendIndices(Uint32Array.of(0, 1, 2, 3, 0), { k: 13, filterSeen: false }, 'gpu');
          expect([...got[0].index.slice(0, 5)].join() === '5,77,900,1500,2050', `user 0 ties: ${[...got[0].index.slice(0, 5)]}`);
          expect([...got[1].index.slice(0, 12)].join() === [3, ...Array.from({ length: 11 }, (_, j) => 1200 + j)].join(), `user 1 ties: ${[...got[1].index.slice(0, 12)]}`);
          for (let u = 0; u < 2; u++) expect(got[u].index.join() === ref[u].index.join(), `user ${u}: GPU ${[...got[u].index]} vs CPU ${[...ref[u].index]}`);
        });
      } finally {
        m.destroy();
      }
    },
  },
  {
    name: 'similar items and similar users by cosine (bias columns excluded) match f64; a zero vector scores 0',
    run: async (gpu) => {
      const d = modelData(40, 130, 1100, 7, true);
      d.itemFactors.fill(0, 9 * 9, 9 * 9 + 7); // item 9's latent part is zero
      const m = new Model(d, { gpu });
      try {
        await eachVariant(m, async () => {
        for (const [side, q, n] of [['item', 3, 1100], ['item', 9, 1100], ['user', 17, 130]] as const) {
          const got = await m.similarIndices(side, q, 12, {}, 'gpu');
          const ref = await m.similarIndices(side, q, 12, {}, 'cpu');
          expect(got.index.length === 12, `${side} ${q}: ${got.index.length} results`);
          expect(!got.index.includes(q), `${side} ${q}: the query itself is returned`);
          // cosine = dot / (|a||b|): each of dot and the norms carries <= (rank + 1)u relative error
          // of its magnitude; cosine magnitudes <= 1, so an absolute 4(rank + 2)u bound holds.
          const atol = 4 * (m.rank + 2) * U32;
          if (side === 'item' && q === 9) expectClose(`item 9 (zero vector) scores`, got.score, new Float32Array(12), { rtol: 0, atol: 0 });
          else {
            expectClose(`${side} ${q}: scores`, got.score, ref.score, { rtol: 0, atol });
            for (let j = 0; j < 12; j++) {
              if (got.index[j] !== ref.index[j] && Math.abs(ref.score[j] - got.score[j]) > 2 * atol) {
                throw new CheckError(`${side} ${q}: position ${j}: GPU ${got.index[j]} vs CPU ${ref.index[j]}`);
              }
            }
          }
          void n;
        }
        });
        const self = await m.similarIndices('item', 3, 1, { includeSelf: true }, 'gpu');
        expect(self.index[0] === 3, `includeSelf: the item itself comes first, got ${self.index[0]}`);
      } finally {
        m.destroy();
      }
    },
  },
  {
    name: 'batched predict on the GPU matches f64, clipped to the rating scale',
    run: async (gpu) => {
      const m = new Model(modelData(50, 60, 80, 9, true, { ratingScale: [1, 5] }), { gpu });
      try {
        const rng = new Rng(3);
        const n = 3000;
        const u = Uint32Array.from({ length: n }, () => rng.int(60));
        const i = Uint32Array.from({ length: n }, () => rng.int(80));
        const got = await m.predictIndices(u, i, 'gpu');
        const ref = Array.from(u, (uu, k) => Math.min(5, Math.max(1, m.scoreIndex(uu, i[k]))));
        const scale = Array.from(u, (uu, k) => scoreScale(m, uu, i[k]));
        expectClose('predictions', got, ref, { rtol: 2 * (m.stride + 2) * U32, scale });
        expect(got.some((v) => v === 5) && got.some((v) => v === 1), 'the data should exercise both clip bounds');
      } finally {
        m.destroy();
      }
    },
  },
  {
    name: 'fold-in users are usable on the GPU at once (factors written in place, capacity growth) and match f64',
    run: async (gpu) => {
      const seen = seenRatings(61, 30, 400);
      const m = new Model(modelData(60, 30, 400, 6, true, { ratingScale: [1, 5] }), { gpu, seen });
      try {
        await m.recommendIndices(Uint32Array.of(0), { k: 5 }, 'gpu'); // device copy made before the fold-ins
        const rng = new Rng(8);
        const added: number[] = [];
        for (let t = 0; t < 40; t++) {
          const items = [...new Set(Array.from({ length: 12 }, () => rng.int(400)))];
          const f = m.foldIn({ items, values: items.map(() => 1 + rng.int(5)) });
          added.push(f.index);
        }
        const users = Uint32Array.from(added);
        const got = await m.recommendIndices(users, { k: 10 }, 'gpu');
        for (let j = 0; j < users.length; j++) {
          const s = new Set(m.seenOf(users[j]));
          checkTopK(`fold-in user ${users[j]}`, m, users[j], got[j], Array.from({ length: 400 }, (_, i) => i).filter((i) => !s.has(i)), 10);
        }
        const sim = await m.similarIndices('user', added[3], 5, {}, 'gpu');
        const simRef = await m.similarIndices('user', added[3], 5, {}, 'cpu');
        expectClose('similar users of a fold-in user', sim.score, simRef.score, { rtol: 0, atol: 4 * (m.rank + 2) * U32 });
      } finally {
        m.destroy();
      }
    },
  },
  {
    name: 'evaluate on the GPU (scores, masks, top-k, AUC rank counts in batches) matches the CPU metrics',
    run: async (gpu) => {
      const nUsers = 120;
      const nItems = 400;
      const train = seenRatings(71, nUsers, nItems);
      const m = new Model(modelData(70, nUsers, nItems, 6, true, { ratingScale: [1, 5] }), { gpu, seen: train });
      try {
        // test: a few unseen items per user, values 1..5
        const rng = new Rng(9);
        const tu: number[] = [];
        const ti: number[] = [];
        const tv: number[] = [];
        const csr = buildCsr(train.users, train.items, train.values, nUsers, nItems);
        for (let u = 0; u < nUsers; u++) {
          const s = new Set(csr.indices.subarray(csr.indptr[u], csr.indptr[u + 1]));
          for (let t = 0; t < 4; t++) {
            const i = rng.int(nItems);
            if (s.has(i)) continue;
            s.add(i);
            tu.push(u);
            ti.push(i);
            tv.push(1 + rng.int(5));
          }
        }
        const test: Ratings = { users: Int32Array.from(tu), items: Int32Array.from(ti), values: Float32Array.from(tv), nUsers, nItems };
        const metrics = ['rmse', 'mae', 'precision@10', 'recall@10', 'ndcg@10', 'map@10', 'auc', 'coverage@10', 'ndcg@3'];
        const c = await evaluate(m, test, { metrics, relevanceThreshold: 3, backend: 'cpu' });
        await eachVariant(m, async () => {
          const g = await evaluate(m, test, { metrics, relevanceThreshold: 3, backend: 'gpu' });
          expect(g.users === c.users && g.users > 50, `users ranked: GPU ${g.users}, CPU ${c.users}`);
          // rmse/mae: each f32 prediction is within 2(stride + 2)u = 1.9e-6 of its magnitude (the score
          // argument at the top); an RMSE/MAE of errors of size ~1 carries that relative error, so
          // 1e-5 relative to the metric. Ranking metrics are computed in f64 from the GPU's lists and
          // rank counts; those equal the CPU's unless two exact scores lie within the ~1e-6 rounding
          // band. With these seeded Gaussian factors no such near-tie exists (GPU and CPU agree bit
          // for bit), so they must agree to f64 summation order: 1e-9 relative. One swap across a
          // cut-off would move precision@10 by 1/(10 users) ~ 1e-3 relative and AUC by one count in
          // |N| x users ~ 5e-4 relative, far above it; a bug cannot hide in the tolerance.
          for (const name of metrics) {
            const rtol = name === 'rmse' || name === 'mae' ? 1e-5 : 1e-9;
            expectClose(name, [g.metrics[name]], [c.metrics[name]], { rtol });
          }
          expect(c.metrics.auc > 0.3 && c.metrics['precision@10'] > 0, `the metrics are not degenerate (auc ${c.metrics.auc}, precision@10 ${c.metrics['precision@10']})`);
        });
      } finally {
        m.destroy();
      }
    },
  },
  {
    name: 'a model file made and loaded here (ArrayBuffer, no file system) recommends on the GPU like the original',
    run: async (gpu) => {
      const seen = seenRatings(101, 20, 150);
      const ids = Array.from({ length: 20 }, (_, u) => `user-${u}`);
      const m = new Model(modelData(100, 20, 150, 5, true, { userIds: IdMap.from(ids), ratingScale: [1, 5] }), { gpu, seen });
      try {
        m.foldIn({ items: [1, 2, 3], values: [5, 1, 4] }, { userId: 'newcomer' });
        const bytes = encodeModel(m);
        const ab = new ArrayBuffer(bytes.byteLength);
        new Uint8Array(ab).set(bytes);
        const back = loadModel(ab, { gpu });
        try {
          for (const u of ['user-3', 'newcomer']) {
            const a = await m.recommend(u, { k: 7 });
            const b = await back.recommend(u, { k: 7 });
            expect(a.map((x) => x.index).join() === b.map((x) => x.index).join(), `${u}: ${a.map((x) => x.index)} vs ${b.map((x) => x.index)}`);
            expectClose(`${u} scores`, b.map((x) => x.score), a.map((x) => x.score), { rtol: 0, atol: 0 });
          }
        } finally {
          back.destroy();
        }
      } finally {
        m.destroy();
      }
    },
  },
  {
    name: 'the top-k check fails on perturbed GPU lists (a seen item, a swapped pair, a dropped winner, a NaN score)',
    run: async (gpu) => {
      const seen = seenRatings(91, 3, 300);
      const m = new Model(modelData(90, 3, 300, 4, false), { gpu, seen });
      try {
        const got = (await m.recommendIndices(Uint32Array.of(1), { k: 8 }, 'gpu'))[0];
        const s = new Set(m.seenOf(1));
        const cands = Array.from({ length: 300 }, (_, i) => i).filter((i) => !s.has(i));
        checkTopK('unperturbed', m, 1, got, cands, 8);
        const perturbed = (f: (x: { index: Uint32Array; score: Float32Array }) => void) => {
          const x = { index: got.index.slice(), score: got.score.slice() };
          f(x);
          return x;
        };
        const cases: [string, { index: Uint32Array; score: Float32Array }][] = [
          ['seen item', perturbed((x) => { x.index[3] = m.seenOf(1)[0]; x.score[3] = m.scoreIndex(1, x.index[3]); })],
          ['swapped', perturbed((x) => { x.index.reverse(); x.score.reverse(); })],
          ['dropped winner', perturbed((x) => { x.index.copyWithin(0, 1); x.score.copyWithin(0, 1); const w = cands.find((i) => !x.index.includes(i) && i !== got.index[0])!; x.index[7] = w; x.score[7] = m.scoreIndex(1, w); })],
          ['NaN score', perturbed((x) => { x.score[2] = NaN; })],
        ];
        for (const [label, x] of cases) await expectThrows(label, () => checkTopK(label, m, 1, x, cands, 8), { name: 'CheckError' });
      } finally {
        m.destroy();
      }
    },
  },
  {
    name: 'an ALS fit with keepOnDevice hands its factor buffers to Model: no readback-and-upload of factors, the same buffers, the same answers as a Model that uploads',
    run: async (gpu) => {
      const ratings = sparseRatings(91, 40, 60, [3, 9, 17]);
      const fit = await fitAls(ratings, { gpu, rank: 4, iterations: 3, useBias: true, keepOnDevice: true });
      expect(fit.backend === 'gpu' && fit.device !== undefined, 'the GPU fit left its factors on the device');
      const dev = fit.device!;
      expect(dev.gpu === gpu, 'the handed-over buffers live on the caller context');
      // the buffers hold exactly the host copies the fit returned; factor uploads are counted
      const checks = await deviceFactorChecks(gpu, fit);
      const users = Uint32Array.from({ length: ratings.nUsers }, (_, u) => u);
      const adopted = new Model(fit.model, { gpu, seen: ratings, device: dev });
      let gotAdopted: { index: Uint32Array; score: Float32Array }[];
      let simAdopted: { index: Uint32Array; score: Float32Array };
      try {
        const r = await checks.uploads(async () => {
          expect(adopted.deviceUsers() === dev.users && adopted.deviceItems() === dev.items, 'the model uses the fit buffers themselves');
          return [await adopted.recommendIndices(users, { k: 7 }, 'gpu'), await adopted.similarIndices('item', 3, 5, {}, 'gpu')] as const;
        });
        [gotAdopted, simAdopted] = r.value;
        expect(r.count === 0, `${r.count} factor uploads with adopted buffers (expected none)`);
      } finally {
        adopted.destroy();
      }
      // the counter sees an ordinary model upload (so zero above means something)
      const uploaded = new Model(fit.model, { gpu, seen: ratings });
      try {
        const r = await checks.uploads(async () => [await uploaded.recommendIndices(users, { k: 7 }, 'gpu'), await uploaded.similarIndices('item', 3, 5, {}, 'gpu')] as const);
        const [got, sim] = r.value;
        expect(r.count >= 2, `a Model without the fit buffers uploads users and items (${r.count} counted, expected at least 2)`);
        for (let u = 0; u < users.length; u++) {
          expect(got[u].index.every((v, j) => v === gotAdopted[u].index[j]) && got[u].score.every((v, j) => Object.is(v, gotAdopted[u].score[j])), `user ${u}: adopted and uploaded models differ`);
        }
        expect(sim.index.every((v, j) => v === simAdopted.index[j]) && sim.score.every((v, j) => Object.is(v, simAdopted.score[j])), 'similar items differ');
      } finally {
        uploaded.destroy();
      }
      // Model.create with the caller's context uses it (and leaves it alive on destroy)
      const created = await Model.create(fit.model, { gpu, seen: ratings });
      try {
        expect(created.gpu === gpu && created.backend === 'gpu', 'Model.create takes the given context');
        const got = await created.recommendIndices(users, { k: 7 }, 'gpu');
        for (let u = 0; u < users.length; u++) expect(got[u].index.every((v, j) => v === gotAdopted[u].index[j]), `Model.create: user ${u} differs`);
      } finally {
        created.destroy();
      }
      // without keepOnDevice nothing is left on the device (this fit also shows the context outlived created.destroy())
      const plain = await fitAls(ratings, { gpu, rank: 4, iterations: 1 });
      expect(plain.device === undefined, 'a fit without keepOnDevice hands over no buffers');
    },
  },
  {
    name: 'unknown users/items and bad k give InputError, never NaN',
    run: async (gpu) => {
      const m = new Model(modelData(80, 5, 50, 3, false), { gpu });
      try {
        await expectThrows('recommend unknown user', () => m.recommend(5), { name: 'InputError', message: /unknown user/ });
        await expectThrows('similar unknown item', () => m.similarItems('x'), { name: 'InputError', message: /unknown item/ });
        await expectThrows('k = 0', () => m.recommend(0, { k: 0 }), { name: 'InputError', message: /k must be/ });
        await expectThrows('exclude unknown', () => m.recommend(0, { exclude: [99] }), { name: 'InputError', message: /exclude/ });
      } finally {
        m.destroy();
      }
    },
  },
];
