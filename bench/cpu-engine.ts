/**
 * The f32 CPU engine's benchmark (not a test), all ratios measured in one run:
 *  1. Gram build GFLOP/s (the 4x4-blocked JS kernel, and the WebAssembly SIMD one where built),
 *     on 1 thread and on the worker pool, at ranks 16..64;
 *  2. MovieLens latest-small, biased ALS-WR at rank 32, 10 iterations, vs LIBMF's 20 SGD epochs
 *     (wall time and test RMSE on the same 90/10 split);
 *  3. SGD at rank 32, 20 epochs (AdaGrad as LIBMF, biased), vs the same LIBMF run.
 *
 *   node scripts/run.mjs bench/cpu-engine.ts [--threads=N] [--reference] [--gram=false] [--out=DIR]
 *
 * Timing: wall time of whole fits (pool start, upload and statistics included), median of 3
 * runs for webmf and LIBMF alike, interleaved so machine load hits both. Gram: the useful
 * multiply-adds of the upper triangle, n K (K + 1) / 2 per row, 2 flops each, median of 3.
 */
import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitAls, type AlsOptions } from '../src/train/als/index.ts';
import { fitSgd, type SgdOptions } from '../src/train/sgd/index.ts';
import { residuals } from '../src/reference/reference.ts';
import { splitRandom } from '../src/data/split.ts';
import type { Ratings } from '../src/data/ratings.ts';
import type { FitResult } from '../src/model/types.ts';
import { createExec, coreCount } from '../src/cpu-engine/pool.ts';
import { gramWasmBytes } from '../src/cpu-engine/wasm.ts';
import { loadMovielens, BENCH_ROOT } from './lib/node.ts';
import { libmfMatrix, loadLibmf } from './lib/libmf.ts';

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? 'true'];
}));
const threads = Number(args.threads ?? (await coreCount()));
const withReference = args.reference === 'true';
const lines: string[] = [];
const log = (s = '') => {
  console.log(s);
  lines.push(s);
};
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

const { Loss, Matrix, Model, version: libmfVersion } = await loadLibmf();

const date = new Date().toISOString().slice(0, 10);
log(`# f32 CPU engine benchmark (${date})`);
log();
log(`host: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average at start ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; engine threads ${threads}; LIBMF ${libmfVersion} (npm libmf, native) on ${threads} threads`);
log('The machine is shared, so absolute figures move with its load; the ratios are measured side by side in this run.');
log();

