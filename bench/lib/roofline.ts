/**
 * Analytic work counts (FLOPs and compulsory bytes) of the kernels and of one iteration of each
 * algorithm, and the roofline projection built from them. Conventions:
 *  - K = unknowns per row (the rank; biases are not used in the benchmark). One FMA = 2 FLOPs.
 *  - Bytes are compulsory traffic: every input read once and every output written once, at f32 /
 *    u32 width. Caches, re-reads and scratch partials are not counted, so achieved GB/s is a lower
 *    bound on the real traffic and the projection a lower bound on the time.
 *  - Counts are of useful work: the Gram build counts the upper triangle it builds, not K².
 * Browser-safe (no node: imports).
 */

export interface Work {
  flops: number;
  bytes: number;
}

const add = (...w: Work[]): Work => ({ flops: w.reduce((s, x) => s + x.flops, 0), bytes: w.reduce((s, x) => s + x.bytes, 0) });

/**
 * Normal-equation build for `rows` rows over `nnz` ratings: per rating the upper triangle of
 * y yᵀ (K(K+1)/2 FMAs) and the right-hand side (K FMAs); reads index + value + one factor row per
 * rating; writes A (K×K) and b (K) per row.
 */
export function gramBuildWork(nnz: number, rows: number, K: number): Work {
  return { flops: nnz * (K * (K + 1) + 2 * K), bytes: nnz * (8 + 4 * K) + rows * 4 * (K * K + K) };
}

/** Batched Cholesky solve: factor (K³/3 FLOPs) and two triangular solves (2K² FLOPs) per row; reads A and b, writes x. */
export function choleskyWork(rows: number, K: number): Work {
  return { flops: rows * (K * K * K / 3 + 2 * K * K), bytes: rows * 4 * (K * K + 2 * K) };
}

/**
 * The dual solve of rows of n < K ratings (shaders/dual_solve.wgsl): M's upper triangle
 * (n(n+1)/2 dot products of K), its n x n Cholesky and two triangular solves, and x = D^-1 Y^T z
 * (2nK). Bytes: the n factor rows once, M and z, and x.
 */
export function dualSolveWork(rows: number, n: number, K: number): Work {
  return { flops: rows * (n * (n + 1) * K + n * n * n / 3 + 2 * n * n + 2 * n * K), bytes: rows * 4 * (n * K + n * n + n + K) };
}

/**
 * Matrix-free CG (shaders/cg.wgsl) with `steps` steps: steps + 1 products A·v, each 4K FLOPs per
 * rating (the dot y·v and the update) and 2K per row (the regularization), plus the right-hand side
 * (2K per rating, once) and 10K per row per step of vector updates and dot products. Each product
 * re-reads the row's ratings and factor rows. `baseGram`: implicit ALS adds a K×K product per A·v.
 */
export function cgWork(nnz: number, rows: number, K: number, steps: number, baseGram = false): Work {
  const mv = steps + 1;
  const flops = mv * (4 * K * nnz + 2 * K * rows + (baseGram ? 2 * K * K * rows : 0)) + 2 * K * nnz + rows * steps * 10 * K;
  const bytes = mv * nnz * (8 + 4 * K) + rows * 8 * K + (baseGram ? 4 * K * K : 0);
  return { flops, bytes };
}

/**
 * One SGD update per rating: the prediction (2K), and w += lr (e h − λ w), h += lr (e w − λ h)
 * (4 FLOPs per element of each, 8K); reads the packed rating (12 bytes) and both factor rows,
 * writes both rows.
 */
export function sgdWork(nnz: number, K: number): Work {
  return { flops: nnz * 10 * K, bytes: nnz * (12 + 16 * K) };
}

/** The per-epoch Feistel gather of the packed ratings (no FLOPs): 12 bytes read + 12 written per rating. */
export function shuffleWork(nnz: number): Work {
  return { flops: 0, bytes: nnz * 24 };
}

/**
 * Top-k scoring of `rows` query rows against `cols` candidates: a rows×cols×K product (2K FLOPs
 * per score); reads both factor blocks, writes the score matrix, and the selection reads it back.
 */
