/**
 * The demo's engine, in a dedicated Web Worker: it owns its own GPU device (navigator.gpu works in
 * workers), the loaded data and split, the training runs and the trained model, and posts only
 * small messages back (iteration reports, top-k lists, PCA coordinates). The page's main thread
 * therefore never runs anything heavier than drawing.
 */
/// <reference lib="webworker" />
import { probeEngines } from '../cpu-engine/auto.ts';
import { sharedMemoryUnavailable } from '../cpu-engine/pool.ts';
import { type GpuContext, adapterName } from '../gpu/context.ts';
import { acquireGpu } from '../gpu/acquire.ts';
import { AbortError } from '../core/errors.ts';
import { buildCsr, type Csr, type Ratings } from '../data/ratings.ts';
import type { Dataset } from '../data/dataset.ts';
import { fitAls } from '../train/als/index.ts';
import { fitSgd } from '../train/sgd/index.ts';
import { Model } from '../model/model.ts';
import type { FactorModelData, FitResult, IterationReport } from '../model/types.ts';
import { describeRanker, fitRankingModel, withRanking } from '../model/ranking.ts';
import { splitRandom } from '../data/split.ts';
import { tune } from '../tune/tune.ts';
import { loadSource } from './sources.ts';
import { pca3 } from './pca.ts';
import { MapRenderer } from './map-render.ts';
import { makeEnv, runAll } from '../../bench/lib/bench.ts';
import type { BenchCtx } from '../../bench/lib/types.ts';
import type { DataStats, FromWorker, ItemInfo, RunSummary, ScoredItem, ToWorker, TrainSettings, UserInfo } from './protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

interface State {
  ds: Dataset;
  train: Ratings;
  test: Ratings;
  /** Training ratings by user (for "their top-rated items" and the model's seen filter). */
  byUser: Csr;
  itemCount: Uint32Array;
  itemMean: Float32Array;
  titles: string[];
  lowerTitles: string[];
}

let gpu: GpuContext | null = null;
let adapter = '';
let state: State | null = null;
let model: Model | null = null;
/** The kept model's data and where it runs: the ranking model is fitted beside it on first use. */
let kept: { data: FactorModelData; backend: 'gpu' | 'cpu'; seed: number } | null = null;
let youIndex = -1;
let running: AbortController | null = null;
let busy: Promise<void> = Promise.resolve();
let mapRenderer: MapRenderer | null = null;
let minCount = 1;

/** Items with at least `minCount` training ratings (undefined: all). */
function candidates(): number[] | undefined {
  const s = state!;
  if (minCount <= 1) return undefined;
  const out: number[] = [];
  for (let i = 0; i < s.itemCount.length; i++) if (s.itemCount[i] >= minCount) out.push(i);
  return out;
}

function post(m: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(m, transfer);
}

function progress(phase: string, fraction: number, text: string): void {
  post({ type: 'progress', phase, fraction, text });
}

/**
 * Device memory in use, measured: every buffer the engine creates on this worker's device adds its
 * size, and its destroy() takes it off again. A run reports its peak above what was live before it.
 */
const meter = { live: 0, peak: 0 };
function meterDevice(d: GPUDevice): void {
  const create = d.createBuffer.bind(d);
  d.createBuffer = (desc: GPUBufferDescriptor) => {
    const b = create(desc);
    meter.live += desc.size;
    meter.peak = Math.max(meter.peak, meter.live);
    const destroy = b.destroy.bind(b);
    let gone = false;
    b.destroy = () => {
      if (!gone) meter.live -= desc.size;
      gone = true;
      destroy();
    };
    return b;
  };
}

/** Where the f32 CPU engine runs in this page (workers need cross-origin isolation). */
function cpuWhere(): string {
  const why = sharedMemoryUnavailable();
  return why ? `on one thread: ${why}` : `on ${navigator.hardwareConcurrency || 1} worker threads`;
}

