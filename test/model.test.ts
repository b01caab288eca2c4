/**
 * Model out on the CPU path (Node only): predict/recommend semantics, fold-in against the normal
 * equations written out by hand, metrics on hand-computed cases, the model file (round trip,
 * truncation, corruption, crafted sizes) and LIBMF interop through the npm `libmf` package.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Model as LibmfModel, Matrix as LibmfMatrix } from 'libmf';
import { Model, selectTopK } from '../src/model/model.ts';
import { apAtK, aucFromCounts, evaluate, ndcgAtK, parseMetrics, precisionAtK, recallAtK } from '../src/model/metrics.ts';
import { decodeModel, encodeModel, loadModel } from '../src/model/io.ts';
import { crc32 } from '../src/data/zipcheck.ts';
import { fromLibmf, toLibmf } from '../src/model/libmf.ts';
import { loadModelFile, saveModelFile } from '../src/model/node-io.ts';
import { IdMap, buildCsr, type Ratings } from '../src/data/ratings.ts';
import { solveSide, type SolveSpec } from '../src/reference/reference.ts';
import type { FactorModelData } from '../src/model/types.ts';
import { Rng } from '../src/util/random.ts';

function randomData(seed: number, nUsers: number, nItems: number, rank: number, bias: boolean, extra: Partial<FactorModelData> = {}): FactorModelData {
  const rng = new Rng(seed);
  const stride = bias ? rank + 2 : rank;
  const X = new Float32Array(nUsers * stride).map(() => rng.normal() * 0.7);
  const Y = new Float32Array(nItems * stride).map(() => rng.normal() * 0.7);
  if (bias) {
    for (let u = 0; u < nUsers; u++) X[u * stride + rank + 1] = 1;
    for (let i = 0; i < nItems; i++) Y[i * stride + rank] = 1;
  }
  return { algo: 'als', rank, bias, implicit: false, stride, mu: bias ? 3.2 : 0, nUsers, nItems, userFactors: X, itemFactors: Y, hyperparams: { lambda: 0.1, lambdaBias: 0.05 }, ...extra };
}

/** Dense K x K solve by Gaussian elimination (independent of the reference Cholesky). */
function gaussSolve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((r, i) => r[n] / r[i]);
}

