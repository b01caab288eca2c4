/**
 * A stop keeps finished work (CPU engines and the loop itself): AbortError and DivergenceError
 * carry `result`, the object the fit would return after its last finished iteration.
 */
import { describe, expect, it } from 'vitest';
import { fitAls } from '../src/train/als/index.ts';
import { fitSgd } from '../src/train/sgd/index.ts';
import { AbortError, DeviceLostError, DivergenceError } from '../src/core/errors.ts';
import { runLoop, type LoopAlgorithm } from '../src/train/loop.ts';
import type { Factors, TrainBackend } from '../src/train/backend.ts';
import type { FitResult } from '../src/model/types.ts';
import { generateSynthetic } from '../src/data/synthetic.ts';

const data = generateSynthetic({ nUsers: 60, nItems: 40, nRatings: 700, rank: 3, seed: 9 }).ratings;

async function caught(p: Promise<unknown>): Promise<Error & { result?: FitResult }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { result?: FitResult };
  }
  throw new Error('expected the fit to throw');
}

describe('stops keep the last finished iteration (CPU)', () => {
  it('ALS on the CPU: an abort after 2 iterations carries exactly the 2-iteration fit', async () => {
    const o = { backend: 'cpu', rank: 3, useBias: true, seed: 4 } as const;
    const ref = await fitAls(data, { ...o, iterations: 2 });
    const ac = new AbortController();
    const err = await caught(fitAls(data, { ...o, iterations: 8, signal: ac.signal, onIteration: (r) => r.iteration === 2 && ac.abort() }));
    expect(err).toBeInstanceOf(AbortError);
    expect(err.result!.history.length).toBe(2);
    expect(err.result!.model.userFactors).toEqual(ref.model.userFactors);
    expect(err.result!.model.itemFactors).toEqual(ref.model.itemFactors);
  });

  it('SGD on the CPU: an abort after 3 epochs carries exactly the 3-epoch fit, with partialFit', async () => {
    // one thread: Hogwild on more threads of the f32 CPU engine is (slightly) nondeterministic
    const o = { backend: 'cpu', threads: 1, rank: 3, seed: 4 } as const;
    const ref = await fitSgd(data, { ...o, epochs: 3 });
    const ac = new AbortController();
    const err = await caught(fitSgd(data, { ...o, epochs: 10, signal: ac.signal, onIteration: (r) => r.iteration === 3 && ac.abort() }));
    expect(err).toBeInstanceOf(AbortError);
    expect(err.result!.history.length).toBe(3);
    expect(err.result!.model.userFactors).toEqual(ref.model.userFactors);
    expect(typeof (err.result as unknown as { partialFit: unknown }).partialFit).toBe('function');
  });
});

/** A backend whose "factors" are one number per side, counting steps; step `badAt` returns NaN and step `lostAt` loses the device. */
class FakeBackend implements TrainBackend<number> {
  readonly kind: 'gpu' | 'cpu';
  private v: number;
  private last = 0;
  private best = 0;
  private kept: Factors;
  constructor(kind: 'gpu' | 'cpu', start: number, private readonly badAt = Infinity, private readonly lostAt = Infinity) {
    this.kind = kind;
    this.v = start;
    this.kept = this.f();
  }
  private f(): Factors {
    return { W: Float32Array.of(this.v), H: Float32Array.of(-this.v) };
  }
  async evaluate() {
    return this.v;
  }
  async step(t: number) {
    this.last = this.v;
    if (t === this.lostAt) throw new DeviceLostError('destroyed', 'test');
    this.v += 1;
    this.kept = this.f();
    return t === this.badAt ? NaN : this.v;
  }
  async restoreLast() {
    this.v = this.last;
  }
  async saveBest() {
    this.best = this.v;
  }
  async restoreBest() {
    this.v = this.best;
  }
  async readFactors() {
    if (this.lostAt !== Infinity && this.kind === 'gpu') throw new DeviceLostError('destroyed', 'gone');
    return this.f();
  }
  keptFactors() {
    return this.kept;
  }
  destroy() {}
}

const algorithm: LoopAlgorithm<number> = {
  unit: 'iteration',
  rate: () => 0,
  judge: (t, s, seconds) => (Number.isFinite(s) ? { kind: 'accept', report: { iteration: t, seconds, trainRmse: s } } : { kind: 'diverge', message: `NaN at ${t}` }),
};
const finish = (f: Factors, history: FitResult['history'], stopped: FitResult['stopped'], b: TrainBackend<number>): FitResult =>
  ({ model: { userFactors: f.W, itemFactors: f.H }, history, stopped, backend: b.kind }) as unknown as FitResult;

describe('the training loop', () => {
  it('divergence at step 4 throws DivergenceError whose result holds step 3 (factors put back)', async () => {
    const err = await caught(runLoop({ backend: new FakeBackend('cpu', 0, 4), algorithm, iterations: 10, finish }));
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as DivergenceError).iteration).toBe(4);
    expect(err.result!.history.length).toBe(3);
    expect(err.result!.model.userFactors[0]).toBe(3);
  });

  it("a lost device with a fallback continues from the last finished step on the CPU backend, with a warning", async () => {
    const warnings: string[] = [];
    const o = { backend: new FakeBackend('gpu', 0, Infinity, 3) as TrainBackend<number>, algorithm, iterations: 6, finish, onWarning: (m: string) => warnings.push(m), fallback: (f: Factors) => new FakeBackend('cpu', f.W[0]) };
    const r = await runLoop(o);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/continuing on the CPU from iteration 2/);
    expect(r.backend).toBe('cpu');
    expect(r.history.map((h) => h.trainRmse)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(o.backend.kind).toBe('cpu');
  });

  it('a lost device without a fallback throws DeviceLostError whose result is the host copy of the last finished step', async () => {
    const err = await caught(runLoop({ backend: new FakeBackend('gpu', 0, Infinity, 3), algorithm, iterations: 6, finish }));
    expect(err).toBeInstanceOf(DeviceLostError);
    expect(err.result!.history.length).toBe(2);
    expect(err.result!.model.userFactors[0]).toBe(2);
  });
});
