/**
 * The Learn tab: the source's Alice / Bob / Carol table. Step 0 solves each person's factors with the
 * source's film factors H held fixed (w = (H_o H_oᵀ + λI)⁻¹ H_o a over the films they rated); then
 * ALS iterations (the library's fitAls, one iteration at a time, warm-started) re-solve people and
 * films in turn, and the ? cells show w·h as it settles. Three people and five films: the f64 CPU
 * path answers in microseconds, so this runs on the page itself, paced so the eye can follow.
 */
import { fitAls } from '../train/als/index.ts';
import { lineChart } from './charts.ts';
import { $, h } from './dom.ts';
import { TOY_H, TOY_MOVIES, TOY_PEOPLE, TOY_TABLE, toyDataset } from './sources.ts';

const R = 3;
const nP = TOY_PEOPLE.length;
const nM = TOY_MOVIES.length;

/** Solves the small SPD system A x = b (Gaussian elimination with partial pivoting). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/** People factors with the films fixed: the first half of an ALS iteration, written out. */
export function solvePeople(Hrows: Float32Array, lambda: number): Float32Array {
  const W = new Float32Array(nP * R);
  for (let u = 0; u < nP; u++) {
    const A = Array.from({ length: R }, (_, a) => Array.from({ length: R }, (_, b) => (a === b ? lambda : 0)));
    const b = new Array<number>(R).fill(0);
    for (let i = 0; i < nM; i++) {
      const v = TOY_TABLE[u][i];
      if (v === null) continue;
      for (let a = 0; a < R; a++) {
        b[a] += Hrows[i * R + a] * v;
        for (let c = 0; c < R; c++) A[a][c] += Hrows[i * R + a] * Hrows[i * R + c];
      }
    }
    W.set(solve(A, b), u * R);
  }
  return W;
}

function sourceH(): Float32Array {
  const Hrows = new Float32Array(nM * R);
  for (let i = 0; i < nM; i++) for (let a = 0; a < R; a++) Hrows[i * R + a] = TOY_H[a][i];
  return Hrows;
}

export class LearnTab {
  private running = false;
  private readonly chart = lineChart($('learn-chart') as HTMLCanvasElement, 'step (0 = people solved against the source H)', 'RMSE, known cells');
  /** Predictions of the ? cells after each step (for the end-to-end test). */
  readonly trace: number[][] = [];

  constructor() {
    $('learn-run').addEventListener('click', () => void this.run());
    const H = sourceH();
    this.render(solvePeople(H, 0.1), H, 'step 0');
  }

  private render(W: Float32Array, H: Float32Array, step: string): number {
    const pred = (u: number, i: number) => {
      let s = 0;
      for (let a = 0; a < R; a++) s += W[u * R + a] * H[i * R + a];
      return s;
    };
    const table = $('learn-table');
    const head = h('tr', {}, h('th', {}, ''), ...TOY_MOVIES.map((m) => h('th', {}, m)));
    let se = 0;
    let n = 0;
    const guesses: number[] = [];
    const rows = TOY_PEOPLE.map((p, u) =>
      h(
        'tr',
        {},
        h('th', {}, p),
        ...TOY_MOVIES.map((_, i) => {
          const v = TOY_TABLE[u][i];
          const x = pred(u, i);
          if (v !== null) {
            se += (x - v) ** 2;
            n++;
            return h('td', { class: 'known', title: `known rating; the model says ${x.toFixed(2)}` }, String(v));
          }
          guesses.push(x);
          return h('td', { class: 'guess flash', title: `? — predicted at ${step}` }, x.toFixed(2));
        }),
      ),
    );
    table.replaceChildren(h('thead', {}, head), h('tbody', {}, ...rows));
    setTimeout(() => table.querySelectorAll('.flash').forEach((e) => e.classList.remove('flash')), 250);
    const mat = (el: HTMLElement, F: Float32Array, names: string[]) =>
      el.replaceChildren(
        h('thead', {}, h('tr', {}, h('th', {}, ''), ...Array.from({ length: R }, (_, a) => h('th', {}, `f${a + 1}`)))),
        h('tbody', {}, ...names.map((nm, r) => h('tr', {}, h('th', {}, nm), ...Array.from({ length: R }, (_, a) => h('td', {}, F[r * R + a].toFixed(2)))))),
      );
    mat($('learn-h'), H, TOY_MOVIES);
    mat($('learn-w'), W, TOY_PEOPLE);
    this.trace.push(guesses);
    return Math.sqrt(se / n);
  }

  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const btn = $('learn-run') as HTMLButtonElement;
    btn.disabled = true;
    this.trace.length = 0;
    try {
      const lambda = Math.max(0, Number(($('learn-lambda') as HTMLInputElement).value) || 0);
      const iters = Math.max(1, Math.min(100, Math.round(Number(($('learn-iters') as HTMLInputElement).value) || 10)));
      let H = sourceH();
      let W = solvePeople(H, lambda);
      const pts: { x: number; y: number }[] = [{ x: 0, y: this.render(W, H, 'step 0') }];
      this.draw(pts);
      $('learn-status').textContent = "step 0: people solved against the source's H";
      const ds = toyDataset();
      for (let t = 1; t <= iters; t++) {
        await new Promise((r) => setTimeout(r, 320));
        const fit = await fitAls(ds.ratings, { rank: R, lambda, iterations: 1, backend: 'cpu', init: { users: W, items: H }, trackDelta: false, useBias: false, weightedLambda: false });
        W = fit.model.userFactors;
        H = fit.model.itemFactors;
        pts.push({ x: t, y: this.render(W, H, `iteration ${t}`) });
        this.draw(pts);
        $('learn-status').textContent = `iteration ${t} of ${iters}`;
      }
      $('learn-status').textContent = `done: ${iters} iterations (λ = ${lambda})`;
    } catch (e) {
      $('learn-status').textContent = `error: ${(e as Error).message}`;
    } finally {
      this.running = false;
      btn.disabled = false;
    }
  }

  private draw(pts: { x: number; y: number }[]): void {
    this.chart.data.datasets = [{ label: 'RMSE on the known cells', data: pts, borderColor: '#4f46e5', backgroundColor: '#4f46e5', pointRadius: 3, tension: 0.2 }];
    this.chart.update('none');
  }
}