// ---------------------------------------------------------------- 1. Gram
const results: Record<string, unknown> = { date, threads, cpu: os.cpus()[0]?.model, load: os.loadavg(), libmf: libmfVersion };
log('## Gram build (the ALS normal equations), GFLOP/s');
log();
log('n = 256 rows per build, the lower triangle in 4 x 4 register tiles, f64 sums; 2 flops per multiply-add; median of 3. SIMD: engine.wat\'s Gram (f64x2, blocks of 32 rows) on the engine\'s shared WebAssembly memory, the kernel the row solver calls; the engine uses it where WebAssembly SIMD and shared memory are available (it gives the JS kernel\'s bits).');
log();
log(`| rank | blocked JS, 1 thread | blocked JS, ${threads} workers | WebAssembly SIMD, 1 thread | WebAssembly SIMD, ${threads} workers | SIMD, ${threads} workers, by CPU time (flops per CPU-second x ${threads}) | SIMD / JS (${threads} workers) |`);
log('|---:|---:|---:|---:|---:|---:|---:|');
const wasm = gramWasmBytes();
const gramRows: { rank: number; js1: number; jsN: number; w1: number; wN: number; wNcpu: number }[] = [];
if (args.gram !== 'false') {
  const pool = await createExec({ threads });
  const one = await createExec({ threads: 1 });
  try {
    for (const rank of [16, 32, 48, 64]) {
      const K = rank;
      const K4 = (K + 3) & ~3;
      const n = 256;
      const time = async (exec: typeof pool, kernel: Uint8Array | null): Promise<number> => {
        const P = exec.f32(n * K4);
        for (let i = 0; i < P.length; i++) P[i] = Math.sin(i * 0.37);
        const counter = exec.i32(1);
        // the SIMD case runs engine.wat's Gram (what the row solver calls) on the engine's shared memory
        const scratch = kernel ? Array.from({ length: exec.threads }, () => exec.f64(n * K4 + K4 * K4)) : [];
        const heap = kernel ? exec.heapFor(P, ...scratch) : null;
        if (kernel && !heap) throw new Error('the engine memory is not available: no SIMD Gram to measure');
        const reps = Math.max(200, Math.round(4e8 / (n * K * (K + 1))));
        const runs: number[] = [];
        const cpuRuns: number[] = [];
        for (let k = 0; k < 4; k++) {
          counter[0] = 0;
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          await exec.run('gramBench', Array.from({ length: exec.threads }, (_, t) => ({ P, n, K, reps, counter, wasm: kernel, heap, scratch: scratch[t] })));
          const s = (performance.now() - t0) / 1000;
          const c = process.cpuUsage(c0);
          const cpu = (c.user + c.system) / 1e6;
          // the first run warms the JIT
          if (k > 0) {
            runs.push((reps * n * K * (K + 1)) / s / 1e9);
            // on dedicated cores: the flops per CPU-second of the process, times the threads that share them
            cpuRuns.push(((reps * n * K * (K + 1)) / cpu / 1e9) * Math.min(exec.threads, os.cpus().length));
          }
        }
        cpuGram.push(median(cpuRuns));
        return median(runs);
      };
      const cpuGram: number[] = [];
      const js1 = await time(one, null);
      const jsN = await time(pool, null);
      const w1 = wasm ? await time(one, wasm) : NaN;
      const wN = wasm ? await time(pool, wasm) : NaN;
      const wNcpu = wasm ? cpuGram[3] : NaN;
      gramRows.push({ rank, js1, jsN, w1, wN, wNcpu });
      log(`| ${rank} | ${js1.toFixed(2)} | ${jsN.toFixed(2)} | ${w1.toFixed(2)} | ${wN.toFixed(2)} | ${wNcpu.toFixed(2)} | ${(wN / jsN).toFixed(2)}x |`);
    }
  } finally {
    pool.destroy();
    one.destroy();
  }
}
results.gram = gramRows;
log();

