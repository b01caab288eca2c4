/**
 * The factor layout: the one owner of the stride, the bias columns and the initial factors.
 * Every engine (GPU kernels, CPU reference, model, file formats) reads it from here.
 *
 * A side's factors are rows of `stride` floats. Without biases stride = rank. With biases
 * stride = rank + 2:
 *   user row = [w (rank), b_u, 1]      item row = [h (rank), 1, b_i]
 * so x_u . y_i = w.h + b_u + b_i and a prediction is mu + x_u . y_i (the augmented-vector trick).
 */
import { InputError, SingularSystemError } from './errors.ts';
import type { Rng } from '../util/random.ts';

export type Side = 'user' | 'item';

/** Floats per factor row. */
export const strideOf = (rank: number, bias: boolean): number => (bias ? rank + 2 : rank);

/** Column of a side's own bias (b_u in a user row, b_i in an item row). */
export const biasColumn = (rank: number, side: Side): number => (side === 'user' ? rank : rank + 1);

/** Column of a side's constant 1 (it multiplies the other side's bias). */
export const constantColumn = (rank: number, side: Side): number => (side === 'user' ? rank + 1 : rank);

/** Sets the constant-1 column of every row from `from` on (a no-op without biases). */
export function setConstantColumn(M: Float32Array | Float64Array, rank: number, bias: boolean, side: Side, from = 0): void {
  if (!bias) return;
  const S = strideOf(rank, bias);
  const c = constantColumn(rank, side);
  for (let r = from; r < M.length / S; r++) M[r * S + c] = 1;
}

/**
 * Fills rows [from, n) with random factors (N(0, scale^2) or uniform [0, scale)), zero biases and
 * the constant column, drawing from `rng` row by row.
 */
export function fillRandomFactors(M: Float32Array, rank: number, bias: boolean, side: Side, rng: Rng, dist: 'normal' | 'uniform', scale: number, from = 0): void {
  const S = strideOf(rank, bias);
  for (let r = from; r < M.length / S; r++) {
    for (let k = 0; k < rank; k++) M[r * S + k] = dist === 'normal' ? rng.normal() * scale : rng.next() * scale;
    if (bias) {
      M[r * S + rank] = 0;
      M[r * S + rank + 1] = 0;
    }
  }
  setConstantColumn(M, rank, bias, side, from);
}

/**
 * A caller's factors in the stride layout: `given` is n x rank (biases 0) or n x stride; checked
 * for size and finiteness; the constant column is set.
 */
export function packFactors(given: ArrayLike<number>, n: number, rank: number, bias: boolean, side: Side, what = `init.${side}s`): Float32Array {
  const S = strideOf(rank, bias);
  if (!(given.length === n * S || given.length === n * rank)) {
    throw new InputError(`${what} has ${given.length} values; expected ${n} x ${rank} (or x ${S} with biases)`);
  }
  for (let i = 0; i < given.length; i++) {
    if (!Number.isFinite(given[i])) throw new InputError(`${what}[${i}] is not finite`);
  }
  const X = new Float32Array(n * S);
  const per = given.length / Math.max(1, n);
  for (let r = 0; r < n; r++) for (let c = 0; c < per; c++) X[r * S + c] = given[r * per + c];
  setConstantColumn(X, rank, bias, side);
  return X;
}

/** How one side's rows are solved with the other side fixed. */
export interface SolveSpec {
  rank: number;
  bias: boolean;
  side: Side;
  mu: number;
  lambda: number;
  lambdaBias: number;
  weighted: boolean;
  /** Implicit feedback: confidence c = 1 + alpha f, preference p = [f > 0]. */
  implicit?: { alpha: number };
}

/** The unknowns of one side's row solve. */
export interface SolveLayout {
  /** Unknowns per row. */
  K: number;
  stride: number;
  /** Factor column of this side's bias (and of the other side's constant-1 column). */
  xBias: number;
  /** Factor column of the other side's bias. */
  yBias: number;
}

export function layoutOf(spec: Pick<SolveSpec, 'rank' | 'bias' | 'side'>): SolveLayout {
  const r = spec.rank;
  if (!spec.bias) return { K: r, stride: r, xBias: 0, yBias: 0 };
  const xBias = biasColumn(r, spec.side);
  return { K: r + 1, stride: strideOf(r, true), xBias, yBias: 2 * r + 1 - xBias };
}

/** Factor column of unknown t. */
export function colOf(t: number, rank: number, L: SolveLayout): number {
  return t < rank ? t : L.xBias;
}

/** Largest |v| (NaN when any entry is NaN). */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) {
    const v = Math.abs(a[k]);
    if (!(v <= m)) m = v;
    if (Number.isNaN(v)) return NaN;
  }
  return m;
}

/** Above this, a normal-equation entry is past what f32 holds with room (its square root squared overflows f32 sums). */
const OVERFLOW_SCALE = 1e30;

/**
 * The error for a system Cholesky could not factor. `evidence` (the largest |entry| of the system or of the factor
 * Grams, and of the row's ratings) tells float overflow — outliers like 1e20 make entries of 1e40, past f32, where
 * lambda is lost in rounding — apart from too few ratings, so the message names the real cause.
 */
export function singularError(spec: SolveSpec, row: number, n: number, count = 1, evidence?: { maxAbs: number; maxRating?: number }): SingularSystemError {
  if (evidence && !(evidence.maxAbs <= OVERFLOW_SCALE)) {
    const rating = evidence.maxRating !== undefined && Number.isFinite(evidence.maxRating) ? `; its largest |rating| is ${evidence.maxRating.toPrecision(3)}` : '';
    return new SingularSystemError(
      spec.side,
      row,
      count,
      `${spec.side} ${row}: normal equations ${Number.isFinite(evidence.maxAbs) ? `have entries up to ${evidence.maxAbs.toExponential(1)}` : 'are not finite (Infinity/NaN)'}` +
        `${count > 1 ? ` (${count} such ${spec.side}s)` : ''}: float overflow, not too few ratings — ratings or factors too large for 32-bit floats (3.4e38 at most, and their squares are summed)${rating}. ` +
        `Rescale the ratings or remove outliers; lambda = ${spec.lambda} cannot help at this scale.`,
    );
  }
  return new SingularSystemError(
    spec.side,
    row,
    count,
    `${spec.side} ${row}: normal equations are singular (${n} ratings for ${layoutOf(spec).K} unknowns` +
      `${spec.lambda === 0 ? ' with lambda = 0' : ''})${count > 1 ? `; ${count} such ${spec.side}s` : ''}. ` +
      `Use lambda > 0 or a smaller rank.`,
  );
}

/**
 * Columns in AdaGrad's lead group: LIBMF splits a row into its first kALIGN columns (8 in its AVX
 * build, which the npm libmf peer uses) and the rest, each with its own accumulator, and in the
 * first epoch updates only the first group. A rank of 8 or less is one group.
 */
export const ADAGRAD_LEAD = 8;
export const adagradLead = (rank: number): number => Math.min(rank, ADAGRAD_LEAD);
