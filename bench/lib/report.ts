/**
 * Turns BenchResults into results.md (tables) and SVG plots. Browser-safe (returns strings; the
 * Node side writes them, see write.ts).
 */
import { COLORS, linePlot, type Series } from './svg.ts';
import type { Stats } from './timing.ts';
import { peakGbps, peakGflops, type BenchResults, type FitRow, type KernelRow, type PeerRatio } from './types.ts';

const f = (v: number | null | undefined, d = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
const g = (v: number | null | undefined, p = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : String(+v.toPrecision(p)));
const st = (s: Stats, scale = 1, p = 3): string => (s.n ? `${g(s.median * scale, p)} (${g(s.min * scale, p)}–${g(s.max * scale, p)})` : '–');
const bytes = (v: number | null | undefined): string => {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a >= 2 ** 20 ? `${(v / 2 ** 20).toFixed(1)} MiB` : a >= 1024 ? `${(v / 1024).toFixed(1)} KiB` : `${Math.round(v)} B`;
};
const secs = (v: number): string => (v >= 1 ? `${g(v, 3)} s` : v >= 1e-3 ? `${g(v * 1e3, 3)} ms` : `${g(v * 1e6, 3)} µs`);

function table(head: string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'x';
}

/** The dataset the headline quotes: the largest one the peer ran on. */
export function headlineDataset(r: BenchResults): string | null {
  const peer = r.peer?.rows ?? [];
  if (!peer.length) return null;
  return [...peer].sort((a, b) => b.shape.nTrain - a.shape.nTrain)[0].dataset;
}

export function headlineRatios(r: BenchResults): PeerRatio[] {
  const ds = headlineDataset(r);
  return (r.peer?.ratios ?? []).filter((x) => x.dataset === ds);
}

/** Best % of calibrated FMA peak and of copy bandwidth per kernel (over ranks). */
export function kernelPeaks(rows: KernelRow[]): { kernel: string; flopsPct: number | null; flopsRank: number; bwPct: number | null; bwRank: number }[] {
  const names = [...new Set(rows.map((r) => r.kernel))];
  return names.map((kernel) => {
    const rs = rows.filter((r) => r.kernel === kernel && !r.note?.startsWith('failed'));
    const bf = rs.reduce<KernelRow | null>((b, r) => (r.pctPeakFlops !== null && (!b || r.pctPeakFlops > (b.pctPeakFlops ?? -1)) ? r : b), null);
    const bb = rs.reduce<KernelRow | null>((b, r) => (r.pctPeakBw !== null && (!b || r.pctPeakBw > (b.pctPeakBw ?? -1)) ? r : b), null);
    return { kernel, flopsPct: bf?.pctPeakFlops ?? null, flopsRank: bf?.rank ?? 0, bwPct: bb?.pctPeakBw ?? null, bwRank: bb?.rank ?? 0 };
  });
}

const ALGO_NAME: Record<string, string> = {
  als: 'ALS (Cholesky)',
  'als-cg': 'ALS (CG)',
  ials: 'implicit ALS',
  'ials-cg': 'implicit ALS (CG)',
  'sgd-hogwild': 'SGD Hogwild',
  'sgd-stratified': 'SGD stratified',
  'libmf-sgd': 'LIBMF (SGD, AdaGrad)',
};
export const algoName = (a: string): string => ALGO_NAME[a] ?? a;

export function toMarkdown(r: BenchResults): string {
  const e = r.env;
  const o: string[] = [];
  o.push(`# webmf benchmark — ${e.date} — ${e.adapter}`);
  o.push('');
  o.push(table(['', ''], [
    ['Adapter', `${e.adapter}${e.adapterInfo.software ? ' (software rasterizer)' : ''} — ${e.adapterInfo.description || '–'}`],
    ['GPU timing', e.timestamps ? 'timestamp queries (per compute pass)' : 'wall clock incl. readback'],
    ['CPU', `${e.cpu} × ${e.cores} logical cores`],
    ['Runtime', `${e.runtime} ${e.runtimeVersion}`],
    ['Mode', e.quick ? '--quick (subset)' : 'full'],
    ['Duration', `${f(r.seconds, 0)} s`],
    ...(e.loadAverage
      ? [['Machine load (1-min load average at start / after each suite)', `${Object.entries(e.loadAverage).map(([k, v]) => `${k} ${v}`).join(', ')} — on ${e.cores} cores; a value above the core count means other processes shared the CPU and the timings carry their noise`]]
      : []),
    ...(r.notes ?? []).map((n) => ['Note', n]),
  ]));
  o.push('');
  o.push('## Method');
  for (const m of r.method) o.push(`- ${m}`);
  o.push('');

  // headline
  const hr = headlineRatios(r);
  if (hr.length || r.kernels?.length) {
    o.push('## Headline');
    if (hr.length) {
      o.push('');
      o.push(`webmf / LIBMF on **${headlineDataset(r)}** (same split, rank, λ, iterations; < 1 means webmf is faster / more accurate):`);
      o.push('');
      o.push(table(['algorithm', 'backend', 'time/iter ratio', 'test RMSE ratio', 'webmf s/iter', 'LIBMF s/iter', 'webmf RMSE', 'LIBMF RMSE'],
        hr.map((x) => [algoName(x.algo), x.backend.toUpperCase(), g(x.timeRatio), g(x.rmseRatio, 4), secs(x.webmfSecPerIter), secs(x.libmfSecPerIter), f(x.webmfRmse, 4), f(x.libmfRmse, 4)])));
    }
    if (r.kernels?.length) {
      o.push('');
      o.push('Best fraction of the calibrated peaks reached by each kernel (over ranks):');
      o.push('');
      o.push(table(['kernel', '% of FMA peak', 'at rank', '% of copy bandwidth', 'at rank'],
        kernelPeaks(r.kernels).map((k) => [k.kernel, f(k.flopsPct, 2), String(k.flopsRank), f(k.bwPct, 2), String(k.bwRank)])));
    }
    o.push('');
  }

  if (r.calibration) {
    const c = r.calibration;
    o.push('## Calibration (this adapter)');
    o.push('');
    o.push('The peak every "% of peak" divides by is the best run (a shared machine only slows runs down).');
    o.push('');
    o.push(table(['microkernel', 'peak (best run)', 'median (min–max)', 'work per run', 'timing'], [
      ['FMA peak (3 independent vec4 FMA chains per invocation, unrolled x64)', `${g(peakGflops(c))} GFLOP/s`, `${st(c.fma.gflops)} GFLOP/s`, `${g(c.fma.flopsPerRun / 1e9)} GFLOP`, c.fma.source],
      ['Copy bandwidth (4 consecutive vec4 read + written per invocation)', `${g(peakGbps(c))} GB/s`, `${st(c.copy.gbps)} GB/s`, `${bytes(c.copy.bytesPerRun)}`, c.copy.source],
    ]));
    o.push('');
  }

  if (r.kernels?.length) {
    o.push('## Kernels');
    o.push('');
    o.push('Analytic FLOP and byte counts (bench/lib/roofline.ts: useful FLOPs, compulsory bytes); % of the calibrated peaks above.');
    o.push('');
    o.push(table(['kernel', 'rank', 'problem', 'ms median (min–max)', 'GFLOP/s', '% FMA peak', 'GB/s', '% copy BW', 'timing', 'note'],
      r.kernels.map((k) => [k.kernel, String(k.rank), k.size, st(k.ms), g(k.gflops), f(k.pctPeakFlops, 2), g(k.gbps), f(k.pctPeakBw, 2), k.source, k.note ?? ''])));
    o.push('');
  }

  const fitTable = (rows: FitRow[]) =>
    table(['dataset', 'algorithm', 'backend', 'rank', 'iters', 's/iter median (min–max)', 'final test RMSE', 'target RMSE', 'time to target', 'peak host MiB', '↑ bytes/iter', '↓ bytes/iter', 'setup ↑', 'note'],
      rows.map((x) => [
        x.dataset, algoName(x.algo), x.backend.toUpperCase(), String(x.rank), String(x.iterations), st(x.secPerIter, 1, 3), f(x.finalTestRmse, 4),
        f(x.targetRmse, 4), x.timeToTargetSec === undefined ? '–' : x.timeToTargetSec === null ? 'not reached' : secs(x.timeToTargetSec),
        f(x.peakMemoryMB, 0), bytes(x.uploadBytesPerIter), bytes(x.downloadBytesPerIter), bytes(x.setupUploadBytes),
        [x.error ? `ERROR ${x.error}` : '', x.finalTestRmse === null && x.finalTrainRmse !== null ? `train RMSE ${f(x.finalTrainRmse, 4)}` : ''].filter(Boolean).join('; '),
      ]));

  if (r.fits?.length) {
    o.push('## Fits');
    o.push('');
    const shapes = [...new Map(r.fits.map((x) => [x.dataset, x])).values()];
    o.push(table(['dataset', 'users × items', 'train / test ratings', 'what ran'],
      shapes.map((x) => [x.dataset, `${x.shape.nUsers} × ${x.shape.nItems}`, `${x.shape.nTrain} / ${x.shape.nTest}`, x.scaleNote ?? 'full shape'])));
    o.push('');
    o.push('s/iter excludes the first iteration (pipeline compilation) when there are two or more. Bytes per iteration are GpuContext.traffic deltas (queue writes + readbacks) between iterations ≥ 2; setup ↑ is the one-time upload. Implicit ALS treats the ratings as counts (α = 1) and has no test RMSE. Target RMSE = 1.05 × the best final test RMSE of any run on that dataset (LIBMF included).');
    o.push('');
    o.push(fitTable(r.fits));
    o.push('');
  }

  if (r.peer) {
    o.push('## Peer: LIBMF');
    o.push('');
    o.push(`npm \`libmf\` ${r.peer.version} (native LIBMF), ${r.peer.threads} threads. ${r.peer.note}`);
    o.push('');
    o.push(fitTable(r.peer.rows));
    o.push('');
    o.push(table(['dataset', 'webmf algorithm', 'backend', 'time/iter ratio webmf/LIBMF', 'test RMSE ratio webmf/LIBMF'],
      r.peer.ratios.map((x) => [x.dataset, algoName(x.algo), x.backend.toUpperCase(), g(x.timeRatio), g(x.rmseRatio, 4)])));
    o.push('');
  }

  if (r.scaling) {
    o.push('## Scaling');
    o.push('');
    o.push(r.scaling.note);
    o.push('');
    o.push(table(['axis', 'algorithm', 'backend', 'x', 's/iter median (min–max)'],
      r.scaling.rows.map((x) => [x.axis, algoName(x.algo), x.backend.toUpperCase(), g(x.x), st(x.secPerIter, 1, 3)])));
    o.push('');
    o.push(table(['axis', 'algorithm', 'backend', 'log-log slope', 'R²'],
      r.scaling.fits.map((x) => [x.axis, algoName(x.algo), x.backend.toUpperCase(), f(x.slope, 2), f(x.r2, 3)])));
    o.push('');
  }

  if (r.alsRanks?.length) {
    const a = r.alsRanks;
    o.push('## ALS seconds per iteration by rank (1M-rating synthetic set)');
    o.push('');
    o.push(`Explicit ALS (Cholesky, λ = 0.05 weighted) on the synthetic ml-1m shape, ${a[0].nRatings} ratings; pipelines compiled by an uncounted warm-up fit; ${a[0].iterations} timed iteration(s) per point. Gram-build and Cholesky GFLOP/s and % of peak at these ranks: the Kernels suite (same adapter; the full run's folder when this suite ran alone).`);
    o.push('');
    const ranks = [...new Set(a.map((x) => x.rank))];
    o.push(table(['rank', 'GPU s/iter median (min–max)', 'CPU s/iter median (min–max)', 'GPU / CPU', 'GFLOP/iter', 'GPU GFLOP/s', 'CPU GFLOP/s'],
      ranks.map((k) => {
        const gp = a.find((x) => x.rank === k && x.backend === 'gpu');
        const cp = a.find((x) => x.rank === k && x.backend === 'cpu');
        return [String(k), gp ? st(gp.secPerIter) : '–', cp ? st(cp.secPerIter) : '–', gp && cp ? g(gp.secPerIter.median / cp.secPerIter.median) : '–',
          g((gp ?? cp)?.gflopsPerIter), g(gp?.achievedGflops), g(cp?.achievedGflops)];
      })));
    o.push('');
  }

  if (r.projection) {
    const p = r.projection;
    o.push('## Projection — PROJECTION, NOT A MEASUREMENT');
    o.push('');
    o.push('Roofline lower bound per iteration, max(FLOPs / peak FP32, bytes / bandwidth), from the analytic counts of bench/lib/roofline.ts on the full shapes. Real kernels reach a fraction of the roofline (see Kernels for the fraction measured on this adapter).');
    o.push('');
    o.push(table(['device', 'peak GFLOP/s', 'GB/s', 'source'], p.devices.map((d) => [d.name, g(d.gflops, 4), g(d.gbps, 4), d.source])));
    o.push('');
    const devs = p.devices.map((d) => d.name);
    const keys = [...new Set(p.rows.map((x) => `${x.shape}|${x.algo}|${x.rank}`))];
    o.push(table(['shape', 'algorithm', 'rank', 'GFLOP/iter', 'GB/iter', ...devs.map((d) => `${d} (projected)`)],
      keys.map((k) => {
        const rs = p.rows.filter((x) => `${x.shape}|${x.algo}|${x.rank}` === k);
        const a = rs[0];
        return [a.shape, algoName(a.algo), String(a.rank), g(a.work.flops / 1e9), g(a.work.bytes / 1e9),
          ...devs.map((d) => {
            const x = rs.find((y) => y.device === d);
            return x ? `${secs(x.projected.seconds)} (${x.projected.bound})` : '–';
          })];
      })));
    o.push('');
    if (p.measuredHere?.length) {
      o.push('Measured GPU fits on this adapter against its own calibrated roofline:');
      o.push('');
      o.push(table(['dataset', 'algorithm', 'measured s/iter', 'roofline s/iter', 'fraction of roofline'],
        p.measuredHere.map((x) => [x.shape, algoName(x.algo), secs(x.measuredSec), secs(x.rooflineSec), `${f((100 * x.rooflineSec) / x.measuredSec, 2)}%`])));
      o.push('');
    }
  }

  if (r.errors.length) {
    o.push('## Errors');
    o.push('');
    for (const x of r.errors) o.push(`- ${x.suite}: ${x.message}`);
    o.push('');
  }
  return o.join('\n');
}

/** The plots: file name → SVG text. */
export function plots(r: BenchResults): Record<string, string> {
  const out: Record<string, string> = {};
  const subtitle = `${r.env.adapter} · ${r.env.runtime} · ${r.env.date}${r.env.quick ? ' · quick' : ''}`;
  const algoColor = (a: string) => COLORS[Object.keys(ALGO_NAME).indexOf(a) % COLORS.length] ?? '#333';
  if (r.kernels?.length) {
    const names = [...new Set(r.kernels.map((k) => k.kernel))];
    const series = names.map((n) => ({ name: n, points: r.kernels!.filter((k) => k.kernel === n && k.gflops > 0).map((k) => [k.rank, k.gflops] as [number, number]) }));
    out['kernels-gflops.svg'] = linePlot({
      title: 'Kernels: achieved GFLOP/s vs rank', subtitle, xLabel: 'rank', yLabel: 'GFLOP/s', xLog: true, yLog: true, series,
      hLines: r.calibration ? [{ y: peakGflops(r.calibration), label: `calibrated FMA peak ${g(peakGflops(r.calibration))} GFLOP/s` }] : [],
    });
    const bw = names.map((n) => ({ name: n, points: r.kernels!.filter((k) => k.kernel === n && k.gbps > 0).map((k) => [k.rank, k.gbps] as [number, number]) }));
    out['kernels-gbps.svg'] = linePlot({
      title: 'Kernels: achieved GB/s vs rank', subtitle, xLabel: 'rank', yLabel: 'GB/s', xLog: true, yLog: true, series: bw,
      hLines: r.calibration ? [{ y: peakGbps(r.calibration), label: `calibrated copy ${g(peakGbps(r.calibration))} GB/s` }] : [],
    });
  }
  const all = [...(r.fits ?? []), ...(r.peer?.rows ?? [])];
  for (const ds of [...new Set(all.map((x) => x.dataset))]) {
    const rows = all.filter((x) => x.dataset === ds && x.rmseCurve.length > 0);
    if (!rows.length) continue;
    const series: Series[] = rows.map((x) => {
      const its = x.iterSeconds;
      let t = 0;
      return {
        name: `${algoName(x.algo)} ${x.backend === 'libmf' ? '' : x.backend.toUpperCase()}`.trim(),
        dashed: x.backend === 'cpu',
        color: algoColor(x.algo),
        points: x.rmseCurve.map((v, i) => {
          t += its?.[i] ?? x.secPerIter.median;
          return [t, v] as [number, number];
        }),
      };
    });
    out[`fit-${slug(ds)}.svg`] = linePlot({ title: `Test RMSE vs time: ${ds}`, subtitle: `${subtitle} · dashed = CPU`, xLabel: 'seconds (cumulative iterations)', yLabel: 'test RMSE', xLog: true, series });
  }
  if (r.alsRanks?.length) {
    out['als-ranks.svg'] = linePlot({
      title: 'ALS seconds per iteration vs rank (1M ratings)', subtitle: `${subtitle} · dashed = CPU`, xLabel: 'rank', yLabel: 's / iteration', xLog: true, yLog: true,
      series: (['gpu', 'cpu'] as const).map((b) => ({ name: `ALS ${b.toUpperCase()}`, dashed: b === 'cpu', color: algoColor('als'), points: r.alsRanks!.filter((x) => x.backend === b).map((x) => [x.rank, x.secPerIter.median] as [number, number]) })),
    });
  }
  if (r.scaling) {
    for (const axis of ['ratings', 'rank'] as const) {
      const rows = r.scaling.rows.filter((x) => x.axis === axis);
      if (!rows.length) continue;
      const keys = [...new Set(rows.map((x) => `${x.algo}|${x.backend}`))];
      const series = keys.map((k) => {
        const [algo, backend] = k.split('|');
        const fit = r.scaling!.fits.find((y) => y.axis === axis && y.algo === algo && y.backend === backend);
        return {
          name: `${algoName(algo)} ${backend.toUpperCase()}${fit?.slope != null ? ` (slope ${fit.slope.toFixed(2)})` : ''}`,
          dashed: backend === 'cpu',
          color: algoColor(algo),
          points: rows.filter((x) => `${x.algo}|${x.backend}` === k).map((x) => [x.x, x.secPerIter.median] as [number, number]),
        };
      });
      out[`scaling-${axis}.svg`] = linePlot({ title: `Time per iteration vs ${axis}`, subtitle: `${subtitle} · dashed = CPU`, xLabel: axis === 'ratings' ? 'ratings' : 'rank', yLabel: 's / iteration', xLog: true, yLog: true, series });
    }
  }
  if (r.projection) {
    const series: Series[] = [];
    for (const d of r.projection.devices) {
      for (const algo of ['als', 'sgd-hogwild']) {
        const pts = r.projection.rows.filter((x) => x.shape === 'ml-25m' && x.algo === algo && x.device === d.name).map((x) => [x.rank, x.projected.seconds] as [number, number]);
        if (pts.length) series.push({ name: `${algoName(algo)}: ${d.name.replace(/ \(.*\)$/, '').replace(/^NVIDIA (GeForce )?/, '')}`, points: pts, dashed: algo !== 'als' });
      }
    }
    out['projection-ml-25m.svg'] = linePlot({ title: 'PROJECTION (roofline lower bound), not a measurement', subtitle: 'full ml-25m shape, seconds per iteration vs rank', xLabel: 'rank', yLabel: 'projected s / iteration', xLog: true, yLog: true, series, width: 860 });
  }
  return out;
}

/** One README line per results folder: date, adapter, headline ratios against LIBMF, the kernels' best % of peak. */
export function summaryTable(list: BenchResults[]): string {
  const rows = list.map((r) => {
    const hr = headlineRatios(r);
    const pick = (algo: string, backend: string) => hr.find((x) => x.algo === algo && x.backend === backend);
    const ratio = (x: PeerRatio | undefined) => (x ? `${g(x.timeRatio)}× time, ${g(x.rmseRatio, 3)}× RMSE` : '–');
    const peaks = r.kernels ? kernelPeaks(r.kernels) : [];
    const best = (name: string) => {
      const k = peaks.find((p) => p.kernel.startsWith(name));
      return k && k.flopsPct !== null ? `${f(k.flopsPct, 1)}%` : '–';
    };
    return [
      r.env.date,
      `${r.env.adapter}${r.env.adapterInfo.software ? ' (software)' : ''}, ${r.env.runtime}`,
      headlineDataset(r) ?? '–',
      ratio(pick('als', 'gpu')),
      ratio(pick('sgd-hogwild', 'gpu')),
      ratio(pick('als', 'cpu')),
      `Gram ${best('Gram')}, Cholesky ${best('Cholesky')}, SGD ${best('SGD')}`,
    ];
  });
  return table(['date', 'adapter', 'peer dataset', 'ALS GPU / LIBMF', 'SGD Hogwild GPU / LIBMF', 'ALS CPU / LIBMF', 'kernels, best % of FMA peak'], rows);
}
