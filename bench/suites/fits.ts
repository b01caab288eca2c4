/**
 * Fits: whole trainings through the public engines (fitAls, fitSgd) on the GPU and on the CPU,
 * recording seconds per iteration, the test-RMSE curve, time to a target test RMSE, final test
 * RMSE, peak host memory and host↔device bytes per iteration (GpuContext.traffic).
 * Browser-safe; the libmf peer (Node only) lives in peer.ts and reuses `runFit`'s row shape.
 */
import { fitAls } from '../../src/train/als/index.ts';
import { fitSgd } from '../../src/train/sgd/index.ts';
import type { Ratings } from '../../src/data/ratings.ts';
import type { IterationReport } from '../../src/model/types.ts';
import { iterationWork, type Algorithm } from '../lib/roofline.ts';
import { SHAPES, benchSplit, fmtScale, scaleShape, synthOf, toyTable, type Shape } from '../lib/synth.ts';
import { stats } from '../lib/timing.ts';
import type { BenchCtx, FitRow } from '../lib/types.ts';

export interface FitDataset {
  name: string;
  train: Ratings;
  /** Test ratings (null: report the training RMSE only). */
  test: Ratings | null;
  iterations: number;
  rank: number;
  /** Full shape it stands for, and what was scaled on this machine. */
  scaleNote?: string;
}

export type FitAlgo = 'als' | 'ials' | 'sgd-hogwild' | 'sgd-stratified';
export const FIT_ALGOS: FitAlgo[] = ['als', 'ials', 'sgd-hogwild', 'sgd-stratified'];

/** Hyperparameters shared with the libmf peer: λ per rating (ALS-WR weighting), LIBMF's AdaGrad rate. */
export const LAMBDA = 0.05;
export const SGD_LR = 0.1;
export const IALS_ALPHA = 1;

export async function runFit(ctx: BenchCtx, ds: FitDataset, algo: FitAlgo, backend: 'gpu' | 'cpu'): Promise<FitRow> {
  const gpu = backend === 'gpu' ? ctx.gpu : undefined;
  const curve: number[] = [];
  const secs: number[] = [];
  const mem: number[] = [];
  const up: number[] = [];
  const down: number[] = [];
  const t0Traffic = gpu ? { ...gpu.traffic } : null;
  let last = t0Traffic ? { ...t0Traffic } : null;
  let firstIterTraffic: { uploaded: number; downloaded: number } | null = null;
  let trainRmse: number | null = null;
  const m0 = ctx.memory();
  if (m0 !== null) mem.push(m0);
  const onIteration = (r: IterationReport) => {
    secs.push(r.seconds);
    if (r.validationRmse !== undefined) curve.push(r.validationRmse);
    trainRmse = r.trainRmse;
    const m = ctx.memory();
    if (m !== null) mem.push(m);
    if (gpu && last) {
      const now = { ...gpu.traffic };
      if (!firstIterTraffic) firstIterTraffic = now;
      else {
        up.push(now.uploaded - last.uploaded);
        down.push(now.downloaded - last.downloaded);
      }
      last = now;
    }
  };
  const validation = ds.test ?? undefined;
  const t0 = performance.now();
  let error: string | undefined;
  try {
    if (algo === 'als' || algo === 'ials') {
      await fitAls(ds.train, {
        rank: ds.rank,
        lambda: LAMBDA,
        weightedLambda: true,
        useBias: false,
        implicit: algo === 'ials',
        alpha: IALS_ALPHA,
        iterations: ds.iterations,
        trackDelta: false,
        backend,
        gpu,
        validation: algo === 'als' ? validation : undefined,
        seed: 42,
        onIteration,
      });
    } else {
      await fitSgd(ds.train, {
        mode: algo === 'sgd-hogwild' ? 'hogwild' : 'stratified',
        rank: ds.rank,
        lambda: LAMBDA,
        learningRate: SGD_LR,
        schedule: 'adagrad',
        epochs: ds.iterations,
        backend,
        gpu,
        validation,
        seed: 42,
        onIteration,
      });
    }
  } catch (e) {
    error = `${(e as Error).name}: ${(e as Error).message}`;
  }
  const total = (performance.now() - t0) / 1000;
  const counted = secs.length > 1 ? secs.slice(1) : secs;
  const iterSum = secs.reduce((a, b) => a + b, 0);
  const work = iterationWork(algo === 'als' ? 'als' : algo === 'ials' ? 'ials' : algo, {
    nUsers: ds.train.nUsers, nItems: ds.train.nItems, nnz: ds.train.values.length, rank: ds.rank,
  });
  const fi = firstIterTraffic as { uploaded: number; downloaded: number } | null;
  const medUp = up.length ? stats(up).median : null;
  const row: FitRow = {
    dataset: ds.name,
    shape: { nUsers: ds.train.nUsers, nItems: ds.train.nItems, nTrain: ds.train.values.length, nTest: ds.test?.values.length ?? 0 },
    ...(ds.scaleNote ? { scaleNote: ds.scaleNote } : {}),
    algo,
    backend,
    rank: ds.rank,
    lambda: LAMBDA,
    iterations: secs.length,
    secPerIter: counted.length ? stats(counted) : { median: NaN, min: NaN, max: NaN, n: 0 },
    setupSec: Math.max(0, total - iterSum),
    totalSec: total,
    rmseCurve: curve,
    finalTestRmse: algo === 'ials' || !ds.test ? null : (curve[curve.length - 1] ?? null),
    finalTrainRmse: trainRmse,
    peakMemoryMB: mem.length ? Math.max(...mem) / 2 ** 20 : null,
    uploadBytesPerIter: medUp,
    downloadBytesPerIter: down.length ? stats(down).median : null,
    setupUploadBytes: fi && t0Traffic ? fi.uploaded - t0Traffic.uploaded - (medUp ?? 0) : null,
    work,
    ...(error ? { error } : {}),
  };
  if (!curve.length && !error && ds.test && algo !== 'ials') row.error = 'no validation RMSE reported';
  row.iterSeconds = secs;
  ctx.log(
    `fits: ${ds.name} ${algo} ${backend}: ${row.secPerIter.median.toFixed(3)} s/iter, test RMSE ${row.finalTestRmse?.toFixed(4) ?? '-'}` +
      `${error ? ` ERROR ${error}` : ''}`,
  );
  return row;
}

