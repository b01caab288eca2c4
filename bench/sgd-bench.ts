/**
 * SGD / GD benchmark (not a test): updates per second and seconds per epoch, GPU vs the CPU engine,
 * at ranks 16..128; then test RMSE and wall time against the npm `libmf` package (native LIBMF,
 * the same SGD family: FPSGD with per-row adaptive rates) on the identical train/test split, with
 * the same rank, lambda and epochs.
 *
 *   node --import ./scripts/register.mjs bench/sgd-bench.ts [--preset=ml-1m] [--ranks=16,32,64,128]
 *        [--timing-epochs=3] [--epochs=20] [--rank=32] [--lambda=0.05] [--threads=<cores>] [--seed=1]
 *        [--sections=speed,modes,quality]
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
import { loadLibmf } from './lib/libmf.ts';

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
const sections = new Set((args.sections ?? 'speed,modes,quality').split(','));

const { Loss, Matrix, Model, version: libmfVersion } = await loadLibmf();

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const testRmse = (m: { userFactors: Float32Array; itemFactors: Float32Array; stride: number; mu: number }, t: Ratings) =>
  residuals(t.users, t.items, t.values, m.userFactors, m.itemFactors, m.stride, m.mu).rmse;

const gpu = await GpuContext.create();
const adapter = adapterName(gpu.adapter);
console.log(`# webmf SGD benchmark`);
console.log(`adapter: ${adapter}${gpu.adapter.software ? ' (software rasterizer: GPU figures are CPU-emulated)' : ''}; timestamp queries: ${gpu.hasTimestamps ? 'available' : 'not available (wall time only)'}`);
console.log(`host: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average at start ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

let t0 = performance.now();
const ds = generatePreset(preset, { seed });
const { train, test } = splitRandom(ds.ratings, { testFraction: 0.1, seed: seed + 1 });
const n = train.values.length;
console.log(`data: synthetic ${preset} (seed ${seed}): ${ds.ratings.nUsers} users x ${ds.ratings.nItems} items, train ${n}, test ${test.values.length} ratings (generated in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);

/** Median seconds per epoch (wall, and device time of the training pass when timestamps exist) after a one-epoch warm-up. */
async function epochTime(opts: SgdOptions): Promise<{ s: number; gpu?: number; rmse: number }> {
  const reports: SgdIterationReport[] = [];
  const r = await fitSgd(train, { ...opts, epochs: 1 + timingEpochs, seed, onIteration: (x) => reports.push(x) });
  const dev = reports.slice(1).map((x) => x.gpuSeconds).filter((x): x is number => x !== undefined);
  return { s: median(r.history.slice(1).map((h) => h.seconds)), gpu: dev.length ? median(dev) : undefined, rmse: r.history.at(-1)!.trainRmse };
}
const fmtDev = (x?: number) => (x === undefined ? 'n/a' : x.toFixed(3));

if (sections.has('speed')) {
  console.log(`## Speed: Hogwild SGD, s/epoch and updates/s (median of ${timingEpochs} epochs after 1 warm-up; lr 0.01, lambda ${lambda}, biased)\n`);
  console.log('| rank | GPU s/epoch (wall) | GPU pass s (timestamps) | GPU updates/s | CPU s/epoch | CPU updates/s | GPU / CPU speed |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const rank of ranks) {
    const base: SgdOptions = { rank, learningRate: 0.01, lambda, useBias: true };
    const g = await epochTime({ ...base, gpu, backend: 'gpu' });
    const c = await epochTime({ ...base, backend: 'cpu' });
    console.log(`| ${rank} | ${g.s.toFixed(3)} | ${fmtDev(g.gpu)} | ${(n / g.s / 1e6).toFixed(2)} M | ${c.s.toFixed(3)} | ${(n / c.s / 1e6).toFixed(2)} M | ${(c.s / g.s).toFixed(2)}x |`);
  }
}

if (sections.has('modes')) {
  console.log(`\n## Speed by mode at rank ${qRank} (s/epoch)\n`);
  console.log('| mode | GPU s/epoch (wall) | GPU pass s (timestamps) | CPU s/epoch |');
  console.log('|---|---:|---:|---:|');
  for (const [label, o] of [
    ['sgd hogwild', { mode: 'hogwild' }],
    ['sgd stratified (b = 64)', { mode: 'stratified', blocks: 64 }],
    ['sgd hogwild + adagrad', { mode: 'hogwild', schedule: 'adagrad', learningRate: 0.1 }],
    ['gd (full batch)', { algo: 'gd', schedule: 'constant', learningRate: 0.0005 }],
  ] as [string, SgdOptions][]) {
    const base: SgdOptions = { rank: qRank, learningRate: 0.01, lambda, useBias: true, ...o };
    const g = await epochTime({ ...base, gpu, backend: 'gpu' });
    const c = await epochTime({ ...base, backend: 'cpu' });
    console.log(`| ${label} | ${g.s.toFixed(3)} | ${fmtDev(g.gpu)} | ${c.s.toFixed(3)} |`);
  }
}

if (sections.has('quality')) {
  console.log(`\n## Quality and wall time vs libmf: rank ${qRank}, lambda ${lambda}, ${epochs} epochs, identical split\n`);
  const toMatrix = (r: Ratings) => {
    const m = new Matrix();
    for (let k = 0; k < r.values.length; k++) m.push(r.users[k], r.items[k], r.values[k]);
    return m;
  };
  const mTrain = toMatrix(train);
  const mTest = toMatrix(test);
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
  console.log('| engine | test RMSE | wall s (fit) | vs libmf RMSE | vs libmf time | train RMSE by epoch |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const [label, rm, s, curve] of rows) {
    console.log(`| ${label} | ${rm.toFixed(4)} | ${s.toFixed(2)} | ${(((rm - libmfRmse) / libmfRmse) * 100).toFixed(2)}% | ${(s / libmfSeconds).toFixed(1)}x | ${curve} |`);
  }
}
console.log(`\n(adapter: ${adapter}; load average at end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
gpu.destroy();
