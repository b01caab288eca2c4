/** The Train tab: settings, start/stop, the live RMSE chart, the iteration table, and ALS vs SGD head to head. */
import type { IterationReport } from '../model/types.ts';
import type { EngineClient } from './client.ts';
import { lineChart, PALETTE, type Chart } from './charts.ts';
import { $, fmtBytes, fmtInt, fmtSeconds, h } from './dom.ts';
import type { AlgoChoice, RunSummary, TrainSettings } from './protocol.ts';
import { DEFAULTS as FIT_DEFAULTS } from '../train/options.ts';

interface RunView {
  runId: number;
  label: string;
  color: string;
  points: { it: number; sec: number; train: number; test?: number }[];
  h2h: boolean;
}

type XAxis = 'iteration' | 'seconds';

/** Minimum milliseconds between two redraws of the live charts. */
const DRAW_MS = 250;

const DEFAULTS: Record<AlgoChoice, { lambda: number; lr: number; iters: number }> = {
  als: { lambda: 0.1, lr: 0.01, iters: 10 },
  ials: { lambda: 0.1, lr: 0.01, iters: 10 },
  // SGD: the library's defaults (learning rate and its inverse-decay schedule, lambda)
  'sgd-hogwild': { lambda: FIT_DEFAULTS.sgd.lambda, lr: FIT_DEFAULTS.sgd.learningRate.sgd, iters: 30 },
  'sgd-stratified': { lambda: FIT_DEFAULTS.sgd.lambda, lr: FIT_DEFAULTS.sgd.learningRate.sgd, iters: 30 },
  gd: { lambda: 0.05, lr: 0.001, iters: 60 },
};

export class TrainTab {
  private readonly chart: Chart<'line', { x: number; y: number }[]>;
  private readonly h2hChart: Chart<'line', { x: number; y: number }[]>;
  private readonly runs: RunView[] = [];
  private nextRun = 1;
  private x: XAxis = 'iteration';
  private active: number | null = null;
  private h2hActive = false;
  private drawPending = false;
  private lastDraw = 0;
  private dirtyMain = false;
  private dirtyH2h = false;
  /** Called when a run that keeps its model finishes (the Recommend/Explore tabs refresh). */
  onModel: (s: RunSummary) => void = () => {};
  readonly summaries: RunSummary[] = [];
  gpuAvailable = true;
  dataLoaded = false;

  constructor(private readonly engine: EngineClient) {
    this.chart = lineChart($('rmse-chart'), 'iteration', 'RMSE');
    this.h2hChart = lineChart($('h2h-chart'), 'iteration', 'test RMSE');
    $('algo').addEventListener('change', () => this.algoChanged(true));
    this.algoChanged(false);
    $('start').addEventListener('click', () => void this.start());
    $('stop').addEventListener('click', () => this.cancel());
    $('h2h-run').addEventListener('click', () => void this.headToHead());
    $('train-eps').addEventListener('input', () => this.markStop());
    for (const b of $('xaxis').querySelectorAll('button')) {
      b.addEventListener('click', () => {
        this.x = (b as HTMLButtonElement).dataset.x as XAxis;
        for (const o of $('xaxis').querySelectorAll('button')) o.setAttribute('aria-pressed', String(o === b));
        this.redraw();
      });
    }
    engine.on('iter', (m) => this.onIter(m.runId, m.report, m.elapsed));
    this.setBusy(false);
  }

  /** Stops the run in progress and any head-to-head sequence. */
  cancel(): void {
    this.h2hActive = false;
    this.engine.send({ type: 'stop' });
  }

  /** New data: old curves no longer apply. */
  reset(): void {
    this.runs.length = 0;
    this.summaries.length = 0;
    $('iter-table').querySelector('tbody')!.replaceChildren();
    for (const id of ['run-label', 'run-iter', 'run-per', 'run-train', 'run-test']) $(id).textContent = '—';
    $('h2h-table').querySelector('tbody')!.replaceChildren(h('tr', {}, h('td', { colspan: '4', class: 'muted' }, 'Run the comparison to fill this table.')));
    this.redraw();
    this.setBusy(false);
  }

