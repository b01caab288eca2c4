/**
 * tune(): grid and seeded random search over rank and lambda for explicit ALS, successive halving
 * with warm starts, chosen on a validation split cut from the training data; a stop keeps the best
 * finished trial.
 */
import { describe, expect, it } from 'vitest';
import { tune, parseValues, rungsOf } from '../src/tune/tune.ts';
import { tunePlotSvg } from '../src/tune/plot.ts';
import { fitAls } from '../src/train/als/index.ts';
import { kFold, splitRandom } from '../src/data/split.ts';
import { fitSgd } from '../src/train/sgd/index.ts';
import { Model } from '../src/model/model.ts';
import { evaluate } from '../src/model/metrics.ts';
import { GpuContext } from '../src/gpu/context.ts';
import type { Ratings } from '../src/data/ratings.ts';
import { AbortError } from '../src/core/errors.ts';
import { plantedRatings } from './gpu/fixtures.ts';

describe('tune', () => {
  const { train } = plantedRatings(3, 60, 50, 3, 0.4, 0.3);

  it('grid with halving: every pair tried, the better half goes on, the best is the lowest validation RMSE at the full count', async () => {
    const seen: string[] = [];
    const r = await tune(train, { grid: { rank: [1, 3], lambda: [0.05, 5] }, iterations: 4, seed: 1, als: { backend: 'cpu' }, onTrial: (t) => seen.push(`${t.rank}/${t.lambda}`) });
    expect(r.trials.length).toBe(4);
    expect(new Set(seen).size).toBe(4);
    const full = r.trials.filter((t) => t.iterations === 4);
    expect(full.length).toBe(2); // 4 trials: rungs 2 and 4 iterations, half survive
    expect(r.trials.filter((t) => t.iterations === 2).length).toBe(2);
    expect(r.best.validationRmse).toBe(Math.min(...full.map((t) => t.validationRmse)));
    expect(r.best.rank).toBe(3); // the planted rank beats rank 1
    expect(r.best.lambda).toBe(0.05); // lambda 5 x count over-shrinks
    // the warm-started survivor equals a 4-iteration fit from scratch on the same training split
    const { train: fitPart, test: val } = splitRandom(train, { testFraction: 0.1, seed: 1 });
    const direct = await fitAls(fitPart, { rank: 3, lambda: 0.05, iterations: 4, seed: 1, backend: 'cpu', validation: val });
    expect(r.best.validationRmse).toBeCloseTo(direct.history[3].validationRmse!, 5);
    expect(r.validationRatings).toBe(val.values.length);
    const svg = tunePlotSvg(r.trials);
    expect(svg).toMatch(/^<svg/);
    expect((svg.match(/<polyline/g) ?? []).length).toBe(2);
  });

  it('random search is seeded; an abort keeps the best finished trial', async () => {
    const a = await tune(train, { grid: { rank: [2, 3], lambda: [0.01, 1] }, search: 'random', trials: 3, iterations: 2, halving: false, seed: 5, als: { backend: 'cpu' } });
    const b = await tune(train, { grid: { rank: [2, 3], lambda: [0.01, 1] }, search: 'random', trials: 3, iterations: 2, halving: false, seed: 5, als: { backend: 'cpu' } });
    expect(a.trials.map((t) => [t.rank, t.lambda])).toEqual(b.trials.map((t) => [t.rank, t.lambda]));
    for (const t of a.trials) expect(t.lambda >= 0.01 && t.lambda <= 1).toBe(true);
    // and another seed draws other trials
    const other = await tune(train, { grid: { rank: [2, 3], lambda: [0.01, 1] }, search: 'random', trials: 3, iterations: 1, halving: false, seed: 6, als: { backend: 'cpu' } });
    expect(other.trials.map((t) => t.lambda)).not.toEqual(a.trials.map((t) => t.lambda));
    const ac = new AbortController();
    let n = 0;
    const r = await tune(train, { grid: { rank: [2, 3, 4], lambda: [0.1] }, iterations: 2, halving: false, als: { backend: 'cpu' }, signal: ac.signal, onTrial: () => ++n === 2 && ac.abort() });
    expect(r.stopped).toBe('aborted');
    expect(r.trials.filter((t) => t.iterations > 0).length).toBe(2);
    expect([2, 3]).toContain(r.best.rank);
    const ac2 = new AbortController();
    ac2.abort();
    await expect(tune(train, { grid: { rank: [2], lambda: [0.1] }, als: { backend: 'cpu' }, signal: ac2.signal })).rejects.toBeInstanceOf(AbortError);
  });

  it('parseValues reads lists and log-spaced ranges; bad grids are clear errors', async () => {
    expect(parseValues('8,16,32')).toEqual([8, 16, 32]);
    expect(parseValues('0.01..1', 3)).toEqual([0.01, 0.1, 1]);
    expect(() => parseValues('a,b')).toThrow(/bad value list/);
    expect(() => parseValues('1..0.5')).toThrow(/lo < hi/);
    await expect(tune(train, { grid: { rank: [], lambda: [0.1] } })).rejects.toThrow(/at least one rank/);
    await expect(tune(train, { grid: { rank: [2.5], lambda: [0.1] } })).rejects.toThrow(/positive integer/);
  });

  /** Who interacted with what: the planted ratings above 3 (a structured implicit set, f = 1). */
  const events = ((): Ratings => {
    const keep = [...train.values.keys()].filter((k) => train.values[k] > 3);
    return { users: Int32Array.from(keep, (k) => train.users[k]), items: Int32Array.from(keep, (k) => train.items[k]), values: new Float32Array(keep.length).fill(1), nUsers: train.nUsers, nItems: train.nItems };
  })();

  it('implicit ALS is chosen by validation NDCG@10 (higher is better), equal to a direct fit scored by evaluate()', async () => {
    const r = await tune(events, { algo: 'ials', grid: { rank: [1, 3], lambda: [0.1], alpha: [1, 10] }, iterations: 4, seed: 3, als: { backend: 'cpu' } });
    expect(r.metric).toBe('ndcg@10');
    expect(r.trials.length).toBe(4);
    expect(new Set(r.trials.map((t) => t.alpha))).toEqual(new Set([1, 10]));
    const full = r.trials.filter((t) => t.iterations === 4);
    expect(full.length).toBe(2);
    expect(r.best.score).toBe(Math.max(...full.map((t) => t.score)));
    for (const t of r.trials) expect(Number.isNaN(t.validationRmse)).toBe(true);
    // the halving kept the better half by NDCG (higher), not the lower
    const half = r.trials.filter((t) => t.iterations === 2);
    expect(Math.min(...full.map((t) => t.score))).toBeGreaterThanOrEqual(Math.max(...half.map((t) => t.score)) - 0.05);
    const { train: part, test: val } = splitRandom(events, { testFraction: 0.1, seed: 3 });
    const direct = await fitAls(part, { rank: r.best.rank, lambda: 0.1, alpha: r.best.alpha, implicit: true, iterations: 4, seed: 3, backend: 'cpu', trackDelta: false });
    const m = new Model(direct.model, { seen: part });
    const nd = (await evaluate(m, val, { metrics: ['ndcg@10'] })).metrics['ndcg@10'];
    m.destroy();
    expect(r.best.score).toBeCloseTo(nd, 5);
    expect(svgOk(tunePlotSvg(r.trials))).toMatch(/validation NDCG@10/);
  });

  // the f64 reference engine: the f32 CPU engine's Hogwild threads are not deterministic run to run
  it('SGD tunes the learning rate beside rank and lambda, scored by validation RMSE equal to a direct fit', async () => {
    const r = await tune(train, { algo: 'sgd', grid: { rank: [3], lambda: [0.05], learningRate: [0.01, 0.1] }, iterations: 3, halving: false, seed: 2, sgd: { backend: 'reference' } });
    expect(r.metric).toBe('rmse');
    expect(r.trials.map((t) => t.learningRate)).toEqual([0.01, 0.1]);
    expect(r.best.validationRmse).toBe(Math.min(...r.trials.map((t) => t.validationRmse)));
    const { train: part, test: val } = splitRandom(train, { testFraction: 0.1, seed: 2 });
    for (const t of r.trials) {
      const d = await fitSgd(part, { rank: 3, lambda: 0.05, learningRate: t.learningRate, epochs: 3, seed: 2, backend: 'reference', validation: val });
      expect(t.score).toBeCloseTo(d.history[2].validationRmse!, 6);
    }
  });

  it('a trial whose fit diverges is out of the search (NaN, with the reason), the others go on', async () => {
    const seen: string[] = [];
    const r = await tune(train, { algo: 'sgd', grid: { rank: [8], lambda: [0.05], learningRate: [0.01, 0.2, 0.02, 0.03] }, iterations: 4, seed: 2, sgd: { backend: 'reference', schedule: 'constant' }, onTrial: (t) => seen.push(String(t.learningRate)) });
    const bad = r.trials.find((t) => t.learningRate === 0.2)!;
    expect(bad.diverged).toMatch(/diverged/);
    expect(bad.score).toBeNaN();
    expect(r.trials.filter((t) => t.diverged).length).toBe(1);
    expect(r.best.learningRate).not.toBe(0.2);
    expect(Number.isFinite(r.best.score)).toBe(true);
    expect(seen.filter((x) => x === '0.2').length).toBe(1); // reported once
    expect(r.trials.filter((t) => t.iterations === 4).length).toBe(2); // the halving went on without it
  });

  it('k-fold cross-validation: every trial fitted on each fold, scored by the mean, each fold equal to a direct fit', async () => {
    const r = await tune(train, { grid: { rank: [2, 3], lambda: [0.05] }, folds: 3, iterations: 2, halving: false, seed: 4, als: { backend: 'cpu' } });
    expect(r.folds).toBe(3);
    const splits = kFold(train, { k: 3, seed: 4 });
    for (const t of r.trials) {
      expect(t.foldScores.length).toBe(3);
      expect(t.score).toBeCloseTo(t.foldScores.reduce((a, b) => a + b, 0) / 3, 12);
      for (let f = 0; f < 3; f++) {
        const d = await fitAls(splits[f].train, { rank: t.rank, lambda: 0.05, iterations: 2, seed: 4, backend: 'cpu', validation: splits[f].test });
        expect(t.foldScores[f], `rank ${t.rank} fold ${f}`).toBeCloseTo(d.history[1].validationRmse!, 5);
      }
    }
    await expect(tune(train, { grid: { rank: [2], lambda: [0.1] }, folds: 1.5, als: { backend: 'cpu' } })).rejects.toThrow(/folds/);
  });

  it('rungs halve until one trial is left, ending at the full count', () => {
    expect(rungsOf(10, 4, true)).toEqual([5, 10]);
    expect(rungsOf(10, 8, true)).toEqual([2, 5, 10]);
    expect(rungsOf(10, 8, false)).toEqual([10]);
    expect(rungsOf(1, 8, true)).toEqual([1]);
  });
});