// ---------------------------------------------------------------- data
const ml = await loadMovielens(log);
if (!ml) {
  log('MovieLens latest-small is not obtainable here; the fit comparisons are skipped.');
} else {
  const { train, test } = splitRandom(ml, { testFraction: 0.1, seed: 7 });
  log(`MovieLens latest-small (dslabs 2016 snapshot): ${ml.nUsers} users x ${ml.nItems} items; train ${train.values.length}, test ${test.values.length} (random 90/10, seed 7)`);
  log();
  const rmseOf = (f: FitResult) => residuals(test.users, test.items, test.values, f.model.userFactors, f.model.itemFactors, f.model.stride, f.model.mu).rmse;
  const mTrain = libmfMatrix({ Matrix }, train);
  const mTest = libmfMatrix({ Matrix }, test);
  const cpuS = (c0: NodeJS.CpuUsage) => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e6;
  };
  const libmf = () => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const m = new Model({ loss: Loss.REAL_L2, factors: 32, threads, iterations: 20, lambdaP2: 0.05, lambdaQ2: 0.05, learningRate: 0.1, quiet: true });
    m.fit(mTrain);
    const s = (performance.now() - t0) / 1000;
    const cpu = cpuS(c0);
    const rmse = m.rmse(mTest);
    m.destroy();
    return { s, rmse, cpu };
  };
  const webmf = async (fit: () => Promise<FitResult>) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const f = await fit();
    return { s: (performance.now() - t0) / 1000, cpu: cpuS(c0), rmse: rmseOf(f) };
  };
  const als: AlsOptions = { rank: 32, iterations: 10, useBias: true, weightedLambda: true, lambda: 0.05, lambdaBias: 0.05, backend: 'cpu', threads, seed: 1 };
  const sgdModes: [string, SgdOptions][] = [
    ['stratified', { mode: 'stratified' }],
    ['hogwild', { mode: 'hogwild' }],
  ];
  const sgd = (o: SgdOptions): SgdOptions => ({ rank: 32, epochs: 20, schedule: 'adagrad', learningRate: 0.1, lambda: 0.05, useBias: true, backend: 'cpu', threads, seed: 1, ...o });
  type Run = { s: number; cpu: number; rmse: number };
  const L: Run[] = [];
  const A: Run[] = [];
  const A2: Run[] = [];
  const S: Record<string, Run[]> = { stratified: [], hogwild: [] };
  for (let rep = 0; rep < 3; rep++) {
    L.push(libmf());
    A.push(await webmf(() => fitAls(train, als)));
    A2.push(await webmf(() => fitAls(train, { ...als, trackDelta: false })));
    for (const [name, o] of sgdModes) S[name].push(await webmf(() => fitSgd(train, sgd(o))));
  }
  const med = (xs: Run[]) => ({ s: median(xs.map((x) => x.s)), cpu: median(xs.map((x) => x.cpu)), rmse: xs[0].rmse });
  const lm = med(L);
  const am = med(A);
  const am2 = med(A2);
  log('## MovieLens latest-small vs LIBMF (wall time of whole fits, median of 3, interleaved)');
  log();
  log('CPU s: the process\'s CPU time during the fit (all its threads: LIBMF\'s and the workers\'), which the other jobs on a shared machine disturb less than the wall time.');
  log();
  log('| run | wall s | / LIBMF wall | CPU s | / LIBMF CPU | test RMSE | / LIBMF RMSE |');
  log('|---|---:|---:|---:|---:|---:|---:|');
  log(`| LIBMF ${libmfVersion}: SGD rank 32, 20 epochs, lambda 0.05, lr 0.1 (AdaGrad), ${threads} threads | ${lm.s.toFixed(3)} | 1 | ${lm.cpu.toFixed(3)} | 1 | ${lm.rmse.toFixed(4)} | 1 |`);
  const row = (label: string, x: { s: number; cpu: number; rmse: number }) =>
    log(`| ${label} | ${x.s.toFixed(3)} | ${(x.s / lm.s).toFixed(2)}x | ${x.cpu.toFixed(3)} | ${(x.cpu / lm.cpu).toFixed(2)}x | ${x.rmse.toFixed(4)} | ${(x.rmse / lm.rmse).toFixed(4)} |`);
  row(`webmf f32 CPU: ALS-WR biased, rank 32, 10 iterations, lambda 0.05 (with the per-iteration convergence quantity)`, am);
  row(`webmf f32 CPU: the same without the convergence quantity (trackDelta: false)`, am2);
  const sm: Record<string, { s: number; cpu: number; rmse: number }> = {};
  for (const [name] of sgdModes) {
    sm[name] = med(S[name]);
    row(`webmf f32 CPU: SGD ${name}, rank 32, 20 epochs, AdaGrad lr 0.1, lambda 0.05, biased`, sm[name]);
  }
  results.movielens = { libmf: lm, als: am, alsNoDelta: am2, sgd: sm };
  if (withReference) {
    const r = await webmf(() => fitAls(train, { ...als, backend: 'reference' }));
    row('webmf f64 reference: the same ALS-WR', r);
    results.reference = { s: r.s, cpu: r.cpu, rmse: r.rmse };
  }
  log();
  const bestSgd = Object.entries(sm).sort((x, y) => x[1].s - y[1].s)[0];
  log(`Targets: ALS <= 5x LIBMF's wall at a better RMSE: ${(am.s / lm.s).toFixed(2)}x (CPU time ${(am.cpu / lm.cpu).toFixed(2)}x), RMSE ${am.rmse.toFixed(4)} vs ${lm.rmse.toFixed(4)}. ` +
    `SGD <= 3x at an RMSE within 1%: ${bestSgd[0]} ${(bestSgd[1].s / lm.s).toFixed(2)}x (CPU time ${(bestSgd[1].cpu / lm.cpu).toFixed(2)}x), RMSE ratio ${(bestSgd[1].rmse / lm.rmse).toFixed(4)}.`);
}
log(`load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

const out = args.out ?? join(BENCH_ROOT, 'results', `${date}-cpu-engine`);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'results.md'), lines.join('\n') + '\n');
writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 1));
console.log(`\nwritten to ${out}`);
