/**
 * SGD / GD engine behaviour on the CPU backend (Node only; the GPU path is in test/gpu/cases-sgd.ts):
 * the f32 replay against f64, schedules, early stopping, abort, divergence, partialFit with ID maps,
 * the stratified plan's invariants, and bad options.
 */
import { describe, expect, it } from 'vitest';
import { fitSgd, SgdDivergenceError } from '../src/train/sgd/index.ts';
import { adagradState, sgdUpdateF32, sgdUpdateF64, type SgdStepParams } from '../src/reference/sgd-reference.ts';
import { strideOf as strideFor } from '../src/core/layout.ts';
import { sgdStep, residuals } from '../src/reference/reference.ts';
import { stratifiedPlan, strataShifts, feistelParams, feistelPermutation } from '../src/core/sgd-plan.ts';
import { DivergenceError } from '../src/core/errors.ts';
import { IdMap, type Ratings } from '../src/data/ratings.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { Rng } from '../src/util/random.ts';
import { plantedSplit } from './gpu/cases-sgd.ts';

const cpu = { backend: 'reference' as const };
const heldOut = (r: Awaited<ReturnType<typeof fitSgd>>, t: Ratings) =>
  residuals(t.users, t.items, t.values, r.model.userFactors, r.model.itemFactors, r.model.stride, r.model.mu).rmse;

describe('sgd reference', () => {
  it('the f32 replay agrees with f64 within f32 rounding, for every lane count, with biases and adagrad (lead-only steps, then both groups)', () => {
    const rng = new Rng(4);
    for (const lanes of [1, 4, 32]) {
      for (const bias of [false, true]) {
        const rank = 13;
        const S = strideFor(rank, bias);
        const X = Float32Array.from({ length: 3 * S }, () => rng.normal() * 0.5);
        const Y = Float32Array.from({ length: 2 * S }, () => rng.normal() * 0.5);
        if (bias) for (let r = 0; r < 3; r++) X[r * S + rank + 1] = 1;
        if (bias) for (let r = 0; r < 2; r++) Y[r * S + rank] = 1;
        const X64 = Float64Array.from(X);
        const Y64 = Float64Array.from(Y);
        const mk = (): SgdStepParams => ({ rank, bias, mu: 3, lr: 0.05, lambda: 0.1, lambdaBias: 0.02, lanes, adagrad: adagradState(3, 2, rank) });
        const p32 = mk();
        const p64 = mk();
        for (let s = 0; s < 20; s++) {
          const u = s % 3;
          const i = s % 2;
          // rank 13: lead columns [0, 8) and the rest [8, 13); the first 6 steps update only the lead.
          p32.adagrad!.leadOnly = p64.adagrad!.leadOnly = s < 6;
          sgdUpdateF32(X, Y, u, i, 4.5, p32);
          sgdUpdateF64(X64, Y64, u, i, 4.5, p64);
        }
        for (let k = 0; k < 3; k++) expect(p32.adagrad!.GU[2 * k + 1]).toBeGreaterThan(1);
        // Each f32 update rounds the dot product (rank + 2 terms) and a handful of operations, each by
        // u = 2^-24 of O(1) values (|x| <= 1.2 here, the constant column is 1), with random signs; over the
        // ~10 updates a row gets, sqrt(10 (rank + 8)) u (1 + |x|) ~ 1e-6 of (1 + |x|). Measured 9.7e-8;
        // the AdaGrad accumulators (sums of squared gradients, with a sqrt and a division per step)
        // 3e-7 of their size. Bounds 1e-6 and 3e-6 (this arithmetic is deterministic JS: the same
        // everywhere). A dropped term or a lane summing the wrong columns is >= 1e-3.
        for (let k = 0; k < 3; k++) expect(Math.abs(p32.adagrad!.GU[2 * k] - p64.adagrad!.GU[2 * k])).toBeLessThan(3e-6 * p64.adagrad!.GU[2 * k]);
        for (let k = 0; k < X.length; k++) expect(Math.abs(X[k] - X64[k])).toBeLessThan(1e-6 * (1 + Math.abs(X64[k])));
        for (let k = 0; k < Y.length; k++) expect(Math.abs(Y[k] - Y64[k])).toBeLessThan(1e-6 * (1 + Math.abs(Y64[k])));
      }
    }
  });

  it("the f32 update is the source's rule (reference sgdStep) without biases", () => {
    const w = Float32Array.of(0.4, 0.2, 0.3);
    const h = Float32Array.of(0.95, 0.1, 0.85);
    const w64 = Float64Array.from(w);
    const h64 = Float64Array.from(h);
    const e = sgdUpdateF32(w, h, 0, 0, 5, { rank: 3, bias: false, mu: 0, lr: 0.01, lambda: 0.1, lambdaBias: 0, lanes: 4 });
    const e64 = sgdStep(w64, h64, 5, 0.01, 0.1);
    // toBeCloseTo(.., 6): |diff| < 5e-7. One f32 update: e = 5 - w.h rounds the 3-term dot (values < 1,
    // ~2u) and the subtraction (u of 4.3, 2.6e-7); w and h (< 1) move by lr e h, a few u of 1e-2 more.
    expect(e).toBeCloseTo(e64, 6);
    for (let k = 0; k < 3; k++) {
      expect(w[k]).toBeCloseTo(w64[k], 6);
      expect(h[k]).toBeCloseTo(h64[k], 6);
    }
  });
});

