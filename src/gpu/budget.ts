/**
 * Device-memory budget of a fit, checked before anything is allocated. WebGPU reports no device
 * memory size, so the total is compared with the budget a caller gives (GpuContext.create({ limits:
 * { deviceMemory } }), `--gpu-limits deviceMemory=2GiB`); every array that must be one binding is
 * compared with min(maxStorageBufferBindingSize, maxBufferSize). Arrays webmf splits into chunks
 * (CSR/CSC indices and values, the loss's rating arrays, SGD's rating list) only count towards the total.
 * Factor matrices are one buffer each, up to maxBufferSize, bound in at most MAX_FACTOR_WINDOWS
 * windows of whole rows (src/kernels/factor-windows.ts).
 *
 * The figures are estimates of what the backends allocate (their dominant buffers, exact for the
 * factor and rating arrays), so an error names what is needed, the limit, and what to change.
 */
import type { GpuContext } from './context.ts';
import { LimitError } from '../core/errors.ts';
import { layoutOf, strideOf } from '../core/layout.ts';
import { factorWindows } from '../kernels/factor-windows.ts';

export interface DevicePart {
  what: string;
  bytes: number;
  /** True when the array is one binding (not chunked): it must fit maxStorageBytes by itself. */
  whole: boolean;
  /** A factor matrix (rows x stride f32): one buffer, bound in windows (factorWindows must accept it). */
  windowed?: { rows: number; stride: number };
}

export interface DevicePlan {
  parts: DevicePart[];
  /** Sum of the parts, in bytes. */
  total: number;
}