function svgOk(svg: string): string {
  expect(svg).toMatch(/^<svg/);
  return svg;
}

describe('tune on the GPU', () => {
  /**
   * A device whose storage buffers (labels: all, and those made with data, the uploads) and readbacks
   * (the labels of each read's parts) are recorded.
   */
  async function watched(limits?: { deviceMemory: number }) {
    const gpu = await GpuContext.create(limits ? { limits } : {});
    const labels: string[] = [];
    const uploaded: string[] = [];
    const reads: string[][] = [];
    const names = new WeakMap<GPUBuffer, string>();
    const readMany = gpu.readMany.bind(gpu);
    // storage buffers, and factor matrices (factorStorage: bound in windows over the binding limit)
    for (const make of ['storage', 'factorStorage'] as const) {
      const orig = gpu[make].bind(gpu);
      gpu[make] = ((label: string, d: number | ArrayBufferView) => {
        labels.push(label);
        if (typeof d !== 'number') uploaded.push(label);
        const b = orig(label, d);
        names.set(b, label);
        return b;
      }) as typeof gpu.storage;
    }
    gpu.readMany = ((parts: Parameters<typeof readMany>[0]) => (reads.push(parts.map((p) => names.get(p.buffer) ?? '?')), readMany(parts))) as typeof gpu.readMany;
    return { gpu, labels, uploaded, reads };
  }
  const isFactors = (l: string) => /(user|item)Factors$/.test(l);

  it('ALS trials share one upload of the ratings per fold, keep their factors on the device between rungs, read back only scalars and, once, the best factors, and match the CPU search', async () => {
    const { train } = plantedRatings(3, 60, 50, 3, 0.4, 0.3);
    const { gpu, labels, uploaded, reads } = await watched();
    try {
      const opts = { grid: { rank: [1, 3], lambda: [0.05, 5] }, iterations: 4, seed: 1, folds: 2 };
      const g = await tune(train, { ...opts, als: { backend: 'gpu', gpu } });
      expect(g.uploads).toBe(2);
      expect(g.factorsOnDevice).toBe(true);
      expect(g.note).toBeUndefined();
      // one CSR by user, one CSC by item and one copy of the training values per fold, for 4 trials x 2 rungs x 2 folds
      expect(labels.filter((l) => /byUser\.indices$/.test(l))).toEqual(['tune.fold1.byUser.indices', 'tune.fold2.byUser.indices']);
      expect(labels.filter((l) => /trainLoss\.values$/.test(l)).length).toBe(2);
      expect(labels.filter((l) => l.startsWith('als.byUser') || l.startsWith('als.trainLoss')).length).toBe(0);
      // factors go up once per first-rung fit (random starts); the second rung starts from the device
      const fits = (4 + 2) * 2;
      expect(uploaded.filter((l) => l === 'als.userFactors').length).toBe(4 * 2);
      expect(labels.filter((l) => l === 'als.userFactors').length).toBe(fits);
      // per iteration one read of the scalars alone; no factors until the very last read: the best
      // trial's W and H, together
      const iterations = (4 * 2 + 2 * 2) * 2;
      expect(reads.slice(0, -1).filter((parts) => parts.some(isFactors))).toEqual([]);
      expect(reads[reads.length - 1]).toEqual(['als.userFactors', 'als.itemFactors']);
      expect(reads.slice(0, -1).every((parts) => parts.length === 1 && parts[0] === 'als.scalars')).toBe(true);
      expect(reads.length - 1).toBeGreaterThanOrEqual(iterations);
      expect(reads.length - 1).toBeLessThanOrEqual(iterations + fits); // + at most one statistics read before the first iteration
      const c = await tune(train, { ...opts, als: { backend: 'cpu' } });
      expect(c.factorsOnDevice).toBe(false);
      const agree = (x: typeof g, what: string) => {
        expect(x.best.rank, what).toBe(c.best.rank);
        expect(x.best.lambda, what).toBe(c.best.lambda);
        // f32 on both sides over a few hundred ratings: relative agreement to 1e-3 (rounding of f32 sums, not algorithm)
        for (let k = 0; k < x.trials.length; k++) {
          const [a, b] = [x.trials[k], c.trials[k]];
          expect(a.iterations, `${what} trial ${k}`).toBe(b.iterations);
          for (const v of [a.score, b.score]) expect(Number.isFinite(v)).toBe(true);
          expect(Math.abs(a.score - b.score) / b.score, `${what} trial ${k}: gpu ${a.score}, cpu ${b.score}`).toBeLessThan(1e-3);
        }
        // the factors read back are the best trial's last rung on fold 1: scored on the host, the
        // fold's validation RMSE is the device's (the same f32 factors, summed in f64 here: 1e-4)
        const [f1] = kFold(train, { k: 2, seed: 1 });
        const m = x.bestFit.model;
        expect(m.userFactors.length).toBe(train.nUsers * m.stride);
        const host = new Model(m);
        let sse = 0;
        for (let j = 0; j < f1.test.values.length; j++) {
          const e = f1.test.values[j] - host.scoreIndex(f1.test.users[j], f1.test.items[j]);
          sse += e * e;
        }
        expect(Math.abs(Math.sqrt(sse / f1.test.values.length) - x.best.foldScores[0]) / x.best.foldScores[0], what).toBeLessThan(1e-4);
      };
      agree(g, 'on the device');
      // a warm start on the device is for fits that keep no host copies, from buffers of the right size
      const small = gpu.storage('test.small', 16);
      await expect(fitAls(train, { rank: 3, iterations: 1, backend: 'gpu', gpu, deviceInit: { users: small, items: small } })).rejects.toThrow(/hostCopies: false/);
      await expect(fitAls(train, { rank: 3, iterations: 1, backend: 'gpu', gpu, hostCopies: false, deviceInit: { users: small, items: small } })).rejects.toThrow(/deviceInit: factor buffers of 16 and 16 bytes/);
      await expect(fitSgd(train, { rank: 3, epochs: 1, backend: 'gpu', gpu, hostCopies: false, deviceInit: { users: small, items: small } })).rejects.toThrow(/deviceInit: factor buffers of 16 and 16 bytes/);
      small.destroy();
      // a device-memory budget that holds one fit but not the trials' factors beside it: the factors
      // come back after each rung (W and H once per fit), the result says so, and nothing else changes
      const mem = g.deviceMemory!;
      expect(mem.kept).toBeGreaterThan(0);
      // (a 64 MiB budget of which the caller keeps all but that: the least budget a device takes is 1 MiB)
      const tight = await watched({ deviceMemory: 64 * 2 ** 20 });
      tight.gpu.reserveMemory(64 * 2 ** 20 - (mem.fit + mem.kept - 4));
      try {
        const t = await tune(train, { ...opts, als: { backend: 'gpu', gpu: tight.gpu } });
        expect(t.factorsOnDevice).toBe(false);
        expect(t.note).toMatch(/device-memory budget.*read back after each rung/);
        expect(tight.reads.filter((parts) => parts.some(isFactors)).length).toBe(2 * fits);
        agree(t, 'read back');
      } finally {
        tight.gpu.destroy();
      }
    } finally {
      gpu.destroy();
    }
  }, 120_000);

  it('implicit ALS trials keep their factors on the device and are scored there (one word of top-10 hits per user back), equal to evaluate() on the same factors and, within what differing top-10 lists allow, the CPU search', async () => {
    const { train } = plantedRatings(3, 60, 50, 3, 0.4, 0.3);
    const keep = [...train.values.keys()].filter((k) => train.values[k] > 3);
    const events: Ratings = { users: Int32Array.from(keep, (k) => train.users[k]), items: Int32Array.from(keep, (k) => train.items[k]), values: new Float32Array(keep.length).fill(1), nUsers: train.nUsers, nItems: train.nItems };
    const { gpu, reads } = await watched();
    try {
      const opts = { algo: 'ials' as const, grid: { rank: [1, 3], lambda: [0.1], alpha: [1, 10] }, iterations: 4, seed: 3, folds: 2 };
      const g = await tune(events, { ...opts, als: { backend: 'gpu', gpu } });
      expect(g.factorsOnDevice).toBe(true);
      expect(g.note).toBeUndefined();
      // every read but the last is one buffer: an iteration's scalars or a fit's hit masks (60 users,
      // one batch); the factors come back once, the best trial's W and H, as the very last read
      expect(reads.slice(0, -1).filter((parts) => parts.some(isFactors))).toEqual([]);
      expect(reads[reads.length - 1]).toEqual(['als.userFactors', 'als.itemFactors']);
      expect(reads.slice(0, -1).every((parts) => parts.length === 1 && (parts[0] === 'als.scalars' || parts[0] === 'model.rank.hits.out')), JSON.stringify(reads)).toBe(true);
      const fits = (4 + 2) * 2;
      expect(reads.filter((parts) => parts[0] === 'model.rank.hits.out').length).toBe(fits);
      // the score on the device is evaluate()'s on the same factors on the same device, bit for bit
      // (the same top 10; the NDCG sums in the same order on the host)
      const [f1] = kFold(events, { k: 2, seed: 3 });
      const mg = new Model(g.bestFit.model, { gpu, seen: f1.train });
      const eg = await evaluate(mg, f1.test, { metrics: ['ndcg@10'] });
      mg.destroy();
      expect(Object.is(eg.metrics['ndcg@10'], g.best.foldScores[0]), `device ${g.best.foldScores[0]}, evaluate ${eg.metrics['ndcg@10']}`).toBe(true);

      const c = await tune(events, { ...opts, als: { backend: 'cpu' } });
      expect([g.best.rank, g.best.alpha, g.best.iterations]).toEqual([c.best.rank, c.best.alpha, c.best.iterations]);
      // The GPU and CPU fits agree to f32 rounding, so their top-10 lists differ only where two
      // scores nearly tie, and each user's NDCG is in [0, 1]: a mean over U users moves by at most
      // (users whose lists differ) / U. For the best trial those users are counted (both fits ranked
      // on the CPU); for every trial at most 6 of the 60 (test/gpu/cases-ranking.ts allows as many).
      const users = eg.users;
      const rankCpu = async (m: typeof g.bestFit.model) => {
        const x = new Model(m, { seen: f1.train });
        const ids = Uint32Array.from(new Set(Array.from(f1.test.users))).sort();
        return (await x.rankUsers(ids, { k: 10, filterSeen: true }, 'cpu')).top;
      };
      const [lg, lc] = [await rankCpu(g.bestFit.model), await rankCpu(c.bestFit.model)];
      const differ = lg.filter((l, u) => l.index.length !== lc[u].index.length || l.index.some((v, j) => v !== lc[u].index[j])).length;
      expect(differ, `the GPU and CPU best fits rank differently for ${differ} users`).toBeLessThanOrEqual(6);
      expect(Math.abs(g.best.foldScores[0] - c.best.foldScores[0])).toBeLessThanOrEqual(differ / users + 1e-12);
      for (let k = 0; k < g.trials.length; k++) {
        const [a, b] = [g.trials[k], c.trials[k]];
        expect([a.rank, a.alpha, a.iterations]).toEqual([b.rank, b.alpha, b.iterations]);
        for (let f = 0; f < 2; f++) expect(Math.abs(a.foldScores[f] - b.foldScores[f]), `trial ${k} fold ${f + 1}: gpu ${a.foldScores[f]}, cpu ${b.foldScores[f]}`).toBeLessThanOrEqual(6 / users + 1e-12);
      }
      expect(g.best.score).toBeGreaterThan(0);
    } finally {
      gpu.destroy();
    }
  }, 120_000);

  it('SGD trials share one upload of the ratings per fold, read back only the sums per epoch, and score as fits that upload their own', async () => {
    const { train } = plantedRatings(3, 60, 50, 3, 0.4, 0.3);
    const { gpu, labels, reads } = await watched();
    try {
      // Hogwild with halving: 4 trials, rungs of 2 and 4 epochs
      const g = await tune(train, { algo: 'sgd', grid: { rank: [2, 3], lambda: [0.02, 0.05] }, iterations: 4, seed: 3, sgd: { backend: 'gpu', gpu, learningRate: 0.05 } });
      expect(g.uploads).toBe(1);
      expect(labels.filter((l) => /ratings(\.shuffled|\.blocked)?$/.test(l))).toEqual(['tune.fold1.ratings', 'tune.fold1.ratings.shuffled']);
      expect(labels.filter((l) => /trainLoss\.values$/.test(l))).toEqual(['tune.fold1.trainLoss.values']);
      expect(labels.filter((l) => l.startsWith('sgd.ratings') || l.startsWith('sgd.trainLoss') || l.startsWith('sgd.validationLoss')).length).toBe(0);
      // every read but the last is the sums alone: per epoch (a fit with host copies reads sums, W and H
      // together), and per fit once for its starting sums; the factors stay on the device between
      // rungs, and come back once, the best trial's W and H together, as the very last read
      expect(g.factorsOnDevice).toBe(true);
      expect(reads.slice(0, -1).every((parts) => parts.length === 1 && parts[0] === 'sgd.epochScalars')).toBe(true);
      expect(reads[reads.length - 1]).toEqual(['sgd.userFactors', 'sgd.itemFactors']);
      const fits = 4 + 2;
      const epochs = 4 * 2 + 2 * 2;
      expect(reads.length).toBe(epochs + fits + 1);
      expect(g.bestFit.model.itemFactors.length).toBe(train.nItems * g.bestFit.model.stride);
      for (const t of g.trials) expect(Number.isFinite(t.score), `trial ${t.rank}/${t.lambda}`).toBe(true);

      // stratified (deterministic on the GPU), every trial to the end: each score is bit for bit a
      // fit that uploads its own ratings
      labels.length = 0;
      const s = await tune(train, { algo: 'sgd', grid: { rank: [3], lambda: [0.02, 0.05] }, iterations: 3, halving: false, seed: 3, sgd: { backend: 'gpu', gpu, mode: 'stratified', learningRate: 0.05 } });
      expect(labels.filter((l) => /ratings\.blocked$/.test(l))).toEqual(['tune.fold1.ratings.blocked']);
      const { train: part, test: val } = splitRandom(train, { testFraction: 0.1, seed: 3 });
      for (const t of s.trials) {
        const d = await fitSgd(part, { rank: 3, lambda: t.lambda, learningRate: 0.05, mode: 'stratified', epochs: 3, seed: 3, backend: 'gpu', gpu, validation: val });
        expect(Object.is(t.score, d.history[2].validationRmse), `lambda ${t.lambda}: shared ${t.score}, own upload ${d.history[2].validationRmse}`).toBe(true);
      }
      expect(labels.filter((l) => /^sgd\.ratings\.blocked$/.test(l)).length).toBe(2); // the direct fits upload their own

      // A dropped trial can still win (SGD at this learning rate overfits past 12 epochs): the best
      // dropped trial's factors stayed on the device for that (the others' were released), and the
      // search equals, bit for bit (stratified is deterministic), one whose factors come back after
      // each rung (a budget too small to keep them)
      const o = { algo: 'sgd' as const, grid: { rank: [8], lambda: [0, 0.001, 0.002, 0.003] }, iterations: 24, seed: 1 };
      const sgd = { backend: 'gpu' as const, mode: 'stratified' as const, schedule: 'constant' as const, learningRate: 0.12 };
      reads.length = 0;
      const d = await tune(train, { ...o, sgd: { ...sgd, gpu } });
      expect(d.factorsOnDevice).toBe(true);
      expect(d.best.iterations).toBe(12);
      expect(reads.slice(0, -1).filter((parts) => parts.some(isFactors))).toEqual([]);
      const tight = await watched({ deviceMemory: 64 * 2 ** 20 });
      tight.gpu.reserveMemory(64 * 2 ** 20 - (d.deviceMemory!.fit + d.deviceMemory!.kept - 4));
      try {
        const h = await tune(train, { ...o, sgd: { ...sgd, gpu: tight.gpu } });
        expect(h.factorsOnDevice).toBe(false);
        const key = (t: typeof d.best) => [t.rank, t.lambda, t.iterations, t.score];
        expect(d.trials.map(key)).toEqual(h.trials.map(key));
        expect(key(d.best)).toEqual(key(h.best));
        expect(Array.from(d.bestFit.model.userFactors)).toEqual(Array.from(h.bestFit.model.userFactors));
        expect(Array.from(d.bestFit.model.itemFactors)).toEqual(Array.from(h.bestFit.model.itemFactors));
      } finally {
        tight.gpu.destroy();
      }
    } finally {
      gpu.destroy();
    }
  }, 120_000);
});
