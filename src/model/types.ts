/**
 * What every trainer (ALS, implicit ALS, SGD, GD; GPU or CPU) produces, and what every model
 * consumer (predict, recommend, metrics, save/load, CLI, demo) reads.
 *
 * Factor layout (see src/reference/reference.ts): rows of `stride` floats. Without biases stride = rank;
 * with biases stride = rank + 2, user row = [w, b_u, 1], item row = [h, 1, b_i], so that
 * prediction = mu + dot(userRow, itemRow) over the full stride.
 */
import type { IdMap } from '../data/ratings.ts';
import type { GpuContext } from '../gpu/context.ts';

/** Trainers, plus the two baselines (src/model/baseline.ts). */
export type Algo = 'als' | 'ials' | 'sgd' | 'gd' | 'baseline' | 'popularity';

export interface FactorModelData {
  algo: Algo;
  rank: number;
  bias: boolean;
  implicit: boolean;
  stride: number;
  /** Global mean (0 without biases). */
  mu: number;
  nUsers: number;
  nItems: number;
  /** nUsers x stride. */
  userFactors: Float32Array;
  /** nItems x stride. */
  itemFactors: Float32Array;
  userIds?: IdMap;
  itemIds?: IdMap;
  /** Rating scale [min, max] for clipping predictions (explicit models). */
  ratingScale?: [number, number];
  /** Hyperparameters used for training (rank, lambda, alpha, ...), saved with the model. */
  hyperparams: Record<string, number | string | boolean>;
  /**
   * A second model over the same users and items that `recommend` ranks by (see
   * src/model/ranking.ts): an implicit ALS model of who rated what. Rating prediction keeps using
   * this model's own factors.
   */
  ranking?: FactorModelData;
}

/** One iteration (ALS) or epoch (SGD/GD), reported through onIteration and kept in the fit history. */
export interface IterationReport {
  iteration: number;
  /** Wall seconds of this iteration (including the few scalars read back). */
  seconds: number;
  /** Training objective (squared error + regularization), when computed. */
  trainLoss?: number;
  trainRmse: number;
  validationRmse?: number;
  /** ||W_t H_t - W_{t-1} H_{t-1}||_F (ALS convergence quantity). */
  delta?: number;
  /** Learning rate used (SGD/GD). */
  learningRate?: number;
}

export interface FitResult {
  model: FactorModelData;
  history: IterationReport[];
  /**
   * The engine that ran: 'gpu', 'cpu' (the f32 CPU engine) or 'reference' (the f64 one); the
   * adapter's name when on the GPU.
   */
  backend: 'gpu' | 'cpu' | 'reference';
  adapter?: string;
  /** Why this engine ran (the backend option, no WebGPU, a hardware adapter, or the software adapter's probe). */
  backendReason?: string;
  /** Why the loop stopped. */
  stopped: 'iterations' | 'converged' | 'early-stopping';
  /**
   * The final factors still on the device (fits asked to `keepOnDevice`): the same values as
   * `model.userFactors`/`model.itemFactors`, in the same layout. The caller owns the buffers:
   * `new Model(fit.model, { gpu, device: fit.device })` adopts them, or destroy them.
   */
  device?: DeviceFactorBuffers;
  /** How much of the work ran at once on the device (GPU fits): what the backend dispatched. */
  parallelism?: Parallelism;
}

/**
 * The parallel shape of a GPU fit, as dispatched. ALS: every row of a side is an independent solve;
 * the rows of one batch are solved by one dispatch (batches are sized to the device's scratch
 * budget). SGD: updates in flight at once (Hogwild: concurrent groups, one rating each at a time;
 * stratified: the blocks of one stratum). GD: one full-batch gradient over every rating.
 */
export interface Parallelism {
  /** ALS: user rows solved by one dispatch (the largest batch), and how many batches a half-iteration takes. */
  userRows?: number;
  userBatches?: number;
  itemRows?: number;
  itemBatches?: number;
  /** SGD/GD: rating updates in flight at once. */
  updatesInFlight?: number;
}

/** Factor buffers on `gpu`: users (nUsers x stride f32) and items (nItems x stride f32). */
export interface DeviceFactorBuffers {
  gpu: GpuContext;
  users: GPUBuffer;
  items: GPUBuffer;
}
