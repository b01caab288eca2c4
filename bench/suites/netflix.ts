/**
 * The Netflix Prize shape (480,189 users x 17,770 items, 100,480,507 ratings; src/data/synthetic.ts's
 * 'netflix' preset), run only on request: `npm run bench -- --suites netflix [--netflix-ratings N]
 * [--netflix-rank R] [--netflix-backend gpu|cpu|auto]`. Node only (it needs gigabytes of host memory).
 *
 * Records: generate time; peak host memory (RSS and ArrayBuffer bytes, sampled every 20 ms) against
 * the packed arrays (users, items, values: 12 bytes per rating); the device plan and the device memory
 * the fits held at their peak (GpuContext.memory); seconds per ALS iteration and per SGD epoch; test
 * RMSE on a 1% random hold-out. The hold-out is an in-place partition of the generated arrays (test
 * ratings swapped to the tail, train and test are views), so no second copy of the ratings is made.
 * One ALS iteration and one SGD epoch at a small rank: on a software adapter one iteration takes
 * minutes. A fit that fails (a limit, a budget) is recorded with its error, not hidden.
 */
import type { GpuContext } from '../../src/gpu/context.ts';
import { adapterName } from '../../src/gpu/context.ts';
import { generatePreset, SYNTHETIC_PRESETS } from '../../src/data/synthetic.ts';
import type { Ratings } from '../../src/data/ratings.ts';
import { fitAls } from '../../src/train/als/index.ts';
import { fitSgd } from '../../src/train/sgd/index.ts';
import { alsDevicePlan, formatBytes, sgdDevicePlan } from '../../src/gpu/budget.ts';
import { Rng } from '../../src/util/random.ts';
import { loadavg } from 'node:os';

export interface NetflixOptions {
  nRatings?: number;
  rank?: number;
  backend?: 'gpu' | 'cpu' | 'auto';
  seed?: number;
  /** Time SGD on the CPU engine when the GPU refuses it (default true). */
  cpuFallback?: boolean;
}

export interface NetflixFit {
  algo: string;
  backend?: string;
  adapter?: string | null;
  secondsPerIteration?: number;
  wallSeconds?: number;
  trainRmse?: number;
  testRmse?: number;
  devicePeakBytes?: number;
  error?: string;
}

export interface NetflixResult {
  shape: { nUsers: number; nItems: number; nRatings: number; nTrain: number; nTest: number };
  rank: number;
  generateSeconds: number;
  packedBytes: number;
  peakHostBytesGenerate: { rss: number; arrayBuffers: number; rssBefore: number };
  peakHostBytesFits: { rss: number; arrayBuffers: number };
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
  devicePlan: { als: number; sgd: number };
  fits: NetflixFit[];
  notes: string[];
  /** 1-minute load average at the start and the end (other work on the machine stretches every wall time). */
  load?: [number, number];
}

/** Peak RSS and ArrayBuffer bytes between start() and stop(), sampled every 20 ms (and at both ends). */
function memorySampler() {
  let rss = 0;
  let ab = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    ab = Math.max(ab, m.arrayBuffers);
  };
  sample();
  const t = setInterval(sample, 20);
  return {
    sample,
    stop: () => {
      sample();
      clearInterval(t);
      return { rss, arrayBuffers: ab };
    },
  };
}

/** Moves a `fraction` of the ratings (seeded) to the tail in place; train and test are views. */
export function partitionInPlace(r: Ratings, fraction: number, seed: number): { train: Ratings; test: Ratings } {
  const rng = new Rng(seed);
  const n = r.values.length;
  let tail = n;
  for (let k = n - 1; k >= 0 && k < tail; k--) {
    if (rng.next() < fraction) {
      tail--;
      const t = tail;
      const u = r.users[k], i = r.items[k], v = r.values[k];
      r.users[k] = r.users[t]; r.items[k] = r.items[t]; r.values[k] = r.values[t];
      r.users[t] = u; r.items[t] = i; r.values[t] = v;
    }
  }
  const view = (a: number, b: number): Ratings => ({ users: r.users.subarray(a, b), items: r.items.subarray(a, b), values: r.values.subarray(a, b), nUsers: r.nUsers, nItems: r.nItems });
  return { train: view(0, tail), test: view(tail, n) };
}

