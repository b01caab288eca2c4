/**
 * Every shared GPU-vs-CPU case; the Node and the Chrome runners both import this list, so each
 * kernel below is compared with the f64 reference on both:
 *   normal_eq, normal_eq_direct, normal_eq_finish, solve_params  normal equations match f64 (both variants); whole fits
 *   cholesky, cholesky_direct           batched Cholesky residuals; rank 128/256 solves vs f64; singular rows
 *   cg                                  whole fit: ALS cg solver x {explicit, ALS-WR, implicit} vs the f64 engine
 *   gram                                convergence quantity vs the brute-force f64 norm; implicit base Gram
 *   loss                                loss reduction vs f64 on 50,000 ratings; implicit stored zeros
 *   sgd, shuffle                        worked step vs f64; multi-epoch fits vs the f64 replay; Feistel map
 *   gd                                  full-batch GD step for step vs f64
 *   score, topk, similar_norms          recommend / similar items vs f64 scores (both families)
 *   score_pairs, metrics_rank           batched predict vs f64; evaluate vs the CPU metrics
 *   calib_fma, calib_copy               f64 closed forms (cases-calib.ts)
 * test/mutants.test.ts fails when a shader has no mutants (test/mutants/list.ts).
 */
import { foundationCases } from './cases-foundation.ts';
import { alsCases } from './cases-als.ts';
import { hostCases } from './cases-host.ts';
import { sgdCases } from './cases-sgd.ts';
import { modelCases } from './cases-model.ts';
import { stopCases } from './cases-stops.ts';
import { rankingCases } from './cases-ranking.ts';
import { cpuCases } from './cases-cpu.ts';
import { calibCases } from './cases-calib.ts';
import { chunkCases } from './cases-chunks.ts';
import type { GpuCase } from './types.ts';

export const allCases: GpuCase[] = [...foundationCases, ...hostCases, ...alsCases, ...sgdCases, ...modelCases, ...stopCases, ...rankingCases, ...cpuCases, ...calibCases];

/**
 * The second run, on a context with 1 MiB binding / 2 MiB buffer limits (TINY_LIMITS): every case
 * that sizes GPU buffers, with the same tolerances as the first run (their data fits the limits,
 * so this proves the lowered limits break nothing), then the chunking cases, whose data is over
 * the limits and whose results must equal the unchunked run's bit for bit. Left out: the CPU
 * engine's cases and the calibration microkernels (no buffer sizes of webmf's plans), and the
 * host cases that probe the adapter's own limits.
 */
export const limitedCases: GpuCase[] = [...foundationCases, ...alsCases, ...sgdCases, ...modelCases, ...stopCases, ...rankingCases];
export { chunkCases };
export { TINY_LIMITS, limitedContext } from './cases-chunks.ts';
