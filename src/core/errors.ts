/** Errors the engine raises. Every one has a stable `name` a caller can switch on. */
import type { FitResult } from '../model/types.ts';

export class WebmfError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that cannot be used: bad sizes, indices out of range, empty rating sets, bad options. */
export class InputError extends WebmfError {}

/** The data or the requested rank exceed what the device supports. Names the limit. */
export class LimitError extends WebmfError {
  constructor(
    message: string,
    readonly limit: string,
    readonly required: number,
    readonly available: number,
    /** Whose limit it is, for the message (default 'device'). */
    by = 'device',
  ) {
    super(`${message} (needs ${limit} = ${required}, ${by} allows ${available})`);
  }
}

/** No WebGPU adapter could be found. */
export class NoWebGpuError extends WebmfError {}

/**
 * A stop that keeps finished work: thrown by a fit, it carries `result`, the object the fit would
 * have returned after its last finished iteration (model, history).
 */
export interface StopWithResult {
  result?: FitResult;
}

/**
 * The GPU device was lost (driver reset, destroy(), out of memory at the system level). From a
 * fit, `result` holds the last finished iteration.
 */
export class DeviceLostError extends WebmfError implements StopWithResult {
  result?: FitResult;
  constructor(readonly reason: string, message: string) {
    super(`GPU device lost (${reason}): ${message}`);
  }
}

/** A validation, internal or out-of-memory error reported by WebGPU. `label` is the owning object's label when known. */
export class GpuError extends WebmfError {
  constructor(readonly kind: 'validation' | 'internal' | 'out-of-memory' | 'unknown', message: string) {
    super(`GPU ${kind} error: ${message}`);
  }
}

/** A linear system that is not positive definite (e.g. λ = 0 and fewer ratings than the rank). */
export class SingularSystemError extends WebmfError {
  constructor(readonly side: string, readonly row: number, readonly count: number, message: string) {
    super(message);
  }
}

/**
 * Training diverged (loss grew without bound or became non-finite) at `iteration`. From a fit,
 * `result` holds the factors of the last good iteration.
 */
export class DivergenceError extends WebmfError implements StopWithResult {
  result?: FitResult;
  constructor(readonly iteration: number, message: string) {
    super(message);
  }
}

/** The caller's AbortSignal fired. From a fit, `result` holds the last finished iteration. */
export class AbortError extends WebmfError implements StopWithResult {
  result?: FitResult;
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortError('aborted', { cause: signal.reason });
}