describe('predict and recommend (CPU path)', () => {
  it('predict clips to the rating scale and resolves external IDs (7 and "7" are the same)', () => {
    const d = randomData(1, 3, 4, 2, false, { ratingScale: [1, 5], userIds: IdMap.from(['a', 'b', 7]), itemIds: IdMap.from([10, 20, 30, 40]) });
    d.userFactors.set([2, 2], 0);
    d.itemFactors.set([3, 3], 0); // a·i10 = 12 → 5
    d.itemFactors.set([0.5, 0.25], 2); // a·i20 = 1.5
    d.itemFactors.set([-3, -3], 4); // a·i30 = -12 → 1
    const m = new Model(d);
    expect(m.predict('a', 10)).toBe(5);
    expect(m.predict('a', '30')).toBe(1);
    expect(m.predict('a', 20)).toBeCloseTo(1.5, 6);
    expect(m.predict('7', 10)).toBe(m.predict(7, '10'));
    expect(() => m.predict('zz', 10)).toThrow(/unknown user "zz"/);
    expect(() => m.predict('a', 99)).toThrow(/unknown item 99/);
  });

  it('Model.create gets its GPU the way fits do: cpu, gpu without an adapter (an error), auto without one (the CPU, with a warning)', async () => {
    const d = randomData(3, 4, 6, 2, false);
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    const cpu = await Model.create(d, { backend: 'cpu' });
    expect(cpu.backend).toBe('cpu');
    expect(cpu.gpu).toBeUndefined();
    await expect(Model.create(d, { backend: 'gpu', gpuSource: noAdapter })).rejects.toMatchObject({ name: 'NoWebGpuError' });
    const warnings: string[] = [];
    const auto = await Model.create(d, { backend: 'auto', gpuSource: noAdapter, onWarning: (w) => warnings.push(w), seen: { users: Int32Array.of(0), items: Int32Array.of(1), values: Float32Array.of(1), nUsers: 4, nItems: 6 } });
    expect(auto.backend).toBe('cpu');
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/no WebGPU adapter/);
    expect(Array.from(auto.seenOf(0))).toEqual([1]);
    const want = await new Model(d).recommendIndices(Uint32Array.of(0, 1, 2, 3), { k: 3 });
    expect(await auto.recommendIndices(Uint32Array.of(0, 1, 2, 3), { k: 3, filterSeen: false })).toEqual(want);
    await expect(Model.create(d, { backend: 'fast' as never })).rejects.toMatchObject({ name: 'InputError' });
  });

  it('models without ID maps take dense indices and reject anything else', () => {
    const m = new Model(randomData(2, 3, 4, 2, false));
    expect(Number.isFinite(m.predict(2, '3'))).toBe(true);
    expect(() => m.predict(3, 0)).toThrow(/unknown user 3/);
    expect(() => m.predict(-1, 0)).toThrow(/unknown user/);
    expect(() => m.predict(1.5, 0)).toThrow(/unknown user/);
    expect(() => m.predict(0, 'x')).toThrow(/unknown item "x"/);
  });

  it('rejects non-finite factors and inconsistent shapes at construction', () => {
    const d = randomData(3, 3, 4, 2, false);
    d.itemFactors[5] = NaN;
    expect(() => new Model(d)).toThrow(/item factor row 2 column 1 is NaN/);
    expect(() => new Model({ ...randomData(3, 3, 4, 2, false), stride: 4 })).toThrow(/stride 4/);
    expect(() => new Model({ ...randomData(3, 3, 4, 2, false), nItems: 5 })).toThrow(/item factors have 8 values/);
  });

  it('recommend: filterSeen, exclude and include; ties go to the lower item index', async () => {
    const d = randomData(4, 2, 6, 1, false, { itemIds: IdMap.from(['i0', 'i1', 'i2', 'i3', 'i4', 'i5']) });
    d.userFactors.set([1, -1]);
    d.itemFactors.set([3, 5, 3, 1, 5, 2]); // user 0 scores: 3 5 3 1 5 2
    const seen: Ratings = { users: Int32Array.of(0), items: Int32Array.of(1), values: Float32Array.of(4), nUsers: 2, nItems: 6 };
    const m = new Model(d, { seen });
    const ids = async (o: object) => (await m.recommend(0, o)).map((r) => r.id).join(' ');
    expect(await ids({ k: 4, filterSeen: false })).toBe('i1 i4 i0 i2');
    expect(await ids({ k: 4 })).toBe('i4 i0 i2 i5');
    expect(await ids({ k: 3, exclude: ['i4'] })).toBe('i0 i2 i5');
    expect(await ids({ k: 10, include: ['i5', 'i3', 'i1', 'i2'] })).toBe('i2 i5 i3');
    // user 1 has no training ratings here: rank by its factors, not the popularity fallback
    expect((await m.recommend(1, { k: 2, coldStart: 'model' })).map((r) => r.index)).toEqual([3, 5]); // -x: 1, 2 lowest
    const r = await m.recommend(0, { k: 1 });
    expect(r[0]).toEqual({ id: 'i4', index: 4, score: 5 });
    await expect(m.recommend(0, { include: ['nope'] })).rejects.toThrow(/include: unknown item "nope"/);
  });

  it('selectTopK keeps the best k, best first, ties to the lower position, skipping masked entries', () => {
    const t = selectTopK([1, 3, 3, -3e38, 2, 3, 0], 3);
    expect(t.pos).toEqual([1, 2, 5]);
    expect(selectTopK([1, 2], 5).pos).toEqual([1, 0]);
  });

  it('similar items by cosine on latent columns only (biases do not count), excluding the query by default', async () => {
    const d = randomData(5, 1, 4, 2, true);
    // latent parts: i0 (1,0), i1 (2,0.1), i2 (0,1), i3 (-1,0); item biases huge but ignored
    const rows = [[1, 0], [2, 0.1], [0, 1], [-1, 0]];
    rows.forEach((r, i) => d.itemFactors.set([...r, 1, 100 * (i + 1)], i * 4));
    const m = new Model(d);
    const s = await m.similarItems(0, 3);
    expect(s.map((x) => x.index)).toEqual([1, 2, 3]);
    expect(s[0].score).toBeCloseTo(2 / Math.hypot(2, 0.1), 6);
    expect(s[1].score).toBeCloseTo(0, 7);
    expect(s[2].score).toBeCloseTo(-1, 7);
    expect((await m.similarItems(0, 1, { includeSelf: true }))[0].index).toBe(0);
  });
});

