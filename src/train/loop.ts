/**
 * The one training loop, for ALS and SGD/GD alike. It owns what every fit does between steps:
 * yielding to the event loop, abort, timing, history and onIteration, early stopping on the
 * validation RMSE, the convergence tolerance, divergence, and what a stop keeps. An algorithm
 * supplies only how a step's statistics become a report (`judge`) and its learning rate.
 *
 * A stop never loses finished work: AbortError, DeviceLostError and DivergenceError leave the loop
 * with `result`, the object the fit would return after its last finished iteration. When the
 * device is lost and the fit may run on the CPU (backend 'auto'), the loop warns and continues on
 * the CPU backend from the last finished iteration instead.
 */
import { AbortError, DeviceLostError, DivergenceError, WebmfError } from '../core/errors.ts';
import type { FitResult, IterationReport } from '../model/types.ts';
import type { Factors, TrainBackend } from './backend.ts';

/** What an algorithm says about one step. */
export type Verdict =
  | { kind: 'accept'; report: IterationReport }
  /** The step is undone (factors put back) but counted, with this report (the bold driver). */
  | { kind: 'reject'; report: IterationReport }
  | { kind: 'diverge'; message: string };

export interface LoopAlgorithm<S> {
  /** 'iteration' (ALS) or 'epoch' (SGD), for messages. */
  unit: string;
  /** Called with the statistics of the starting factors; omit to skip that evaluation. */
  start?(s: S): void;
  /** Learning rate of step t (ALS: 0). */
  rate(t: number): number;
  /** Turns step t's statistics into a verdict; `seconds` is the step's wall time. */
  judge(t: number, s: S, seconds: number, learningRate: number): Verdict;
}

export interface LoopOptions<S> {
  backend: TrainBackend<S>;
  algorithm: LoopAlgorithm<S>;
  iterations: number;
  signal?: AbortSignal;
  earlyStopping?: { patience: number; minDelta?: number };
  /** Stop ('converged') when a report's delta is below this (0: never). */
  tolerance?: number;
  onIteration?: (r: IterationReport) => void;
  /** The fit's result from factors and history. */
  finish(f: Factors, history: IterationReport[], stopped: FitResult['stopped'], backend: TrainBackend<S>): FitResult;
  /**
   * On device loss: a CPU backend continuing from these factors (backend 'auto'), or undefined to
   * fail with the result attached (backend 'gpu').
   */
  fallback?: (from: Factors) => TrainBackend<S>;
  onWarning?: (message: string) => void;
  /**
   * false: the final factors stay on the device, unread (a search's rungs: the caller takes the
   * backend's buffers); the result's factors are then empty, and a stop attaches no result.
   * Needs no fallback. Default true.
   */
  readBack?: boolean;
}

/** Lets queued messages (a worker's stop, an abort) run between steps, even on the CPU path. */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  return new Promise((resolve) => (g.setImmediate ? g.setImmediate(resolve) : setTimeout(resolve, 0)));
}

/**
 * Runs the loop and returns the fit's result. On return or throw, `o.backend` is the backend that
 * ran last (a CPU fallback replaces a lost GPU one, which the loop destroys); the caller destroys it.
 */
export async function runLoop<S>(o: LoopOptions<S>): Promise<FitResult> {
  let backend = o.backend;
  const { algorithm: algo } = o;
  const history: IterationReport[] = [];
  // Host copies for a stop after the device is gone: the last finished iteration, and the best one.
  let lastGood: Factors | undefined = backend.keptFactors?.();
  let bestHost: Factors | undefined;
  let bestOnBackend = false;
  let stepping = false;

  const resultOf = (f: Factors, stopped: FitResult['stopped']) => o.finish(f, history.slice(), stopped, backend);
  const readBack = o.readBack ?? true;
  if (!readBack && o.fallback) throw new Error('runLoop: factors left unread need a loop without a CPU fallback');
  /** The current factors for the result: read back, or left on the device (empty host copies). */
  const final = async (): Promise<Factors> => (readBack ? backend.readFactors() : { W: new Float32Array(0), H: new Float32Array(0) });
  /** The factors of the last finished iteration, wherever they still are. */
  const finished = async (): Promise<Factors> => {
    if (stepping) {
      stepping = false;
      try {
        await backend.restoreLast();
      } catch {
        if (lastGood) return lastGood;
        throw new WebmfError('the factors of the last finished iteration are gone with the device');
      }
    }
    try {
      return await backend.readFactors();
    } catch (e) {
      if (lastGood) return lastGood;
      throw e;
    }
  };
  const attach = async <E extends AbortError | DeviceLostError | DivergenceError>(e: E): Promise<E> => {
    if (!readBack) return e;
    try {
      e.result = resultOf(await finished(), 'iterations');
    } catch {
      // nothing finished survives (a device lost before any host copy): the error goes as it is
    }
    return e;
  };

  try {
    if (algo.start) algo.start(await backend.evaluate());
    let bestVal = Infinity;
    let sinceBest = 0;
    let t = 1;
    while (t <= o.iterations) {
      await yieldToEventLoop();
      if (o.signal?.aborted) throw new AbortError(`aborted before ${algo.unit} ${t}`, { cause: o.signal.reason });
      const lr = algo.rate(t);
      const t0 = performance.now();
      let s: S;
      stepping = true;
      try {
        s = await backend.step(t, lr);
      } catch (e) {
        const lost = e instanceof DeviceLostError ? e : null;
        if (!lost || !o.fallback) throw e;
        // The device is gone with this step: go on from the last finished iteration on the CPU.
        stepping = false;
        const from = lastGood ?? (await finished());
        (o.onWarning ?? console.warn)(`webmf: ${lost.message}; continuing on the CPU from ${algo.unit} ${t - 1}.`);
        try {
          backend.destroy();
        } catch {
          // a lost device's objects may refuse to be released; nothing is kept
        }
        backend = o.fallback(from);
        lastGood = from;
        bestOnBackend = false;
        continue;
      }
      const seconds = (performance.now() - t0) / 1000;
      const v = algo.judge(t, s, seconds, lr);
      if (v.kind === 'diverge') throw new DivergenceError(t, v.message);
      if (v.kind === 'reject') await backend.restoreLast();
      stepping = false;
      if (v.kind === 'accept' && backend.keptFactors) lastGood = backend.keptFactors();
      const report = v.report;
      history.push(report);
      o.onIteration?.(report);
      t++;
      if (o.earlyStopping && report.validationRmse !== undefined) {
        if (report.validationRmse < bestVal - (o.earlyStopping.minDelta ?? 0)) {
          bestVal = report.validationRmse;
          sinceBest = 0;
          await backend.saveBest();
          bestOnBackend = true;
          bestHost = lastGood;
        } else if (++sinceBest >= o.earlyStopping.patience) {
          if (bestOnBackend) {
            await backend.restoreBest();
            return resultOf(await final(), 'early-stopping');
          }
          // the best iteration was on a device that is gone; its host copy is the answer
          if (bestHost) return resultOf(bestHost, 'early-stopping');
          return resultOf(await final(), 'early-stopping');
        }
      }
      if (o.tolerance && report.delta !== undefined && report.delta < o.tolerance) {
        return resultOf(await final(), 'converged');
      }
    }
    return resultOf(await final(), 'iterations');
  } catch (e) {
    if (e instanceof AbortError || e instanceof DeviceLostError || e instanceof DivergenceError) throw await attach(e);
    throw e;
  } finally {
    o.backend = backend;
  }
}
