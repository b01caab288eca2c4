/**
 * The small interface ALS is written against (once); the GPU and CPU backends implement it.
 * A backend owns the factors for the whole fit: the GPU one keeps them on the device.
 */
import type { SolveSpec } from '../../core/layout.ts';
import type { TrainBackend } from '../backend.ts';

export interface IterationStats {
  /** Explicit: sum of squared residuals on train. Implicit: observed part of the full-matrix loss. */
  sse: number;
  /** Explicit: sum of |residuals|. Implicit: alpha * sum f (for the confidence total). */
  sae: number;
  /** Regularization penalty lambda (||W||^2 + ||H||^2) + lambdaBias ||b||^2 (weighted when configured). */
  reg: number;
  /** Implicit: tr(W^T W H^T H), the unobserved part of the loss. */
  implicitTrace: number;
  /** ||W H - W'H'||_F^2 when requested. */
  delta2?: number;
  valSse?: number;
  valSae?: number;
}

/**
 * An ALS backend: the training loop's interface (src/train/backend.ts). `step` solves users with
 * H fixed, then items with W fixed, then computes the statistics (with the convergence quantity
 * when the problem's `trackDelta` is set); `evaluate` computes them without solving.
 */
export type AlsBackend = TrainBackend<IterationStats>;

export interface AlsProblem {
  rank: number;
  stride: number;
  nUsers: number;
  nItems: number;
  userSpec: SolveSpec;
  itemSpec: SolveSpec;
  solver: 'cholesky' | 'cg';
  kernels: 'auto' | 'tiled' | 'direct';
  /** Short rows through their n x n dual (AlsOptions.dualSolve; default true). */
  dualSolve?: boolean;
  cgSteps: number;
  implicit: boolean;
  alpha: number;
  /** Compute ||W H - W'H'||_F^2 each step. */
  trackDelta: boolean;
  /**
   * Read W and H back with each step's statistics, so a lost device can hand the last finished
   * iteration to the CPU (default true). A search's trials set false: each step then reads back
   * only the scalars.
   */
  hostCopies?: boolean;
}

/** lambda ||W||^2 + lambdaBias ||b||^2 from the diagonal of a (weighted) factor Gram. */
export function penalty(diag: ArrayLike<number>, spec: SolveSpec, biasCol: number): number {
  let s = 0;
  for (let c = 0; c < spec.rank; c++) s += diag[c];
  let p = spec.lambda * s;
  if (spec.bias) p += spec.lambdaBias * diag[biasCol];
  return p;
}