describe('fold-in', () => {
  it('explicit with biases: solves (HᵀH + λI) [w; b_u] = Hᵀ(a − μ − b_i) with the bias unregularized by λ but by λ_b', () => {
    const d = randomData(10, 2, 12, 3, true, { ratingScale: [1, 5] });
    const m = new Model(d);
    const items = [0, 3, 4, 7, 11];
    const vals = [4, 2, 5, 3.5, 1];
    const f = m.foldIn({ items, values: vals });
    expect(f.index).toBe(2);
    expect(m.nUsers).toBe(3);
    // by hand: unknowns z = [w (3), b_u], design rows [h_i, 1], targets a − μ − b_i
    const A = Array.from({ length: 4 }, () => new Array(4).fill(0));
    const b = new Array(4).fill(0);
    items.forEach((i, k) => {
      const y = [...d.itemFactors.subarray(i * 5, i * 5 + 3), 1];
      const t = vals[k] - d.mu - d.itemFactors[i * 5 + 4];
      for (let p = 0; p < 4; p++) {
        b[p] += t * y[p];
        for (let q = 0; q < 4; q++) A[p][q] += y[p] * y[q];
      }
    });
    for (let p = 0; p < 3; p++) A[p][p] += 0.1;
    A[3][3] += 0.05;
    const z = gaussSolve(A, b);
    const got = [...f.factors.subarray(0, 4)];
    got.forEach((v, p) => expect(v).toBeCloseTo(z[p], 5));
    expect(f.factors[4]).toBe(1);
    // usable at once; the fold-in items count as seen
    expect(m.predict(2, 3)).toBeCloseTo(Math.min(5, Math.max(1, d.mu + z[0] * d.itemFactors[15] + z[1] * d.itemFactors[16] + z[2] * d.itemFactors[17] + z[3] + d.itemFactors[19])), 5);
  });

  it('explicit: folding in a training user\'s ratings reproduces the ALS user solve', async () => {
    const rng = new Rng(11);
    const nItems = 30;
    const d = randomData(11, 1, nItems, 4, false);
    const items = [2, 5, 9, 14, 20, 21, 29];
    const vals = items.map(() => 1 + rng.int(5));
    const csr = buildCsr(new Int32Array(items.length), Int32Array.from(items), Float32Array.from(vals), 1, nItems);
    const spec: SolveSpec = { rank: 4, bias: false, side: 'user', mu: 0, lambda: 0.1, lambdaBias: 0.1, weighted: false };
    solveSide(csr, d.userFactors, d.itemFactors, spec);
    const m = new Model(d, { seen: csr });
    const f = m.foldIn(items.map((i, k) => [i, vals[k]] as const));
    for (let c = 0; c < 4; c++) expect(f.factors[c]).toBeCloseTo(d.userFactors[c], 5);
    const a = await m.recommend(0, { k: 5 });
    const b = await m.recommend(f.index, { k: 5 });
    expect(b.map((x) => x.index)).toEqual(a.map((x) => x.index));
    expect(b.some((x) => items.includes(x.index))).toBe(false);
  });

  it('implicit: (YᵀY + Yᵀ(C − I)Y + λI) w = YᵀC p with c = 1 + αf, written out densely', () => {
    const nItems = 9;
    const d = randomData(12, 1, nItems, 3, false, { implicit: true, algo: 'ials', hyperparams: { lambda: 0.5, alpha: 2 } });
    const m = new Model(d);
    const f = new Map([[1, 3], [4, 1], [8, 2]]);
    const r = m.foldIn([...f]);
    const A = Array.from({ length: 3 }, () => new Array(3).fill(0));
    const b = new Array(3).fill(0);
    for (let i = 0; i < nItems; i++) {
      const y = [...d.itemFactors.subarray(i * 3, i * 3 + 3)];
      const c = 1 + 2 * (f.get(i) ?? 0);
      const p = f.has(i) ? 1 : 0;
      for (let s = 0; s < 3; s++) {
        b[s] += c * p * y[s];
        for (let t = 0; t < 3; t++) A[s][t] += c * y[s] * y[t];
      }
    }
    for (let s = 0; s < 3; s++) A[s][s] += 0.5;
    const w = gaussSolve(A, b);
    w.forEach((v, s) => expect(r.factors[s]).toBeCloseTo(v, 5));
  });

  it('external IDs: new users get the given ID, an existing ID is replaced in place; bad input is a clear error', () => {
    const d = randomData(13, 2, 5, 2, false, { userIds: IdMap.from(['x', 'y']), itemIds: IdMap.from(['a', 'b', 'c', 'd', 'e']) });
    const m = new Model(d);
    const n = m.foldIn([['a', 5], ['c', 3]], { userId: 'new' });
    expect(n).toMatchObject({ id: 'new', index: 2 });
    expect(d.userIds!.size).toBe(2); // the caller's map is not grown
    expect(m.userIndex('new')).toBe(2);
    const again = m.foldIn([['b', 1]], { userId: 'x' });
    expect(again.index).toBe(0);
    expect([...m.seenOf(0)]).toEqual([1]);
    expect(() => m.foldIn([])).toThrow(/at least one rating/);
    expect(() => m.foldIn([['zz', 1]])).toThrow(/unknown item "zz"/);
    expect(() => m.foldIn([['a', 1], ['a', 2]])).toThrow(/rated twice/);
    expect(() => m.foldIn([['a', NaN]])).toThrow(/is NaN/);
  });
});

