/**
 * SGD / GD benchmark (not a test): updates per second and seconds per epoch, GPU vs the CPU engine,
 * at ranks 16..128; then test RMSE and wall time against the npm `libmf` package (native LIBMF,
 * the same SGD family: FPSGD with per-row adaptive rates) on the identical train/test split, with
 * the same rank, lambda and epochs.
 *
 *   node --import ./scripts/register.mjs bench/sgd-bench.ts [--preset=ml-1m] [--ranks=16,32,64,128]
 *        [--timing-epochs=3] [--epochs=20] [--rank=32] [--lambda=0.05] [--threads=<cores>] [--seed=1] [--reps=3]
 *        [--sections=kernel,speed,modes,quality,movielens] [--out=DIR]
 *
 * Sections: `kernel` the Hogwild update alone (one dispatch over pre-shuffled ratings, rank 16 and
 * 32) in M ratings/s and as a share of the copy bandwidth measured by the calibration microkernel in
 * the same run, also as process CPU time per byte against the copy's (a software adapter's work,
 * which a loaded machine does not inflate); `speed`/`modes` s/epoch on the synthetic set; `quality`
 * against LIBMF on it; `movielens` MovieLens latest-small (the offline dslabs snapshot) at rank 32,
 * lambda 0.1, 20 epochs against LIBMF: wall time of the whole fit, test RMSE, time to reach 1.01 x
 * LIBMF's test RMSE, and an SVG of every algorithm's test RMSE against seconds.
 * Results (markdown, JSON, SVG) go to bench/results/<date>-<adapter>-sgd/ (or --out).
 *
 * Data: the seeded synthetic generator (src/data/synthetic.ts, default the ml-1m shape: 6,040 users,
 * 3,706 items, 1,000,209 ratings on 1..5 with power-law degrees and a planted rank-10 signal), split
 * 90/10 at random. Timing: wall time per epoch including the per-epoch training-RMSE reduction and
 * its 16-byte readback (the engine's real loop); the first epoch (pipeline compilation, first
 * upload) is a warm-up and is not counted; the median of the remaining epochs is reported. GPU
 * epochs are given both as wall time (what a caller waits, readback included) and, when the adapter
 * has timestamp queries, as the device time of the epoch's training pass (shuffle + updates).
 */
import os from 'node:os';
import { GpuContext, adapterName } from '../src/gpu/context.ts';
import { fitSgd, type SgdIterationReport, type SgdOptions } from '../src/train/sgd/index.ts';
import { residuals } from '../src/reference/reference.ts';
import { generatePreset } from '../src/data/synthetic.ts';
import { splitRandom } from '../src/data/split.ts';
import type { Ratings } from '../src/data/ratings.ts';
import { libmfMatrix, loadLibmf } from './lib/libmf.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SgdKernel, ratingsBuffer } from '../src/kernels/sgd.ts';
import { packRatings } from '../src/core/sgd-plan.ts';
import { Rng } from '../src/util/random.ts';
import { fitAls } from '../src/train/als/index.ts';
import { calibCopyWgsl } from './lib/calib-shaders.ts';
import { linePlot } from './lib/svg.ts';
import { BENCH_ROOT, loadMovielens } from './lib/node.ts';
import type { FitResult } from '../src/model/types.ts';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? 'true'];
  }),
);
const preset = args.preset ?? 'ml-1m';
const ranks = (args.ranks ?? '16,32,64,128').split(',').map(Number);
const timingEpochs = Number(args['timing-epochs'] ?? 3);
const epochs = Number(args.epochs ?? 20);
const qRank = Number(args.rank ?? 32);
const lambda = Number(args.lambda ?? 0.05);
const threads = Number(args.threads ?? os.cpus().length);
const seed = Number(args.seed ?? 1);
const reps = Number(args.reps ?? 3);
const sections = new Set((args.sections ?? 'kernel,speed,modes,quality,movielens').split(','));

