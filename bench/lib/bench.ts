/**
 * The benchmark's one orchestration, shared by Node (bench/run.ts) and the Chrome page
 * (bench/page.ts): Calibration → Kernels → Fits → Peer (supplied by the Node side) → Scaling →
 * Projection. A failing suite is recorded in `errors` and the others still run.
 * Browser-safe.
 */
import { adapterName, type GpuContext } from '../../src/gpu/context.ts';
import { runCalibration } from '../suites/calibration.ts';
import { KERNEL_RANKS, runKernels } from '../suites/kernels.ts';
import { fitDatasets, runFits, timeToTarget, type FitDataset } from '../suites/fits.ts';
import { runScaling } from '../suites/scaling.ts';
import { runProjection } from '../suites/projection.ts';
import { runAlsRanks } from '../suites/als-ranks.ts';
import type { BenchCtx, BenchEnv, BenchResults, FitRow } from './types.ts';

export const SUITES = ['calibration', 'kernels', 'fits', 'peer', 'scaling', 'projection', 'als-ranks'] as const;
/** What runs without --suites ('als-ranks' is long on a software adapter; ask for it). */
export const DEFAULT_SUITES: SuiteName[] = ['calibration', 'kernels', 'fits', 'peer', 'scaling', 'projection'];
export type SuiteName = (typeof SUITES)[number];

export const METHOD = [
  'Seeded inputs everywhere (synthetic data from src/data/synthetic.ts, seeded splits, seeded factors).',
  'Every timed quantity has an uncounted warm-up; kernels and calibration report the median of N runs with min and max; fits report the median seconds per iteration over iterations 2..n with min and max.',
  'GPU time comes from timestamp queries (begin/end of every compute pass, summed) when the adapter offers them; otherwise wall time from submit to a completed readback.',
  'Kernel problem sizes are searched per adapter (bench/suites/kernels.ts growToTarget): from a share of an ml-1m fit (1,024 rows of 100 ratings, 256k SGD ratings, 256 top-k users), grown x4 while a run is under a quarter of the target time (about 200 ms) and shrunk only while over 4x it, so per-dispatch overhead does not dominate; the sizes are in the tables.',
  'FLOP and byte counts are analytic (bench/lib/roofline.ts): useful FLOPs (upper triangle for the Gram build, K³/3 + 2K² per Cholesky solve) and compulsory bytes; % of peak is against this adapter\'s calibration microkernels.',
  'Fits run through the public engines (fitAls, fitSgd); λ = 0.05 per rating for everyone (webmf ALS uses the ALS-WR weighting, the same objective as LIBMF\'s λ_p2 = λ_q2); SGD uses LIBMF\'s AdaGrad rule at learning rate 0.1 for both.',
  'Peak memory is the host process (Node RSS / Chrome JS heap) sampled after every iteration; WebGPU does not report device memory.',
];

export interface PeerHook {
  (datasets: FitDataset[], fits: FitRow[]): Promise<NonNullable<BenchResults['peer']>>;
}

export interface RunOptions {
  suites?: SuiteName[];
  peer?: PeerHook;
  /** Kernel ranks (default 16..256; --quick: 16, 64, 256). */
  ranks?: number[];
  /** ALS-by-rank ranks (default 16, 32, 64, 128). */
  alsRanks?: number[];
}

export function makeEnv(gpu: GpuContext, runtime: 'node' | 'browser', quick: boolean, cpu: string, cores: number, runtimeVersion: string): BenchEnv {
  return {
    runtime,
    adapter: adapterName(gpu.adapter),
    adapterInfo: gpu.adapter,
    timestamps: gpu.hasTimestamps,
    cpu,
    cores,
    date: new Date().toISOString().slice(0, 10),
    quick,
    runtimeVersion,
  };
}

export async function runAll(ctx: BenchCtx, opts: RunOptions = {}): Promise<BenchResults> {
  const t0 = performance.now();
  const want = new Set<SuiteName>(opts.suites ?? DEFAULT_SUITES);
  const res: BenchResults = { env: ctx.env, method: METHOD, errors: [], seconds: 0 };
  const load0 = ctx.load?.() ?? null;
  if (load0 !== null) (res.env.loadAverage ??= {}).start = +load0.toFixed(2);
  const guard = async <T>(suite: string, fn: () => Promise<T>): Promise<T | undefined> => {
    const s0 = performance.now();
    ctx.log(`== ${suite}`);
    try {
      return await fn();
    } catch (e) {
      const err = e as Error;
      ctx.log(`${suite} failed: ${err.name}: ${err.message}`);
      res.errors.push({ suite, message: `${err.name}: ${err.message}` });
      return undefined;
    } finally {
      const load = ctx.load?.() ?? null;
      if (load !== null) (res.env.loadAverage ??= {})[suite] = +load.toFixed(2);
      ctx.log(`== ${suite} done in ${((performance.now() - s0) / 1000).toFixed(1)} s${load !== null ? ` (load average ${load.toFixed(2)})` : ''}`);
    }
  };
  if (want.has('calibration') || want.has('kernels') || want.has('projection')) {
    res.calibration = await guard('calibration', () => runCalibration(ctx));
  }
  if (want.has('kernels')) {
    const ranks = opts.ranks ?? (ctx.quick ? [16, 64, 256] : KERNEL_RANKS);
    res.kernels = await guard('kernels', () => runKernels(ctx, res.calibration, ranks));
  }
  let datasets: FitDataset[] = [];
  if (want.has('fits') || want.has('peer')) {
    datasets = (await guard('datasets', () => fitDatasets(ctx))) ?? [];
  }
  if (want.has('fits')) res.fits = await guard('fits', () => runFits(ctx, datasets));
  if (want.has('peer') && opts.peer) {
    const peer = opts.peer;
    res.peer = await guard('peer', () => peer(datasets, res.fits ?? []));
  }
  if (res.fits) timeToTarget([...res.fits, ...(res.peer?.rows ?? [])]);
  if (want.has('scaling')) {
    const sc = await guard('scaling', () => runScaling(ctx));
    if (sc) {
      res.scaling = {
        rows: sc.rows,
        fits: sc.fits,
        note:
          'Each point trains 2 iterations and reports the second. Points whose predicted time exceeds the per-point budget were skipped' +
          (sc.skipped.length ? `: ${sc.skipped.join('; ')}.` : ' (none were).'),
      };
    }
  }
  if (want.has('als-ranks')) res.alsRanks = await guard('als-ranks', () => runAlsRanks(ctx, opts.alsRanks));
  if (want.has('projection')) res.projection = await guard('projection', async () => runProjection(res.calibration, res.fits ?? []));
  res.seconds = (performance.now() - t0) / 1000;
  return res;
}