async function init(forceCpu: boolean, deviceLimits: 'adapter' | 'default'): Promise<void> {
  if (forceCpu) {
    post({ type: 'ready', webgpu: false, adapter: '', reason: 'WebGPU turned off for this page (?cpu=1)', engine: 'cpu', engineReason: `no WebGPU: f32 CPU engine ${cpuWhere()}` });
    return;
  }
  try {
    // The library's one way to a GPU; backend 'gpu' throws (with the reason) when there is none.
    gpu = (await acquireGpu({ backend: 'gpu', gpuDeviceLimits: deviceLimits })).gpu!;
    adapter = adapterName(gpu.adapter) + (gpu.adapter.software ? ' (software)' : '');
    meterDevice(gpu.device);
    void gpu.device.lost.then((info) => {
      // The worker never destroys its device: any loss is news the page must show.
      post({ type: 'error', context: 'gpu', message: `GPU device lost (${info.reason}): ${info.message}` });
      gpu = null;
    });
    let engine: 'gpu' | 'cpu' = 'gpu';
    let engineReason = `hardware adapter ${adapter}`;
    if (gpu.adapter.software) {
      // A software adapter: time one small ALS iteration on each engine (rank 16) and default to the faster.
      try {
        const v = await probeEngines(gpu, 16);
        engine = v.engine;
        engineReason = `software adapter: probe at rank 16, GPU ${v.gpuMs.toFixed(0)} ms vs f32 CPU ${v.cpuMs.toFixed(0)} ms per iteration${engine === 'cpu' ? ` (f32 CPU engine ${cpuWhere()})` : ''}`;
      } catch (e) {
        engineReason = `software adapter (probe failed: ${(e as Error).message})`;
      }
    }
    const lim = gpu.device.limits;
    const req = gpu.deviceRequest;
    const limits = req && { deviceLimits: req.deviceLimits, maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize, maxBufferSize: lim.maxBufferSize, adapterMaxStorageBufferBindingSize: req.adapterMaxStorageBufferBindingSize, adapterMaxBufferSize: req.adapterMaxBufferSize };
    post({ type: 'ready', webgpu: true, adapter, engine, engineReason, limits });
  } catch (e) {
    gpu = null;
    post({ type: 'ready', webgpu: false, adapter: '', reason: (e as Error).message, engine: 'cpu', engineReason: `no WebGPU: f32 CPU engine ${cpuWhere()}` });
  }
}

function titleOf(i: number): string {
  const t = state?.titles[i];
  return t || `Item ${String(state?.ds.items.ids[i] ?? i)}`;
}

function computeStats(ds: Dataset, train: Ratings, test: Ratings, detail: string, loadMs: number): DataStats {
  const r = ds.ratings;
  const n = train.values.length + test.values.length;
  const hist = new Map<number, number>();
  const add = (vals: Float32Array) => {
    for (let k = 0; k < vals.length; k++) {
      const v = ds.implicit ? Math.min(20, Math.round(vals[k])) : Math.round(vals[k] * 2) / 2;
      hist.set(v, (hist.get(v) ?? 0) + 1);
    }
  };
  add(train.values);
  add(test.values);
  const bytes = (x: Ratings) => x.users.byteLength + x.items.byteLength + x.values.byteLength + (x.timestamps?.byteLength ?? 0);
  const packed = bytes(train) + (test.values.length ? bytes(test) : 0);
  return {
    name: ds.name,
    users: r.nUsers,
    items: r.nItems,
    ratings: n,
    density: n / (r.nUsers * r.nItems),
    train: train.values.length,
    test: test.values.length,
    implicit: !!ds.implicit,
    scale: ds.scale,
    histogram: [...hist.entries()].sort((a, b) => a[0] - b[0]).map(([value, count]) => ({ value, count })),
    detail,
    loadMs,
    packedBytes: packed,
  };
}

