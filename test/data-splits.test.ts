/** Splits (seeded, deterministic, no rating lost) and the synthetic generator's properties. */
import { describe, expect, it } from 'vitest';
import type { Ratings } from '../src/data/ratings.ts';
import { kFold, splitLastK, splitLeaveKOut, splitRandom, splitTemporal, type Split } from '../src/data/split.ts';
import { AliasTable, SYNTHETIC_PRESETS, generatePreset, generateSynthetic, powerLawDegrees } from '../src/data/synthetic.ts';
import { Rng } from '../src/util/random.ts';

/** Random ratings with timestamps; user u has 1 + (u % 9) ratings, some users/items rare so cold cases occur. */
function data(seed = 3): Ratings {
  const rng = new Rng(seed);
  const users: number[] = [];
  const items: number[] = [];
  const nUsers = 60;
  const nItems = 40;
  for (let u = 0; u < nUsers; u++) {
    const seen = new Set<number>();
    const d = 1 + (u % 9);
    while (seen.size < d) seen.add(rng.int(nItems));
    for (const i of seen) {
      users.push(u);
      items.push(i);
    }
  }
  const n = users.length;
  return {
    users: Int32Array.from(users),
    items: Int32Array.from(items),
    values: Float32Array.from({ length: n }, (_, k) => 1 + (k % 5)),
    timestamps: Float64Array.from({ length: n }, () => 1e9 + rng.int(1e6)),
    nUsers,
    nItems,
  };
}

const key = (r: Ratings, k: number) => `${r.users[k]}:${r.items[k]}:${r.values[k]}:${r.timestamps?.[k]}`;
const keys = (r: Ratings) => Array.from(r.users, (_, k) => key(r, k));

/** Train ∪ test ∪ dropped = the input (as a multiset); no rating lost or invented. */
function expectPartition(r: Ratings, s: Split): void {
  expect(s.train.users.length + s.test.users.length + s.report.dropped).toBe(r.users.length);
  if (s.report.dropped === 0) expect([...keys(s.train), ...keys(s.test)].sort()).toEqual(keys(r).sort());
  expect(s.report.train).toBe(s.train.users.length);
  expect(s.report.test).toBe(s.test.users.length);
  for (const side of [s.train, s.test]) {
    expect(side.nUsers).toBe(r.nUsers);
    expect(side.nItems).toBe(r.nItems);
    expect(side.timestamps!.length).toBe(side.users.length);
  }
}

/** Every test user and item has a train rating. */
function expectWarm(s: Split): void {
  const u = new Set(s.train.users);
  const i = new Set(s.train.items);
  for (let k = 0; k < s.test.users.length; k++) {
    expect(u.has(s.test.users[k])).toBe(true);
    expect(i.has(s.test.items[k])).toBe(true);
  }
}

function coldCounts(s: Split): { users: number; items: number } {
  const u = new Set(s.train.users);
  const i = new Set(s.train.items);
  return { users: new Set(Array.from(s.test.users).filter((x) => !u.has(x))).size, items: new Set(Array.from(s.test.items).filter((x) => !i.has(x))).size };
}

