/**
 * `npm run bench:als [-- --out DIR]`: the GPU ALS fits of the speed targets, in one run beside their
 * peers (Node, Dawn):
 *  1. synthetic ml-1m (bench/lib/synth.ts), rank 16, ALS-WR (lambda 0.05 per rating), 5 iterations,
 *     as the `fits` suite runs it: seconds per iteration (median of iterations 2..5, wall time with
 *     the per-iteration train and validation loss) and whole-fit wall time with the upload;
 *  2. MovieLens latest-small (90/10, seed 7), biased ALS-WR rank 32, 10 iterations, lambda 0.05,
 *     against LIBMF's 20 SGD epochs at rank 32 (the `bench:cpu` comparison): wall of whole fits,
 *     median of 3, interleaved; beside them the same fit with `dualSolve: false` (every row through
 *     the K x K Cholesky, as before the dual solve of short rows), so the gain is a same-run ratio.
 * Writes bench/results/<date>-<adapter>-als/{results.json,results.md}.
 */
import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GpuContext, adapterName } from '../src/gpu/context.ts';
import { fitAls, type AlsOptions } from '../src/train/als/index.ts';
import { residuals } from '../src/reference/reference.ts';
import { splitRandom } from '../src/data/split.ts';
import type { Ratings } from '../src/data/ratings.ts';
import type { FitResult, IterationReport } from '../src/model/types.ts';
import { SHAPES, benchSplit, synthOf } from './lib/synth.ts';
import { loadMovielens, BENCH_ROOT } from './lib/node.ts';
import { libmfMatrix, loadLibmf } from './lib/libmf.ts';

const argv = process.argv.slice(2);
const outArg = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : undefined;
const lines: string[] = [];
const log = (s = '') => {
  console.log(s);
  lines.push(s);
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const gpu = await GpuContext.create();
const adapter = adapterName(gpu.adapter);
const date = new Date().toISOString().slice(0, 10);
const results: Record<string, unknown> = { date, adapter, cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadStart: os.loadavg()[0] };
log(`# GPU ALS fits (${date}, ${adapter}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} at the start)`);
log();
try {
  // ---------------------------------------------------------------- synthetic ml-1m
  {
    const { train, test } = benchSplit(synthOf('ml-1m', SHAPES['ml-1m']));
    const secs: number[] = [];
    const curve: number[] = [];
    const t0 = performance.now();
    await fitAls(train, {
      rank: 16, lambda: 0.05, weightedLambda: true, useBias: false, iterations: 5, trackDelta: false, backend: 'gpu', gpu, validation: test, seed: 42,
      onIteration: (r: IterationReport) => {
        secs.push(r.seconds);
        if (r.validationRmse !== undefined) curve.push(r.validationRmse);
      },
    });
    const wall = (performance.now() - t0) / 1000;
    const perIter = median(secs.slice(1));
    results.ml1m = { secPerIter: perIter, iterations: secs, wall, validationRmse: curve };
    log(`## synthetic ml-1m (${train.nUsers} x ${train.nItems}, ${train.values.length} train ratings), ALS-WR rank 16, 5 iterations`);
    log();
    log(`${perIter.toFixed(3)} s per iteration (median of iterations 2..5: ${secs.slice(1).map((s) => s.toFixed(3)).join(', ')}); whole fit ${wall.toFixed(2)} s with the upload; validation RMSE ${curve.map((x) => x.toFixed(4)).join(' → ')}`);
    log();
  }
  // ---------------------------------------------------------------- MovieLens latest-small vs LIBMF
  const ml: Ratings | null = await loadMovielens(log);
  if (!ml) log('MovieLens latest-small is not obtainable here; its comparison is skipped.');
  else {
    const { Loss, Matrix, Model, version } = await loadLibmf();
    const { train, test } = splitRandom(ml, { testFraction: 0.1, seed: 7 });
    const mTrain = libmfMatrix({ Matrix }, train);
    const mTest = libmfMatrix({ Matrix }, test);
    const threads = os.cpus().length;
    const libmf = () => {
      const t0 = performance.now();
      const m = new Model({ loss: Loss.REAL_L2, factors: 32, threads, iterations: 20, lambdaP2: 0.05, lambdaQ2: 0.05, learningRate: 0.1, quiet: true });
      m.fit(mTrain);
      const s = (performance.now() - t0) / 1000;
      const rmse = m.rmse(mTest);
      m.destroy();
      return { s, rmse };
    };
    const als: AlsOptions = { rank: 32, iterations: 10, useBias: true, weightedLambda: true, lambda: 0.05, lambdaBias: 0.05, backend: 'gpu', gpu, seed: 1, trackDelta: false };
    const webmf = async (o: Partial<AlsOptions> = {}) => {
      const t0 = performance.now();
      const f: FitResult = await fitAls(train, { ...als, ...o });
      const s = (performance.now() - t0) / 1000;
      return { s, rmse: residuals(test.users, test.items, test.values, f.model.userFactors, f.model.itemFactors, f.model.stride, f.model.mu).rmse };
    };
    await webmf(); // warm-up: pipeline compilation is not counted
    await webmf({ dualSolve: false });
    const L: { s: number; rmse: number }[] = [];
    const A: { s: number; rmse: number }[] = [];
    const P: { s: number; rmse: number }[] = [];
    for (let rep = 0; rep < 3; rep++) {
      L.push(libmf());
      A.push(await webmf());
      P.push(await webmf({ dualSolve: false }));
    }
    const lm = { s: median(L.map((x) => x.s)), rmse: L[0].rmse };
    const am = { s: median(A.map((x) => x.s)), rmse: A[0].rmse };
    const pm = { s: median(P.map((x) => x.s)), rmse: P[0].rmse };
    results.movielens = { libmf: lm, als: am, alsNoDual: pm, runs: { libmf: L, als: A, alsNoDual: P } };
    log(`## MovieLens latest-small (${ml.nUsers} x ${ml.nItems}; train ${train.values.length}, test ${test.values.length}) vs LIBMF ${version} (wall of whole fits, median of 3, interleaved)`);
    log();
    log('| run | wall s | / LIBMF wall | test RMSE | / LIBMF RMSE |');
    log('|---|---:|---:|---:|---:|');
    log(`| LIBMF: SGD rank 32, 20 epochs, lambda 0.05, lr 0.1 (AdaGrad), ${threads} threads | ${lm.s.toFixed(3)} | 1 | ${lm.rmse.toFixed(4)} | 1 |`);
    log(`| webmf GPU: ALS-WR biased, rank 32, 10 iterations, lambda 0.05 (upload and per-iteration train loss included) | ${am.s.toFixed(3)} | ${(am.s / lm.s).toFixed(2)}x | ${am.rmse.toFixed(4)} | ${(am.rmse / lm.rmse).toFixed(4)} |`);
    log(`| the same with dualSolve: false (every row through the K x K Cholesky) | ${pm.s.toFixed(3)} | ${(pm.s / lm.s).toFixed(2)}x | ${pm.rmse.toFixed(4)} | ${(pm.rmse / lm.rmse).toFixed(4)} |`);
    log();
  }
} finally {
  gpu.destroy();
}
results.loadEnd = os.loadavg()[0];
log(`load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
const out = outArg ?? join(BENCH_ROOT, 'results', `${date}-${adapter.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '').toLowerCase()}-als`);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2));
writeFileSync(join(out, 'results.md'), lines.join('\n') + '\n');
console.log(`wrote ${out}`);