/** Target test RMSE of each dataset: 1.05 × the best final test RMSE any run reached; then each run's time to it. */
export function timeToTarget(rows: FitRow[]): void {
  const byDs = new Map<string, FitRow[]>();
  for (const r of rows) byDs.set(r.dataset, [...(byDs.get(r.dataset) ?? []), r]);
  for (const list of byDs.values()) {
    const finals = list.map((r) => r.finalTestRmse).filter((v): v is number => v !== null && Number.isFinite(v));
    if (!finals.length) continue;
    const target = 1.05 * Math.min(...finals);
    for (const r of list) {
      if (r.finalTestRmse === null) continue;
      r.targetRmse = target;
      const secs = r.iterSeconds;
      let t = 0;
      r.timeToTargetSec = null;
      if (secs) {
        for (let i = 0; i < r.rmseCurve.length; i++) {
          t += secs[i] ?? r.secPerIter.median;
          if (r.rmseCurve[i] <= target) {
            r.timeToTargetSec = t;
            break;
          }
        }
      } else if (r.rmseCurve.length) {
        // libmf: no per-iteration times; uniform iterations
        const i = r.rmseCurve.findIndex((v) => v <= target);
        r.timeToTargetSec = i >= 0 ? (i + 1) * r.secPerIter.median : null;
      }
    }
  }
}

/** The datasets of this run. `scale` shrinks the synthetic shapes on slow adapters (recorded in the tables). */
export async function fitDatasets(ctx: BenchCtx): Promise<FitDataset[]> {
  const out: FitDataset[] = [];
  const slow = ctx.gpu.adapter.software;
  const quick = ctx.quick;
  const rank = 16;
  out.push({ name: 'toy 3×5 (source table)', train: toyTable(), test: null, iterations: quick ? 5 : 10, rank: 2 });
  if (ctx.movielens && !quick) {
    try {
      const ml = await ctx.movielens();
      if (ml) {
        const s = benchSplit(ml);
        out.push({
          name: 'MovieLens latest-small (2016)', train: s.train, test: s.test, iterations: slow ? 5 : 10, rank,
          ...(slow ? { scaleNote: 'full data; 5 iterations on this (software) adapter' } : {}),
        });
      } else ctx.log('fits: MovieLens latest-small not obtainable here; skipped');
    } catch (e) {
      ctx.log(`fits: MovieLens latest-small failed to load (${(e as Error).message}); skipped`);
    }
  }
  // [preset, scale, iterations]: full shapes on hardware; on a software adapter the ml-25m shape is
  // scaled to ~1M ratings (2 iterations) and the quick run scales both
  const sets: [('ml-1m' | 'ml-25m'), number, number][] = slow
    ? quick
      ? [['ml-1m', 0.05, 5], ['ml-25m', 0.002, 2]]
      : [['ml-1m', 1, 5], ['ml-25m', 0.04, 2]]
    : quick
      ? [['ml-1m', 0.1, 5], ['ml-25m', 0.01, 2]]
      : [['ml-1m', 1, 10], ['ml-25m', 1, 3]];
  for (const [preset, scale, iterations] of sets) {
    const shape: Shape = scaleShape(SHAPES[preset], scale);
    const r = synthOf(preset, shape);
    const s = benchSplit(r);
    const full = SHAPES[preset];
    out.push({
      name: `synthetic ${preset}${scale < 1 ? ` ×${fmtScale(scale)}` : ''}`,
      train: s.train,
      test: s.test,
      iterations,
      rank,
      ...(scale < 1
        ? { scaleNote: `scaled ×${fmtScale(scale)} of ${full.nUsers}×${full.nItems}, ${full.nnz} ratings (users and ratings ×${fmtScale(scale)}, items ×${fmtScale(Math.sqrt(scale))}); ${iterations} iteration(s); the full shape is in the projection` }
        : {}),
    });
  }
  return out;
}

export async function runFits(ctx: BenchCtx, datasets: FitDataset[], algos: FitAlgo[] = FIT_ALGOS): Promise<FitRow[]> {
  const rows: FitRow[] = [];
  for (const ds of datasets) {
    for (const algo of algos) {
      for (const backend of ['gpu', 'cpu'] as const) rows.push(await runFit(ctx, ds, algo, backend));
    }
  }
  return rows;
}

export function algorithmOf(a: FitAlgo): Algorithm {
  return a;
}