const { Loss, Matrix, Model, version: libmfVersion } = await loadLibmf();

const lines: string[] = [];
const log = (x = '') => {
  console.log(x);
  lines.push(x);
};
const results: Record<string, unknown> = {};
let svg: string | undefined;
const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const testRmse = (m: { userFactors: Float32Array; itemFactors: Float32Array; stride: number; mu: number }, t: Ratings) =>
  residuals(t.users, t.items, t.values, m.userFactors, m.itemFactors, m.stride, m.mu).rmse;

const gpu = await GpuContext.create();
const adapter = adapterName(gpu.adapter);
log(`# webmf SGD benchmark`);
log(`adapter: ${adapter}${gpu.adapter.software ? ' (software rasterizer: GPU figures are CPU-emulated)' : ''}; timestamp queries: ${gpu.hasTimestamps ? 'available' : 'not available (wall time only)'}`);
log(`host: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average at start ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

let t0 = performance.now();
const ds = generatePreset(preset, { seed });
const { train, test } = splitRandom(ds.ratings, { testFraction: 0.1, seed: seed + 1 });
const n = train.values.length;
log(`data: synthetic ${preset} (seed ${seed}): ${ds.ratings.nUsers} users x ${ds.ratings.nItems} items, train ${n}, test ${test.values.length} ratings (generated in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);

/** Median seconds per epoch (wall, and device time of the training pass when timestamps exist) after a one-epoch warm-up. */
async function epochTime(opts: SgdOptions): Promise<{ s: number; gpu?: number; rmse: number }> {
  const reports: SgdIterationReport[] = [];
  const r = await fitSgd(train, { ...opts, epochs: 1 + timingEpochs, seed, onIteration: (x) => reports.push(x) });
  const dev = reports.slice(1).map((x) => x.gpuSeconds).filter((x): x is number => x !== undefined);
  return { s: median(r.history.slice(1).map((h) => h.seconds)), gpu: dev.length ? median(dev) : undefined, rmse: r.history.at(-1)!.trainRmse };
}
const fmtDev = (x?: number) => (x === undefined ? 'n/a' : x.toFixed(3));

/** One submission of `encode`: its wall time to completion and the process CPU time it took (median / min of `runs` after a warm-up). */
async function timeDispatch(encode: (p: GPUComputePassEncoder) => void, runs = 5): Promise<{ wallMs: number; cpuMs: number }> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r <= runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const enc = gpu.device.createCommandEncoder({ label: 'bench.sgd.kernel' });
    const pass = enc.beginComputePass();
    encode(pass);
    pass.end();
    gpu.submit(enc);
    await gpu.device.queue.onSubmittedWorkDone();
    const c = process.cpuUsage(c0);
    if (r === 0) continue;
    walls.push(performance.now() - t0);
    cpus.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(walls), cpuMs: median(cpus) };
}