describe('sgd plans', () => {
  it('stratified plan: every rating in exactly one block; a sub-epoch\'s blocks share no user or item; shifts cover all diagonals', () => {
    const { train } = plantedSplit(2, 50, 40, 2, 0.3);
    const plan = stratifiedPlan(train, 5, 9);
    const seen = new Uint8Array(train.values.length);
    for (const k of plan.order) seen[k]++;
    expect(seen.every((c) => c === 1)).toBe(true);
    for (let blk = 0; blk < 25; blk++) {
      for (let j = plan.blockStart[blk]; j < plan.blockStart[blk + 1]; j++) {
        const k = plan.order[j];
        expect(plan.userBlock[train.users[k]]).toBe(Math.floor(blk / 5));
        expect(plan.itemBlock[train.items[k]]).toBe(blk % 5);
      }
    }
    const shifts = Array.from(strataShifts(5, 9, 1)).sort();
    expect(shifts).toEqual([0, 1, 2, 3, 4]);
  });

  it('the Hogwild permutation is a bijection for awkward sizes', () => {
    for (const n of [1, 2, 7, 64, 65, 1023]) {
      const p = feistelPermutation(feistelParams(n, 1, 1));
      expect(new Set(p).size).toBe(n);
      expect(Math.max(...p)).toBe(n - 1);
    }
  });
});

