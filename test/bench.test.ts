/**
 * Smoke tests of the benchmark harness's pieces: statistics, analytic work counts against brute-force
 * counts, the roofline, the log-log slope, the SVG writer, the markdown/JSON writers, time-to-target,
 * peer ratios, and the calibration microkernels checked against closed forms on the GPU.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GpuContext } from '../src/gpu/context.ts';
import { calibCopyWgsl, calibFmaWgsl } from '../bench/lib/calib-shaders.ts';
import { stats, mapStats, timeGpu } from '../bench/lib/timing.ts';
import { choleskyWork, gramBuildWork, iterationWork, logLogSlope, roofline, sgdWork, topkWork } from '../bench/lib/roofline.ts';
import { escapeXml, linePlot, ticks } from '../bench/lib/svg.ts';
import { headlineRatios, kernelPeaks, plots, toMarkdown } from '../bench/lib/report.ts';
import { writeResults } from '../bench/lib/node.ts';
import { timeToTarget } from '../bench/suites/fits.ts';
import { peerRatios } from '../bench/suites/peer.ts';
import { scaleShape, SHAPES, toyTable } from '../bench/lib/synth.ts';
import type { BenchResults, FitRow, KernelRow } from '../bench/lib/types.ts';

describe('benchmark statistics', () => {
  it('median, min and max of odd and even sample counts; non-finite samples are rejected', () => {
    expect(stats([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(stats([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(() => stats([1, NaN])).toThrow(/non-finite/);
    expect(() => stats([])).toThrow();
    // an inverting map (ms -> rate) swaps min and max
    expect(mapStats({ median: 2, min: 1, max: 4, n: 3 }, (ms) => 8 / ms)).toEqual({ median: 4, min: 2, max: 8, n: 3 });
  });
});

describe('analytic work counts', () => {
  it('Gram build FLOPs equal a brute-force count of the upper-triangle and right-hand-side FMAs', () => {
    const K = 5;
    const nnz = 7;
    let fma = 0;
    for (let e = 0; e < nnz; e++) {
      for (let a = 0; a < K; a++) for (let b = a; b < K; b++) fma++;
      fma += K;
    }
    expect(gramBuildWork(nnz, 2, K).flops).toBe(2 * fma);
    expect(gramBuildWork(nnz, 2, K).bytes).toBe(nnz * (8 + 4 * K) + 2 * 4 * (K * K + K));
  });

  it('Cholesky, SGD and top-k counts follow their formulas', () => {
    expect(choleskyWork(3, 6).flops).toBeCloseTo(3 * (216 / 3 + 72));
    expect(sgdWork(10, 8)).toEqual({ flops: 800, bytes: 10 * (12 + 128) });
    expect(topkWork(2, 100, 4).flops).toBe(2 * 4 * 2 * 100);
  });

  it('an ALS iteration is the two Gram builds, the solves and the loss', () => {
    const p = { nUsers: 10, nItems: 20, nnz: 100, rank: 4 };
    const w = iterationWork('als', p);
    const parts = gramBuildWork(100, 10, 4).flops + gramBuildWork(100, 20, 4).flops + choleskyWork(30, 4).flops + 100 * (2 * 4 + 3);
    expect(w.flops).toBeCloseTo(parts);
    expect(iterationWork('sgd-hogwild', p).bytes).toBeGreaterThan(iterationWork('sgd-stratified', p).bytes);
  });

  it('the roofline takes the slower of compute and memory and names the bound', () => {
    const d = { gflops: 1000, gbps: 100 };
    expect(roofline({ flops: 1e12, bytes: 1e9 }, d)).toMatchObject({ seconds: 1, bound: 'compute' });
    expect(roofline({ flops: 1e9, bytes: 1e11 }, d)).toMatchObject({ seconds: 1, bound: 'memory' });
  });

  it('the log-log slope recovers a planted exponent and ignores non-positive points', () => {
    const pts: [number, number][] = [1e3, 1e4, 1e5, 1e6].map((x) => [x, 3 * x ** 1.5]);
    const f = logLogSlope([...pts, [0, 1], [10, -1]])!;
    expect(f.slope).toBeCloseTo(1.5, 10);
    expect(f.r2).toBeCloseTo(1, 10);
    expect(logLogSlope([[1, 1]])).toBeNull();
  });

  it('scaled shapes keep the ratings per user; the toy table is the source 3 x 5 table', () => {
    const s = scaleShape(SHAPES['ml-1m'], 0.01);
    expect(s.nnz / s.nUsers).toBeCloseTo(SHAPES['ml-1m'].nnz / SHAPES['ml-1m'].nUsers, -1);
    expect(s.nItems).toBe(Math.round(3706 * 0.1));
    const t = toyTable();
    expect([t.nUsers, t.nItems, t.values.length]).toEqual([3, 5, 11]);
    // Cell by cell, the source's table (0 = "?", not rated).
    const cells = Array.from({ length: 3 }, () => new Array<number>(5).fill(0));
    for (let k = 0; k < t.values.length; k++) {
      expect(cells[t.users[k]][t.items[k]], `(${t.users[k]}, ${t.items[k]}) appears once`).toBe(0);
      cells[t.users[k]][t.items[k]] = t.values[k];
    }
    expect(cells).toEqual([
      [5, 4, 2, 3, 2], // Alice
      [0, 5, 1, 4, 0], // Bob: Sholay ?, Shawshank ?
      [4, 0, 1, 5, 0], // Carol: Swades ?, Shawshank ?
    ]);
  });
});

describe('plots and tables', () => {
  it('ticks cover the range on linear and log axes', () => {
    expect(ticks(0, 10, false)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(ticks(10, 1e5, true)).toEqual([10, 100, 1000, 1e4, 1e5]);
  });

  it('the SVG writer draws one path per multi-point series, escapes text and skips non-positive log values', () => {
    const svg = linePlot({
      title: 'a < b & c',
      xLabel: 'x',
      yLabel: 'y',
      xLog: true,
      yLog: true,
      series: [
        { name: 'one', points: [[1, 1], [10, 100], [100, 0]] },
        { name: 'two "q"', points: [[1, 2], [100, 3]] },
      ],
      hLines: [{ y: 50, label: 'peak' }],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg).toContain(escapeXml('a < b & c'));
    expect(svg).toContain('two &quot;q&quot;');
    expect(svg.match(/<path /g)!.length).toBe(2);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  const fit = (o: Partial<FitRow>): FitRow => ({
    dataset: 'd',
    shape: { nUsers: 10, nItems: 10, nTrain: 100, nTest: 10 },
    algo: 'als',
    backend: 'gpu',
    rank: 4,
    lambda: 0.05,
    iterations: 3,
    secPerIter: { median: 2, min: 1, max: 3, n: 2 },
    setupSec: 0,
    totalSec: 6,
    rmseCurve: [1.2, 1.0, 0.9],
    iterSeconds: [3, 2, 2],
    finalTestRmse: 0.9,
    finalTrainRmse: 0.8,
    peakMemoryMB: 100,
    uploadBytesPerIter: 64,
    downloadBytesPerIter: 16,
    setupUploadBytes: 1024,
    work: { flops: 1, bytes: 1 },
    ...o,
  });

  it('time to target: 1.05 x the best final RMSE, summed over the iterations it took; never reached is null', () => {
    const a = fit({});
    const b = fit({ backend: 'cpu', rmseCurve: [1.5, 1.4, 1.3], finalTestRmse: 1.3 });
    const l = fit({ backend: 'libmf', algo: 'libmf-sgd', rmseCurve: [1.0, 0.93], iterSeconds: undefined, finalTestRmse: 0.93, secPerIter: { median: 0.5, min: 0.5, max: 0.5, n: 1 } });
    timeToTarget([a, b, l]);
    expect(a.targetRmse).toBeCloseTo(0.945);
    expect(a.timeToTargetSec).toBe(7); // 3 + 2 + 2: reached at the third iteration (0.9)
    expect(b.timeToTargetSec).toBeNull();
    expect(l.timeToTargetSec).toBe(1); // second iteration, 2 x 0.5 s
  });

  it('peer ratios divide webmf by LIBMF and skip implicit ALS and failed fits', () => {
    const p = fit({ backend: 'libmf', algo: 'libmf-sgd', secPerIter: { median: 0.5, min: 0.5, max: 0.5, n: 1 }, finalTestRmse: 1.0 });
    const r = peerRatios([fit({}), fit({ algo: 'ials' }), fit({ algo: 'sgd-hogwild', error: 'x' })], [p]);
    expect(r).toHaveLength(1);
    expect(r[0].timeRatio).toBe(4);
    expect(r[0].rmseRatio).toBeCloseTo(0.9);
  });

  it('results.md, results.json and the plots are written with the headline, kernels and projection label', () => {
    const k = (kernel: string, rank: number, pct: number): KernelRow => ({
      kernel, rank, size: 's', flops: 1e9, bytes: 1e8, ms: { median: 1, min: 1, max: 1, n: 3 }, source: 'timestamp',
      gflops: 1000, gbps: 100, pctPeakFlops: pct, pctPeakBw: pct / 2,
    });
    const peerRow = fit({ backend: 'libmf', algo: 'libmf-sgd', secPerIter: { median: 0.5, min: 0.5, max: 0.5, n: 1 }, finalTestRmse: 1.0 });
    const res: BenchResults = {
      env: {
        runtime: 'node', adapter: 'vendor / arch / dev', adapterInfo: { vendor: 'v', architecture: 'a', device: 'd', description: 'x', software: false },
        timestamps: true, cpu: 'Test CPU', cores: 2, date: '2026-01-02', quick: true, runtimeVersion: 'v20',
      },
      method: ['seeded'],
      calibration: {
        fma: { gflops: { median: 2000, min: 1900, max: 2100, n: 3 }, flopsPerRun: 1e9, source: 'timestamp', workgroups: 4 },
        copy: { gbps: { median: 200, min: 190, max: 210, n: 3 }, bytesPerRun: 1e8, source: 'timestamp' },
      },
      kernels: [k('Gram build', 16, 10), k('Gram build', 64, 40), k('Cholesky solve', 16, 5)],
      fits: [fit({})],
      peer: { rows: [peerRow], ratios: peerRatios([fit({})], [peerRow]), version: '0.2.0', threads: 2, note: 'n' },
      scaling: { rows: [{ axis: 'ratings', algo: 'als', backend: 'gpu', x: 1e5, secPerIter: { median: 1, min: 1, max: 1, n: 1 } }, { axis: 'ratings', algo: 'als', backend: 'gpu', x: 1e6, secPerIter: { median: 10, min: 10, max: 10, n: 1 } }], fits: [{ axis: 'ratings', algo: 'als', backend: 'gpu', slope: 1, r2: 1 }], note: 'n' },
      projection: { rows: [{ shape: 'ml-25m', algo: 'als', rank: 16, work: { flops: 1e12, bytes: 1e9 }, device: 'Dev', projected: { seconds: 0.5, bound: 'compute', intensity: 1000 } }], devices: [{ name: 'Dev', gflops: 2000, gbps: 200, source: 's' }] },
      errors: [],
      seconds: 12,
    };
    expect(kernelPeaks(res.kernels!)).toEqual([
      { kernel: 'Gram build', flopsPct: 40, flopsRank: 64, bwPct: 20, bwRank: 64 },
      { kernel: 'Cholesky solve', flopsPct: 5, flopsRank: 16, bwPct: 2.5, bwRank: 16 },
    ]);
    expect(headlineRatios(res)).toHaveLength(1);
    const md = toMarkdown(res);
    expect(md).toContain('vendor / arch / dev');
    expect(md).toContain('Test CPU × 2');
    expect(md).toContain('PROJECTION, NOT A MEASUREMENT');
    expect(md).toMatch(/\| ALS \(Cholesky\) \| GPU \| 4 \| 0\.9 \|/);
    expect(Object.keys(plots(res)).sort()).toEqual(['fit-d.svg', 'kernels-gbps.svg', 'kernels-gflops.svg', 'projection-ml-25m.svg', 'scaling-ratings.svg']);
    const dir = mkdtempSync(join(tmpdir(), 'webmf-bench-'));
    try {
      writeResults(res, dir);
      expect(readdirSync(dir).sort()).toEqual(['fit-d.svg', 'kernels-gbps.svg', 'kernels-gflops.svg', 'projection-ml-25m.svg', 'results.json', 'results.md', 'scaling-ratings.svg', 'summary.md']);
      expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('| 2026-01-02 | vendor / arch / dev, node | d | 4× time, 0.9× RMSE |');
      const back = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchResults;
      expect(back.env.adapter).toBe('vendor / arch / dev');
      expect(back.peer!.ratios[0].timeRatio).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(existsSync(dir)).toBe(false);
  });
});

describe('calibration microkernels on the GPU (checked against closed forms)', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await GpuContext.create();
  });
  afterAll(() => gpu?.destroy());

  it('the FMA kernel computes ITERS steps of c <- m c + a on 3 vec4 chains (f64 closed form), and timeGpu reports finite times', async () => {
    const WG = 64;
    const ITERS = 64; // one pass of the x64-unrolled loop
    const count = 2;
    const m = 0.999;
    const a = 0.001;
    const pipe = gpu.pipeline('test.calib.fma', calibFmaWgsl, { WG, ITERS });
    const out = gpu.storage('test.calib.fma.out', count * WG * 4);
    const prm = new ArrayBuffer(16);
    new Float32Array(prm, 0, 2).set([m, a]);
    new Uint32Array(prm, 8, 1)[0] = count;
    const params = gpu.uniform('test.calib.fma.params', new Uint8Array(prm));
    try {
      const bg = gpu.bindGroup('test.calib.fma', pipe, [params, out]);
      const t = await gpu.scoped(() =>
        timeGpu(gpu, (enc) => {
          const pass = enc.beginComputePass();
          gpu.dispatch(pass, pipe, bg, count);
          pass.end();
        }, { warmup: 1, runs: 2 }),
      );
      expect(t.ms.n).toBe(2);
      expect(Number.isFinite(t.ms.median) && t.ms.median > 0).toBe(true);
      const got = await gpu.readF32(out);
      const mf = Math.fround(m);
      const af = Math.fround(a);
      for (let gid = 0; gid < count * WG; gid++) {
        const s = Math.fround((gid & 1023) * Math.fround(1e-4));
        let sum = 0;
        for (let c = 0; c < 3; c++) for (let l = 0; l < 4; l++) {
          let x = s + l * 0.1 + c * 0.01;
          for (let i = 0; i < ITERS; i++) x = mf * x + af;
          sum += x;
        }
        // 12 lanes x 64 steps of f32 rounding on values < 1 (sum >= 2.5): each lane is off <= 65 u absolute, so
        // <= 12 x 65 u / 2.5 = 4.7e-5 relative; 1e-4 is ample and still far below a dropped chain (about 1%)
        expect(Number.isFinite(got[gid])).toBe(true);
        expect(Math.abs(got[gid] - sum) / Math.abs(sum)).toBeLessThan(1e-4);
      }
    } finally {
      out.destroy();
      params.destroy();
    }
  });

  it('the copy kernel copies every vec4 exactly, including a ragged tail', async () => {
    const nVec = 1000;
    const per = 4;
    const WG = 64;
    const wgs = Math.ceil(nVec / (WG * per));
    const data = Float32Array.from({ length: nVec * 4 }, (_, i) => i * 0.5 - 7);
    const src = gpu.storage('test.copy.src', data);
    const dst = gpu.storage('test.copy.dst', (nVec + 16) * 16);
    const prm = gpu.uniform('test.copy.params', new Uint32Array([nVec, per, wgs, 0]));
    try {
      const pipe = gpu.pipeline('test.calib.copy', calibCopyWgsl, { WG });
      await gpu.scoped(async () => {
        const enc = gpu.device.createCommandEncoder();
        const pass = enc.beginComputePass();
        gpu.dispatch(pass, pipe, gpu.bindGroup('test.copy', pipe, [prm, src, dst]), wgs);
        pass.end();
        gpu.submit(enc);
      });
      const got = await gpu.readF32(dst);
      for (let i = 0; i < data.length; i++) if (got[i] !== data[i]) throw new Error(`copy[${i}] = ${got[i]}, expected ${data[i]}`);
      for (let i = data.length; i < got.length; i++) if (got[i] !== 0) throw new Error(`wrote past n at ${i}: ${got[i]}`);
    } finally {
      src.destroy();
      dst.destroy();
      prm.destroy();
    }
  });
});