describe('splits', () => {
  const r = data();

  it('random holdout: exact test size before cold moves, deterministic per seed, warm by default', () => {
    const a = splitRandom(r, { testFraction: 0.25, seed: 7 });
    const b = splitRandom(r, { testFraction: 0.25, seed: 7 });
    const c = splitRandom(r, { testFraction: 0.25, seed: 8 });
    expectPartition(r, a);
    expectWarm(a);
    expect(keys(a.test)).toEqual(keys(b.test));
    expect(keys(a.test)).not.toEqual(keys(c.test));
    expect(a.test.users.length + a.report.moved).toBe(Math.round(r.users.length * 0.25));
    expect(a.report.moved).toBeGreaterThan(0);
  });

  it('cold-start mode keeps test users/items absent from train and counts them', () => {
    const s = splitRandom(r, { testFraction: 0.5, seed: 1, coldStart: true });
    expectPartition(r, s);
    expect(s.test.users.length).toBe(Math.round(r.users.length * 0.5));
    expect(s.report.moved).toBe(0);
    const cold = coldCounts(s);
    expect(cold.users + cold.items).toBeGreaterThan(0);
    expect(s.report.coldUsers).toBe(cold.users);
    expect(s.report.coldItems).toBe(cold.items);
    const dropped = splitRandom(r, { testFraction: 0.5, seed: 1, cold: 'drop' });
    expectPartition(r, dropped);
    expectWarm(dropped);
    expect(dropped.report.dropped).toBeGreaterThan(0);
  });

  it('leave-k-out: k per user when the user keeps a train rating; cold start holds out k regardless', () => {
    const s = splitLeaveKOut(r, { k: 2, seed: 5 });
    expectPartition(r, s);
    expectWarm(s);
    const perUser = new Map<number, number>();
    for (const u of s.test.users) perUser.set(u, (perUser.get(u) ?? 0) + 1);
    for (let u = 0; u < r.nUsers; u++) expect(perUser.get(u) ?? 0).toBeLessThanOrEqual(Math.min(2, u % 9));
    const cold = splitLeaveKOut(r, { k: 2, seed: 5, coldStart: true });
    const pc = new Map<number, number>();
    for (const u of cold.test.users) pc.set(u, (pc.get(u) ?? 0) + 1);
    for (let u = 0; u < r.nUsers; u++) expect(pc.get(u)).toBe(Math.min(2, 1 + (u % 9)));
    // Users with 1 or 2 ratings (u % 9 in {0, 1}: 14 of 60) lose them all to test and are cold.
    expect(cold.report.coldUsers).toBe(14);
    expect(coldCounts(cold).users).toBe(cold.report.coldUsers);
    expect(keys(splitLeaveKOut(r, { k: 2, seed: 5 }).test)).toEqual(keys(s.test));
  });

  it('temporal global cutoff: test is exactly the ratings at or after the cutoff (cold ones moved or kept)', () => {
    const sorted = Array.from(r.timestamps!).sort((a, b) => a - b);
    const cutoff = sorted[Math.floor(sorted.length * 0.8)];
    const keep = splitTemporal(r, { cutoff, coldStart: true });
    expectPartition(r, keep);
    for (const t of keep.test.timestamps!) expect(t).toBeGreaterThanOrEqual(cutoff);
    for (const t of keep.train.timestamps!) expect(t).toBeLessThan(cutoff);
    const byFraction = splitTemporal(r, { testFraction: 0.2, coldStart: true });
    expect(keys(byFraction.test)).toEqual(keys(keep.test));
    const warm = splitTemporal(r, { cutoff });
    expectWarm(warm);
    expect(warm.test.users.length + warm.report.moved).toBe(keep.test.users.length);
    expect(() => splitTemporal({ ...r, timestamps: undefined }, { cutoff })).toThrow(/needs timestamps/);
  });

  it('per-user last-k by timestamp', () => {
    const s = splitLastK(r, { k: 2, coldStart: true });
    expectPartition(r, s);
    for (let u = 0; u < r.nUsers; u++) {
      const ts = Array.from(r.timestamps!).filter((_, k) => r.users[k] === u).sort((a, b) => a - b);
      const test = Array.from(s.test.timestamps!).filter((_, k) => s.test.users[k] === u).sort((a, b) => a - b);
      expect(test).toEqual(ts.slice(-2));
    }
    const warm = splitLastK(r, { k: 2 });
    expectPartition(r, warm);
    expectWarm(warm);
  });

  it('k-fold: with cold start the test folds partition the ratings, sizes differ by at most one', () => {
    const folds = kFold(r, { k: 4, seed: 2, coldStart: true });
    expect(folds).toHaveLength(4);
    const all: string[] = [];
    const sizes = folds.map((f) => f.test.users.length);
    for (const f of folds) {
      expectPartition(r, f);
      all.push(...keys(f.test));
    }
    expect(all.sort()).toEqual(keys(r).sort());
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    const warm = kFold(r, { k: 4, seed: 2 });
    for (const f of warm) {
      expectPartition(r, f);
      expectWarm(f);
    }
    expect(() => kFold(r, { k: 1 })).toThrow(/k must be an integer in \[2, 255\]/);
  });

  it('bad options are clear errors', () => {
    expect(() => splitRandom(r, { testFraction: 1.5 })).toThrow(/testFraction must be in \(0, 1\)/);
    expect(() => splitLeaveKOut(r, { k: 0 })).toThrow(/k must be a positive integer/);
    expect(() => splitRandom({ ...r, users: new Int32Array(0), items: new Int32Array(0), values: new Float32Array(0), timestamps: undefined }, { testFraction: 0.1 })).toThrow(/empty/);
  });
});