describe('metrics', () => {
  it('per-list metrics on a hand-computed case', () => {
    const ranked = [3, 1, 4, 5, 9];
    const R = new Set([1, 5, 7]);
    expect(precisionAtK(ranked, R, 5)).toBeCloseTo(2 / 5, 12);
    expect(precisionAtK(ranked, R, 2)).toBeCloseTo(1 / 2, 12);
    expect(precisionAtK([1], R, 10)).toBeCloseTo(1 / 10, 12); // divides by k, not by the list length
    expect(recallAtK(ranked, R, 5)).toBeCloseTo(2 / 3, 12);
    expect(recallAtK(ranked, R, 2)).toBeCloseTo(1 / 3, 12);
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    const idcg = 1 + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(ndcgAtK(ranked, R, 5)).toBeCloseTo(dcg / idcg, 12);
    expect(apAtK(ranked, R, 5)).toBeCloseTo((1 / 2 + 2 / 4) / 3, 12);
    expect(apAtK([1, 5, 7], R, 3)).toBeCloseTo(1, 12);
    // AUC from counts: scores 5 4 3 2 1 for items 0..4, relevant {1, 3}: pairs won 2 + 1 of 6
    expect(aucFromCounts([1, 3], [0, 0], [4, 2], 5)).toBeCloseTo(0.5, 12);
    // a tie with a negative counts one half: relevant score 3 tied with one negative of two
    expect(aucFromCounts([0], [1], [3], 3)).toBeCloseTo((1 + 0.5) / 2, 12);
  });

  it('parseMetrics names and rejects unknown metrics', () => {
    expect(parseMetrics(['RMSE', 'ndcg', 'map@5', 'coverage'], 7).map((p) => p.name)).toEqual(['rmse', 'ndcg@7', 'map@5', 'coverage@7']);
    expect(() => parseMetrics(['hits@3'])).toThrow(/unknown metric "hits@3"/);
    expect(() => parseMetrics(['auc@3'])).toThrow(/takes no @k/);
  });

  it('evaluate on a hand-computable model: one user, scores 5 4 3 2 1, item 0 seen in training', async () => {
    const d: FactorModelData = {
      algo: 'als', rank: 1, bias: false, implicit: false, stride: 1, mu: 0, nUsers: 2, nItems: 5,
      userFactors: Float32Array.of(1, 1), itemFactors: Float32Array.of(5, 4, 3, 2, 1), hyperparams: {}, ratingScale: [1, 5],
    };
    const seen: Ratings = { users: Int32Array.of(0), items: Int32Array.of(0), values: Float32Array.of(5), nUsers: 2, nItems: 5 };
    const m = new Model(d, { seen });
    // test: user 0 likes items 1 and 3 (ratings 4 and 2; predictions 4 and 2 → rmse 0);
    // user 1 has only item 0 rated 1 (prediction 5 → error 4) and is relevant-ranked on {0}
    const test: Ratings = { users: Int32Array.of(0, 0, 1), items: Int32Array.of(1, 3, 0), values: Float32Array.of(4, 2, 1), nUsers: 2, nItems: 5 };
    const r = await evaluate(m, test, { metrics: ['rmse', 'mae', 'precision@2', 'recall@2', 'ndcg@2', 'map@2', 'auc', 'coverage@2'] });
    expect(r.metrics.rmse).toBeCloseTo(Math.sqrt(16 / 3), 6);
    expect(r.metrics.mae).toBeCloseTo(4 / 3, 6);
    expect(r.users).toBe(2);
    // user 0: candidates 1..4, top-2 = [1, 2], R = {1, 3}: P = 1/2, R = 1/2, ndcg = 1/(1 + 1/log2 3), AP = 1/2,
    //   AUC: negatives {2, 4}; item 1 beats both, item 3 beats 4 → 3/4
    // user 1: nothing seen, top-2 = [0, 1], R = {0}: P = 1/2, R = 1, ndcg = 1, AP = 1, AUC = 1
    expect(r.metrics['precision@2']).toBeCloseTo(0.5, 12);
    expect(r.metrics['recall@2']).toBeCloseTo(0.75, 12);
    expect(r.metrics['ndcg@2']).toBeCloseTo((1 / (1 + 1 / Math.log2(3)) + 1) / 2, 12);
    expect(r.metrics['map@2']).toBeCloseTo(0.75, 12);
    expect(r.metrics.auc).toBeCloseTo((0.75 + 1) / 2, 12);
    expect(r.metrics['coverage@2']).toBeCloseTo(3 / 5, 12);
  });

  it('evaluate maps a test Dataset by external ID and counts unknown users/items instead of failing', async () => {
    const d = randomData(14, 2, 3, 2, false, { userIds: IdMap.from(['u1', 'u2']), itemIds: IdMap.from(['a', 'b', 'c']) });
    const m = new Model(d);
    const users = IdMap.from(['u2', 'ghost']);
    const items = IdMap.from(['c', 'a', 'zz']);
    const ratings: Ratings = { users: Int32Array.of(0, 0, 1, 0), items: Int32Array.of(0, 1, 0, 2), values: Float32Array.of(1, 2, 3, 4), nUsers: 2, nItems: 3 };
    const r = await evaluate(m, { ratings, users, items }, { metrics: ['rmse'] });
    expect(r.ratings).toBe(2);
    expect(r.skippedRatings).toBe(2);
    const e1 = 1 - m.predict('u2', 'c');
    const e2 = 2 - m.predict('u2', 'a');
    expect(r.metrics.rmse).toBeCloseTo(Math.sqrt((e1 * e1 + e2 * e2) / 2), 6);
  });
});