/** A fit needs more device memory than the budget allows (or an unchunked array over the binding limit). */
export class DeviceMemoryError extends LimitError {
  constructor(
    message: string,
    limit: string,
    required: number,
    available: number,
    readonly plan: DevicePlan,
    by = 'device',
  ) {
    super(message, limit, required, available, by);
  }
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

function plan(parts: DevicePart[]): DevicePlan {
  return { parts, total: parts.reduce((a, p) => a + p.bytes, 0) };
}

/**
 * Throws a DeviceMemoryError when a whole array exceeds the binding limit or the total exceeds the
 * device-memory budget; `advice` says what to change. Returns the plan.
 */
export function checkDevicePlan(gpu: GpuContext, label: string, p: DevicePlan, advice: (part?: DevicePart) => string): DevicePlan {
  const max = gpu.maxStorageBytes;
  const limit = gpu.limits.maxStorageBufferBindingSize <= gpu.limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  for (const part of p.parts) {
    if (part.windowed) {
      try {
        factorWindows(gpu, part.windowed.rows, part.windowed.stride, part.what);
      } catch (e) {
        if (!(e instanceof LimitError)) throw e;
        throw new DeviceMemoryError(`${label}: ${e.message}; ${advice(part)}`, e.limit, e.required, e.available, p);
      }
    }
    if (part.whole && part.bytes > max) {
      throw new DeviceMemoryError(`${label}: ${part.what} needs ${formatBytes(part.bytes)} in one buffer, over the ${formatBytes(max)} a binding may hold; ${advice(part)}`, limit, part.bytes, max, p);
    }
  }
  const budget = gpu.memoryBudget;
  if (budget !== undefined && p.total > budget) {
    const top = [...p.parts].sort((a, b) => b.bytes - a.bytes).slice(0, 4).map((x) => `${x.what} ${formatBytes(x.bytes)}`).join(', ');
    throw new DeviceMemoryError(`${label} needs ${formatBytes(p.total)} of device memory (${top}), over the ${formatBytes(budget)} budget; ${advice()}`, 'deviceMemory', p.total, budget, p, 'the budget');
  }
  return p;
}

export interface AlsPlanInput {
  rank: number;
  bias: boolean;
  implicit: boolean;
  nUsers: number;
  nItems: number;
  nRatings: number;
  nValidation: number;
  solver: 'cholesky' | 'cg';
  /** Scratch bytes per solver buffer (NormalEqSolver's budget; default 128 MiB). */
  scratchBytes?: number;
}

const SEG = 1024; // src/kernels/device-csr.ts DEFAULT_CHUNK

/** What the GPU ALS backend allocates (src/train/als/gpu.ts), by part. */
export function alsDevicePlan(gpu: GpuContext, a: AlsPlanInput): DevicePlan {
  const stride = strideOf(a.rank, a.bias);
  const K = layoutOf({ rank: a.rank, bias: a.bias, side: 'user' }).K;
  const KP = Math.ceil(K / 4) * 4;
  const cap = Math.min(a.scratchBytes ?? 128 * 2 ** 20, gpu.maxStorageBytes);
  const parts: DevicePart[] = [];
  for (const [side, n] of [['user', a.nUsers], ['item', a.nItems]] as const) {
    parts.push({ what: `${side} factors (${n} x ${stride} f32)`, bytes: n * stride * 4, whole: false, windowed: { rows: n, stride } });
    parts.push({ what: `${side} factors, last good copy`, bytes: n * stride * 4, whole: false, windowed: { rows: n, stride } });
    parts.push({ what: `ratings by ${side} (indices, values)`, bytes: a.nRatings * 8, whole: false });
    const segs = n + Math.ceil(a.nRatings / SEG);
    parts.push({ what: `ratings by ${side}: segment list`, bytes: segs * 16 + (2 * n + 1) * 4, whole: true });
    if (a.solver === 'cholesky') {
      parts.push({ what: `${side} solve scratch (systems, partial sums)`, bytes: Math.min(n * K * K * 4, cap) + Math.min(n * K * 4, cap) + Math.min(segs * KP * (KP + 4) * 4, cap), whole: false });
    } else parts.push({ what: `${side} solve indptr`, bytes: (n + 1) * 4, whole: true });
  }
  parts.push({ what: 'training ratings for the loss (users, items, values)', bytes: a.nRatings * 12, whole: false });
  if (a.nValidation) parts.push({ what: 'validation ratings for the loss', bytes: a.nValidation * 12, whole: false });
  return plan(parts);
}

export interface SgdPlanInput {
  rank: number;
  bias: boolean;
  adagrad: boolean;
  algo: 'sgd' | 'gd';
  mode: 'hogwild' | 'stratified';
  nUsers: number;
  nItems: number;
  nRatings: number;
  nValidation: number;
}

/** What the GPU SGD/GD backend allocates (src/train/sgd/gpu-backend.ts), by part. */
export function sgdDevicePlan(_gpu: GpuContext, a: SgdPlanInput): DevicePlan {
  const stride = strideOf(a.rank, a.bias);
  const parts: DevicePart[] = [];
  for (const [side, n] of [['user', a.nUsers], ['item', a.nItems]] as const) {
    // SGD binds its factors in windows; GD each one whole
    const windowed = a.algo === 'sgd' ? { rows: n, stride } : undefined;
    parts.push({ what: `${side} factors (${n} x ${stride} f32)`, bytes: n * stride * 4, whole: !windowed, windowed });
    parts.push({ what: `${side} factors, last good copy`, bytes: n * stride * 4, whole: !windowed, windowed });
    if (a.adagrad) parts.push({ what: `${side} AdaGrad accumulators`, bytes: n * 8, whole: true });
  }
  if (a.algo === 'gd') {
    for (const what of ['GD user columns', 'GD row ids', 'GD values', 'GD item columns', 'GD item map']) parts.push({ what, bytes: a.nRatings * 4, whole: true });
  } else {
    // stored in chunks under the binding limit (src/train/sgd/gpu-backend.ts)
    parts.push({ what: `SGD packed rating list (${a.nRatings} x 12 B)`, bytes: a.nRatings * 12, whole: false });
    if (a.mode === 'hogwild') parts.push({ what: 'SGD shuffled rating list', bytes: a.nRatings * 12, whole: false });
  }
  parts.push({ what: 'training ratings for the loss (users, items, values)', bytes: a.nRatings * 12, whole: false });
  if (a.nValidation) parts.push({ what: 'validation ratings for the loss', bytes: a.nValidation * 12, whole: false });
  return plan(parts);
}

/** The largest rank whose plan fits (binary search over 1..rank); 0 when none does. */
export function largestFittingRank(rank: number, fits: (r: number) => boolean): number {
  let lo = 0;
  let hi = rank;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