describe('synthetic generator', () => {
  it('is deterministic per seed and exact in size, distinct pairs, on the scale', () => {
    const opts = { nUsers: 300, nItems: 200, nRatings: 6000, rank: 4, scale: [0.5, 5] as [number, number], step: 0.5, seed: 11, minUserDegree: 5 };
    const a = generateSynthetic(opts);
    const b = generateSynthetic(opts);
    const c = generateSynthetic({ ...opts, seed: 12 });
    expect(a.ratings.users).toEqual(b.ratings.users);
    expect(a.ratings.values).toEqual(b.ratings.values);
    expect(a.ratings.items).not.toEqual(c.ratings.items);
    const r = a.ratings;
    expect(r.users.length).toBe(6000);
    const pairs = new Set<number>();
    for (let k = 0; k < r.users.length; k++) {
      pairs.add(r.users[k] * 1000 + r.items[k]);
      const v = r.values[k];
      expect(v >= 0.5 && v <= 5 && Number.isInteger(v * 2)).toBe(true);
    }
    expect(pairs.size).toBe(6000);
    for (const d of a.userDegrees) expect(d).toBeGreaterThanOrEqual(5);
    expect(a.userDegrees.reduce((s, d) => s + d, 0)).toBe(6000);
    expect(a.itemDegrees.reduce((s, d) => s + d, 0)).toBe(6000);
  });

  it('ratings follow the planted model: residuals have the noise level where not clipped', () => {
    const ds = generateSynthetic({ nUsers: 400, nItems: 300, nRatings: 20000, rank: 5, scale: [1, 5], step: 0, noise: 0.3, seed: 4 });
    const { rank, mean, userFactors: U, itemFactors: V } = ds.planted;
    const r = ds.ratings;
    let s2 = 0;
    let n = 0;
    for (let k = 0; k < r.users.length; k++) {
      if (r.values[k] <= 1 || r.values[k] >= 5) continue;
      let p = mean;
      for (let f = 0; f < rank; f++) p += U[r.users[k] * rank + f] * V[r.items[k] * rank + f];
      s2 += (r.values[k] - p) ** 2;
      n++;
    }
    expect(n).toBeGreaterThan(15000);
    // Noise 0.3 -> residual RMS 0.3 (truncation by the clip shrinks it slightly): allow ±10 %.
    expect(Math.sqrt(s2 / n)).toBeGreaterThan(0.27);
    expect(Math.sqrt(s2 / n)).toBeLessThan(0.33);
  });

  it('degrees are power-law: log-degree vs log-rank slope tracks the Zipf exponents', () => {
    const slope = (deg: Uint32Array, from: number, to: number) => {
      const d = Array.from(deg).sort((a, b) => b - a);
      let sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
      for (let r = from; r < to; r++) {
        const x = Math.log(r + 1);
        const y = Math.log(d[r]);
        sx += x; sy += y; sxx += x * x; sxy += x * y; n++;
      }
      return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    };
    const ds = generateSynthetic({ nUsers: 5000, nItems: 2000, nRatings: 200000, userZipf: 1.0, itemZipf: 0.8, minUserDegree: 1, seed: 9 });
    // Heads are capped/saturated and tails flattened by the minimum degree: fit the middle decades.
    expect(slope(ds.userDegrees, 20, 1000)).toBeCloseTo(-1.0, 0.5);
    expect(slope(ds.itemDegrees, 20, 500)).toBeLessThan(-0.6);
    expect(slope(ds.itemDegrees, 20, 500)).toBeGreaterThan(-1.0);
    const flat = generateSynthetic({ nUsers: 5000, nItems: 2000, nRatings: 200000, userZipf: 0.3, itemZipf: 0.3, seed: 9 });
    expect(slope(flat.itemDegrees, 20, 500)).toBeGreaterThan(-0.45);
    const ud = Array.from(ds.userDegrees).sort((a, b) => b - a);
    expect(ud[0] / ud[2500]).toBeGreaterThan(20);
  });

  it('powerLawDegrees hits the total exactly under min and cap; infeasible requests are clear errors', () => {
    const d = powerLawDegrees(1000, 50000, 1.2, 10, 400);
    expect(d.reduce((s, x) => s + x, 0)).toBe(50000);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...d)).toBeLessThanOrEqual(400);
    expect(() => powerLawDegrees(10, 50, 1, 10, 100)).toThrow(/cannot give 10 users at least 10 each/);
    expect(() => powerLawDegrees(10, 5000, 1, 1, 100)).toThrow(/do not fit 10 users with at most 100 each/);
  });

  it('alias sampling matches the weights', () => {
    const w = Float64Array.from([5, 1, 3, 1]);
    const t = new AliasTable(w);
    const rng = new Rng(1);
    const c = [0, 0, 0, 0];
    for (let k = 0; k < 100000; k++) c[t.sample(rng)]++;
    for (let i = 0; i < 4; i++) expect(Math.abs(c[i] / 100000 - w[i] / 10)).toBeLessThan(0.01);
  });

  it('presets have the published shapes; a small one generates with timestamps, implicit mode gives counts', () => {
    expect(SYNTHETIC_PRESETS['ml-25m']).toMatchObject({ nUsers: 162541, nItems: 59047, nRatings: 25000095 });
    expect(SYNTHETIC_PRESETS.netflix).toMatchObject({ nUsers: 480189, nItems: 17770, nRatings: 100480507 });
    const ds = generatePreset('ml-latest-small', { seed: 2 });
    expect(ds.ratings.users.length).toBe(100836);
    expect(ds.ratings.nItems).toBe(9724);
    expect(ds.ratings.timestamps!.length).toBe(100836);
    for (const d of ds.userDegrees) expect(d).toBeGreaterThanOrEqual(20);
    expect(ds.scale).toEqual([0.5, 5]);
    const imp = generateSynthetic({ nUsers: 50, nItems: 40, nRatings: 500, implicit: true, seed: 3 });
    expect(imp.implicit).toBe(true);
    for (const v of imp.ratings.values) expect(Number.isInteger(v) && v >= 1).toBe(true);
    expect(() => generatePreset('ml-2m')).toThrow(/unknown synthetic preset "ml-2m"/);
    expect(() => generateSynthetic({ nUsers: 0, nItems: 1, nRatings: 1 })).toThrow(/nUsers must be a positive integer/);
  });

  it('shuffle keeps the same ratings in a different order; abort stops generation', () => {
    const o = { nUsers: 100, nItems: 80, nRatings: 2000, seed: 5 };
    const a = generateSynthetic(o);
    const b = generateSynthetic({ ...o, shuffle: true });
    expect(keys(b.ratings).sort()).toEqual(keys(a.ratings).sort());
    expect(keys(b.ratings)).not.toEqual(keys(a.ratings));
    const ctl = new AbortController();
    ctl.abort();
    expect(() => generateSynthetic({ nUsers: 2000, nItems: 4000, nRatings: 1_200_000, signal: ctl.signal, timestamps: false })).toThrow(/aborted/);
  });
});
