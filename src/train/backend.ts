/**
 * The one backend interface ALS and SGD/GD are written against (src/train/loop.ts runs it). A
 * backend owns the factors for the whole fit; the GPU ones keep them on the device. The GPU and
 * CPU backends of one algorithm implement the same operations with the same arithmetic.
 */

import type { Parallelism } from '../model/types.ts';

/** Factors in the stride layout of src/core/layout.ts: W (nUsers x stride), H (nItems x stride). */
export interface Factors {
  W: Float32Array;
  H: Float32Array;
}

export interface TrainBackend<S> {
  readonly kind: 'gpu' | 'cpu';
  readonly adapter?: string;
  /** Statistics of the current factors without a step (iteration 0). */
  evaluate(): Promise<S>;
  /**
   * Iteration `iteration` (1-based) at learning rate `learningRate` (ALS ignores it). The factors
   * before the step are kept as the last good copy, for `restoreLast`.
   */
  step(iteration: number, learningRate: number): Promise<S>;
  /** Puts back the factors from before the last `step` (a rejected, diverged or interrupted step). */
  restoreLast(): Promise<void>;
  /** Keeps a copy of the current factors as the best so far (early stopping). */
  saveBest(): Promise<void>;
  restoreBest(): Promise<void>;
  /** The current factors, read back. */
  readFactors(): Promise<Factors>;
  /**
   * The factors as they were at the end of the last `step` (or at the start), held on the host, so
   * that a device that is lost later does not take finished iterations with it. GPU backends read
   * them back with each step's statistics, in the same mapping; CPU backends need not implement it.
   */
  keptFactors?(): Factors;
  /** GPU backends: what one step dispatches at once (FitResult.parallelism). */
  parallelism?(): Parallelism;
  destroy(): void;
}

/**
 * A GPU backend handing its factor buffers to the caller: takes them out of `owned` (what its
 * destroy() releases), so they outlive the backend. `what` names the backend in the error.
 */
export function releaseFactorBuffers(owned: { destroy(): void }[], users: GPUBuffer, items: GPUBuffer, what: string): { users: GPUBuffer; items: GPUBuffer } {
  const i = owned.indexOf(users);
  const j = owned.indexOf(items);
  if (i < 0 || j < 0) throw new Error(`${what} factors already released or destroyed`);
  owned.splice(Math.max(i, j), 1);
  owned.splice(Math.min(i, j), 1);
  return { users, items };
}
