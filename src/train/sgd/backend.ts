/**
 * The small interface the SGD/GD training loop (src/train/sgd/index.ts) is written against. The GPU
 * backend (gpu-backend.ts) and the CPU engine (cpu-backend.ts) implement it with the same
 * algorithm, the same visiting orders (src/core/sgd-plan.ts) and the same update (src/reference/sgd-reference.ts).
 */
import type { Ratings } from '../../data/ratings.ts';
import type { TrainBackend } from '../backend.ts';

export interface EngineSpec {
  algo: 'sgd' | 'gd';
  mode: 'hogwild' | 'stratified';
  rank: number;
  bias: boolean;
  adagrad: boolean;
  /** With adagrad: the first epoch updates only the lead columns (LIBMF's warm-up; src/reference/sgd-reference.ts). */
  adagradWarmup: boolean;
  mu: number;
  lambda: number;
  lambdaBias: number;
  seed: number;
  /** Stratified grid size b (b x b blocks). */
  blocks: number;
  /** Lanes per rating in the GPU kernel; the CPU engine replays the same summation order. */
  lanes: number;
  train: Ratings;
  validation?: Ratings;
  /** Initial factors (nUsers x stride, nItems x stride); backends copy them. */
  W0: Float32Array;
  H0: Float32Array;
  /** Checked between epochs by the loop, and inside long CPU epochs (which yield to the event loop). */
  signal?: AbortSignal;
}

export interface Sse {
  train: number;
  validation?: number;
  /** Device time of the epoch's training pass (timestamp queries), when the device has them. */
  gpuSeconds?: number;
}

/**
 * An SGD/GD backend: the training loop's interface (src/train/backend.ts). `step(t, lr)` is epoch
 * t (1-based) at learning rate lr and returns the squared-error sums after it; `evaluate` returns
 * those of the current factors.
 */
export type SgdBackend = TrainBackend<Sse>;