export function topkWork(rows: number, cols: number, K: number): Work {
  return { flops: 2 * K * rows * cols, bytes: 4 * K * (rows + cols) + 8 * rows * cols };
}

/** Loss over `n` ratings: a prediction (2K) and a squared error (3) each; reads rating + two rows. */
export function lossWork(n: number, K: number): Work {
  return { flops: n * (2 * K + 3), bytes: n * (12 + 8 * K) };
}

/** The r×r Gram YᵀY of a tall n×K factor matrix (implicit ALS, once per half-iteration). */
export function tallGramWork(n: number, K: number): Work {
  return { flops: n * K * (K + 1), bytes: n * 4 * K + 4 * K * K };
}

export type Algorithm = 'als' | 'als-cg' | 'ials' | 'ials-cg' | 'sgd-hogwild' | 'sgd-stratified';

export interface ProblemShape {
  nUsers: number;
  nItems: number;
  nnz: number;
  rank: number;
  cgSteps?: number;
}

/** FLOPs and bytes of one iteration (ALS: users then items; SGD: one epoch), including the training loss. */
export function iterationWork(algo: Algorithm, p: ProblemShape): Work {
  const { nUsers, nItems, nnz, rank: K } = p;
  const steps = p.cgSteps ?? 3;
  const loss = lossWork(nnz, K);
  switch (algo) {
    case 'als':
      return add(gramBuildWork(nnz, nUsers, K), gramBuildWork(nnz, nItems, K), choleskyWork(nUsers + nItems, K), loss);
    case 'ials':
      return add(
        tallGramWork(nItems, K), tallGramWork(nUsers, K),
        gramBuildWork(nnz, nUsers, K), gramBuildWork(nnz, nItems, K), choleskyWork(nUsers + nItems, K), loss,
      );
    case 'als-cg':
      return add(cgWork(nnz, nUsers, K, steps), cgWork(nnz, nItems, K, steps), loss);
    case 'ials-cg':
      return add(tallGramWork(nItems, K), tallGramWork(nUsers, K), cgWork(nnz, nUsers, K, steps, true), cgWork(nnz, nItems, K, steps, true), loss);
    case 'sgd-hogwild':
      return add(sgdWork(nnz, K), shuffleWork(nnz), loss);
    case 'sgd-stratified':
      return add(sgdWork(nnz, K), loss);
  }
}

export interface Device {
  name: string;
  /** Peak fp32 GFLOP/s (non-tensor). */
  gflops: number;
  /** Peak memory bandwidth, GB/s. */
  gbps: number;
  source: string;
}

/** Named GPUs for the projection (vendor datasheet figures). */
export const PROJECTION_DEVICES: Device[] = [
  { name: 'NVIDIA GeForce RTX 4070 (consumer)', gflops: 29_150, gbps: 504, source: 'datasheet: 5888 CUDA cores × 2.475 GHz × 2; 192-bit GDDR6X 21 Gbps' },
  { name: 'NVIDIA H100 SXM (datacenter)', gflops: 66_900, gbps: 3350, source: 'datasheet: FP32 67 TFLOP/s (non-tensor); HBM3 3.35 TB/s' },
];

export interface Roofline {
  /** Lower-bound seconds: max(FLOPs / peak, bytes / bandwidth). */
  seconds: number;
  bound: 'compute' | 'memory';
  /** FLOPs per byte of the work. */
  intensity: number;
}

export function roofline(w: Work, d: { gflops: number; gbps: number }): Roofline {
  const tc = w.flops / (d.gflops * 1e9);
  const tm = w.bytes / (d.gbps * 1e9);
  return { seconds: Math.max(tc, tm), bound: tc >= tm ? 'compute' : 'memory', intensity: w.bytes > 0 ? w.flops / w.bytes : Infinity };
}

/** Least-squares slope and intercept of log10(y) against log10(x) (the scaling exponent). */
export function logLogSlope(points: [number, number][]): { slope: number; intercept: number; r2: number } | null {
  const pts = points.filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y));
  if (pts.length < 2) return null;
  const xs = pts.map(([x]) => Math.log10(x));
  const ys = pts.map(([, y]) => Math.log10(y));
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
    syy += (ys[i] - my) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}
