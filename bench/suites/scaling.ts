/**
 * Scaling: seconds per iteration against the number of ratings (10⁴ … 10⁷, ml-1m's ratios of users
 * and items to ratings) and against the rank, for ALS and Hogwild SGD on the GPU and the CPU, with
 * the fitted log-log slope. Each point trains 2 iterations and counts the second (the first pays
 * pipeline compilation). A point whose predicted time (the previous point scaled linearly in the
 * ratings, quadratically in the rank) exceeds the per-point budget is skipped and says so, which
 * keeps a slow adapter's run bounded; the projection covers the sizes it cannot run.
 * Browser-safe.
 */
import type { Ratings } from '../../src/data/ratings.ts';
import { logLogSlope } from '../lib/roofline.ts';
import { shapeForRatings, synthOf } from '../lib/synth.ts';
import type { BenchCtx, ScalingFit, ScalingRow } from '../lib/types.ts';
import { runFit, type FitAlgo } from './fits.ts';

const ALGOS: [FitAlgo, 'gpu' | 'cpu'][] = [
  ['als', 'gpu'],
  ['als', 'cpu'],
  ['sgd-hogwild', 'gpu'],
  ['sgd-hogwild', 'cpu'],
];

export interface ScalingResult {
  rows: ScalingRow[];
  fits: ScalingFit[];
  skipped: string[];
}

export async function runScaling(ctx: BenchCtx): Promise<ScalingResult> {
  const quick = ctx.quick;
  const budgetSec = quick ? 4 : 40;
  const sizes = quick ? [1e4, 3e4, 1e5, 3e5, 1e6] : [1e4, 3e4, 1e5, 3e5, 1e6, 3e6, 1e7];
  const rankN = quick ? 3e4 : 1e5;
  const ranks = quick ? [8, 16, 32, 64] : [8, 16, 32, 64, 128];
  const rows: ScalingRow[] = [];
  const skipped: string[] = [];
  const last = new Map<string, { x: number; sec: number }>();
  const done = new Set<string>();

  const point = async (axis: 'ratings' | 'rank', x: number, data: () => Ratings, rank: number) => {
    for (const [algo, backend] of ALGOS) {
      const key = `${axis}|${algo}|${backend}`;
      if (done.has(key)) continue;
      const prev = last.get(key);
      if (prev) {
        const grow = axis === 'ratings' ? x / prev.x : (x / prev.x) ** 2;
        const predicted = 2 * prev.sec * grow;
        if (predicted > budgetSec) {
          skipped.push(`${axis} ${x}: ${algo} ${backend} (predicted ${predicted.toFixed(0)} s > ${budgetSec} s budget)`);
          done.add(key);
          continue;
        }
      }
      const r = data();
      const row = await runFit(ctx, { name: `scaling ${axis} ${x}`, train: r, test: null, iterations: 2, rank }, algo, backend);
      if (row.error) {
        skipped.push(`${axis} ${x}: ${algo} ${backend} failed: ${row.error}`);
        done.add(key);
        continue;
      }
      rows.push({ axis, algo, backend, x, secPerIter: row.secPerIter });
      last.set(key, { x, sec: row.secPerIter.median });
    }
  };

  for (const n of sizes) {
    let cached: Ratings | null = null;
    await point('ratings', n, () => (cached ??= synthOf('ml-1m', shapeForRatings(n), 99)), 16);
  }
  const base = synthOf('ml-1m', shapeForRatings(rankN), 98);
  for (const k of ranks) await point('rank', k, () => base, k);

  const fits: ScalingFit[] = [];
  for (const axis of ['ratings', 'rank'] as const) {
    for (const [algo, backend] of ALGOS) {
      const pts = rows.filter((r) => r.axis === axis && r.algo === algo && r.backend === backend).map((r) => [r.x, r.secPerIter.median] as [number, number]);
      const f = logLogSlope(pts);
      fits.push({ axis, algo, backend, slope: f?.slope ?? null, r2: f?.r2 ?? null });
    }
  }
  for (const s of skipped) ctx.log(`scaling: skipped ${s}`);
  return { rows, fits, skipped };
}
