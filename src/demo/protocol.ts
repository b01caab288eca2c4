/**
 * Messages between the demo page (main thread) and its engine worker (src/demo/worker.ts).
 * The worker owns the data, its own GPU device, the training loop and the trained model; the page
 * only renders what it is sent, so nothing heavy ever runs on the main thread.
 */
import type { IterationReport, Parallelism } from '../model/types.ts';
import type { MapFrame } from './map-render.ts';
import type { Trial } from '../tune/tune.ts';
import type { BenchResults } from '../../bench/lib/types.ts';

/** One trial of the Choose rank panel's search, as tune() reports it. */
export type TuneTrial = Trial;

export type AlgoChoice = 'als' | 'ials' | 'sgd-hogwild' | 'sgd-stratified' | 'gd';

export interface TrainSettings {
  algo: AlgoChoice;
  rank: number;
  lambda: number;
  alpha: number;
  learningRate: number;
  iterations: number;
  backend: 'gpu' | 'cpu';
  useBias: boolean;
  /** ALS-WR: lambda scaled by each row's rating count (ALS only). */
  weightedLambda: boolean;
  seed: number;
  /** Stop when ||W_t H_t - W_{t-1} H_{t-1}||_F falls below this (ALS, iALS); 0: off. */
  tolerance?: number;
  /** Stop when test RMSE has not improved for this many iterations, keeping the best (explicit); 0: off. */
  earlyStopping?: number;
}

export type SourceSpec =
  | { kind: 'toy' }
  | { kind: 'synthetic'; preset: string; seed: number }
  | { kind: 'files'; files: File[] }
  | { kind: 'url'; name: string; ratings: string; movies?: string };

export interface DataStats {
  name: string;
  users: number;
  items: number;
  ratings: number;
  density: number;
  train: number;
  test: number;
  implicit: boolean;
  scale?: [number, number];
  /** Rating value -> count (values rounded to 0.5). */
  histogram: { value: number; count: number }[];
  /** What the reader detected / how the set was made. */
  detail: string;
  loadMs: number;
  /** Bytes held by the packed rating arrays in the worker. */
  packedBytes: number;
  /** Test and train RMSE of predicting every rating as the training mean (what a fit must beat). */
  meanRmse?: number;
  trainMeanRmse?: number;
}

export interface ItemInfo {
  index: number;
  title: string;
  count: number;
  mean: number;
}

export interface UserInfo {
  index: number;
  id: string;
  count: number;
}

export interface ScoredItem {
  index: number;
  title: string;
  score: number;
  /** The user's own rating when the item is one they rated. */
  rating?: number;
}

export interface RunSummary {
  runId: number;
  label: string;
  algo: AlgoChoice;
  backend: 'gpu' | 'cpu';
  adapter?: string;
  history: IterationReport[];
  seconds: number;
  stopped: string;
  error?: string;
  /** The run's factors became the page's model (a finished run, or a CPU run stopped early). */
  modelKept: boolean;
  /** GPU runs: peak bytes of device buffers the run held at once (measured at createBuffer/destroy). */
  deviceBytes?: number;
  /** Shape of the training set, for the parallelism figures. */
  shape?: { users: number; items: number; ratings: number };
  /** GPU runs: what one step dispatched at once (rows per ALS solve dispatch, SGD updates in flight), from the fit. */
  parallelism?: Parallelism;
}

export type ToWorker =
  /** deviceLimits: what the worker's device is requested with ('default': no limits asked for; see GpuContextOptions.deviceLimits). */
  | { type: 'init'; forceCpu: boolean; deviceLimits?: 'adapter' | 'default' }
  | { type: 'load'; source: SourceSpec }
  | { type: 'train'; runId: number; label: string; settings: TrainSettings; keepModel: boolean }
  | { type: 'stop' }
  /** Choose rank: tune() over these ranks and lambdas with the Train tab's settings (stopped by 'stop'). */
  | { type: 'tune'; settings: TrainSettings; ranks: number[]; lambdas: number[]; iterations: number }
  /** rankBy: the ranking model that `recommend` uses (default), or the explicit model's predicted rating. */
  | { type: 'user'; user: number; k: number; rankBy?: 'ranking' | 'explicit' }
  | { type: 'foldIn'; ratings: [number, number][]; k: number; rankBy?: 'ranking' | 'explicit' }
  | { type: 'similar'; item: number; k: number }
  | { type: 'search'; query: string; limit: number; channel: 'you' | 'similar' }
  | { type: 'pca'; maxPoints: number }
  /** The Benchmark tab: the bench's calibration and kernel suites on this worker's device (bench/lib/bench.ts). */
  | { type: 'bench'; quick: boolean; ranks?: number[] }
  | { type: 'benchStop' }
  /** Recommend, similar items and the map consider only items with at least this many training ratings. */
  | { type: 'minCount'; n: number }
  /** The map's canvas, for WebGPU drawing in the worker; then its points and camera frames. */
  | { type: 'mapCanvas'; canvas: OffscreenCanvas }
  | { type: 'mapPoints'; instances: Float32Array }
  | { type: 'mapFrame'; frame: MapFrame };

export type FromWorker =
  | {
      type: 'ready';
      webgpu: boolean;
      adapter: string;
      reason?: string;
      /** The engine 'auto' picks here (a hardware GPU; on a software adapter the probe's winner; else the f32 CPU engine), and why. */
      engine: 'gpu' | 'cpu';
      engineReason: string;
      /** The device's size limits, what it was requested with, and the adapter's maxima (with WebGPU). */
      limits?: { deviceLimits: 'adapter' | 'default'; maxStorageBufferBindingSize: number; maxBufferSize: number; adapterMaxStorageBufferBindingSize: number; adapterMaxBufferSize: number };
    }
  | { type: 'progress'; phase: string; fraction: number; text: string }
  | { type: 'loaded'; stats: DataStats; sampleUsers: UserInfo[]; popular: ItemInfo[] }
  | { type: 'iter'; runId: number; report: IterationReport; elapsed: number }
  | { type: 'trained'; summary: RunSummary }
  /** rankedBy: which model ranked (as `evaluate` and the CLI say it); implicitScores: the scores are preferences, not ratings. */
  | { type: 'userResult'; user: number; userId: string; rated: ScoredItem[]; recs: ScoredItem[]; nRated: number; rankedBy: string; implicitScores: boolean }
  | { type: 'foldInResult'; user: number; recs: ScoredItem[]; ms: number; rankedBy: string; implicitScores: boolean; nRatings: number }
  | { type: 'similarResult'; item: number; title: string; items: ScoredItem[] }
  | { type: 'searchResult'; query: string; channel: 'you' | 'similar'; items: ItemInfo[] }
  | {
      type: 'pcaResult';
      /** n x 3 projections on the first three principal components. */
      coords: Float32Array;
      indices: Uint32Array;
      titles: string[];
      counts: Uint32Array;
      /** Colour group per point (first genre) and the group names. */
      groups: Uint8Array;
      groupNames: string[];
      /** Fraction of variance each component explains. */
      explained: number[];
    }
  | { type: 'tuneRung'; trial: TuneTrial }
  | { type: 'tuneDone'; trials: TuneTrial[]; best: TuneTrial; stopped: string; metric: string; uploads: number; validationRatings: number; seconds: number }
  | { type: 'benchLog'; line: string }
  /** The same object the CLI bench writes to bench/results/<run>/results.json. */
  | { type: 'benchDone'; result: BenchResults; stopped: boolean }
  | { type: 'error'; context: string; message: string };
