/**
 * The "Benchmark this GPU" tab: runs the bench's calibration and kernel suites on the engine worker's device
 * (src/demo/worker.ts → bench/lib/bench.ts), shows every measured kernel row with its roofline projection beside
 * it, and offers the results JSON — the same object `npm run bench` writes to bench/results/<run>/results.json —
 * for download, so a run on any GPU can be added to bench/results.
 */
import type { EngineClient } from './client.ts';
import { $, h } from './dom.ts';
import { PROJECTION_DEVICES, roofline } from '../../bench/lib/roofline.ts';
import { slug } from '../../bench/lib/report.ts';
import { peakGbps, peakGflops, type BenchResults, type KernelRow } from '../../bench/lib/types.ts';

/** The quick run's ranks: every kernel at rank 16, at the quick mode's smallest sizes (seconds on a software adapter). */
export const QUICK_RANKS = [16];

const num = (v: number | null | undefined, p = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : String(+v.toPrecision(p)));
const ms = (sec: number): string => `${num(sec * 1e3, 3)} ms`;

export class BenchPanel {
  result: BenchResults | null = null;
  /** The JSON text the download link offers (what the end-to-end test parses). */
  json = '';
  running = false;
  private readonly log: string[] = [];

  constructor(private readonly engine: EngineClient) {
    $('bench-run').addEventListener('click', () => this.run());
    $('bench-stop').addEventListener('click', () => {
      $('bench-status').textContent = 'stopping after the kernel being timed…';
      this.engine.send({ type: 'benchStop' });
    });
    engine.on('benchLog', (m) => {
      this.log.push(m.line);
      $('bench-status').textContent = m.line;
      $('bench-log').textContent = this.log.slice(-200).join('\n');
    });
    engine.on('benchDone', (m) => this.done(m.result, m.stopped));
    engine.on('error', (m) => {
      if (m.context !== 'bench') return;
      this.setRunning(false);
      $('bench-status').textContent = `The benchmark failed: ${m.message}`;
    });
    engine.on('ready', (m) => {
      ($('bench-run') as HTMLButtonElement).disabled = !m.webgpu;
      if (!m.webgpu) $('bench-status').textContent = `No WebGPU in this page (${m.reason ?? 'no adapter'}): there is no GPU to benchmark.`;
    });
  }

  private setRunning(on: boolean): void {
    this.running = on;
    ($('bench-run') as HTMLButtonElement).disabled = on;
    ($('bench-stop') as HTMLButtonElement).disabled = !on;
    ($('bench-full') as HTMLInputElement).disabled = on;
  }

  run(): void {
    const full = ($('bench-full') as HTMLInputElement).checked;
    this.log.length = 0;
    // (the previous run's log would otherwise stay on screen until this run's first line)
    $('bench-log').textContent = '';
    this.result = null;
    this.json = '';
    $('bench-download').hidden = true;
    $('bench-table').replaceChildren();
    $('bench-peaks').textContent = '';
    $('bench-status').textContent = full ? 'running the full kernel suite (ranks 16–256, both variants; minutes on a software adapter)…' : 'running the quick suite…';
    this.setRunning(true);
    this.engine.send(full ? { type: 'bench', quick: false } : { type: 'bench', quick: true, ranks: QUICK_RANKS });
  }

  private done(r: BenchResults, stopped: boolean): void {
    this.setRunning(false);
    this.result = r;
    this.json = JSON.stringify(r, null, 2) + '\n';
    const cal = r.calibration;
    $('bench-peaks').textContent = cal
      ? `Calibrated on this adapter (${r.env.adapter}${r.env.timestamps ? ', timestamp queries' : ', wall time'}): FMA peak ${num(peakGflops(cal))} GFLOP/s, copy bandwidth ${num(peakGbps(cal))} GB/s.`
      : 'The calibration failed: no "% of peak" and no roofline projection on this adapter.';
    this.table(r.kernels ?? [], r);
    const errs = r.errors.map((e) => `${e.suite}: ${e.message}`).join('; ');
    $('bench-status').textContent = `${stopped ? 'Stopped' : 'Done'}: ${r.kernels?.length ?? 0} kernel rows in ${r.seconds.toFixed(1)} s${errs ? ` (errors: ${errs})` : ''}.`;
    const a = $('bench-download') as HTMLAnchorElement;
    if (a.href.startsWith('blob:')) URL.revokeObjectURL(a.href);
    a.href = URL.createObjectURL(new Blob([this.json], { type: 'application/json' }));
    a.download = 'results.json';
    a.hidden = false;
    $('bench-dir').textContent = `bench/results/${r.env.date}-${slug(r.env.adapter)}-chrome${r.env.quick ? '-quick' : ''}/results.json`;
  }

  /** Measured rows, each with its roofline projection (analytic lower bound) on this adapter's peaks and on datasheet GPUs. */
  private table(rows: KernelRow[], r: BenchResults): void {
    const cal = r.calibration;
    const here = cal ? { name: 'this adapter', gflops: peakGflops(cal), gbps: peakGbps(cal) } : null;
    const devices = [...(here ? [here] : []), ...PROJECTION_DEVICES.map((d) => ({ name: d.name.replace(/ \(.*\)$/, ''), gflops: d.gflops, gbps: d.gbps }))];
    const measured = ['kernel', 'rank', 'problem', 'ms', 'GFLOP/s', '% FMA peak', 'GB/s', '% copy BW'];
    const thead = h(
      'thead',
      {},
      h('tr', {}, h('th', { colspan: String(measured.length), class: 'measured' }, 'measured on this GPU (median)'), h('th', { colspan: String(devices.length), class: 'proj' }, 'roofline projection (not measured: max(FLOPs / peak, bytes / bandwidth), a lower bound)')),
      h('tr', {}, ...measured.map((c) => h('th', {}, c)), ...devices.map((d) => h('th', { class: 'proj' }, `roofline projection: ${d.name}`))),
    );
    const tbody = h('tbody');
    for (const k of rows) {
      const failed = k.note?.startsWith('failed:') ?? false;
      const cells = failed
        ? [h('td', { colspan: '5', class: 'muted' }, k.note!)]
        : [num(k.ms.median), num(k.gflops), num(k.pctPeakFlops), num(k.gbps), num(k.pctPeakBw)].map((v) => h('td', {}, v));
      const proj = devices.map((d) => {
        if (failed) return h('td', { class: 'proj' }, '–');
        const p = roofline({ flops: k.flops, bytes: k.bytes }, d);
        return h('td', { class: 'proj', 'data-seconds': String(p.seconds), title: `roofline projection on ${d.name}: ${p.bound}-bound, ${num(p.intensity)} FLOP/byte` }, `${ms(p.seconds)} (${p.bound})`);
      });
      tbody.append(h('tr', { 'data-kernel': k.kernel }, h('td', { title: k.note ?? '' }, k.kernel), h('td', {}, String(k.rank)), h('td', {}, k.size), ...cells, ...proj));
    }
    $('bench-table').replaceChildren(thead, tbody);
  }
}