async function load(spec: ToWorker & { type: 'load' }): Promise<void> {
  const t0 = performance.now();
  model?.destroy();
  model = null;
  youIndex = -1;
  state = null;
  const { dataset: ds, detail } = await loadSource(spec.source, progress);
  progress('split', 1, 'splitting 90% train / 10% test');
  const r = ds.ratings;
  const n = r.values.length;
  // A tiny table has nothing to spare for a test set.
  const { train, test } = n >= 100 ? splitRandom(r, { testFraction: 0.1, seed: 7 }) : { train: r, test: { ...r, users: new Int32Array(0), items: new Int32Array(0), values: new Float32Array(0) } };
  // The split holds copies: drop the full arrays (at ML-25M size they are 300 MB).
  if (n >= 100) ds.ratings = { ...train };
  const byUser = buildCsr(train.users, train.items, train.values, r.nUsers, r.nItems);
  const itemCount = new Uint32Array(r.nItems);
  const sum = new Float64Array(r.nItems);
  for (let k = 0; k < train.values.length; k++) {
    itemCount[train.items[k]]++;
    sum[train.items[k]] += train.values[k];
  }
  const itemMean = new Float32Array(r.nItems);
  for (let i = 0; i < r.nItems; i++) itemMean[i] = itemCount[i] ? sum[i] / itemCount[i] : 0;
  const titles = ds.items_meta?.titles ?? [];
  state = { ds, train, test, byUser, itemCount, itemMean, titles, lowerTitles: [] };
  state.lowerTitles = Array.from({ length: r.nItems }, (_, i) => titleOf(i).toLowerCase());
  const stats = computeStats(ds, train, test, detail, performance.now() - t0);
  if (test.values.length) {
    let mean = 0;
    for (let k = 0; k < train.values.length; k++) mean += train.values[k];
    mean /= Math.max(1, train.values.length);
    let sse = 0;
    for (let k = 0; k < test.values.length; k++) sse += (test.values[k] - mean) ** 2;
    stats.meanRmse = Math.sqrt(sse / test.values.length);
    let sst = 0;
    for (let k = 0; k < train.values.length; k++) sst += (train.values[k] - mean) ** 2;
    stats.trainMeanRmse = Math.sqrt(sst / Math.max(1, train.values.length));
  }
  // Users to offer in the picker: a spread of activity levels.
  const counts = Array.from({ length: r.nUsers }, (_, u) => byUser.indptr[u + 1] - byUser.indptr[u]);
  const order = Array.from({ length: r.nUsers }, (_, u) => u).sort((a, b) => counts[b] - counts[a] || a - b);
  const picks = new Set<number>();
  for (let q = 0; q < 24 && q < order.length; q++) picks.add(order[Math.floor((q / 24) ** 2 * order.length)]);
  const sampleUsers: UserInfo[] = [...picks].map((u) => ({ index: u, id: String(ds.users.ids[u]), count: counts[u] }));
  post({ type: 'loaded', stats, sampleUsers, popular: popularItems(24) });
}

function popularItems(k: number): ItemInfo[] {
  const s = state!;
  const idx = Array.from({ length: s.ds.ratings.nItems }, (_, i) => i).sort((a, b) => s.itemCount[b] - s.itemCount[a] || a - b);
  return idx.slice(0, k).map((i) => ({ index: i, title: titleOf(i), count: s.itemCount[i], mean: s.itemMean[i] }));
}

function label(st: TrainSettings): string {
  return { als: 'ALS', ials: 'implicit ALS', 'sgd-hogwild': 'SGD (Hogwild)', 'sgd-stratified': 'SGD (stratified)', gd: 'GD' }[st.algo];
}

