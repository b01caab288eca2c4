/**
 * `npm run bench:als-profile [-- ml|ml-1m] [--split]`: where the GPU time of an ALS fit goes, pass by
 * pass (Node, Dawn; needs the 'timestamp-query' feature). Every compute pass of the second of two
 * identical fits (the first compiles the pipelines) gets begin/end timestamps; the sums per pass
 * label are printed, largest first. `--split` encodes each side's normal-equation build and its
 * Cholesky solve as separate passes (the engine puts both in one), so the two are told apart.
 *  - `ml` (default): MovieLens latest-small (90/10, seed 7), biased ALS-WR rank 32, 10 iterations,
 *    lambda 0.05, as `bench:als` runs it;
 *  - `ml-1m`: synthetic ml-1m, ALS-WR rank 16, 5 iterations, with validation, as `bench:als` runs it.
 * This is a diagnostic, not a result: timestamps around every pass add their own cost, and the
 * wall time printed is that of the instrumented fit.
 */
import { GpuContext, adapterName } from '../src/gpu/context.ts';
import { NormalEqSolver } from '../src/kernels/normal-eq.ts';
import { fitAls, type AlsOptions } from '../src/train/als/index.ts';
import { splitRandom } from '../src/data/split.ts';
import type { Ratings } from '../src/data/ratings.ts';
import { loadMovielens } from './lib/node.ts';
import { SHAPES, benchSplit, synthOf } from './lib/synth.ts';

const argv = process.argv.slice(2);
const which = argv.find((a) => !a.startsWith('--')) ?? 'ml';
const gpu = await GpuContext.create();
if (!gpu.hasTimestamps) throw new Error('als-profile: this adapter has no timestamp queries');
const dev = gpu.device;
const SLOTS = 4096;
const qs = dev.createQuerySet({ type: 'timestamp', count: SLOTS });
const labels: string[] = [];
let recording = false;
let phase = '';
if (argv.includes('--split')) {
  // build, then solve, each in its own pass (encodeCholesky solves one batch: fine at these sizes)
  NormalEqSolver.prototype.encode = function (this: NormalEqSolver, enc: GPUCommandEncoder, X: GPUBuffer, Y: GPUBuffer, opts: { base?: GPUBuffer } = {}) {
    phase = 'build';
    this.encodeBuild(enc, X, Y, opts);
    phase = 'solve';
    this.encodeCholesky(enc, X, Y, opts);
    phase = '';
  };
}
// every compute pass of the recorded fit writes its begin/end timestamps into the next two slots
const encoderProto = Object.getPrototypeOf(dev.createCommandEncoder());
const beginPass = encoderProto.beginComputePass;
encoderProto.beginComputePass = function (this: GPUCommandEncoder, desc: GPUComputePassDescriptor = {}) {
  if (recording && labels.length * 2 + 2 <= SLOTS) {
    const at = labels.length * 2;
    desc = { ...desc, timestampWrites: { querySet: qs, beginningOfPassWriteIndex: at, endOfPassWriteIndex: at + 1 } };
    labels.push((desc.label ?? '(unlabelled)') + (phase ? `/${phase}` : ''));
  }
  return beginPass.call(this, desc);
};

let train: Ratings;
let opts: AlsOptions;
if (which === 'ml') {
  const ml = await loadMovielens(() => {});
  if (!ml) throw new Error('als-profile: MovieLens latest-small is not available (Debian r-cran-dslabs)');
  train = splitRandom(ml, { testFraction: 0.1, seed: 7 }).train;
  opts = { rank: 32, iterations: 10, useBias: true, weightedLambda: true, lambda: 0.05, lambdaBias: 0.05, backend: 'gpu', gpu, seed: 1, trackDelta: false };
} else if (which === 'ml-1m') {
  const s = benchSplit(synthOf('ml-1m', SHAPES['ml-1m']));
  train = s.train;
  opts = { rank: 16, lambda: 0.05, weightedLambda: true, useBias: false, iterations: 5, trackDelta: false, backend: 'gpu', gpu, seed: 42, validation: s.test };
} else throw new Error(`als-profile: unknown data set '${which}' (ml or ml-1m)`);

await fitAls(train, opts); // pipelines compile here
recording = true;
const t0 = performance.now();
await fitAls(train, opts);
const wall = performance.now() - t0;
recording = false;

const n = labels.length * 2;
const resolve = dev.createBuffer({ size: n * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
const read = dev.createBuffer({ size: n * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
const enc = dev.createCommandEncoder();
enc.resolveQuerySet(qs, 0, n, resolve, 0);
enc.copyBufferToBuffer(resolve, 0, read, 0, n * 8);
dev.queue.submit([enc.finish()]);
await read.mapAsync(GPUMapMode.READ);
const t = new BigInt64Array(read.getMappedRange());
const sums = new Map<string, { ms: number; count: number }>();
let total = 0;
labels.forEach((label, i) => {
  const ms = Number(t[2 * i + 1] - t[2 * i]) / 1e6;
  total += ms;
  const s = sums.get(label) ?? { ms: 0, count: 0 };
  s.ms += ms;
  s.count++;
  sums.set(label, s);
});
console.log(`# ALS pass profile: ${which}, rank ${opts.rank}, ${opts.iterations} iterations, ${adapterName(gpu.adapter)}`);
console.log(`instrumented fit ${(wall / 1000).toFixed(2)} s wall, ${(total / 1000).toFixed(2)} s in ${labels.length} compute passes\n`);
console.log('| pass | ms (all iterations) | share | passes |\n|---|---:|---:|---:|');
for (const [label, s] of [...sums].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`| ${label} | ${s.ms.toFixed(1)} | ${((100 * s.ms) / total).toFixed(1)}% | ${s.count} |`);
}
gpu.destroy();
