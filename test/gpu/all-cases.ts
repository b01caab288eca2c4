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
 *   (normal_eq, cholesky again)         the content map's ridge fit vs the f64 one (cases-content.ts)
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
import { contentCases } from './cases-content.ts';
import type { GpuCase } from './types.ts';

export const allCases: GpuCase[] = [...foundationCases, ...hostCases, ...alsCases, ...sgdCases, ...modelCases, ...stopCases, ...rankingCases, ...cpuCases, ...calibCases, ...contentCases];

/**
 * The second run, on a context with 1 MiB binding / 2 MiB buffer limits (TINY_LIMITS), with the
 * same tolerances as the first: the cases' data fits the limits, so this proves the lowered limits
 * change no answer (more, smaller solve and score batches), and the chunking cases (cases-chunks.ts)
 * put data over the limits and compare with the unchunked run bit for bit.
 * `npm test` runs the subset below (whole fits of every ALS kernel family and SGD mode, and the
 * model-out kernels, whose batches the limits cut); WEBMF_LIMITED_ALL=1 (in Node, and for
 * `npm run test:browser`, which passes it to the page as ?limitedAll=1) runs every case but these:
 *  - 'rank 256 Cholesky solve (global scratch)' reads one batch's systems for all rows; under 1 MiB
 *    the two rows' segment partials (1 MB) are two batches, so the test's premise does not hold;
 *  - the device-destroyed cases, which destroy the shared device (one is enough, in the first run);
 *  - the CPU engine and calibration cases, which size no GPU buffers of webmf's plans.
 */
const LIMITED_SUBSET = [
  'whole fit: ALS',
  'sgd: stratified GPU equals the f32 CPU replay for 5 epochs (biased, constant, 8 lanes)',
  'sgd: Hogwild whole fit on race-free ratings equals the CPU engine (biased, constant)',
  'normal equations (Gram upper triangle + rhs) match f64, tiled kernels: rank 16, long row',
  'recommend top-10 over 3,000 items',
  'recommend top-512',
  'evaluate on the GPU',
  'similar items and similar users',
  'batched predict',
  'fold-in',
  'keepOnDevice',
];
const LIMITED_NEVER = ['rank 256 Cholesky solve (global scratch)', 'a device destroyed'];
const limitedAll =
  (typeof process !== 'undefined' && process.env?.WEBMF_LIMITED_ALL === '1') ||
  (typeof location !== 'undefined' && new URLSearchParams(location.search).get('limitedAll') === '1');
export const limitedCases: GpuCase[] = [...foundationCases, ...alsCases, ...sgdCases, ...modelCases, ...stopCases, ...rankingCases].filter(
  (c) => !LIMITED_NEVER.some((n) => c.name.includes(n)) && (limitedAll || LIMITED_SUBSET.some((n) => c.name.includes(n))),
);
export { chunkCases };
export { TINY_LIMITS, limitedContext } from './cases-chunks.ts';
