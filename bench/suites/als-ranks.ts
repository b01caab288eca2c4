/**
 * ALS ranks (the ALS issue's benchmark): seconds per ALS iteration at ranks 16, 32, 64 and 128 on a
 * 1M-rating synthetic set (the full ml-1m shape: 6,040 × 3,706, 1,000,209 ratings), GPU vs CPU.
 * The GPU pipelines of each rank are compiled by an uncounted warm-up fit on a tiny set of the same
 * rank, so even a single timed iteration excludes compilation. Not in the default suite list (it is
 * long on a software adapter): `--suites als-ranks`.
 * Browser-safe.
 */
import { fitAls } from '../../src/train/als/index.ts';
import { iterationWork } from '../lib/roofline.ts';
import { SHAPES, scaleShape, synthOf } from '../lib/synth.ts';
import { stats } from '../lib/timing.ts';
import type { AlsRankRow, BenchCtx } from '../lib/types.ts';
import { LAMBDA } from './fits.ts';

export async function runAlsRanks(ctx: BenchCtx, ranks = [16, 32, 64, 128]): Promise<AlsRankRow[]> {
  const slow = ctx.gpu.adapter.software;
  const iterations = ctx.quick || slow ? 1 : 3;
  const shape = ctx.quick ? scaleShape(SHAPES['ml-1m'], 0.05) : SHAPES['ml-1m'];
  const data = synthOf('ml-1m', shape, 1234);
  const tiny = synthOf('ml-1m', scaleShape(SHAPES['ml-1m'], 0.005), 4321);
  const rows: AlsRankRow[] = [];
  for (const rank of ranks) {
    for (const backend of ['gpu', 'cpu'] as const) {
      const gpu = backend === 'gpu' ? ctx.gpu : undefined;
      const opts = { rank, lambda: LAMBDA, weightedLambda: true, useBias: false, trackDelta: false, backend, gpu, seed: 42 };
      if (gpu) await fitAls(tiny, { ...opts, iterations: 1 });
      const secs: number[] = [];
      await fitAls(data, { ...opts, iterations, onIteration: (r) => secs.push(r.seconds) });
      const st = stats(secs);
      const work = iterationWork('als', { nUsers: data.nUsers, nItems: data.nItems, nnz: data.values.length, rank });
      rows.push({ rank, backend, nRatings: data.values.length, iterations, secPerIter: st, gflopsPerIter: work.flops / 1e9, achievedGflops: work.flops / st.median / 1e9 });
      ctx.log(`als-ranks: rank ${rank} ${backend}: ${st.median.toFixed(2)} s/iter (${(work.flops / st.median / 1e9).toFixed(3)} GFLOP/s)`);
    }
  }
  return rows;
}