async function train(m: ToWorker & { type: 'train' }): Promise<void> {
  const s = state;
  if (!s) throw new Error('load a dataset first');
  const st = m.settings;
  const ctrl = new AbortController();
  running = ctrl;
  const history: IterationReport[] = [];
  const t0 = performance.now();
  const onIteration = (report: IterationReport) => {
    history.push(report);
    post({ type: 'iter', runId: m.runId, report, elapsed: (performance.now() - t0) / 1000 });
  };
  const backend = st.backend;
  const common = { rank: st.rank, lambda: st.lambda, useBias: st.useBias && st.algo !== 'ials', seed: st.seed, backend, gpu: backend === 'gpu' ? gpu! : undefined, onIteration, signal: ctrl.signal } as const;
  const validation = s.test.values.length ? s.test : undefined;
  const summary: RunSummary = { runId: m.runId, label: m.label || label(st), algo: st.algo, backend, adapter: backend === 'gpu' ? adapter : undefined, history, seconds: 0, stopped: 'iterations', modelKept: false };
  if (backend === 'gpu' && !gpu) {
    // No silent fallback: a GPU run without a device is an error the page shows.
    running = null;
    post({ type: 'trained', summary: { ...summary, error: 'no GPU device in this page (no WebGPU, or the device was lost); choose the CPU backend' } });
    return;
  }
  let fit: FitResult | null = null;
  const base = meter.live;
  meter.peak = meter.live;
  summary.shape = { users: s.train.nUsers, items: s.train.nItems, ratings: s.train.values.length };
  // The stop rules (the CLI's --tolerance / --early-stopping), applied by the library's loop on either backend.
  const tolerance = st.algo === 'als' || st.algo === 'ials' ? (st.tolerance ?? 0) : 0;
  const patience = st.algo !== 'ials' && validation ? (st.earlyStopping ?? 0) : 0;
  const once = (iterations: number, extra: { init?: { users: Float32Array; items: Float32Array }; seed?: number; learningRate?: number; onIteration?: (r: IterationReport) => void }) =>
    st.algo === 'als' || st.algo === 'ials'
      ? fitAls(s.train, {
          ...common,
          ...extra,
          implicit: st.algo === 'ials',
          alpha: st.alpha,
          weightedLambda: st.weightedLambda,
          iterations,
          validation: st.algo === 'als' ? validation : undefined,
          tolerance,
          earlyStopping: patience ? { patience } : undefined,
        })
      : fitSgd(s.train, {
          ...common,
          ...extra,
          algo: st.algo === 'gd' ? 'gd' : 'sgd',
          mode: st.algo === 'sgd-stratified' ? 'stratified' : 'hogwild',
          learningRate: extra.learningRate ?? st.learningRate,
          epochs: iterations,
          validation,
          earlyStopping: patience ? { patience } : undefined,
        });
  try {
    // One fit, on either backend: the training loop yields between iterations (and the CPU SGD
    // engine inside long epochs), so the worker hears "stop" without re-fitting per epoch.
    fit = await once(st.iterations, {});
    summary.stopped = fit.stopped;
    if (fit.parallelism) summary.parallelism = fit.parallelism;
  } catch (e) {
    if (e instanceof AbortError || ctrl.signal.aborted) {
      summary.stopped = 'stopped';
      // a stop keeps the last finished iteration
      fit = (e as AbortError).result ?? null;
    } else summary.error = (e as Error).message;
  } finally {
    running = null;
  }
  summary.seconds = (performance.now() - t0) / 1000;
  if (backend === 'gpu') summary.deviceBytes = meter.peak - base;
  if (fit && m.keepModel) {
    model?.destroy();
    const data = { ...fit.model, ratingScale: s.ds.scale, userIds: undefined, itemIds: undefined };
    model = new Model(data, { gpu: backend === 'gpu' ? gpu! : undefined, seen: s.byUser });
    kept = { data, backend, seed: st.seed };
    youIndex = -1;
    summary.modelKept = true;
  }
  post({ type: 'trained', summary });
}

/** Choose rank: the library's tune() on the training split, each rung posted as it finishes; 'stop' keeps the best so far. */
async function tuneRun(m: ToWorker & { type: 'tune' }): Promise<void> {
  const s = state;
  if (!s) throw new Error('load a dataset first');
  const st = m.settings;
  if (st.backend === 'gpu' && !gpu) throw new Error('no GPU device in this page (no WebGPU, or the device was lost); choose the CPU backend');
  const ctrl = new AbortController();
  running = ctrl;
  const t0 = performance.now();
  const device = st.backend === 'gpu' ? gpu! : undefined;
  try {
    const algo = st.algo === 'ials' ? 'ials' : st.algo.startsWith('sgd') ? 'sgd' : 'als';
    const r = await tune(s.train, {
      algo,
      grid: { rank: m.ranks, lambda: m.lambdas },
      iterations: m.iterations,
      seed: st.seed,
      als: algo === 'ials' ? { backend: st.backend, gpu: device, alpha: st.alpha } : { backend: st.backend, gpu: device, useBias: st.useBias, weightedLambda: st.weightedLambda },
      sgd: { backend: st.backend, gpu: device, learningRate: st.learningRate, useBias: st.useBias, mode: st.algo === 'sgd-stratified' ? 'stratified' : 'hogwild' },
      signal: ctrl.signal,
      onRung: (trial) => post({ type: 'tuneRung', trial }),
    });
    post({ type: 'tuneDone', trials: r.trials, best: r.best, stopped: r.stopped, metric: r.metric, uploads: r.uploads, validationRatings: r.validationRatings, seconds: (performance.now() - t0) / 1000 });
  } finally {
    running = null;
  }
}

function requireModel(): Model {
  if (!model) throw new Error('train a model first (Train tab)');
  return model;
}

function scored(index: Uint32Array, score: Float32Array): ScoredItem[] {
  return Array.from(index, (i, k) => ({ index: i, title: titleOf(i), score: score[k] }));
}

/**
 * The model that ranks for the Recommend tab, and what it is: as `recommend` in the library and the
 * CLI, an explicit model ranks by its ranking model (implicit ALS on who rated what, fitted here on
 * the same training split the first time it is asked for, on the same backend); 'explicit' ranks
 * by predicted rating. An implicit model ranks by itself.
 */