export async function runNetflix(gpu: GpuContext, log: (s: string) => void, o: NetflixOptions = {}): Promise<NetflixResult> {
  const preset = SYNTHETIC_PRESETS.netflix;
  const nRatings = o.nRatings ?? preset.nRatings;
  const rank = o.rank ?? 4;
  const backend = o.backend ?? 'gpu';
  const notes: string[] = [];
  const load0 = loadavg()[0];
  const rssBefore = process.memoryUsage().rss;
  const mem = memorySampler();
  const t0 = performance.now();
  let last = 0;
  // a smaller run (--netflix-ratings) keeps the shape: users scale with the ratings, items with their square root
  const f = Math.min(1, nRatings / preset.nRatings);
  if (f < 1) notes.push(`scaled down to ${nRatings} ratings: users x ${f.toPrecision(3)}, items x ${Math.sqrt(f).toPrecision(3)}`);
  const ds = generatePreset('netflix', {
    seed: o.seed ?? 1,
    nRatings,
    nUsers: Math.max(1, Math.round(preset.nUsers * f)),
    nItems: Math.max(10, Math.round(preset.nItems * Math.sqrt(f))),
    timestamps: false,
    onProgress: (d, t) => {
      mem.sample();
      if (d - last >= t / 10) {
        last = d;
        log(`  netflix: generated ${d} / ${t}`);
      }
    },
  });
  const generateSeconds = (performance.now() - t0) / 1000;
  const peakGen = { ...mem.stop(), rssBefore };
  const r = ds.ratings;
  const packedBytes = r.users.byteLength + r.items.byteLength + r.values.byteLength;
  log(`  netflix: ${r.values.length} ratings generated in ${generateSeconds.toFixed(1)} s; packed ${formatBytes(packedBytes)}, peak RSS ${formatBytes(peakGen.rss)} (${formatBytes(peakGen.rss - rssBefore)} above the start), peak ArrayBuffers ${formatBytes(peakGen.arrayBuffers)}`);
  const { train, test } = partitionInPlace(r, 0.01, 2);
  const shape = { nUsers: r.nUsers, nItems: r.nItems, nRatings: r.values.length, nTrain: train.values.length, nTest: test.values.length };
  const alsPlan = alsDevicePlan(gpu, { rank, bias: true, implicit: false, nUsers: r.nUsers, nItems: r.nItems, nRatings: shape.nTrain, nValidation: shape.nTest, solver: 'cholesky' });
  const sgdPlan = sgdDevicePlan(gpu, { rank, bias: true, adagrad: false, algo: 'sgd', mode: 'hogwild', nUsers: r.nUsers, nItems: r.nItems, nRatings: shape.nTrain, nValidation: shape.nTest });
  log(`  netflix: device plan at rank ${rank}: ALS ${formatBytes(alsPlan.total)}, SGD ${formatBytes(sgdPlan.total)}; binding limit ${formatBytes(gpu.maxStorageBytes)}`);

  const fits: NetflixFit[] = [];
  const memFits = memorySampler();
  const run = async (algo: string, fn: () => Promise<{ history: { seconds: number; trainRmse: number; validationRmse?: number }[]; backend?: string; adapter?: string }>) => {
    const peak0 = gpu.memory.live;
    (gpu.memory as { peak: number }).peak = peak0;
    const w0 = performance.now();
    try {
      const f = await fn();
      const h = f.history[f.history.length - 1];
      const row: NetflixFit = {
        algo, backend: f.backend, adapter: f.backend === 'gpu' ? (f.adapter ?? adapterName(gpu.adapter)) : null,
        secondsPerIteration: h?.seconds, wallSeconds: (performance.now() - w0) / 1000, trainRmse: h?.trainRmse, testRmse: h?.validationRmse,
        devicePeakBytes: gpu.memory.peak - peak0,
      };
      fits.push(row);
      log(`  netflix: ${algo} on ${row.backend}: ${row.secondsPerIteration?.toFixed(1)} s per iteration (wall ${row.wallSeconds!.toFixed(1)} s), train RMSE ${row.trainRmse?.toFixed(4)}, test RMSE ${row.testRmse?.toFixed(4)}, device peak ${formatBytes(row.devicePeakBytes!)}`);
    } catch (e) {
      const err = e as Error;
      fits.push({ algo, error: `${err.name}: ${err.message}`, wallSeconds: (performance.now() - w0) / 1000 });
      log(`  netflix: ${algo} failed: ${err.name}: ${err.message}`);
    }
  };
  const gpuOpt = backend === 'gpu' ? { backend: 'gpu' as const, gpu } : { backend };
  await run('als', () => fitAls(train, { rank, iterations: 1, seed: 3, validation: test, ...gpuOpt }));
  await run('sgd-hogwild', () => fitSgd(train, { rank, epochs: 1, seed: 3, validation: test, ...gpuOpt }));
  if (backend === 'gpu' && fits[fits.length - 1].error && o.cpuFallback !== false) {
    notes.push('GPU SGD failed (its error is in the table), so the epoch is timed on the f32 CPU engine instead.');
    await run('sgd-hogwild (cpu)', () => fitSgd(train, { rank, epochs: 1, seed: 3, validation: test, backend: 'cpu' }));
  }
  const peakFits = memFits.stop();
  return {
    shape, rank, generateSeconds, packedBytes, peakHostBytesGenerate: peakGen, peakHostBytesFits: peakFits,
    limits: { maxStorageBufferBindingSize: gpu.limits.maxStorageBufferBindingSize, maxBufferSize: gpu.limits.maxBufferSize },
    devicePlan: { als: alsPlan.total, sgd: sgdPlan.total }, fits, notes, load: [load0, loadavg()[0]],
  };
}