if (sections.has('kernel')) {
  // The copy microkernel of the calibration suite (four vec4 per invocation), 64 MiB moved.
  const nVec = 2 * 1024 * 1024;
  const src = gpu.storage('bench.copy.src', nVec * 16);
  const dst = gpu.storage('bench.copy.dst', nVec * 16);
  const copyPipe = gpu.pipeline('bench.copy', calibCopyWgsl, { WG: 256 });
  const wgs = Math.ceil(nVec / (256 * 4));
  const prm = gpu.uniform('bench.copy.params', new Uint32Array([nVec, 4, wgs, 0]));
  const copyBg = gpu.bindGroup('bench.copy', copyPipe, [prm, src, dst]);
  const copyBytes = 2 * nVec * 16;
  const nR = 1 << 20;
  const NU = 8192;
  const NI = 4096;
  const rng = new Rng(17);
  const r: Ratings = {
    users: Int32Array.from({ length: nR }, () => rng.int(NU)), items: Int32Array.from({ length: nR }, () => rng.int(NI)),
    values: Float32Array.from({ length: nR }, () => 1 + rng.int(5)), nUsers: NU, nItems: NI,
  };
  const rt = ratingsBuffer(gpu, 'bench.sgd.ratings', packRatings(r));
  log(`## SGD update kernel: one Hogwild dispatch over ${nR} pre-shuffled ratings (${NU} x ${NI}), median of 5 after a warm-up\n`);
  log('Bytes per rating: 12 (the packed rating) + 16 K (both rows read and written). "% of copy" divides the update\'s bytes/s by the copy microkernel\'s, timed just before it; "CPU % of copy" does the same with process CPU time, which other load on the machine does not inflate.\n');
  log('| rank | bias | AdaGrad | lanes | ms | M ratings/s | GB/s | copy GB/s | % of copy | CPU % of copy |');
  log('|---:|---|---|---:|---:|---:|---:|---:|---:|---:|');
  const rows: unknown[] = [];
  for (const K of [16, 32]) {
    for (const [bias, adagrad] of [[false, false], [false, true], [true, false]] as const) {
      const S = bias ? K + 2 : K;
      const W = gpu.storage('bench.sgd.W', Float32Array.from({ length: NU * S }, () => rng.next() * Math.sqrt(3 / K)));
      const H = gpu.storage('bench.sgd.H', Float32Array.from({ length: NI * S }, () => rng.next() * Math.sqrt(3 / K)));
      const k = new SgdKernel(gpu, 'bench.sgd', nR, { rank: K, bias, adagrad, nUsers: NU, nItems: NI }, W, H);
      try {
        k.setStep({ mu: 0, lr: 0.001, lambda: 0.05, lambdaBias: 0.05 });
        const cp = await timeDispatch((p) => gpu.dispatch(p, copyPipe, copyBg, wgs));
        const t = await timeDispatch((p) => k.encodeHogwild(p, rt));
        const bytes = nR * (12 + 16 * K);
        const gbps = bytes / (t.wallMs * 1e6);
        const copyGbps = copyBytes / (cp.wallMs * 1e6);
        const cpuPct = (100 * (bytes / t.cpuMs)) / (copyBytes / cp.cpuMs);
        const row = { rank: K, bias, adagrad, lanes: k.lanes, ms: t.wallMs, mRatingsPerS: nR / t.wallMs / 1e3, gbps, copyGbps, pctCopy: (100 * gbps) / copyGbps, cpuPctCopy: cpuPct };
        rows.push(row);
        log(`| ${K} | ${bias ? 'yes' : 'no'} | ${adagrad ? 'yes' : 'no'} | ${k.lanes} | ${t.wallMs.toFixed(1)} | ${row.mRatingsPerS.toFixed(2)} | ${gbps.toFixed(2)} | ${copyGbps.toFixed(2)} | ${row.pctCopy.toFixed(0)}% | ${cpuPct.toFixed(0)}% |`);
      } finally {
        k.destroy();
        W.destroy();
        H.destroy();
      }
    }
  }
  results.kernel = rows;
  for (const b of [src, dst, prm, rt]) b.destroy();
  log('');
}

if (sections.has('speed')) {
  log(`## Speed: Hogwild SGD, s/epoch and updates/s (median of ${timingEpochs} epochs after 1 warm-up; lr 0.01, lambda ${lambda}, biased)\n`);
  log('| rank | GPU s/epoch (wall) | GPU pass s (timestamps) | GPU updates/s | CPU s/epoch | CPU updates/s | GPU / CPU speed |');
  log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const rank of ranks) {
    const base: SgdOptions = { rank, learningRate: 0.01, lambda, useBias: true };
    const g = await epochTime({ ...base, gpu, backend: 'gpu' });
    const c = await epochTime({ ...base, backend: 'cpu' });
    (results.speed ??= []) as unknown[];
    (results.speed as unknown[]).push({ rank, gpu: g, cpu: c });
    log(`| ${rank} | ${g.s.toFixed(3)} | ${fmtDev(g.gpu)} | ${(n / g.s / 1e6).toFixed(2)} M | ${c.s.toFixed(3)} | ${(n / c.s / 1e6).toFixed(2)} M | ${(c.s / g.s).toFixed(2)}x |`);
  }
}