describe('fitSgd on the CPU engine', () => {
  const { train, test } = plantedSplit(21, 80, 60, 3, 0.4, 0.1);

  it('Hogwild, stratified and GD all learn planted data; runs are reproducible per seed', async () => {
    const base = { ...cpu, rank: 6, useBias: true, lambda: 0.02, validation: test };
    const hog = await fitSgd(train, { ...base, epochs: 25, learningRate: 0.05, seed: 1 });
    const hog2 = await fitSgd(train, { ...base, epochs: 25, learningRate: 0.05, seed: 1 });
    const hog3 = await fitSgd(train, { ...base, epochs: 25, learningRate: 0.05, seed: 2 });
    expect(hog.model.userFactors).toEqual(hog2.model.userFactors);
    expect(hog.model.userFactors).not.toEqual(hog3.model.userFactors);
    const strat = await fitSgd(train, { ...base, mode: 'stratified', blocks: 4, epochs: 25, learningRate: 0.05 });
    const gd = await fitSgd(train, { ...base, algo: 'gd', epochs: 150, learningRate: 0.01, lambda: 0.5 });
    for (const r of [hog, strat, gd]) {
      expect(r.backend).toBe('reference');
      // Learned the planted structure: noise 0.1 is the floor, predicting the mean gives ~1 (the planted
      // w.h has unit variance); measured 0.16-0.19, so 0.35 fails any fit that learned little.
      expect(heldOut(r, test)).toBeLessThan(0.35);
      // The engine reports the RMSE of the factors it returns, summed in f64 like residuals():
      // equal to f64 summation order (n 2^-53 ~ 1e-14 relative; measured: identical).
      expect(Math.abs(r.history.at(-1)!.validationRmse! - heldOut(r, test))).toBeLessThanOrEqual(1e-12 * heldOut(r, test));
    }
    expect(gd.model.algo).toBe('gd');
    expect(hog.model.hyperparams).toMatchObject({ rank: 6, mode: 'hogwild', algo: 'sgd' });
  });

  it('schedules: inverse decays as lr / (1 + decay (t - 1)); bold driver undoes a bad epoch and halves; adagrad learns', async () => {
    const inv = await fitSgd(train, { ...cpu, rank: 4, epochs: 4, learningRate: 0.02, schedule: 'inverse', decay: 0.5 });
    expect(inv.history.map((h) => h.learningRate)).toEqual([0.02, 0.02 / 1.5, 0.02 / 2, 0.02 / 2.5]);
    // GD with far too large a rate: the bold driver recovers instead of diverging.
    const bold = await fitSgd(train, { ...cpu, algo: 'gd', rank: 4, epochs: 30, learningRate: 0.5, useBias: true });
    const lrs = bold.history.map((h) => h.learningRate!);
    expect(lrs[1]).toBeCloseTo(lrs[0] * 0.5, 12);
    for (let t = 1; t < bold.history.length; t++) expect(bold.history[t].trainRmse).toBeLessThanOrEqual(bold.history[t - 1].trainRmse);
    expect(bold.history.at(-1)!.trainRmse).toBeLessThan(bold.history[0].trainRmse);
    const ada = await fitSgd(train, { ...cpu, rank: 6, epochs: 20, schedule: 'adagrad', learningRate: 0.3, initScale: 0.3, useBias: true, lambda: 0.02 });
    expect(heldOut(ada, test)).toBeLessThan(0.35);
  });

  it("adagrad follows LIBMF: the first epoch of a fresh fit moves only the 8 lead columns; a fit from given factors moves all", async () => {
    const o = { ...cpu, rank: 12, schedule: 'adagrad' as const, seed: 9 };
    const f0 = await fitSgd(train, { ...o, epochs: 0 });
    const f1 = await fitSgd(train, { ...o, epochs: 1 });
    const moved = (a: Float32Array, b: Float32Array, from: number, to: number) => {
      let n = 0;
      for (let k = 0; k < a.length; k++) if (k % 12 >= from && k % 12 < to && a[k] !== b[k]) n++;
      return n;
    };
    expect(moved(f0.model.userFactors, f1.model.userFactors, 8, 12)).toBe(0);
    expect(moved(f0.model.itemFactors, f1.model.itemFactors, 8, 12)).toBe(0);
    expect(moved(f0.model.userFactors, f1.model.userFactors, 0, 8)).toBeGreaterThan(0);
    const g1 = await fitSgd(train, { ...o, epochs: 1, init: { users: f0.model.userFactors, items: f0.model.itemFactors } });
    expect(moved(f0.model.userFactors, g1.model.userFactors, 8, 12)).toBeGreaterThan(0);
  });

  it('early stopping keeps the best validation epoch', async () => {
    const small = plantedSplit(5, 30, 25, 2, 0.3, 0.5);
    const res = await fitSgd(small.train, { ...cpu, rank: 20, lambda: 0, epochs: 200, learningRate: 0.05, validation: small.test, earlyStopping: { patience: 3 } });
    expect(res.stopped).toBe('early-stopping');
    expect(res.history.length).toBeLessThan(200);
    const best = Math.min(...res.history.map((h) => h.validationRmse!));
    // the kept factors' f64 RMSE is the best reported one, to f64 summation order (measured: identical)
    expect(Math.abs(heldOut(res, small.test) - best)).toBeLessThanOrEqual(1e-12 * best);
  });

  it('AbortSignal stops the fit between epochs', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    await expect(
      fitSgd(train, { ...cpu, rank: 4, epochs: 50, signal: ac.signal, onIteration: (r) => (seen.push(r.iteration), r.iteration === 2 && ac.abort()) }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([1, 2]);
  });

  it('a long CPU epoch yields to the event loop and sees an abort mid-epoch', async () => {
    const big = plantedSplit(8, 500, 400, 4, 1.0).train; // ~180k ratings: an epoch well over 50 ms at rank 32
    const ac = new AbortController();
    let ticks = 0;
    const timer = setInterval(() => ++ticks === 2 && ac.abort(), 5);
    try {
      // Here an epoch takes well over 50 ms, so the abort lands inside epoch 1; on a much faster
      // machine it may land between epochs, which is also a prompt stop.
      await expect(fitSgd(big, { ...cpu, rank: 32, epochs: 20, signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError', message: /during epoch 1|before epoch \d+/ });
    } finally {
      clearInterval(timer);
    }
  });

  it('divergence names the epoch and keeps the last good factors', async () => {
    let err: unknown;
    try {
      await fitSgd(train, { ...cpu, rank: 4, epochs: 20, learningRate: 5 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DivergenceError);
    const d = err as SgdDivergenceError;
    expect(d.name).toBe('DivergenceError');
    expect(d.message).toMatch(new RegExp(`epoch ${d.iteration}`));
    expect(d.result.history.length).toBe(d.iteration - 1);
    expect(Array.from(d.result.model.userFactors).every(Number.isFinite)).toBe(true);
  });

  it('partialFit with a Dataset extends the ID maps by external ID and leaves the first result unchanged', async () => {
    const users = IdMap.from(Array.from({ length: train.nUsers }, (_, u) => `u${u}`));
    const items = IdMap.from(Array.from({ length: train.nItems }, (_, i) => `i${i}`));
    const ds: Dataset = { name: 'planted', ratings: train, users, items, scale: [1, 5] };
    const res = await fitSgd(ds, { ...cpu, rank: 5, epochs: 10, learningRate: 0.05, schedule: 'constant', useBias: true });
    expect(res.model.userIds).toBe(users);
    // New data set with its own maps: a known user 'u3', a new user 'newbie', a new item 'i-new'.
    const nu = IdMap.from(['newbie', 'u3']);
    const ni = IdMap.from(['i0', 'i1', 'i-new']);
    const add: Dataset = {
      name: 'new', users: nu, items: ni,
      ratings: { users: Int32Array.of(0, 0, 1, 0), items: Int32Array.of(0, 2, 2, 1), values: Float32Array.of(4, 5, 2, 3), nUsers: 2, nItems: 3 },
    };
    const next = await res.partialFit(add, 30);
    expect(next.model.nUsers).toBe(train.nUsers + 1);
    expect(next.model.nItems).toBe(train.nItems + 1);
    expect(next.model.userIds!.find('newbie')).toBe(train.nUsers);
    expect(next.model.itemIds!.find('i-new')).toBe(train.nItems);
    expect(users.size).toBe(train.nUsers);
    expect(res.model.userFactors.length).toBe(train.nUsers * res.model.stride);
    expect(next.model.mu).toBe(res.model.mu);
    const S = next.model.stride;
    const pred = (u: number, i: number) => {
      let s = next.model.mu;
      for (let c = 0; c < S; c++) s += next.model.userFactors[u * S + c] * next.model.itemFactors[i * S + c];
      return s;
    };
    expect(Math.abs(pred(train.nUsers, train.nItems) - 5)).toBeLessThan(0.6);
  });

  it('partialFit with plain Ratings adds rows for indices beyond the current counts', async () => {
    const res = await fitSgd(train, { ...cpu, rank: 4, epochs: 3 });
    const next = await res.partialFit({ users: Int32Array.of(train.nUsers + 2), items: Int32Array.of(0), values: Float32Array.of(4), nUsers: train.nUsers + 3, nItems: train.nItems }, 2);
    expect(next.model.nUsers).toBe(train.nUsers + 3);
    expect(Array.from(next.model.userFactors).every(Number.isFinite)).toBe(true);
  });

  it('bad options get clear errors', async () => {
    const bad = (o: object, re: RegExp) => expect(fitSgd(train, { ...cpu, ...o })).rejects.toThrow(re);
    await bad({ rank: 0 }, /rank must be an integer/);
    await bad({ rank: 2.5 }, /rank/);
    await bad({ epochs: -1 }, /epochs/);
    await bad({ lambda: -0.1 }, /lambda/);
    await bad({ learningRate: NaN }, /learningRate/);
    await bad({ mode: 'async' }, /mode must be/);
    await bad({ algo: 'als' }, /algo must be/);
    await bad({ schedule: 'cosine' }, /unknown schedule/);
    await bad({ algo: 'gd', schedule: 'adagrad' }, /adagrad/);
    await bad({ blocks: 0 }, /blocks/);
    await bad({ earlyStopping: { patience: 2 } }, /needs validation/);
    await bad({ validation: { ...test, nUsers: train.nUsers + 5 } }, /validation ratings/);
    await bad({ rank: 3, init: { users: new Float32Array(train.nUsers * 3), items: new Float32Array(train.nItems * 3).fill(NaN) } }, /init.items\[0\] is not finite/);
    await expect(fitSgd({ name: 'clicks', ratings: train, users: new IdMap(), items: new IdMap(), implicit: true }, cpu)).rejects.toThrow(/implicit feedback/);
    await expect(fitSgd({ ...train, values: train.values.map((v, k) => (k === 5 ? Infinity : v)) }, cpu)).rejects.toThrow(/rating 5: value Infinity/);
  });
});
