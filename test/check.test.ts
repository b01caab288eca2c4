/** The checks themselves: each one fails on perturbed data, on NaN and on Infinity. */
import { describe, expect as vexpect, it } from 'vitest';
import { assertFinite, CheckError, expectBelow, expectClose, factorResidual, solveResidual } from './gpu/check.ts';

const ref = [1, -2, 3.5, 1e-3, 1e6];

describe('GPU result checks reject bad values', () => {
  it('expectClose passes on equal data and fails on a perturbed entry, naming index and both values', () => {
    vexpect(() => expectClose('x', ref, ref, { rtol: 1e-6 })).not.toThrow();
    const bad = ref.slice();
    bad[2] *= 1 + 1e-4;
    vexpect(() => expectClose('x', bad, ref, { rtol: 1e-6 })).toThrow(/index 2: GPU 3\.500\d* vs reference 3\.5/);
  });
  it('expectClose fails on NaN and ±Infinity even with a huge tolerance', () => {
    for (const v of [NaN, Infinity, -Infinity]) {
      const bad = ref.slice();
      bad[1] = v;
      vexpect(() => expectClose('x', bad, ref, { rtol: 1e30, atol: 1e30 })).toThrow(CheckError);
    }
  });
  it('expectClose fails when the reference itself is not finite', () => {
    vexpect(() => expectClose('x', [NaN], [NaN], { rtol: 1 })).toThrow(/non-finite/);
  });
  it('expectBelow fails on NaN and on values above the bound', () => {
    vexpect(() => expectBelow('r', NaN, 1)).toThrow(CheckError);
    vexpect(() => expectBelow('r', 2, 1)).toThrow(CheckError);
    vexpect(() => expectBelow('r', 0.5, 1)).not.toThrow();
  });
  it('assertFinite names the index', () => {
    vexpect(() => assertFinite('f', [0, 1, Infinity])).toThrow(/index 2/);
  });
  it('solve and factor residuals are zero for an exact solve and grow under perturbation', () => {
    const A = [4, 2, 2, 3];
    const U = [2, 1, 0, Math.SQRT2];
    const x = [0.25, 0.5];
    const b = [2, 2];
    vexpect(solveResidual(A, x, b, 2)).toBeLessThan(1e-15);
    vexpect(factorResidual(U, A, 2)).toBeLessThan(1e-15);
    vexpect(solveResidual(A, [0.25, 0.51], b, 2)).toBeGreaterThan(1e-3);
    vexpect(factorResidual([2, 1.01, 0, Math.SQRT2], A, 2)).toBeGreaterThan(1e-3);
  });
});