async function ranker(rankBy: 'ranking' | 'explicit'): Promise<{ mdl: Model; rankedBy: string; implicitScores: boolean }> {
  const mdl = requireModel();
  const k = kept!;
  if (k.data.implicit) return { mdl, rankedBy: describeRanker(k.data, false), implicitScores: true };
  if (rankBy === 'explicit') return { mdl, rankedBy: `predicted rating: ${describeRanker(k.data, false)}`, implicitScores: false };
  if (!k.data.ranking) {
    const s = state!;
    const rk = await fitRankingModel(s.train, { backend: k.backend, gpu: k.backend === 'gpu' ? gpu! : undefined, seed: k.seed });
    const data = withRanking(k.data, rk.model);
    const next = new Model(data, { gpu: k.backend === 'gpu' ? gpu! : undefined, seen: s.byUser });
    model?.destroy();
    model = next;
    kept = { ...k, data };
    youIndex = -1; // the new model has no folded-in user yet: the next fold-in makes it again
  }
  return { mdl: model!, rankedBy: describeRanker(kept!.data.ranking!, true), implicitScores: true };
}

async function userInfo(user: number, k: number, rankBy: 'ranking' | 'explicit'): Promise<void> {
  const s = state!;
  requireModel();
  const { mdl, rankedBy, implicitScores } = await ranker(rankBy);
  const { indptr, indices, values } = s.byUser;
  if (!(user >= 0 && user < s.ds.ratings.nUsers)) throw new Error(`user index ${user} out of range [0, ${s.ds.ratings.nUsers})`);
  const rows: ScoredItem[] = [];
  for (let p = indptr[user]; p < indptr[user + 1]; p++) rows.push({ index: indices[p], title: titleOf(indices[p]), score: values[p], rating: values[p] });
  rows.sort((a, b) => b.score - a.score || s.itemCount[b.index] - s.itemCount[a.index]);
  const [top] = await mdl.recommendIndices(Uint32Array.of(user), { k, include: candidates(), rankBy: rankBy === 'explicit' ? 'explicit' : 'auto' });
  post({ type: 'userResult', user, userId: String(s.ds.users.ids[user]), rated: rows.slice(0, k), nRated: rows.length, recs: scored(top.index, top.score), rankedBy, implicitScores });
}

async function foldIn(ratings: [number, number][], k: number, rankBy: 'ranking' | 'explicit'): Promise<void> {
  requireModel();
  const { mdl, rankedBy, implicitScores } = await ranker(rankBy);
  const t0 = performance.now();
  const r = mdl.foldIn({ items: ratings.map((x) => x[0]), values: ratings.map((x) => x[1]) }, youIndex >= 0 ? { userId: youIndex } : {});
  youIndex = r.index;
  const [top] = await mdl.recommendIndices(Uint32Array.of(youIndex), { k, include: candidates(), rankBy: rankBy === 'explicit' ? 'explicit' : 'auto' });
  post({ type: 'foldInResult', user: youIndex, recs: scored(top.index, top.score), ms: performance.now() - t0, rankedBy, implicitScores, nRatings: ratings.length });
}

async function similar(item: number, k: number): Promise<void> {
  const mdl = requireModel();
  const s = state!;
  // Neighbours among the items that pass the rating-count floor: ask for more, keep the first k.
  const want = minCount > 1 ? Math.min(s.itemCount.length - 1, k * 8) : k;
  const r = await mdl.similarIndices('item', item, want);
  const keep = Array.from(r.index.keys()).filter((j) => s.itemCount[r.index[j]] >= minCount).slice(0, k);
  post({ type: 'similarResult', item, title: titleOf(item), items: keep.map((j) => ({ index: r.index[j], title: titleOf(r.index[j]), score: r.score[j] })) });
}

function search(query: string, limit: number, channel: 'you' | 'similar'): void {
  const s = state!;
  const q = query.trim().toLowerCase();
  const hits: number[] = [];
  if (q) for (let i = 0; i < s.lowerTitles.length; i++) if (s.lowerTitles[i].includes(q)) hits.push(i);
  hits.sort((a, b) => s.itemCount[b] - s.itemCount[a] || a - b);
  post({ type: 'searchResult', query, channel, items: hits.slice(0, limit).map((i) => ({ index: i, title: titleOf(i), count: s.itemCount[i], mean: s.itemMean[i] })) });
}