export function netflixMarkdown(r: NetflixResult, adapter: string, date: string): string {
  const f = (x: number | undefined, d = 2) => (x === undefined ? '-' : x.toFixed(d));
  const lines = [
    `# Netflix-shaped run (${date}, ${adapter})`,
    '',
    `${r.shape.nRatings} ratings (${r.shape.nTrain} train, ${r.shape.nTest} test), ${r.shape.nUsers} users x ${r.shape.nItems} items, rank ${r.rank}.`,
    '',
    `- generate: ${f(r.generateSeconds, 1)} s`,
    `- packed arrays: ${formatBytes(r.packedBytes)}; peak host memory while generating: RSS ${formatBytes(r.peakHostBytesGenerate.rss)} (${formatBytes(r.peakHostBytesGenerate.rss - r.peakHostBytesGenerate.rssBefore)} above the start, ${f((r.peakHostBytesGenerate.rss - r.peakHostBytesGenerate.rssBefore) / r.packedBytes)}x the packed arrays), ArrayBuffers ${formatBytes(r.peakHostBytesGenerate.arrayBuffers)} (${f(r.peakHostBytesGenerate.arrayBuffers / r.packedBytes)}x)`,
    `- peak host memory during the fits: RSS ${formatBytes(r.peakHostBytesFits.rss)}, ArrayBuffers ${formatBytes(r.peakHostBytesFits.arrayBuffers)}`,
    ...(r.load ? [`- load average (1 min) at the start / end: ${r.load[0].toFixed(1)} / ${r.load[1].toFixed(1)}`] : []),
    `- device limits: maxStorageBufferBindingSize ${formatBytes(r.limits.maxStorageBufferBindingSize)}, maxBufferSize ${formatBytes(r.limits.maxBufferSize)}; device plan: ALS ${formatBytes(r.devicePlan.als)}, SGD ${formatBytes(r.devicePlan.sgd)}`,
    '',
    '| fit | backend | s / iteration | wall s | train RMSE | test RMSE | device memory at peak | error |',
    '|---|---|---|---|---|---|---|---|',
    ...r.fits.map((x) => `| ${x.algo} | ${x.backend ?? '-'} | ${f(x.secondsPerIteration, 1)} | ${f(x.wallSeconds, 1)} | ${f(x.trainRmse, 4)} | ${f(x.testRmse, 4)} | ${x.devicePeakBytes !== undefined ? formatBytes(x.devicePeakBytes) : '-'} | ${x.error ?? ''} |`),
    '',
    ...r.notes.map((n) => `- ${n}`),
  ];
  return lines.join('\n') + '\n';
}
