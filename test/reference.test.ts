/** The f64 CPU reference on the source's worked numbers (the GPU versions run in the shared suite). */
import { describe, expect, it } from 'vitest';
import { cholesky, choleskySolve, normalEquations, sgdStep, solveSide, type SolveSpec } from '../src/reference/reference.ts';
import { buildCsr } from '../src/data/ratings.ts';
import { sgdUpdateF64 } from '../src/reference/sgd-reference.ts';
import { quiz3, workedSgdStep } from '../src/demo/lessons.ts';

const plain: SolveSpec = { rank: 2, bias: false, side: 'user', mu: 0, lambda: 0, lambdaBias: 0, weighted: false };

describe('f64 CPU reference: the source worked examples', () => {
  // The source prints h3 = 0.8631; exactly it is 0.85 + 0.01 * 4.345 * 0.3 = 0.863035, so "to 4
  // decimals" is checked as agreement within 1e-4 (one unit in the fourth decimal).
  it('SGD step: prediction 0.655, error 4.345, w and h to 4 decimals, h uses the old w', () => {
    const w = Float64Array.from([0.4, 0.2, 0.3]);
    const h = Float64Array.from([0.95, 0.1, 0.85]);
    const e = sgdStep(w, h, 5, 0.01);
    expect(5 - e).toBeCloseTo(0.655, 10);
    expect(e).toBeCloseTo(4.345, 10);
    const near = (got: Float64Array, want: number[]) => want.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThanOrEqual(1e-4));
    near(w, [0.4413, 0.2043, 0.3369]);
    near(h, [0.9674, 0.1087, 0.8631]);
    // h uses the old w: with the new w, h3 would be 0.85 + 0.01 * 4.345 * 0.3369 = 0.86464
    expect(Math.abs(h[2] - 0.86464)).toBeGreaterThan(1e-3);
  });
  it('pop quiz 3 through the library SGD update: rating 2, prediction 4.5, alpha 0.1 -> w = [0.65, 0.075], h = [0.4, 0.825]', () => {
    // The quiz states the prediction 4.5 while w.h = 0.75: a global mean of 3.75 supplies the rest.
    const X = Float64Array.from([0.8, 0.3]);
    const Y = Float64Array.from([0.6, 0.9]);
    const e = sgdUpdateF64(X, Y, 0, 0, 2, { rank: 2, bias: false, mu: 3.75, lr: 0.1, lambda: 0, lambdaBias: 0, lanes: 1 });
    expect(e).toBeCloseTo(-2.5, 12);
    // one f64 multiply-add from short decimals: within a few ulp of the exact quiz answer
    [0.65, 0.075].forEach((v, k) => expect(Math.abs(X[k] - v)).toBeLessThan(1e-15));
    [0.4, 0.825].forEach((v, k) => expect(Math.abs(Y[k] - v)).toBeLessThan(1e-15));
    // the simpler reference step agrees (it has no mu: feed it the quiz's error through a = 2 - 3.75)
    const w = Float64Array.from([0.8, 0.3]);
    const h = Float64Array.from([0.6, 0.9]);
    expect(sgdStep(w, h, 2 - 3.75, 0.1)).toBeCloseTo(-2.5, 12);
    w.forEach((v, k) => expect(v).toBeCloseTo(X[k], 14));
    h.forEach((v, k) => expect(v).toBeCloseTo(Y[k], 14));
  });
  it('pop quiz 3 and the worked step as the Learn tab computes them (the same library update)', () => {
    const q = quiz3();
    expect([q.prediction, q.e]).toEqual([4.5, -2.5]);
    expect(q.w.map((v) => +v.toFixed(4))).toEqual([0.65, 0.075]);
    expect(q.h.map((v) => +v.toFixed(4))).toEqual([0.4, 0.825]);
    const s = workedSgdStep();
    expect(s.prediction).toBeCloseTo(0.655, 12);
    expect(s.e).toBeCloseTo(4.345, 12);
    expect(s.w.map((v) => v.toFixed(4))).toEqual(['0.4413', '0.2043', '0.3369']);
    // 0.85 + 0.01 * 4.345 * 0.3 = 0.863035: 0.8630 at 4 decimals (the source prints 0.8631)
    expect(s.h.map((v) => v.toFixed(4))).toEqual(['0.9674', '0.1087', '0.8630']);
    expect(s.h[2]).toBeCloseTo(0.863035, 12);
  });
  it('3x3 ALS example, first user: [1.0 0.3; 0.2 0.8] w = [5; 2] -> w = [3.4, 1.0] / 0.74', () => {
    const Y = Float64Array.from([1.0, 0.3, 0.5, 1.2, 0.2, 0.8]); // H0 columns as rows
    const csr = buildCsr(Int32Array.from([0, 0]), Int32Array.from([0, 2]), Float32Array.from([5, 2]), 1, 3);
    const X = new Float64Array(2);
    solveSide(csr, X, Y, plain);
    expect(X[0]).toBeCloseTo(3.4 / 0.74, 10);
    expect(X[1]).toBeCloseTo(1.0 / 0.74, 10);
  });
  it('Cholesky rejects a singular system (lambda = 0, fewer ratings than unknowns)', () => {
    const Y = Float64Array.from([1, 2, 3, 4]);
    const csr = buildCsr(Int32Array.from([0]), Int32Array.from([0]), Float32Array.from([4]), 1, 2);
    const { A } = normalEquations(csr, 0, Y, plain);
    expect(cholesky(A, 2)).toBeNull();
    expect(() => solveSide(csr, new Float64Array(2), Y, plain)).toThrow(/user 0: normal equations are singular \(1 ratings for 2 unknowns with lambda = 0\)/);
  });
  it('Cholesky solve of a small SPD system is exact to rounding', () => {
    const A = Float64Array.from([4, 2, 2, 3]);
    const x = choleskySolve(cholesky(A, 2)!, Float64Array.from([2, 2]), 2);
    expect(x[0]).toBeCloseTo(0.25, 14);
    expect(x[1]).toBeCloseTo(0.5, 14);
  });
});