function pca(maxPoints: number): void {
  const s = state!;
  const mdl = requireModel();
  const n = s.ds.ratings.nItems;
  // The most-rated items: their factors are the best determined, and the map stays legible.
  const order = Array.from({ length: n }, (_, i) => i).filter((i) => s.itemCount[i] >= Math.max(1, minCount)).sort((a, b) => s.itemCount[b] - s.itemCount[a] || a - b);
  const rows = Uint32Array.from(order.slice(0, maxPoints));
  const { coords, explained } = pca3(mdl.itemFactors, mdl.stride, mdl.rank, rows);
  const genres = s.ds.items_meta?.genres;
  const names: string[] = [];
  const nameIdx = new Map<string, number>();
  const groups = new Uint8Array(rows.length);
  rows.forEach((i, j) => {
    const g = genres?.[i]?.[0] ?? 'all';
    let id = nameIdx.get(g);
    if (id === undefined) {
      id = names.length < 12 ? names.length : 11;
      if (names.length < 12) names.push(g);
      nameIdx.set(g, id);
    }
    groups[j] = id;
  });
  const counts = Uint32Array.from(rows, (i) => s.itemCount[i]);
  post({ type: 'pcaResult', coords, indices: rows, titles: Array.from(rows, (i) => titleOf(i)), counts, groups, groupNames: names, explained }, [coords.buffer]);
}

let benchStopped = false;

/**
 * The Benchmark tab: the bench's own orchestration (bench/lib/bench.ts runAll) with the calibration, kernel and
 * projection suites, on this worker's device, so the result is the object `npm run bench` writes to results.json.
 * Stop ends the kernel suite after the kernel it is timing; the rows finished so far are kept and sent.
 */
async function bench(m: Extract<ToWorker, { type: 'bench' }>): Promise<void> {
  if (!gpu) throw new Error('no GPU device in this page (no WebGPU, or the device was lost): there is nothing to benchmark');
  benchStopped = false;
  const dev = gpu;
  const env = makeEnv(dev, 'browser', m.quick, 'not reported by the browser', navigator.hardwareConcurrency ?? 0, navigator.userAgent);
  const ctx: BenchCtx = { gpu: dev, quick: m.quick, env, log: (line) => post({ type: 'benchLog', line }), memory: () => null, stopped: () => benchStopped };
  post({ type: 'benchLog', line: `webmf bench (browser, demo): ${env.adapter} | ${m.quick ? 'quick' : 'full'}` });
  const result = await runAll(ctx, { suites: ['calibration', 'kernels', 'projection'], ...(m.ranks?.length ? { ranks: m.ranks } : {}) });
  const stopped = benchStopped;
  if (stopped) (result.notes ??= []).push(`stopped by the user after ${result.kernels?.length ?? 0} kernel rows (the rows are the kernels that had finished)`);
  post({ type: 'benchDone', result, stopped });
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init':
      return init(m.forceCpu, m.deviceLimits ?? 'default');
    case 'load':
      return load(m);
    case 'train':
      return train(m);
    case 'tune':
      return tuneRun(m);
    case 'user':
      return userInfo(m.user, m.k, m.rankBy ?? 'ranking');
    case 'foldIn':
      return foldIn(m.ratings, m.k, m.rankBy ?? 'ranking');
    case 'similar':
      return similar(m.item, m.k);
    case 'search':
      return search(m.query, m.limit, m.channel);
    case 'pca':
      return pca(m.maxPoints);
    case 'bench':
      return bench(m);
    default:
      return;
  }
}

scope.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  // Stop and the map's drawing act at once (even mid-training); everything else runs in order.
  try {
    switch (m.type) {
      case 'stop':
        running?.abort(new AbortError('stopped by the user'));
        return;
      case 'benchStop':
        benchStopped = true;
        return;
      case 'mapCanvas':
        if (gpu) mapRenderer = new MapRenderer(gpu.device, m.canvas);
        return;
      case 'mapPoints':
        mapRenderer?.setPoints(m.instances);
        return;
      case 'minCount':
        minCount = Math.max(1, Math.floor(m.n) || 1);
        return;
      case 'mapFrame':
        mapRenderer?.draw(m.frame).catch((e: unknown) => post({ type: 'error', context: 'map', message: (e as Error)?.message ?? String(e) }));
        return;
    }
  } catch (e) {
    post({ type: 'error', context: m.type, message: (e as Error)?.message ?? String(e) });
    return;
  }
  busy = busy.then(() =>
    handle(m).catch((e: unknown) => {
      post({ type: 'error', context: m.type, message: (e as Error)?.message ?? String(e) });
    }),
  );
};
