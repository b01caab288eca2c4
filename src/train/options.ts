/**
 * The defaults of every fit option, in one table, and the one helper that validates options.
 * ALS and SGD share the names (Spark's where they exist); where their defaults differ, the table
 * says so side by side.
 */
import { InputError } from '../core/errors.ts';
import type { Ratings } from '../data/ratings.ts';
import { validateRatings } from '../data/ratings.ts';

export const DEFAULTS = {
  /** Shared by every algorithm. One seed default for ALS and SGD (SGD's was 1 before). */
  common: { rank: 10, seed: 42, initScale: 0.1, backend: 'auto' },
  /**
   * Explicit ALS follows Spark: biases on, lambda scaled by each row's rating count (ALS-WR); rank
   * 10, lambda 0.1 and 10 iterations chosen by test RMSE on four data sets (bench/models.ts
   * defaults, bench/results/models). Implicit ALS has neither biases nor ALS-WR.
   */
  als: { lambda: 0.1, weightedLambda: true, useBias: true, implicit: false, alpha: 40, iterations: 10, tolerance: 0, trackDelta: true, solver: 'cholesky', kernels: 'auto', dualSolve: true, cgSteps: 3 },
  sgd: {
    algo: 'sgd',
    mode: 'hogwild',
    lambda: 0.05,
    epochs: 20,
    decay: 0.1,
    divergenceTolerance: 0.1,
    /**
     * Base learning rate by algorithm and schedule, and the schedule. SGD's pair (inverse decay from
     * 0.04) is the one with the smallest worst-case loss across four data sets of different shapes
     * (bench/models.ts sgd, bench/results/models/sgd-defaults.md): within 3.5% of each set's best
     * test RMSE of the grid, where constant 0.01 (the default before) lost up to 18%.
     */
    learningRate: { sgd: 0.04, adagrad: 0.1, gd: 0.001 },
    schedule: { sgd: 'inverse', gd: 'bold-driver' },
    maxRank: 4096,
  },
} as const;

/** Checks one option; `what` says what it must be ("an integer >= 1"). */
export function check(name: string, v: unknown, ok: (v: number) => boolean, what: string): number {
  if (!(typeof v === 'number' && ok(v))) throw new InputError(`${name} must be ${what} (got ${String(v)})`);
  return v;
}

/** A number >= lo (an integer when asked). */
export function atLeast(name: string, v: unknown, lo: number, integer = false): number {
  return check(name, v, (x) => Number.isFinite(x) && x >= lo && (!integer || Number.isInteger(x)), `${integer ? 'an integer' : 'a finite number'} >= ${lo}`);
}

/** One of a list of strings. */
export function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(v)) throw new InputError(`${name} must be ${allowed.map((a) => `'${a}'`).join(', ')} (got ${String(v)})`);
  return v as T;
}

/** Validation ratings: valid, and within the training set's users and items. */
export function checkValidation(v: Ratings | undefined, train: Ratings, allowEmpty = true): void {
  if (!v) return;
  validateRatings(v, { allowEmpty });
  if (v.nUsers > train.nUsers || v.nItems > train.nItems) {
    throw new InputError(`validation ratings have ${v.nUsers} users x ${v.nItems} items; the training set has only ${train.nUsers} x ${train.nItems}`);
  }
}

/** Early stopping needs validation ratings and a patience >= 1. */
export function checkEarlyStopping(es: { patience: number; minDelta?: number } | undefined, validation: Ratings | undefined): void {
  if (!es) return;
  if (!validation) throw new InputError('earlyStopping needs validation ratings');
  atLeast('earlyStopping.patience', es.patience, 1, true);
  if (es.minDelta !== undefined) atLeast('earlyStopping.minDelta', es.minDelta, 0);
}