if (sections.has('modes')) {
  log(`\n## Speed by mode at rank ${qRank} (s/epoch)\n`);
  log('| mode | GPU s/epoch (wall) | GPU pass s (timestamps) | CPU s/epoch |');
  log('|---|---:|---:|---:|');
  for (const [label, o] of [
    ['sgd hogwild', { mode: 'hogwild' }],
    ['sgd stratified (b = 64)', { mode: 'stratified', blocks: 64 }],
    ['sgd hogwild + adagrad', { mode: 'hogwild', schedule: 'adagrad', learningRate: 0.1 }],
    ['gd (full batch)', { algo: 'gd', schedule: 'constant', learningRate: 0.0005 }],
  ] as [string, SgdOptions][]) {
    const base: SgdOptions = { rank: qRank, learningRate: 0.01, lambda, useBias: true, ...o };
    const g = await epochTime({ ...base, gpu, backend: 'gpu' });
    const c = await epochTime({ ...base, backend: 'cpu' });
    log(`| ${label} | ${g.s.toFixed(3)} | ${fmtDev(g.gpu)} | ${c.s.toFixed(3)} |`);
  }
}

if (sections.has('quality')) {
  log(`\n## Quality and wall time vs libmf: rank ${qRank}, lambda ${lambda}, ${epochs} epochs, identical split\n`);
  const mTrain = libmfMatrix({ Matrix }, train);
  const mTest = libmfMatrix({ Matrix }, test);
  t0 = performance.now();
  const lm = new Model({ loss: Loss.REAL_L2, factors: qRank, threads, iterations: epochs, lambdaP2: lambda, lambdaQ2: lambda, learningRate: 0.1, quiet: true });
  lm.fit(mTrain);
  const libmfSeconds = (performance.now() - t0) / 1000;
  const libmfRmse = lm.rmse(mTest);
  lm.destroy();
  const rows: [string, number, number, string][] = [[`libmf ${libmfVersion} (native, ${threads} threads, lr 0.1 adaptive)`, libmfRmse, libmfSeconds, '']];
  for (const [label, o] of [
    ['webmf GPU hogwild, adagrad lr 0.1, no bias (libmf\'s model)', { gpu, backend: 'gpu', schedule: 'adagrad', learningRate: 0.1 }],
    ['webmf GPU hogwild, adagrad lr 0.1, biased', { gpu, backend: 'gpu', schedule: 'adagrad', learningRate: 0.1, useBias: true }],
    ...(gpu.adapter.software
      ? [] // stratified runs b single-group workgroups per sub-epoch: fine on a GPU, minutes on a software rasterizer
      : [['webmf GPU stratified, adagrad lr 0.1, biased', { gpu, backend: 'gpu', mode: 'stratified', blocks: 64, schedule: 'adagrad', learningRate: 0.1, useBias: true }] as [string, SgdOptions]]),
    ['webmf CPU engine, adagrad lr 0.1, biased', { backend: 'cpu', schedule: 'adagrad', learningRate: 0.1, useBias: true }],
  ] as [string, SgdOptions][]) {
    t0 = performance.now();
    const r = await fitSgd(train, { rank: qRank, lambda, epochs, seed, ...o });
    const s = (performance.now() - t0) / 1000;
    const curve = [1, 5, 10, epochs].filter((e) => e <= r.history.length).map((e) => `${e}: ${r.history[e - 1].trainRmse.toFixed(4)}`).join(', ');
    rows.push([label, testRmse(r.model, test), s, curve]);
  }
  log('| engine | test RMSE | wall s (fit) | vs libmf RMSE | vs libmf time | train RMSE by epoch |');
  log('|---|---:|---:|---:|---:|---|');
  for (const [label, rm, s, curve] of rows) {
    log(`| ${label} | ${rm.toFixed(4)} | ${s.toFixed(2)} | ${(((rm - libmfRmse) / libmfRmse) * 100).toFixed(2)}% | ${(s / libmfSeconds).toFixed(1)}x | ${curve} |`);
  }
}
if (sections.has('movielens')) {
  const ml = await loadMovielens(log);
  if (!ml) {
    log('MovieLens latest-small is not obtainable here; the section is skipped.');
  } else {
    const { train: mt, test: mv } = splitRandom(ml, { testFraction: 0.1, seed: 7 });
    const R = 32;
    const LAM = 0.1;
    const EP = 20;
    log(`\n## MovieLens latest-small vs LIBMF: rank ${R}, lambda ${LAM}, ${EP} epochs (train ${mt.values.length}, test ${mv.values.length}; random 90/10, seed 7)\n`);
    const toMatrix = (r: Ratings) => {
      const m = new Matrix();
      for (let k = 0; k < r.values.length; k++) m.push(r.users[k], r.items[k], r.values[k]);
      return m;
    };
    const mTrain = toMatrix(mt);
    const mTest = toMatrix(mv);
    const libmf = (iterations: number) => {
      const t = performance.now();
      const m = new Model({ loss: Loss.REAL_L2, factors: R, threads, iterations, lambdaP2: LAM, lambdaQ2: LAM, learningRate: 0.1, quiet: true });
      m.fit(mTrain);
      const sec = (performance.now() - t) / 1000;
      const rmse = m.rmse(mTest);
      m.destroy();
      return { s: sec, rmse };
    };
    const rm = (f: FitResult) => testRmse(f.model, mv);
    type Run = { label: string; fit: (o: { validation?: Ratings; onIteration?: (x: SgdIterationReport) => void }) => Promise<FitResult> };
    const sgdO: SgdOptions = { rank: R, lambda: LAM, epochs: EP, schedule: 'adagrad', learningRate: 0.1, seed };
    const runs: Run[] = [
      { label: 'webmf GPU SGD hogwild (AdaGrad lr 0.1, no bias: LIBMF\'s model)', fit: (o) => fitSgd(mt, { ...sgdO, gpu, backend: 'gpu', ...o }) },
      { label: 'webmf GPU SGD stratified (AdaGrad lr 0.1, no bias)', fit: (o) => fitSgd(mt, { ...sgdO, mode: 'stratified', gpu, backend: 'gpu', ...o }) },
      { label: 'webmf GPU SGD hogwild (AdaGrad lr 0.1, biased)', fit: (o) => fitSgd(mt, { ...sgdO, useBias: true, gpu, backend: 'gpu', ...o }) },
      { label: 'webmf f32 CPU SGD hogwild (AdaGrad lr 0.1, no bias)', fit: (o) => fitSgd(mt, { ...sgdO, backend: 'cpu', threads, ...o }) },
      {
        label: 'webmf GPU ALS-WR biased (10 iterations, lambda 0.05)',
        fit: (o) => fitAls(mt, { rank: R, iterations: 10, useBias: true, weightedLambda: true, lambda: 0.05, lambdaBias: 0.05, gpu, backend: 'gpu', seed, validation: o.validation, onIteration: o.onIteration }),
      },
    ];
    // Wall time of whole fits (median of `reps`, interleaved with LIBMF), without a validation set.
    const L: { s: number; rmse: number }[] = [];
    const T: { s: number; rmse: number }[][] = runs.map(() => []);
    for (let rep = 0; rep < reps; rep++) {
      L.push(libmf(EP));
      for (const [j, r] of runs.entries()) {
        const t = performance.now();
        const f = await r.fit({});
        T[j].push({ s: (performance.now() - t) / 1000, rmse: rm(f) });
      }
    }
    const med = (xs: { s: number; rmse: number }[]) => ({ s: median(xs.map((x) => x.s)), rmse: median(xs.map((x) => x.rmse)) });
    const lm = med(L);
    const target = 1.01 * lm.rmse;
    // Curves: LIBMF from separate trainings of 1..EP epochs (its setup included, as in its wall);
    // webmf from one fit with the test set as validation (the per-epoch validation loss included).
    const lcurve: [number, number][] = [];
    for (const it of [1, 2, 3, 5, 8, 12, 16, EP]) {
      const x = libmf(it);
      lcurve.push([x.s, x.rmse]);
    }
    const curves: [number, number][][] = [];
    for (const r of runs) {
      const pts: [number, number][] = [];
      let acc = 0;
      const t = performance.now();
      await r.fit({
        validation: mv,
        onIteration: (x) => {
          acc += x.seconds;
          if (x.validationRmse !== undefined) pts.push([acc, x.validationRmse]);
        },
      });
      // shift the curve by the setup (upload, pipelines) so its last point is the fit's wall
      const setup = (performance.now() - t) / 1000 - acc;
      curves.push(pts.map(([x, y]) => [x + Math.max(0, setup), y]));
    }
    const tto = (pts: [number, number][]) => pts.find(([, y]) => y <= target)?.[0];
    const fmtT = (x?: number) => (x === undefined ? 'not reached' : `${x.toFixed(2)} s`);
    log(`Wall time of the whole fit (upload included, as LIBMF's includes its own; median of ${reps}, interleaved). Time to target: the first point of the test-RMSE curve at or below ${target.toFixed(4)} (1.01 x LIBMF's final ${lm.rmse.toFixed(4)}).\n`);
    log('| run | wall s | / LIBMF wall | test RMSE | / LIBMF RMSE | time to target |');
    log('|---|---:|---:|---:|---:|---:|');
    log(`| LIBMF ${libmfVersion} (native, ${threads} threads, lr 0.1 AdaGrad) | ${lm.s.toFixed(3)} | 1 | ${lm.rmse.toFixed(4)} | 1 | ${fmtT(tto(lcurve))} |`);
    const mlRows: unknown[] = [{ label: 'libmf', ...lm, curve: lcurve, timeToTarget: tto(lcurve) }];
    for (const [j, r] of runs.entries()) {
      const x = med(T[j]);
      log(`| ${r.label} | ${x.s.toFixed(3)} | ${(x.s / lm.s).toFixed(2)}x | ${x.rmse.toFixed(4)} | ${(x.rmse / lm.rmse).toFixed(4)} | ${fmtT(tto(curves[j]))} |`);
      mlRows.push({ label: r.label, ...x, curve: curves[j], timeToTarget: tto(curves[j]) });
    }
    results.movielens = { target, rows: mlRows };
    svg = linePlot({
      title: `MovieLens latest-small, rank ${R}: test RMSE against seconds`,
      subtitle: `${adapter}; ${new Date().toISOString().slice(0, 10)}`,
      xLabel: 'seconds (wall, setup included)',
      yLabel: 'test RMSE',
      xLog: true,
      series: [{ name: `LIBMF ${libmfVersion}`, points: lcurve }, ...runs.map((r, j) => ({ name: r.label.replace(/^webmf /, '').replace(/ \(.*/, ''), points: curves[j] }))],
      hLines: [{ y: target, label: '1.01 x LIBMF' }],
    });
  }
}

log(`\n(adapter: ${adapter}; load average at end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
gpu.destroy();
const slug = adapter.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const out = args.out ?? join(BENCH_ROOT, 'results', `${new Date().toISOString().slice(0, 10)}-${slug}-sgd`);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'results.md'), lines.join('\n') + '\n');
writeFileSync(join(out, 'results.json'), JSON.stringify({ adapter, date: new Date().toISOString(), load: os.loadavg(), ...results }, null, 1));
if (svg) writeFileSync(join(out, 'movielens-rmse-vs-seconds.svg'), svg);
console.log(`\nwritten to ${out}`);
