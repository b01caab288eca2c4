/**
 * Up-front size checks for work done in host memory and on the CPU: a rank that cannot fit fails at once with a
 * LimitError that says what does fit, instead of an untyped "Invalid typed array length" after gigabytes were
 * allocated, or an iteration that runs for hours.
 *
 * The estimates are upper bounds of the dominant terms, not measurements:
 *  - host bytes: the factor matrices (f32, stride = rank + 2) in four copies (start, backend, best, result), plus on the
 *    CPU one K x K f64 normal-equation system per worker and its Cholesky factor (K = rank + 1);
 *  - CPU work per iteration, in multiply-adds: ALS builds each row's Gram from its ratings (n_ratings K^2 / 2 for both
 *    sides) and solves every row (rows K^3 / 6 for Cholesky); SGD/GD touch rank values twice per rating.
 */
import { LimitError } from '../core/errors.ts';
import { strideOf } from '../core/layout.ts';

export interface CpuBudget {
  /** Host memory for factors and solver scratch (default 4 GiB). */
  bytes?: number;
  /** Multiply-adds per iteration on the CPU (default 1e12: on the order of ten minutes per iteration in JS). */
  flopsPerIteration?: number;
}

export const DEFAULT_CPU_BUDGET: Required<CpuBudget> = { bytes: 4 * 2 ** 30, flopsPerIteration: 1e12 };

export interface BudgetProblem {
  algo: 'als' | 'sgd';
  rank: number;
  nUsers: number;
  nItems: number;
  nRatings: number;
  /** Whether the iterations run on the CPU (else only the host copies of the factors count). */
  cpu: boolean;
  /** Parallel CPU workers, each with its own K x K scratch (default 4). */
  workers?: number;
}

function bytesFor(p: BudgetProblem, rank: number): number {
  const stride = strideOf(rank, true); // the largest layout (with biases)
  const factors = 4 * (p.nUsers + p.nItems) * stride * 4;
  if (!p.cpu || p.algo !== 'als') return factors;
  const K = rank + 1;
  return factors + (p.workers ?? 4) * 2 * K * K * 8;
}

function flopsFor(p: BudgetProblem, rank: number): number {
  if (p.algo === 'sgd') return 4 * p.nRatings * strideOf(rank, true);
  const K = rank + 1;
  return p.nRatings * K * K + ((p.nUsers + p.nItems) * K * K * K) / 6;
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let u = 0;
  while (bytes >= 1024 && u < units.length - 1) {
    bytes /= 1024;
    u++;
  }
  return `${bytes.toFixed(bytes < 10 ? 1 : 0)} ${units[u]}`;
}

/** The largest rank in [1, rank] meeting both budgets (0 when even rank 1 does not). */
export function largestRank(p: BudgetProblem, budget: CpuBudget = {}): number {
  const b = { ...DEFAULT_CPU_BUDGET, ...budget };
  const fits = (r: number) => bytesFor(p, r) <= b.bytes && (!p.cpu || flopsFor(p, r) <= b.flopsPerIteration);
  if (!fits(1)) return 0;
  let lo = 1;
  let hi = p.rank;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Throws LimitError when the rank does not fit the host memory budget, or (on the CPU) the per-iteration work budget. */
export function checkCpuBudget(p: BudgetProblem, budget: CpuBudget = {}): void {
  const b = { ...DEFAULT_CPU_BUDGET, ...budget };
  const where = `${p.algo.toUpperCase()} at rank ${p.rank} on ${p.nUsers} users x ${p.nItems} items (${p.nRatings} ratings)`;
  const bytes = bytesFor(p, p.rank);
  if (bytes > b.bytes) {
    const fit = largestRank(p, budget);
    throw new LimitError(
      `${where} needs ${human(bytes)} of host memory, more than the ${human(b.bytes)} budget; ${fit ? `the largest rank that fits is ${fit}` : 'no rank fits'} (cpuBudget.bytes raises the budget)`,
      'host bytes',
      bytes,
      b.bytes,
      'the budget',
    );
  }
  if (!p.cpu) return;
  const flops = flopsFor(p, p.rank);
  if (flops > b.flopsPerIteration) {
    const fit = largestRank(p, budget);
    throw new LimitError(
      `${where} on the CPU needs ~${flops.toExponential(1)} multiply-adds per iteration, more than the ${b.flopsPerIteration.toExponential(1)} budget; ${fit ? `the largest rank that fits is ${fit}` : 'no rank fits'} (use the GPU, or cpuBudget.flopsPerIteration raises the budget)`,
      'multiply-adds per iteration',
      Math.round(flops),
      b.flopsPerIteration,
      'the budget',
    );
  }
}