  setGpu(available: boolean, adapter: string, engine: 'gpu' | 'cpu' = available ? 'gpu' : 'cpu'): void {
    this.gpuAvailable = available;
    const gpuRadio = document.querySelector<HTMLInputElement>('input[name=backend][value=gpu]')!;
    const cpuRadio = document.querySelector<HTMLInputElement>('input[name=backend][value=cpu]')!;
    gpuRadio.disabled = !available;
    // The default is the engine the page measured (or found) to be faster here.
    if (!available || engine === 'cpu') cpuRadio.checked = true;
    $('run-adapter').textContent = available ? adapter : 'CPU (no WebGPU)';
    $('run-adapter').title = adapter;
  }

  private algoChanged(applyDefaults: boolean): void {
    const algo = ($('algo') as HTMLSelectElement).value as AlgoChoice;
    const isSgd = algo.startsWith('sgd') || algo === 'gd';
    for (const el of document.querySelectorAll<HTMLElement>('#train-form [data-for]')) {
      const f = el.dataset.for;
      const show = f === 'ials' ? algo === 'ials' : f === 'sgd' ? isSgd : f === 'als' ? algo === 'als' : f === 'alsfamily' ? !isSgd : f === 'bias' ? algo !== 'ials' : true;
      el.hidden = !show;
    }
    if (applyDefaults) {
      const d = DEFAULTS[algo];
      ($('lambda') as HTMLInputElement).value = String(d.lambda);
      ($('lr') as HTMLInputElement).value = String(d.lr);
      ($('iters') as HTMLInputElement).value = String(d.iters);
    }
  }

  settings(): TrainSettings {
    const num = (id: string, lo: number, hi: number) => {
      const v = Number(($(id) as HTMLInputElement).value);
      if (!Number.isFinite(v) || v < lo || v > hi) throw new Error(`${id}: enter a number in [${lo}, ${hi}]`);
      return v;
    };
    return {
      algo: ($('algo') as HTMLSelectElement).value as AlgoChoice,
      rank: Math.round(num('rank', 1, 256)),
      iterations: Math.round(num('iters', 1, 500)),
      lambda: num('lambda', 0, 100),
      alpha: num('alpha', 0, 1e4),
      learningRate: num('lr', 1e-6, 10),
      useBias: ($('bias') as HTMLInputElement).checked,
      weightedLambda: ($('weighted') as HTMLInputElement).checked,
      tolerance: num('tolerance', 0, 1e9),
      earlyStopping: Math.round(num('early-stopping', 0, 500)),
      backend: (document.querySelector<HTMLInputElement>('input[name=backend]:checked')?.value as 'gpu' | 'cpu') ?? 'cpu',
      seed: 42,
    };
  }

  private setBusy(busy: boolean): void {
    ($('start') as HTMLButtonElement).disabled = busy || !this.dataLoaded;
    ($('h2h-run') as HTMLButtonElement).disabled = busy || !this.dataLoaded;
    ($('stop') as HTMLButtonElement).disabled = !busy;
  }

  setDataLoaded(v: boolean): void {
    this.dataLoaded = v;
    this.setBusy(this.active !== null);
  }