describe('model file', () => {
  const withIds = () => {
    const d = randomData(20, 4, 6, 3, true, {
      ratingScale: [0.5, 5],
      userIds: IdMap.from(['alice', 'bob', 17, 'dé']),
      itemIds: IdMap.from([100, 200, 'x', 'y', 'z', 'w']),
      hyperparams: { lambda: 0.2, lambdaBias: 0.1, weightedLambda: true, solver: 'cholesky' },
    });
    const seen: Ratings = { users: Int32Array.of(0, 0, 2, 3), items: Int32Array.of(1, 4, 0, 5), values: Float32Array.of(3, 4, 5, 1), nUsers: 4, nItems: 6 };
    return new Model(d, { seen });
  };

  it('round trip keeps factors, IDs, scale, hyperparameters, seen items and fold-in users (browser path: an ArrayBuffer)', async () => {
    const m = withIds();
    m.foldIn([[100, 4], ['z', 2]], { userId: 'carol' });
    const bytes = encodeModel(m);
    const ab = new ArrayBuffer(bytes.byteLength);
    new Uint8Array(ab).set(bytes);
    const back = loadModel(ab);
    expect(back.nUsers).toBe(5);
    expect([...back.userFactors]).toEqual([...m.userFactors]);
    expect([...back.itemFactors]).toEqual([...m.itemFactors]);
    expect(back.userIds!.ids).toEqual(['alice', 'bob', 17, 'dé', 'carol']);
    expect(back.itemIds!.ids).toEqual([100, 200, 'x', 'y', 'z', 'w']);
    expect(back.ratingScale).toEqual([0.5, 5]);
    expect(back.hyperparams).toEqual(m.hyperparams);
    expect(back.mu).toBe(m.mu);
    expect(back.predict('carol', 'x')).toBe(m.predict('carol', 'x'));
    expect(await back.recommend('alice', { k: 3 })).toEqual(await m.recommend('alice', { k: 3 }));
    expect([...back.seenOf(4)].sort()).toEqual([0, 4]);
    expect([...back.seenOf(0)]).toEqual([1, 4]);
  });

  it('a file on disk loads in Node; format detected by content', () => {
    const dir = mkdtempSync(join(tmpdir(), 'webmf-model-'));
    try {
      const m = withIds();
      saveModelFile(m, join(dir, 'm.webmf'));
      saveModelFile(m, join(dir, 'm.libmf'), 'libmf');
      expect(loadModelFile(join(dir, 'm.webmf')).predict('bob', 'y')).toBe(m.predict('bob', 'y'));
      const lm = loadModelFile(join(dir, 'm.libmf'));
      expect(lm.predict(1, 3)).toBeCloseTo(m.scoreIndex(1, 3), 4);
      expect(() => loadModelFile(join(dir, 'missing'))).toThrow(/missing: no such file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every truncation is a clear error', () => {
    const bytes = encodeModel(withIds());
    const cuts = [0, 7, 8, 23, 24, 60, bytes.length - 400, bytes.length - 97, bytes.length - 1];
    for (const n of cuts) {
      expect(() => decodeModel(bytes.subarray(0, n)), `cut at ${n}`).toThrow(/not a valid webmf model: .*(truncated|shorter)/);
    }
  });

  it('a flipped byte anywhere is caught by the checksums', () => {
    const bytes = encodeModel(withIds());
    const hlen = new DataView(bytes.buffer).getUint32(12, true);
    for (const at of [30, 24 + hlen - 2, bytes.length - 5, bytes.length - 300]) {
      const c = bytes.slice();
      c[at] ^= 0x40;
      expect(() => decodeModel(c), `byte ${at}`).toThrow(/checksum mismatch|JSON|not a valid/);
    }
    const bad = bytes.slice();
    bad[0] = 0x58;
    expect(() => decodeModel(bad)).toThrow(/bad magic/);
    expect(() => decodeModel(new TextEncoder().encode('f 0\nm 1\nn 1\nk 1\nb 0\np0 T 1\nq0 T 1\n'))).toThrow(/LIBMF text model/);
    const v = bytes.slice();
    new DataView(v.buffer).setUint32(8, 99, true);
    expect(() => decodeModel(v)).toThrow(/format version 99/);
  });

  it('a crafted header (10¹² rows, or 2·10⁹ rows with valid checksums) is refused before any allocation', () => {
    const bytes = encodeModel(withIds());
    const dv = new DataView(bytes.buffer);
    const hlen = dv.getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + hlen)));
    const craft = (h: object): Uint8Array => {
      const hb = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(24 + hb.length + 64);
      out.set(bytes.subarray(0, 24));
      const d = new DataView(out.buffer);
      d.setUint32(12, hb.length, true);
      d.setUint32(16, crc32(hb), true);
      out.set(hb, 24);
      return out;
    };
    expect(() => decodeModel(craft({ ...header, nUsers: 1e12 }))).toThrow(/nUsers = 1000000000000/);
    const huge = { ...header, nUsers: 2e9, userIds: undefined, blocks: header.blocks.map((b: { name: string }) => (b.name === 'userFactors' ? { ...b, count: 2e9 * 5 } : b)) };
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodeModel(craft(huge))).toThrow(/block userFactors needs bytes .* \(truncated\)/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    expect(() => decodeModel(craft({ ...header, stride: 7 }))).toThrow(/stride 7 does not match rank 3/);
    expect(() => decodeModel(craft({ ...header, userIds: ['a'] }))).toThrow(/user ID list has 1 entries/);
  });
});

