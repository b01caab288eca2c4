/**
 * Peer (Node only): LIBMF through the npm `libmf` package (native LIBMF via koffi), on the identical
 * train/test split, with the same rank, λ (per rating: LIBMF's λ_p2 = λ_q2 = λ; webmf ALS uses the
 * ALS-WR weighting that is the same objective) and iterations, and LIBMF's AdaGrad SGD at the same
 * learning rate as webmf's SGD runs. LIBMF trains on all the machine's cores.
 *
 * LIBMF gives no per-iteration callback, so the test-RMSE curve comes from training with 1, 2, ..., n
 * iterations (each the median of `reps` trainings), and seconds per iteration from the least-squares
 * slope of T(i) against i, which cancels LIBMF's setup (problem conversion, blocking). When the
 * slope is not positive (tiny problems, timer noise) or n = 1, T(n) / n is used instead.
 */
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ratings } from '../../src/data/ratings.ts';
import { iterationWork } from '../lib/roofline.ts';
import { stats } from '../lib/timing.ts';
import type { BenchCtx, FitRow, PeerRatio } from '../lib/types.ts';
import { LAMBDA, SGD_LR, type FitDataset } from './fits.ts';

/** The part of ankane/libmf-node's API used here (the package ships no type declarations). */
interface LibmfMatrix {
  push(row: number, column: number, value: number): void;
}
interface LibmfModel {
  fit(data: LibmfMatrix): void;
  rmse(data: LibmfMatrix): number;
  destroy(): void;
}
interface LibmfModule {
  Matrix: new () => LibmfMatrix;
  Model: new (options: Record<string, number | boolean>) => LibmfModel;
}
const libmfName = 'libmf';
const { Matrix, Model } = (await import(/* @vite-ignore */ libmfName)) as LibmfModule;

function toMatrix(r: Ratings): LibmfMatrix {
  const m = new Matrix();
  for (let k = 0; k < r.values.length; k++) m.push(r.users[k], r.items[k], r.values[k]);
  return m;
}

export function libmfVersion(): string {
  try {
    const main = createRequire(import.meta.url).resolve('libmf');
    return (JSON.parse(readFileSync(main.replace(/src[\\/]index\.js$/, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function runPeer(ctx: BenchCtx, datasets: FitDataset[]): Promise<FitRow[]> {
  const threads = cpus().length;
  const rows: FitRow[] = [];
  for (const ds of datasets) {
    if (!ds.test) continue;
    const train = toMatrix(ds.train);
    const test = toMatrix(ds.test);
    const curve: number[] = [];
    const times: number[] = [];
    const reps = ds.train.values.length < 300_000 ? 3 : 1;
    let trainRmse: number | null = null;
    let peak = ctx.memory() ?? 0;
    let error: string | undefined;
    try {
      for (let it = 1; it <= ds.iterations; it++) {
        const model = new Model({
          factors: ds.rank, iterations: it, lambdaP1: 0, lambdaQ1: 0, lambdaP2: LAMBDA, lambdaQ2: LAMBDA,
          learningRate: SGD_LR, threads, quiet: true,
        });
        const t: number[] = [];
        for (let rep = 0; rep < reps; rep++) {
          const t0 = performance.now();
          model.fit(train);
          t.push((performance.now() - t0) / 1000);
        }
        times.push(stats(t).median);
        curve.push(model.rmse(test));
        if (it === ds.iterations) trainRmse = model.rmse(train);
        peak = Math.max(peak, ctx.memory() ?? 0);
        model.destroy();
      }
    } catch (e) {
      error = `${(e as Error).name}: ${(e as Error).message}`;
    }
    const n = times.length;
    const slope = n > 1 ? linearSlope(times) : 0;
    const per = slope > 0 ? slope : n ? times[n - 1] / n : NaN;
    const row: FitRow = {
      dataset: ds.name,
      shape: { nUsers: ds.train.nUsers, nItems: ds.train.nItems, nTrain: ds.train.values.length, nTest: ds.test.values.length },
      ...(ds.scaleNote ? { scaleNote: ds.scaleNote } : {}),
      algo: 'libmf-sgd',
      backend: 'libmf',
      rank: ds.rank,
      lambda: LAMBDA,
      iterations: n,
      secPerIter: { median: per, min: per, max: per, n: 1 },
      setupSec: n ? Math.max(0, times[n - 1] - n * per) : 0,
      totalSec: times[n - 1] ?? 0,
      rmseCurve: curve,
      finalTestRmse: curve[curve.length - 1] ?? null,
      finalTrainRmse: trainRmse,
      peakMemoryMB: peak ? peak / 2 ** 20 : null,
      uploadBytesPerIter: null,
      downloadBytesPerIter: null,
      setupUploadBytes: null,
      work: iterationWork('sgd-stratified', { nUsers: ds.train.nUsers, nItems: ds.train.nItems, nnz: ds.train.values.length, rank: ds.rank }),
      ...(error ? { error } : {}),
    };
    rows.push(row);
    ctx.log(`peer: ${ds.name} libmf (${threads} threads): ${per.toFixed(4)} s/iter, test RMSE ${row.finalTestRmse?.toFixed(4) ?? '-'}${error ? ` ERROR ${error}` : ''}`);
  }
  return rows;
}

/** Least-squares slope of y[i] against i + 1. */
function linearSlope(y: number[]): number {
  const n = y.length;
  const mx = (n + 1) / 2;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i + 1 - mx) * (y[i] - my);
    sxx += (i + 1 - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

/** webmf / libmf ratios for time per iteration and final test RMSE, per dataset, algorithm and backend. */
export function peerRatios(fits: FitRow[], peer: FitRow[]): PeerRatio[] {
  const out: PeerRatio[] = [];
  for (const p of peer) {
    for (const f of fits) {
      if (f.dataset !== p.dataset || f.algo === 'ials' || f.error || f.backend === 'libmf') continue;
      if (!Number.isFinite(f.secPerIter.median) || !Number.isFinite(p.secPerIter.median)) continue;
      out.push({
        dataset: f.dataset,
        algo: f.algo,
        backend: f.backend,
        rank: f.rank,
        iterations: f.iterations,
        timeRatio: f.secPerIter.median / p.secPerIter.median,
        rmseRatio: f.finalTestRmse !== null && p.finalTestRmse ? f.finalTestRmse / p.finalTestRmse : null,
        webmfSecPerIter: f.secPerIter.median,
        libmfSecPerIter: p.secPerIter.median,
        webmfRmse: f.finalTestRmse,
        libmfRmse: p.finalTestRmse,
      });
    }
  }
  return out;
}