  private async run(settings: TrainSettings, label: string, keepModel: boolean, h2h: boolean): Promise<RunSummary> {
    const runId = this.nextRun++;
    const color = h2h ? (settings.algo === 'als' ? PALETTE[0] : PALETTE[2]) : PALETTE[(runId - 1) % PALETTE.length];
    this.runs.push({ runId, label, color, points: [], h2h });
    // Keep the chart legible: the last four ordinary runs.
    const ordinary = this.runs.filter((r) => !r.h2h);
    if (ordinary.length > 4) this.runs.splice(this.runs.indexOf(ordinary[0]), 1);
    this.active = runId;
    this.setBusy(true);
    $('run-label').textContent = `${label} · ${settings.backend.toUpperCase()}`;
    $('run-iter').textContent = `0 / ${settings.iterations}`;
    $('iter-table').querySelector('tbody')!.replaceChildren();
    // The run's summary, or (a failure before the run starts) an error message for 'train'.
    const offs: (() => void)[] = [];
    const summary = await new Promise<RunSummary>((resolve) => {
      offs.push(this.engine.on('trained', (m) => m.summary.runId === runId && resolve(m.summary)));
      offs.push(
        this.engine.on('error', (m) => {
          if (m.context === 'train') resolve({ runId, label, algo: settings.algo, backend: settings.backend, history: [], seconds: 0, stopped: 'error', error: m.message, modelKept: false });
        }),
      );
      this.engine.send({ type: 'train', runId, label, settings, keepModel });
    });
    for (const off of offs) off();
    // The run is over: draw its last points now rather than at the next coalesced redraw.
    this.redraw(!h2h, h2h);
    this.active = null;
    this.setBusy(false);
    this.summaries.push(summary);
    const last = summary.history[summary.history.length - 1];
    const kept = summary.modelKept ? ' (its factors so far are the model now)' : keepModel ? ' (the previous model is kept)' : '';
    const note = summary.error ? `failed: ${summary.error}` : summary.stopped === 'stopped' ? `stopped after ${summary.history.length} iterations${kept}` : `done in ${fmtSeconds(summary.seconds)}${summary.stopped === 'converged' ? ' (converged: below the tolerance)' : summary.stopped === 'early-stopping' ? ' (early stopping: the best iteration kept)' : ''}`;
    $('train-note').textContent = `${label}: ${note}${last ? `; final train RMSE ${last.trainRmse.toFixed(4)}${last.validationRmse !== undefined ? `, test ${last.validationRmse.toFixed(4)}` : ''}` : ''}.`;
    $('train-note').classList.toggle('error', !!summary.error);
    if (summary.modelKept) this.onModel(summary);
    return summary;
  }

  async start(): Promise<RunSummary | null> {
    let st: TrainSettings;
    try {
      st = this.settings();
    } catch (e) {
      $('train-note').textContent = (e as Error).message;
      return null;
    }
    const sel = $('algo') as HTMLSelectElement;
    const label = sel.options[sel.selectedIndex].text.replace(/ \(.*\)$/, '');
    return this.run(st, label, true, false);
  }

  async headToHead(): Promise<[RunSummary, RunSummary] | null> {
    let base: TrainSettings;
    try {
      base = this.settings();
    } catch (e) {
      $('train-note').textContent = (e as Error).message;
      return null;
    }
    for (let k = this.runs.length - 1; k >= 0; k--) if (this.runs[k].h2h) this.runs.splice(k, 1);
    this.h2hActive = true;
    const als: TrainSettings = { ...base, algo: 'als', weightedLambda: true, lambda: base.algo === 'als' ? base.lambda : DEFAULTS.als.lambda, iterations: Math.max(base.iterations, 5) };
    const sgd: TrainSettings = { ...base, algo: 'sgd-hogwild', learningRate: base.algo.startsWith('sgd') ? base.learningRate : DEFAULTS['sgd-hogwild'].lr, lambda: base.algo.startsWith('sgd') ? base.lambda : DEFAULTS['sgd-hogwild'].lambda, iterations: Math.max(base.iterations, 5) };
    const a = await this.run(als, 'ALS', !this.summaries.some((s) => !s.error), true);
    if (!this.h2hActive) return null;
    const s = await this.run(sgd, 'SGD', false, true);
    this.h2hActive = false;
    this.fillComparison(a, s);
    return [a, s];
  }

  private onIter(runId: number, r: IterationReport, elapsed: number): void {
    const run = this.runs.find((x) => x.runId === runId);
    if (!run) return;
    run.points.push({ it: r.iteration, sec: elapsed, train: r.trainRmse, test: r.validationRmse });
    if (runId === this.active) {
      const total = ($('iters') as HTMLInputElement).value;
      $('run-iter').textContent = `${r.iteration} / ${run.h2h ? '…' : total}`;
      $('run-per').textContent = fmtSeconds(r.seconds);
      $('run-train').textContent = r.trainRmse.toFixed(4);
      $('run-test').textContent = r.validationRmse !== undefined ? r.validationRmse.toFixed(4) : 'n/a';
      const notes: string[] = [];
      if (r.learningRate !== undefined) notes.push(`lr ${r.learningRate.toPrecision(3)}`);
      const tbody = $('iter-table').querySelector('tbody')!;
      if (tbody.childElementCount >= 300) tbody.lastElementChild!.remove();
      tbody.prepend(
        h(
          'tr',
          { 'data-it': String(r.iteration), 'data-delta': r.delta === undefined ? '' : String(r.delta) },
          h('td', {}, String(r.iteration)), h('td', {}, r.seconds.toFixed(3)), h('td', {}, r.trainRmse.toFixed(4)), h('td', {}, r.validationRmse?.toFixed(4) ?? '—'),
          h('td', {}, r.delta === undefined ? '—' : r.delta.toExponential(3)), h('td', {}, notes.join(' · ')),
        ),
      );
      this.markStop();
    }
    this.scheduleDraw(run.h2h);
  }