describe('LIBMF interop (npm libmf)', () => {
  it('a webmf model exported as LIBMF text predicts the same through libmf (biases folded into the vectors)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'webmf-libmf-'));
    try {
      for (const bias of [true, false]) {
        const m = new Model(randomData(30 + Number(bias), 7, 9, 4, bias));
        const path = join(dir, `w${bias}.txt`);
        writeFileSync(path, toLibmf(m));
        const lm = LibmfModel.load(path);
        try {
          expect(lm.rows()).toBe(7);
          expect(lm.columns()).toBe(9);
          expect(lm.factors()).toBe(bias ? 6 : 4);
          for (let u = 0; u < 7; u++) {
            for (let i = 0; i < 9; i++) {
              // 9 significant digits in the text; libmf accumulates in f32: relative 1e-5 of Σ|terms|
              let scale = Math.abs(m.mu);
              for (let c = 0; c < m.stride; c++) scale += Math.abs(m.userFactors[u * m.stride + c] * m.itemFactors[i * m.stride + c]);
              expect(Math.abs(lm.predict(u, i) - m.scoreIndex(u, i))).toBeLessThan(1e-5 * scale + 1e-6);
            }
          }
        } finally {
          lm.destroy();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a libmf-trained model loaded into webmf predicts what libmf predicts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webmf-libmf-'));
    try {
      const rng = new Rng(40);
      const data = new LibmfMatrix();
      for (let u = 0; u < 30; u++) for (let t = 0; t < 8; t++) data.push(u, rng.int(20), 1 + rng.int(5));
      const lm = new LibmfModel({ factors: 5, iterations: 10, quiet: true, threads: 1 });
      lm.fit(data);
      const path = join(dir, 'libmf.txt');
      lm.save(path);
      try {
        const m = loadModelFile(path);
        expect(m.rank).toBe(5);
        expect(m.nUsers).toBe(lm.rows());
        for (let u = 0; u < m.nUsers; u++) {
          for (let i = 0; i < m.nItems; i++) expect(Math.abs(m.predict(u, i) - lm.predict(u, i))).toBeLessThan(2e-5 * (1 + Math.abs(lm.predict(u, i))));
        }
        expect((await m.recommend(0, { k: 3, filterSeen: false })).length).toBe(3);
      } finally {
        lm.destroy();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('LIBMF text: unseen (F) rows import as zero factors; truncated, binary-loss and malformed files are clear errors', () => {
    const ok = 'f 0\nm 2\nn 2\nk 2\nb 3.5\np0 T 1 2 \np1 F 0 0 \nq0 T 0.5 0.25 \nq1 T 1 1 \n';
    const d = fromLibmf(ok);
    expect(d.libmf).toMatchObject({ unseenUsers: 1, unseenItems: 0, b: 3.5 });
    expect([...d.userFactors]).toEqual([1, 2, 0, 0]);
    expect(new Model(d).predict(0, 0)).toBeCloseTo(1, 6);
    expect(() => fromLibmf(ok.slice(0, 40))).toThrow(/truncated/);
    expect(() => fromLibmf(ok.replace('f 0', 'f 5'))).toThrow(/binary-classification/);
    expect(() => fromLibmf(ok.replace('p1 F', 'p2 F'))).toThrow(/line 7: expected row p1/);
    expect(() => fromLibmf(ok.replace('0.5 0.25', '0.5 nan'))).toThrow(/line 8: row q0 value 2/);
    expect(() => fromLibmf(ok.replace('m 2', 'm 1000000000000'))).toThrow(/not a valid size/);
    expect(() => fromLibmf(ok.replace('m 2', 'm 2000000'))).toThrow(/truncated/);
    // round trip webmf → LIBMF text → webmf keeps predictions
    const m = new Model(randomData(41, 3, 4, 2, true));
    const back = new Model(fromLibmf(toLibmf(m)));
    for (let u = 0; u < 3; u++) for (let i = 0; i < 4; i++) expect(back.scoreIndex(u, i)).toBeCloseTo(m.scoreIndex(u, i), 5);
    void readFileSync;
  });
});
