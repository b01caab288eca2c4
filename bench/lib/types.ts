/** Shapes of the benchmark's results (results.json) and the context every suite runs in. Browser-safe. */
import type { GpuContext, AdapterDescription } from '../../src/gpu/context.ts';
import type { Stats } from './timing.ts';
import type { Roofline, Work } from './roofline.ts';

export interface BenchEnv {
  runtime: 'node' | 'browser';
  adapter: string;
  adapterInfo: AdapterDescription;
  timestamps: boolean;
  /** CPU model and logical cores of the machine (os.cpus() in Node; filled in by the Node side for the browser run). */
  cpu: string;
  cores: number;
  date: string;
  quick: boolean;
  runtimeVersion: string;
  /** 1-minute load average of the machine after each suite (Node: os.loadavg; the machine may be shared). */
  loadAverage?: Record<string, number>;
}

export interface BenchCtx {
  gpu: GpuContext;
  quick: boolean;
  env: BenchEnv;
  log: (line: string) => void;
  /** Host memory in use now, in bytes (Node: RSS; Chrome: JS heap), or null. */
  memory: () => number | null;
  /** The machine's 1-minute load average now (Node), or null. */
  load?: () => number | null;
  /** Loads MovieLens latest-small when the data layer can (Node, offline source present); else null. */
  movielens?: () => Promise<import('../../src/data/ratings.ts').Ratings | null>;
  /** True once the run should stop (the demo's Stop button): the Kernels suite returns the rows it has finished. */
  stopped?: () => boolean;
}

export type TimeSource = 'timestamp' | 'wall';

/**
 * The calibrated peaks every "% of peak" divides by: the best run of each microkernel. A ceiling is what the adapter
 * can do; other processes on a shared machine only slow runs down, so the best run is the closest to it (and a
 * kernel's share of it is never flattered by a slow calibration run).
 */
export const peakGflops = (c: CalibrationResult): number => c.fma.gflops.max;
export const peakGbps = (c: CalibrationResult): number => c.copy.gbps.max;

export interface CalibrationResult {
  fma: { gflops: Stats; flopsPerRun: number; source: TimeSource; workgroups: number };
  copy: { gbps: Stats; bytesPerRun: number; source: TimeSource };
}

export interface KernelRow {
  kernel: string;
  rank: number;
  /** What was run (rows, ratings, ...). */
  size: string;
  flops: number;
  bytes: number;
  ms: Stats;
  source: TimeSource;
  gflops: number;
  gbps: number;
  /** Achieved / calibrated peak, percent (null without calibration). */
  pctPeakFlops: number | null;
  pctPeakBw: number | null;
  note?: string;
}

export interface FitRow {
  dataset: string;
  /** Full shape name and what ran (the scale and iterations actually used on this machine). */
  shape: { nUsers: number; nItems: number; nTrain: number; nTest: number };
  scaleNote?: string;
  algo: string;
  backend: 'gpu' | 'cpu' | 'libmf';
  rank: number;
  lambda: number;
  iterations: number;
  /** Seconds per iteration (median, min, max over the counted iterations). */
  secPerIter: Stats;
  setupSec: number;
  totalSec: number;
  /** Seconds of each iteration, in order (the first includes pipeline compilation). */
  iterSeconds?: number[];
  /** Test RMSE after each iteration (explicit fits with a test set). */
  rmseCurve: number[];
  finalTestRmse: number | null;
  finalTrainRmse: number | null;
  /** Target test RMSE of the dataset and the seconds (from the first iteration) to reach it, null if never. */
  targetRmse?: number | null;
  timeToTargetSec?: number | null;
  peakMemoryMB: number | null;
  /** Host→device and device→host bytes per iteration (median), and the one-time setup upload. */
  uploadBytesPerIter: number | null;
  downloadBytesPerIter: number | null;
  setupUploadBytes: number | null;
  work: Work;
  error?: string;
}

export interface PeerRatio {
  dataset: string;
  algo: string;
  backend: 'gpu' | 'cpu';
  rank: number;
  iterations: number;
  timeRatio: number;
  rmseRatio: number | null;
  webmfSecPerIter: number;
  libmfSecPerIter: number;
  webmfRmse: number | null;
  libmfRmse: number | null;
}

export interface ScalingRow {
  axis: 'ratings' | 'rank';
  algo: string;
  backend: 'gpu' | 'cpu';
  x: number;
  secPerIter: Stats;
}

export interface ScalingFit {
  axis: 'ratings' | 'rank';
  algo: string;
  backend: 'gpu' | 'cpu';
  slope: number | null;
  r2: number | null;
}

export interface ProjectionRow {
  shape: string;
  algo: string;
  rank: number;
  work: Work;
  device: string;
  projected: Roofline;
}

export interface AlsRankRow {
  rank: number;
  backend: 'gpu' | 'cpu';
  nRatings: number;
  iterations: number;
  secPerIter: Stats;
  /** Analytic GFLOP of one ALS iteration, and that over the measured time. */
  gflopsPerIter: number;
  achievedGflops: number;
}

export interface BenchResults {
  env: BenchEnv;
  method: string[];
  calibration?: CalibrationResult;
  kernels?: KernelRow[];
  fits?: FitRow[];
  peer?: { rows: FitRow[]; ratios: PeerRatio[]; version: string; threads: number; note: string };
  scaling?: { rows: ScalingRow[]; fits: ScalingFit[]; note: string };
  alsRanks?: AlsRankRow[];
  projection?: { rows: ProjectionRow[]; devices: { name: string; gflops: number; gbps: number; source: string }[]; measuredHere?: { algo: string; shape: string; measuredSec: number; rooflineSec: number }[] };
  errors: { suite: string; message: string }[];
  /** Remarks about the run (added by whoever ran it; say when they were added after the run). */
  notes?: string[];
  seconds: number;
}