  /**
   * Marks the first iteration whose ‖WᵗHᵗ − Wᵗ⁻¹Hᵗ⁻¹‖_F is below the user's ε: where a fit with
   * `tolerance: ε` would have stopped (the run itself goes on for the iterations asked).
   */
  private markStop(): void {
    const eps = Number(($('train-eps') as HTMLInputElement).value);
    const rows = [...$('iter-table').querySelectorAll<HTMLTableRowElement>('tbody tr')].reverse();
    let stop: number | null = null;
    let any = false;
    for (const tr of rows) {
      const d = tr.dataset.delta ? Number(tr.dataset.delta) : undefined;
      any ||= d !== undefined;
      const here = stop === null && d !== undefined && Number.isFinite(eps) && d < eps;
      if (here) stop = Number(tr.dataset.it);
      tr.classList.toggle('would-stop', here);
    }
    const el = $('train-stop');
    el.dataset.stop = stop === null ? '' : String(stop);
    el.textContent = !any
      ? 'This algorithm does not report ‖WᵗHᵗ − Wᵗ⁻¹Hᵗ⁻¹‖_F (ALS and implicit ALS do).'
      : stop === null
        ? `No iteration so far is below ε = ${eps}: a fit with tolerance ε would keep going.`
        : `A fit with tolerance ε = ${eps} would stop after iteration ${stop} (the first below ε).`;
  }

  /**
   * Chart updates are coalesced: at most one per DRAW_MS, and only for the chart whose curves grew,
   * so a fast run (SGD epochs of a few ms) costs the page a handful of small redraws a second.
   */
  private scheduleDraw(h2h: boolean): void {
    if (h2h) this.dirtyH2h = true;
    else this.dirtyMain = true;
    if (this.drawPending) return;
    this.drawPending = true;
    const wait = Math.max(0, this.lastDraw + DRAW_MS - performance.now());
    setTimeout(() => {
      requestAnimationFrame(() => {
        this.drawPending = false;
        this.lastDraw = performance.now();
        this.redraw(this.dirtyMain, this.dirtyH2h);
      });
    }, wait);
  }

  private series(run: RunView, key: 'train' | 'test'): { x: number; y: number }[] {
    const out: { x: number; y: number }[] = [];
    for (const p of run.points) {
      const y = key === 'train' ? p.train : p.test;
      if (y !== undefined) out.push({ x: this.x === 'iteration' ? p.it : p.sec, y });
    }
    return out;
  }

  /** x from 0; whole iterations, or seconds. */
  private setX(chart: Chart<'line', { x: number; y: number }[]>, title: string): void {
    const x = chart.options.scales!.x!;
    x.title = { display: true, text: title };
    x.min = 0;
    (x as { ticks: { precision?: number } }).ticks = { precision: this.x === 'iteration' ? 0 : 2 };
  }

  /** Longest chart redraw so far, in ms (the page's main cost while training; read by the e2e test). */
  maxDrawMs = 0;

  private redraw(main = true, h2hToo = true): void {
    const t0 = performance.now();
    this.redrawCharts(main, h2hToo);
    this.maxDrawMs = Math.max(this.maxDrawMs, performance.now() - t0);
  }

