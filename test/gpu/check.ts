/**
 * Checks for GPU results against the f64 reference. Every check rejects NaN and ±Infinity before
 * comparing, and a failure names the index, the GPU value and the reference value.
 */
export class CheckError extends Error {
  override name = 'CheckError';
}

type Num = ArrayLike<number>;

export function assertFinite(label: string, got: Num): void {
  for (let i = 0; i < got.length; i++) {
    if (!Number.isFinite(got[i])) throw new CheckError(`${label}: non-finite value at index ${i}: ${got[i]}`);
  }
}

export interface Tol {
  /** Relative tolerance, applied to max(|ref|, scale). */
  rtol: number;
  /** Absolute floor. */
  atol?: number;
  /** Per-index magnitude scale (e.g. the sum of |terms| of a dot product); default |ref|. */
  scale?: Num;
}

/** |got - ref| <= atol + rtol * max(|ref|, scale) for every index. */
export function expectClose(label: string, got: Num, ref: Num, tol: Tol): number {
  if (got.length !== ref.length) throw new CheckError(`${label}: length ${got.length}, reference ${ref.length}`);
  assertFinite(label, got);
  assertFinite(`${label} (reference)`, ref);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const mag = Math.max(Math.abs(ref[i]), tol.scale ? Math.abs(tol.scale[i]) : 0);
    const err = Math.abs(got[i] - ref[i]);
    const bound = (tol.atol ?? 0) + tol.rtol * mag;
    if (!(err <= bound)) {
      throw new CheckError(`${label}: index ${i}: GPU ${got[i]} vs reference ${ref[i]} (|diff| ${err.toExponential(3)} > ${bound.toExponential(3)})`);
    }
    if (mag > 0) worst = Math.max(worst, err / mag);
  }
  return worst;
}

/** A scalar (or small value) below a bound; NaN fails. */
export function expectBelow(label: string, value: number, bound: number): void {
  if (!Number.isFinite(value)) throw new CheckError(`${label}: non-finite ${value}`);
  if (!(value <= bound)) throw new CheckError(`${label}: ${value.toExponential(3)} > ${bound.toExponential(3)}`);
}

export function expect(cond: boolean, message: string): void {
  if (!cond) throw new CheckError(message);
}

/** Expects `fn` to throw an error whose name (or message) matches. */
export async function expectThrows(label: string, fn: () => unknown, match: { name?: string; message?: RegExp }): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    const err = e as Error;
    if (match.name && err.name !== match.name) throw new CheckError(`${label}: threw ${err.name} (${err.message}), expected ${match.name}`);
    if (match.message && !match.message.test(err.message)) throw new CheckError(`${label}: message "${err.message}" does not match ${match.message}`);
    return err;
  }
  throw new CheckError(`${label}: did not throw`);
}

/** ||A x - b|| / ||b|| for a dense f64 K x K system. */
export function solveResidual(A: Num, x: Num, b: Num, K: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < K; i++) {
    let s = -b[i];
    for (let j = 0; j < K; j++) s += A[i * K + j] * x[j];
    num += s * s;
    den += b[i] * b[i];
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-300);
}

/** ||U^T U - A||_F / ||A||_F with U upper-triangular (row-major, strictly-lower part ignored). */
export function factorResidual(U: Num, A: Num, K: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      let s = 0;
      for (let k = 0; k <= Math.min(i, j); k++) s += U[k * K + i] * U[k * K + j];
      num += (s - A[i * K + j]) ** 2;
      den += A[i * K + j] ** 2;
    }
  }
  return Math.sqrt(num / den);
}
