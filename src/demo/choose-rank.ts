/**
 * The Train tab's "Choose rank" panel: the library's tune() run live in the worker on the loaded
 * training split (its validation part cut from it, seeded), with the Train tab's algorithm, backend
 * and options. Each rung of each trial is drawn as it finishes: held-out score against rank, one
 * line per λ — the source's "choosing the rank", measured.
 */
import type { Chart } from './charts.ts';
import { lineChart, PALETTE } from './charts.ts';
import type { EngineClient } from './client.ts';
import { $, h } from './dom.ts';
import type { TuneTrial } from './protocol.ts';
import type { TrainTab } from './train.ts';

export class ChooseRank {
  private readonly chart: Chart<'line', { x: number; y: number }[]>;
  private trials = new Map<string, TuneTrial>();
  private metric: 'rmse' | 'ndcg@10' = 'rmse';
  private dataLoaded = false;
  private running = false;
  /** The last finished search (for the end-to-end test). */
  result: { trials: TuneTrial[]; best: TuneTrial; stopped: string; uploads: number; validationRatings: number; metric: string } | null = null;

  constructor(
    private readonly engine: EngineClient,
    private readonly train: TrainTab,
  ) {
    this.chart = lineChart($('tune-chart') as HTMLCanvasElement, 'rank', 'validation RMSE');
    (this.chart.options.scales!.x as { ticks: { precision?: number } }).ticks = { precision: 0 };
    $('tune-run').addEventListener('click', () => this.start());
    $('tune-stop').addEventListener('click', () => this.engine.send({ type: 'stop' }));
    engine.on('tuneRung', (m) => {
      this.trials.set(key(m.trial), m.trial);
      this.draw();
    });
    engine.on('tuneDone', (m) => {
      this.running = false;
      this.setBusy();
      this.result = { trials: m.trials, best: m.best, stopped: m.stopped, uploads: m.uploads, validationRatings: m.validationRatings, metric: m.metric };
      for (const t of m.trials) this.trials.set(key(t), t);
      this.draw();
      const b = m.best;
      const what = m.metric === 'rmse' ? 'validation RMSE' : 'validation NDCG@10';
      const el = $('tune-best');
      el.replaceChildren(
        h('b', {}, `Best: rank ${b.rank}, λ ${b.lambda}`),
        ` — ${what} ${b.score.toFixed(4)} after ${b.iterations} iterations, on ${m.validationRatings.toLocaleString('en-US')} ratings cut from the training split (never the test split). `,
        `${m.trials.length} trials in ${m.seconds.toFixed(1)} s; successive halving dropped ${m.trials.filter((t) => t.iterations < b.iterations).length} early. `,
        m.uploads ? `The trials shared ${m.uploads} upload of the ratings on the device.` : 'CPU: no device uploads.',
        m.stopped === 'aborted' ? ' Stopped: the best trial finished so far.' : '',
      );
      el.dataset.done = '1';
    });
    engine.on('error', (m) => {
      if (m.context !== 'tune') return;
      this.running = false;
      this.setBusy();
      $('tune-best').textContent = `error: ${m.message}`;
      $('tune-best').dataset.done = 'error';
    });
  }

  setDataLoaded(v: boolean): void {
    this.dataLoaded = v;
    this.setBusy();
  }

  private setBusy(): void {
    ($('tune-run') as HTMLButtonElement).disabled = this.running || !this.dataLoaded;
    ($('tune-stop') as HTMLButtonElement).disabled = !this.running;
  }

  private list(id: string, integer: boolean): number[] {
    const v = ($(id) as HTMLInputElement).value.split(',').map((x) => Number(x.trim()));
    if (!v.length || v.some((x) => !Number.isFinite(x) || x < 0 || (integer && !(Number.isInteger(x) && x >= 1 && x <= 256)))) throw new Error(`${id}: enter ${integer ? 'ranks like 2,4,8' : 'values like 0.05,0.1'}`);
    return v;
  }

  private start(): void {
    try {
      const st = this.train.settings();
      if (st.algo === 'gd') throw new Error('choose ALS, implicit ALS or SGD on the Train tab: full-batch GD is not tuned here');
      const ranks = this.list('tune-ranks', true);
      const lambdas = this.list('tune-lambdas', false);
      const iterations = Math.max(1, Math.min(100, Math.round(Number(($('tune-iters') as HTMLInputElement).value) || 6)));
      this.metric = st.algo === 'ials' ? 'ndcg@10' : 'rmse';
      this.trials.clear();
      this.result = null;
      delete $('tune-best').dataset.done;
      $('tune-best').textContent = `searching ${ranks.length * lambdas.length} (rank, λ) pairs…`;
      this.running = true;
      this.setBusy();
      this.draw();
      this.engine.send({ type: 'tune', settings: st, ranks, lambdas, iterations });
    } catch (e) {
      $('tune-best').textContent = (e as Error).message;
    }
  }

  private draw(): void {
    const all = [...this.trials.values()];
    const lambdas = [...new Set(all.map((t) => t.lambda))].sort((a, b) => a - b);
    const maxIt = Math.max(0, ...all.map((t) => t.iterations));
    this.chart.data.datasets = lambdas.map((l, k) => {
      const pts = all.filter((t) => t.lambda === l && Number.isFinite(t.score)).sort((a, b) => a.rank - b.rank);
      const c = PALETTE[k % PALETTE.length];
      return { label: `λ = ${l}`, data: pts.map((t) => ({ x: t.rank, y: t.score })), borderColor: c, backgroundColor: c, pointRadius: pts.map((t) => (t.iterations === maxIt ? 5 : 3)), pointStyle: pts.map((t) => (t.iterations === maxIt ? 'circle' : 'crossRot')), tension: 0 };
    });
    this.chart.options.scales!.y!.title = { display: true, text: this.metric === 'rmse' ? 'validation RMSE' : 'validation NDCG@10' };
    this.chart.update('none');
    $('tune-empty').hidden = all.length > 0;
    const best = this.result?.best;
    $('tune-table').querySelector('tbody')!.replaceChildren(
      ...[...all]
        .sort((a, b) => a.rank - b.rank || a.lambda - b.lambda)
        .map((t) => h('tr', { class: best && key(best) === key(t) ? 'stop-row' : '' }, h('td', {}, String(t.rank)), h('td', {}, String(t.lambda)), h('td', {}, String(t.iterations)), h('td', { class: 'num', 'data-k': `tune.${t.rank}.${t.lambda}`, 'data-v': String(t.score) }, t.score.toFixed(4)))),
    );
  }
}

function key(t: { rank: number; lambda: number }): string {
  return `${t.rank}/${t.lambda}`;
}