  private redrawCharts(main: boolean, h2hToo: boolean): void {
    const title = this.x === 'iteration' ? 'iteration' : 'seconds since start';
    if (main) {
      this.dirtyMain = false;
      const ordinary = this.runs.filter((r) => !r.h2h);
      this.chart.data.datasets = ordinary.flatMap((r) => [
        { label: `${r.label} #${r.runId} test`, data: this.series(r, 'test'), borderColor: r.color, backgroundColor: r.color, borderWidth: 2, pointRadius: 2.5, tension: 0.15 },
        { label: `${r.label} #${r.runId} train`, data: this.series(r, 'train'), borderColor: r.color, backgroundColor: r.color, borderWidth: 1.5, borderDash: [5, 4], pointRadius: 1.5, tension: 0.15 },
      ]).filter((d) => d.data.length);
      this.setX(this.chart, title);
      this.chart.update('none');
    }
    if (h2hToo) {
      this.dirtyH2h = false;
      const h2h = this.runs.filter((r) => r.h2h);
      this.h2hChart.data.datasets = h2h.flatMap((r) => [
        { label: `${r.label} test`, data: this.series(r, 'test'), borderColor: r.color, backgroundColor: r.color, borderWidth: 2.5, pointRadius: 3, tension: 0.15 },
        { label: `${r.label} train`, data: this.series(r, 'train'), borderColor: r.color, backgroundColor: r.color, borderWidth: 1.2, borderDash: [5, 4], pointRadius: 0, tension: 0.15 },
      ]).filter((d) => d.data.length);
      this.setX(this.h2hChart, title);
      this.h2hChart.options.scales!.y!.title = { display: true, text: 'RMSE' };
      this.h2hChart.update('none');
      $('h2h-empty').hidden = h2h.length > 0;
    }
  }

  /** Points currently drawn on the main chart (for the end-to-end test). */
  chartPoints(): number {
    return this.chart.data.datasets.reduce((s, d) => s + d.data.length, 0) + this.h2hChart.data.datasets.reduce((s, d) => s + d.data.length, 0);
  }

  private fillComparison(a: RunSummary, s: RunSummary): void {
    const m = (r: RunSummary) => measure(r.history);
    const A = m(a);
    const S = m(s);
    const rows: [string, string, string, string, number][] = [
      ['Final test RMSE', fx(A.final), fx(S.final), 'similar accuracy once both converge', cmp(A.final, S.final)],
      ['Best test RMSE', fx(A.best), fx(S.best), '', cmp(A.best, S.best)],
      ['Convergence: iterations to within 1% of own best', conv(A, String(A.itersTo1)), conv(S, String(S.itersTo1)), 'ALS: a few iterations; SGD: many epochs', cmpConv(A, S, A.itersTo1, S.itersTo1)],
      ['Convergence: seconds to within 1% of own best', conv(A, fmtSeconds(A.secTo1)), conv(S, fmtSeconds(S.secTo1)), '', cmpConv(A, S, A.secTo1, S.secTo1)],
      ['Time per iteration (median)', fmtSeconds(A.perIter), fmtSeconds(S.perIter), 'ALS: costly (a solve per row); SGD: cheap', cmp(A.perIter, S.perIter)],
      ['Total time', fmtSeconds(a.seconds), fmtSeconds(s.seconds), '', cmp(a.seconds, s.seconds)],
      ['Stability: iterations where test RMSE rose', String(A.rises), String(S.rises), 'ALS: no learning rate, steady; SGD: step size matters', cmp(A.rises, S.rises)],
      ['Stability: largest rise in test RMSE', fx(A.maxRise), fx(S.maxRise), '', cmp(A.maxRise, S.maxRise)],
      ['Memory: device buffers held at the peak (measured)', a.deviceBytes !== undefined ? fmtBytes(a.deviceBytes) : '— (CPU)', s.deviceBytes !== undefined ? fmtBytes(s.deviceBytes) : '— (CPU)', 'ALS: + an r × r system per row being solved; SGD: ratings and factors only', cmp(a.deviceBytes ?? NaN, s.deviceBytes ?? NaN)],
      ['Parallelism: independent pieces of work', a.shape ? `${fmtInt(a.shape.users)} user rows, then ${fmtInt(a.shape.items)} item rows` : '—', s.shape ? `${fmtInt(s.shape.ratings)} updates per epoch, each touching one user row and one item row` : '—', 'ALS: rows are independent solves; SGD: updates collide on shared rows (Hogwild lets them)', 0],
      ['Parallelism: at once on the device (measured)', alsAtOnce(a), sgdAtOnce(s), 'ALS: every row of a batch in one dispatch; SGD: as many updates as can run without waiting', cmp(-(a.parallelism?.userRows ?? NaN), -(s.parallelism?.updatesInFlight ?? NaN))],
      ['Hyperparameters to tune', 'rank, λ', 'rank, λ, learning rate', 'SGD adds a learning rate (and schedule)', 0],
      ['Backend', `${a.backend.toUpperCase()}${a.adapter ? ` · ${a.adapter}` : ''}`, `${s.backend.toUpperCase()}${s.adapter ? ` · ${s.adapter}` : ''}`, '', 0],
    ];
    const tbody = $('h2h-table').querySelector('tbody')!;
    tbody.replaceChildren(
      ...rows.map(([k, x, y, e, w]) => h('tr', {}, h('td', {}, k), h('td', { class: w < 0 ? 'win' : '' }, x), h('td', { class: w > 0 ? 'win' : '' }, y), h('td', {}, e))),
    );
    if (a.error || s.error) tbody.append(h('tr', {}, h('td', { colspan: '4', class: 'muted' }, `errors: ${[a.error, s.error].filter(Boolean).join('; ')}`)));
  }
}

