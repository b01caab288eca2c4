/**
 * The copies a CPU backend keeps of the arrays it updates in place (see TrainBackend in backend.ts):
 * the last good copy a step starts from, and the best factors so far. Restores write into the live
 * arrays, so buffers that worker threads share stay the ones in use.
 */
import type { Factors } from './backend.ts';

export class HostCopies {
  /** The arrays as they were when `keepLast` was last called, in the order of `live`. */
  readonly last: Float32Array[];
  private best: [Float32Array, Float32Array] | null = null;

  /**
   * `live[0]` and `live[1]` are W and H; further arrays (optimizer state beside the factors) are
   * kept and restored with the last good copy only. `alloc` makes the last-good buffers (a shared
   * buffer where workers read them).
   */
  constructor(
    private readonly live: Float32Array[],
    alloc: (n: number) => Float32Array = (n) => new Float32Array(n),
  ) {
    this.last = live.map((a) => alloc(a.length));
  }

  keepLast(): void {
    this.live.forEach((a, i) => this.last[i].set(a));
  }

  restoreLast(): void {
    this.live.forEach((a, i) => a.set(this.last[i]));
  }

  saveBest(): void {
    this.best = [this.live[0].slice(), this.live[1].slice()];
  }

  restoreBest(): void {
    if (!this.best) return;
    this.live[0].set(this.best[0]);
    this.live[1].set(this.best[1]);
  }

  /** Copies of the current W and H. */
  read(): Factors {
    return { W: this.live[0].slice(), H: this.live[1].slice() };
  }
}
