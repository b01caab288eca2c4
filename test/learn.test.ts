/**
 * The Learn tab's worked examples (src/demo/lessons.ts) against the source's printed numbers and
 * against independent computations: the library's ALS fit, the least-squares optimality condition,
 * and the SGD update written out. The page shows exactly these values (the e2e test reads them back).
 */
import { describe, expect, it } from 'vitest';
import { fitAls } from '../src/train/als/index.ts';
import {
  aliceLeastSquares, handsOnIteration, localOptima, NETFLIX, quiz1, quiz2, rankOne, stopAt, ToySgd, toyAls, toyStep0, workedSgdStep,
} from '../src/demo/lessons.ts';
import { toyItemRows, toyRatings, TOY_TABLE } from '../src/demo/toy.ts';

describe('Learn tab: the source table and its questions', () => {
  it('the toy table is the source table', () => {
    expect(TOY_TABLE).toEqual([
      [5, 4, 2, 3, 2],
      [null, 5, 1, 4, null],
      [4, null, 1, 5, null],
    ]);
  });

  it('step 0 (H fixed at the source values): Bob -> Sholay 4.86 / 4.53, Carol -> Swades 4.03 / 4.30 at lambda 0 / 0.1', () => {
    const a = toyStep0(0);
    const b = toyStep0(0.1);
    expect([a.P[1][0], b.P[1][0], a.P[2][1], b.P[2][1]].map((v) => v.toFixed(2))).toEqual(['4.86', '4.53', '4.03', '4.30']);
    // the closed form w = (H_o H_o^T + lambda I)^-1 H_o a: A w = b holds to rounding for every person
    for (const s of [a, b]) for (const r of s.people) {
      const res = r.A.map((row, i) => row.reduce((t, x, j) => t + x * r.x[j], 0) - r.b[i]);
      expect(Math.hypot(...res)).toBeLessThan(1e-12 * Math.hypot(...r.b));
    }
    // at lambda 0 Bob and Carol (3 ratings, 3 unknowns) reproduce their known cells
    for (const u of [1, 2]) TOY_TABLE[u].forEach((v, i) => v !== null && expect(a.P[u][i]).toBeCloseTo(v, 10));
  });

  it("Alice's least squares: w* = [2.7756, 1.6564, 1.7466], Sholay 4.287 (not 5), residual orthogonal to H", () => {
    const al = aliceLeastSquares();
    expect(al.w.map((v) => v.toFixed(4))).toEqual(['2.7756', '1.6564', '1.7466']);
    expect(al.fit[0].toFixed(3)).toBe('4.287');
    expect(al.residualNorm).toBeGreaterThan(0.9);
    for (const g of al.gradient) expect(Math.abs(g)).toBeLessThan(1e-12);
    // any perturbation of w* raises the squared error
    const H = toyItemRows();
    const sse = (w: number[]) => al.ratings.reduce((s, a, i) => s + (a - (w[0] * H[i * 3] + w[1] * H[i * 3 + 1] + w[2] * H[i * 3 + 2])) ** 2, 0);
    for (const d of [[1e-3, 0, 0], [0, -1e-3, 0], [0, 0, 1e-3]]) expect(sse(al.w.map((x, k) => x + d[k]))).toBeGreaterThan(sse(al.w));
  });

  it('ALS iterations equal the library fit (fitAls, f64 path) started from the same factors, and report ||dP||_F', async () => {
    const steps = toyAls(0.1, 3);
    const r = toyRatings();
    for (let t = 1; t <= 3; t++) {
      // fitAls solves users then items; lessons solves films then people: start fitAls one half-step in
      const prev = steps[t - 1];
      const fit = await fitAls(r, { rank: 3, lambda: 0.1, weightedLambda: false, useBias: false, iterations: 1, backend: 'cpu', init: { users: Float32Array.from(prev.W), items: Float32Array.from(steps[t].H) }, trackDelta: false });
      // init is f32: H rounded by u = 2^-24 moves the f64 solve by <= cond(A) u (the people's systems
      // here have cond(A) <= 19) = 1.1e-6 in its worst direction, and the f32 store of W adds u.
      // Measured 9.3e-8 of (1 + |W|); bound 1e-6 (deterministic JS arithmetic).
      fit.model.userFactors.forEach((v, k) => expect(Math.abs(v - steps[t].W[k])).toBeLessThan(1e-6 * (1 + Math.abs(steps[t].W[k]))));
      expect(steps[t].delta).toBeGreaterThan(0);
    }
    expect(steps[1].rmse).toBeLessThan(steps[0].rmse);
  });

  it('stopAt: the first iteration whose delta is below eps, null when none', () => {
    expect(stopAt([undefined, 3, 0.2, 0.05, 0.01], 0.1)).toBe(3);
    expect(stopAt([undefined, 3, 0.2], 0.1)).toBeNull();
    expect(stopAt([undefined, 0.05], 0.1)).toBe(1);
  });
});

describe('Learn tab: the 3x3 hands-on example', () => {
  it('user 1 is the source hand solve; at lambda 0 user 3 -> movie 1 is 16.56; lambda pulls it back', () => {
    const it0 = handsOnIteration(0);
    expect(it0.users[0].x[0]).toBeCloseTo(3.4 / 0.74, 12);
    expect(it0.users[0].x[1]).toBeCloseTo(1.0 / 0.74, 12);
    expect(it0.P1[2][0].toFixed(2)).toBe('16.56');
    expect(it0.users[2].x.map((v) => +v.toFixed(6))).toEqual([17.5, -3.125]);
    const it1 = handsOnIteration(0.1);
    expect(it1.P1[2][0]).toBeLessThan(5);
    expect(it1.P1[2][0]).toBeGreaterThan(1);
  });
});

describe('Learn tab: SGD and quizzes', () => {
  it('the SGD panel starts with the worked step and goes through the table in order', () => {
    const s = new ToySgd(0.01, 0);
    const first = s.step();
    const worked = workedSgdStep();
    expect(first.e).toBe(worked.e);
    expect(first.w).toEqual(worked.w);
    expect(first.h).toEqual(worked.h);
    for (let k = 1; k < 11; k++) s.step();
    expect([s.next, s.epoch]).toEqual([0, 1]);
    expect(s.log.map((r) => `${r.u}${r.i}`).join(' ')).toBe('00 01 02 03 04 11 12 13 20 22 23');
  });

  it('quiz 1 (Netflix 3x10^12, 0.67%) and quiz 2 (W N x r, H r x M, r(N + M))', () => {
    const n = quiz1(NETFLIX.users, NETFLIX.items, NETFLIX.ratings);
    expect(n.possible).toBe(3e12);
    expect((n.fill * 100).toFixed(2)).toBe('0.67');
    const q = quiz2(3, 5, 2);
    expect(q).toEqual({ W: [3, 2], H: [2, 5], parameters: 16, cells: 15 });
  });

  it('local optima: seeds give different factors and similar error; rank 1 orders every film alike', () => {
    const runs = localOptima([1, 2, 3, 4]);
    const rmses = runs.map((r) => r.rmse);
    expect(Math.max(...rmses) - Math.min(...rmses)).toBeLessThan(0.02);
    expect(Math.abs(runs[0].alice[0] - runs[1].alice[0])).toBeGreaterThan(0.5);
    const r1 = rankOne();
    expect(r1.sameOrder).toBe(true);
    expect(r1.rmse).toBeGreaterThan(toyAls(0.1, 50).at(-1)!.rmse);
  });
});