/** ALS's rows solved by one dispatch, per side, as the fit dispatched them. */
function alsAtOnce(r: RunSummary): string {
  const p = r.parallelism;
  if (!p || p.userRows === undefined) return '— (CPU)';
  const side = (rows: number, batches: number, what: string) => `${fmtInt(rows)} ${what} rows per dispatch${batches > 1 ? ` (${batches} batches)` : ''}`;
  return `${side(p.userRows, p.userBatches ?? 1, 'user')}, then ${side(p.itemRows ?? 0, p.itemBatches ?? 1, 'item')}`;
}

/** SGD's rating updates in flight at once, as the fit dispatched them. */
function sgdAtOnce(r: RunSummary): string {
  const n = r.parallelism?.updatesInFlight;
  return n === undefined ? '— (CPU)' : `${fmtInt(n)} updates in flight`;
}

/** A convergence figure, or a note that the run was still improving when it ended (no figure to compare). */
function conv(m: Measures, text: string): string {
  return m.stillFalling ? `not yet (still −${(m.lastDrop * 100).toFixed(1)}%/it)` : text;
}

function cmpConv(a: Measures, b: Measures, x: number, y: number): number {
  if (a.stillFalling && b.stillFalling) return 0;
  if (a.stillFalling) return 1;
  if (b.stillFalling) return -1;
  return cmp(x, y);
}

function fx(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : '—';
}

/** -1 when the first (ALS) is better (lower), 1 when the second is, 0 for a tie or no data. */
function cmp(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a))) return 0;
  return a < b ? -1 : 1;
}

export interface Measures {
  final: number;
  best: number;
  itersTo1: number;
  secTo1: number;
  perIter: number;
  rises: number;
  maxRise: number;
  /** The last iteration still lowered the error by more than 0.5%: "within 1% of its best" means nothing yet. */
  stillFalling: boolean;
  lastDrop: number;
}

export function measure(hist: IterationReport[]): Measures {
  const y = hist.map((r) => r.validationRmse ?? r.trainRmse);
  if (!y.length) return { final: NaN, best: NaN, itersTo1: NaN, secTo1: NaN, perIter: NaN, rises: NaN, maxRise: NaN, stillFalling: false, lastDrop: 0 };
  const lastDrop = y.length > 1 ? (y[y.length - 2] - y[y.length - 1]) / y[y.length - 1] : 0;
  const best = Math.min(...y);
  const k = y.findIndex((v) => v <= best * 1.01);
  let sec = 0;
  for (let j = 0; j <= k; j++) sec += hist[j].seconds;
  let rises = 0;
  let maxRise = 0;
  for (let j = 1; j < y.length; j++) {
    if (y[j] > y[j - 1]) {
      rises++;
      maxRise = Math.max(maxRise, y[j] - y[j - 1]);
    }
  }
  const secs = hist.map((r) => r.seconds).sort((p, q) => p - q);
  return { final: y[y.length - 1], best, itersTo1: hist[k].iteration, secTo1: sec, perIter: secs[Math.floor(secs.length / 2)], rises, maxRise, stillFalling: lastDrop > 0.005, lastDrop };
}
