/**
 * Model quality (not speed): the measurements behind the defaults and the ranking model.
 *
 *   node scripts/run.mjs bench/models.ts ranking [--data FILE]   baselines vs explicit vs ranking model,
 *                                                                random 90/10 and leave-10-out splits
 *   node scripts/run.mjs bench/models.ts coldstart               item cold start: metadata-derived factors vs baselines
 *   node scripts/run.mjs bench/models.ts defaults [--sets a,b]   explicit ALS-WR + biases over rank x lambda
 *                                                                on several data sets (test RMSE per iteration)
 *   node scripts/run.mjs bench/models.ts sgd [--sets a,b]        SGD's learning rate x schedule (rank, lambda and
 *                                                                epochs at their defaults) on the same data sets
 *
 * Data: MovieLens latest-small from `webmf data get movielens-small` (the offline 2016 snapshot
 * where there is no network), and synthetic sets of the ml-100k, ml-1m (a quarter: 1,510 users) and
 * ml-latest-small shapes. Every split and fit is seeded. Results go to bench/results/models/ as
 * JSON lines and a Markdown table. Runs on the f64 CPU path unless --backend gpu.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRatingsFile } from '../src/data/node.ts';
import { dataGet } from '../src/data/movielens.ts';
import { generatePreset } from '../src/data/synthetic.ts';
import { splitLeaveKOut, splitRandom } from '../src/data/split.ts';
import type { Dataset } from '../src/data/dataset.ts';
import type { Ratings } from '../src/data/ratings.ts';
import { fitAls } from '../src/train/als/index.ts';
import { fitSgd, type SgdSchedule } from '../src/train/sgd/index.ts';
import { DEFAULTS } from '../src/train/options.ts';
import { fitBaseline, fitPopularity } from '../src/model/baseline.ts';
import { fitRankingModel } from '../src/model/ranking.ts';
import { Model } from '../src/model/model.ts';
import { evaluate } from '../src/model/metrics.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { fitContentMap, itemFeatures, rowsFromContent } from '../src/model/content.ts';
import { fitContentMapGpu } from '../src/model/content-gpu.ts';
import { Rng } from '../src/util/random.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'bench/results/models');
const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const backend = (arg('backend') ?? 'cpu') as 'cpu' | 'gpu';
const gpu = backend === 'gpu' ? await GpuContext.create() : undefined;

async function movielensSmall(): Promise<Dataset> {
  const path = arg('data') ?? (await dataGet('movielens-small', { offline: true })).path;
  return readRatingsFile(path);
}

function dataset(name: string): Promise<Dataset> | Dataset {
  if (name === 'movielens-small') return movielensSmall();
  if (name === 'ml-1m-quarter') return generatePreset('ml-1m', { seed: 1, nUsers: 1510, nRatings: 250052 });
  return generatePreset(name, { seed: 1 });
}

function record(file: string, row: Record<string, unknown>): void {
  mkdirSync(outDir, { recursive: true });
  appendFileSync(join(outDir, file), `${JSON.stringify(row)}\n`);
  console.log(JSON.stringify(row));
}

const RANKED = ['precision@10', 'recall@10', 'ndcg@10'];
const round = (v: number) => (Number.isFinite(v) ? +v.toFixed(4) : null);

async function scoreModel(m: Model, test: Ratings, rankBy: 'explicit' | 'ranking' | 'auto', rating: boolean) {
  const r = await evaluate(m, test, { metrics: rating ? ['rmse', 'mae', ...RANKED] : RANKED, rankBy, backend });
  return Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, round(v)]));
}

async function ranking(): Promise<void> {
  const ds = await movielensSmall();
  const file = 'ranking.jsonl';
  const rows: string[] = [];
  for (const [split, s] of [
    ['random 90/10', splitRandom(ds.ratings, { testFraction: 0.1, seed: 1 })],
    ['leave-10-out', splitLeaveKOut(ds.ratings, { k: 10, seed: 1 })],
  ] as const) {
    const { train, test } = s;
    const tr = { ...ds, ratings: train };
    const add = (name: string, metrics: Record<string, number | null>, seconds: number) => {
      record(file, { data: ds.name, split, model: name, ...metrics, seconds: +seconds.toFixed(1) });
      rows.push(`| ${split} | ${name} | ${['rmse', ...RANKED].map((k) => metrics[k] ?? '-').join(' | ')} |`);
    };
    let t0 = performance.now();
    const pop = new Model(fitPopularity(tr).model, { seen: train, gpu });
    add('popularity', await scoreModel(pop, test, 'explicit', false), (performance.now() - t0) / 1000);
    t0 = performance.now();
    const base = new Model(fitBaseline(tr).model, { seen: train, gpu });
    add('baseline mu + b_u + b_i', await scoreModel(base, test, 'explicit', true), (performance.now() - t0) / 1000);
    t0 = performance.now();
    const ex = await fitAls(tr, { rank: 16, lambda: 0.1, useBias: true, weightedLambda: true, iterations: 10, backend, gpu, trackDelta: false });
    const exm = new Model(ex.model, { seen: train, gpu });
    add('explicit ALS-WR + biases, rank 16, lambda 0.1 (own ranking)', await scoreModel(exm, test, 'explicit', true), (performance.now() - t0) / 1000);
    for (const [rank, alpha] of [[16, 5], [16, 1], [16, 20], [32, 5]] as const) {
      t0 = performance.now();
      const rk = await fitRankingModel(train, { rank, alpha, backend, gpu });
      const m = new Model(rk.model, { seen: train, gpu });
      add(`ranking model: implicit ALS on rated events, rank ${rank}, alpha ${alpha}, lambda 0.1`, await scoreModel(m, test, 'explicit', false), (performance.now() - t0) / 1000);
    }
  }
  writeFileSync(join(outDir, 'ranking.md'), `# Ranking on ${ds.name} (${ds.ratings.values.length} ratings), ${backend}\n\nEvery test item relevant, training items left out, ranking over the whole catalogue.\n\n| split | model | test RMSE | precision@10 | recall@10 | NDCG@10 |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
}

async function defaults(): Promise<void> {
  const sets = (arg('sets') ?? 'movielens-small,ml-100k,ml-1m-quarter').split(',');
  const ranks = (arg('ranks') ?? '10,16,32').split(',').map(Number);
  const lambdas = (arg('lambdas') ?? '0.1,0.15,0.2').split(',').map(Number);
  for (const name of sets) {
    const ds = await dataset(name);
    const { train, test } = splitRandom(ds.ratings, { testFraction: 0.1, seed: 1 });
    const base = fitBaseline({ ...ds, ratings: train }, { validation: test });
    record('defaults.jsonl', { data: name, ratings: ds.ratings.values.length, model: 'baseline', testRmse: round(base.history.at(-1)!.validationRmse!) });
    for (const rank of ranks) {
      for (const lambda of lambdas) {
        const t0 = performance.now();
        const f = await fitAls({ ...ds, ratings: train }, { rank, lambda, useBias: true, weightedLambda: true, iterations: 10, backend, gpu, trackDelta: false, validation: test });
        record('defaults.jsonl', { data: name, ratings: ds.ratings.values.length, model: 'als-wr+bias', rank, lambda, testRmsePerIteration: f.history.map((h) => round(h.validationRmse!)), seconds: +((performance.now() - t0) / 1000).toFixed(1) });
      }
    }
  }
}

/**
 * SGD's learning rate and schedule: every schedule over a grid of base rates, each at the library's
 * other SGD defaults (rank, lambda, epochs, no biases, Hogwild), on the data sets of `defaults`.
 * One CPU thread, so Hogwild's order is the seeded one and the numbers repeat run to run. A fit that
 * diverges is recorded as such (its epoch and message), not dropped.
 */
async function sgdDefaults(): Promise<void> {
  const sets = (arg('sets') ?? 'movielens-small,ml-100k,ml-latest-small,ml-1m-quarter').split(',');
  const grid: [SgdSchedule, number[]][] = [
    ['constant', [0.005, 0.01, 0.02, 0.03, 0.04]],
    ['inverse', [0.01, 0.02, 0.03, 0.04, 0.08]],
    ['bold-driver', [0.01, 0.02]],
    ['adagrad', [0.05, 0.1, 0.2]],
  ];
  const D = DEFAULTS.sgd;
  const finals = new Map<string, Map<string, number>>(); // "schedule lr" -> data set -> final test RMSE
  for (const name of sets) {
    const ds = await dataset(name);
    const { train, test } = splitRandom(ds.ratings, { testFraction: 0.1, seed: 1 });
    for (const [schedule, rates] of grid) {
      for (const learningRate of rates) {
        const t0 = performance.now();
        const row = { data: name, ratings: ds.ratings.values.length, model: 'sgd', rank: DEFAULTS.common.rank, lambda: D.lambda, epochs: D.epochs, schedule, learningRate };
        try {
          const f = await fitSgd({ ...ds, ratings: train }, { schedule, learningRate, backend, gpu, threads: 1, validation: test });
          const curve = f.history.map((h) => round(h.validationRmse!));
          record('sgd-defaults.jsonl', { ...row, testRmsePerEpoch: curve, seconds: +((performance.now() - t0) / 1000).toFixed(1) });
          const key = `${schedule} ${learningRate}`;
          (finals.get(key) ?? finals.set(key, new Map()).get(key)!).set(name, curve.at(-1) ?? NaN);
        } catch (e) {
          record('sgd-defaults.jsonl', { ...row, diverged: (e as Error).message.slice(0, 160), seconds: +((performance.now() - t0) / 1000).toFixed(1) });
          const key = `${schedule} ${learningRate}`;
          (finals.get(key) ?? finals.set(key, new Map()).get(key)!).set(name, NaN);
        }
      }
    }
  }
  // The choice: the smallest worst-case ratio to each set's best final test RMSE (a diverged fit counts as infinitely bad).
  const best = new Map(sets.map((n) => [n, Math.min(...[...finals.values()].map((m) => m.get(n) ?? NaN).filter(Number.isFinite))]));
  const worst = (m: Map<string, number>) => Math.max(...sets.map((n) => (Number.isFinite(m.get(n)!) ? m.get(n)! / best.get(n)! : Infinity)));
  const ranked = [...finals.entries()].sort((a, b) => worst(a[1]) - worst(b[1]));
  const current = `${D.schedule.sgd} ${D.learningRate.sgd}`;
  const lines = ranked.map(([k, m]) => {
    const cells = sets.map((n) => (Number.isFinite(m.get(n)!) ? `${m.get(n)!.toFixed(4)} (${(m.get(n)! / best.get(n)!).toFixed(3)})` : 'diverged'));
    const name = k === current ? `**${k}** (default)` : k;
    return `| ${name} | ${cells.join(' | ')} | ${worst(m).toFixed(3)} |`;
  });
  writeFileSync(
    join(outDir, 'sgd-defaults.md'),
    `# SGD learning rate and schedule (${backend})\n\nTest RMSE after ${D.epochs} epochs (random 90/10, seed 1; rank ${DEFAULTS.common.rank}, lambda ${D.lambda}, no biases, Hogwild on one thread), and in brackets its ratio to the best of the grid on that set. Rows by their worst ratio: the first row is the choice that holds across shapes.\n\n| schedule, base rate | ${sets.join(' | ')} | worst ratio |\n|---|${sets.map(() => '---|').join('')}---|\n${lines.join('\n')}\n`,
  );
}

/**
 * Item cold start: 10% of the items (seeded) held out with all their ratings; ALS (defaults) on the
 * rest; held-out ratings predicted from metadata (genres + year through the content map) against
 * the best a model without the item can do: the global mean, and mu + b_u (the user's bias).
 */
async function coldstart(): Promise<void> {
  const ds = await movielensSmall();
  const r = ds.ratings;
  const rng = new Rng(1);
  const held = new Uint8Array(r.nItems);
  for (let i = 0; i < r.nItems; i++) if (rng.next() < 0.1) held[i] = 1;
  const keep: number[] = [];
  const test: number[] = [];
  for (let k = 0; k < r.values.length; k++) (held[r.items[k]] ? test : keep).push(k);
  const pick = (ix: number[]): Ratings => ({ users: Int32Array.from(ix, (k) => r.users[k]), items: Int32Array.from(ix, (k) => r.items[k]), values: Float32Array.from(ix, (k) => r.values[k]), nUsers: r.nUsers, nItems: r.nItems });
  const train = pick(keep);
  const tst = pick(test);
  const fit = await fitAls({ ...ds, ratings: train }, { backend, gpu, trackDelta: false });
  const m = new Model(fit.model, { seen: train, gpu });
  const F = itemFeatures(ds.items_meta!);
  const trained = Array.from({ length: r.nItems }, (_, i) => i).filter((i) => !held[i]);
  const rows: string[] = [];
  const rmse = (pred: (u: number, i: number) => number) => {
    let s = 0;
    for (let k = 0; k < tst.values.length; k++) s += (tst.values[k] - Math.min(5, Math.max(0.5, pred(tst.users[k], tst.items[k])))) ** 2;
    return Math.sqrt(s / tst.values.length);
  };
  const S = m.stride;
  const bu = (u: number) => m.userFactors[u * S + m.rank];
  const add = (name: string, v: number) => {
    record('coldstart.jsonl', { data: ds.name, heldItems: held.reduce((a, b) => a + b, 0), heldRatings: tst.values.length, model: name, rmse: round(v) });
    rows.push(`| ${name} | ${v.toFixed(4)} |`);
  };
  add('global mean', rmse(() => m.mu));
  add('mu + b_u (user bias; what is known without the item)', rmse((u) => m.mu + bu(u)));
  for (const lambda of [1, 10, 100]) {
    const map = gpu ? await fitContentMapGpu(gpu, m, F, { rows: trained, lambda }) : fitContentMap(m, F, { rows: trained, lambda });
    const Y = rowsFromContent(map, m, F.rows, F.n);
    add(`metadata -> factors and bias (ridge, lambda ${lambda})`, rmse((u, i) => {
      let v = m.mu;
      for (let c = 0; c < S; c++) v += m.userFactors[u * S + c] * Y[i * S + c];
      return v;
    }));
  }
  writeFileSync(join(outDir, 'coldstart.md'), `# Item cold start on ${ds.name}: ${tst.values.length} ratings of ${held.reduce((a, b) => a + b, 0)} held-out items\n\nALS with the defaults on the other items; features: ${F.names.length} (genres, year, no-year flag, intercept).\n\n| prediction for a held-out item | test RMSE |\n|---|---|\n${rows.join('\n')}\n`);
}

if (args[0] === 'ranking') await ranking();
else if (args[0] === 'coldstart') await coldstart();
else if (args[0] === 'defaults') await defaults();
else if (args[0] === 'sgd') await sgdDefaults();
else {
  console.error('usage: node scripts/run.mjs bench/models.ts ranking|coldstart|defaults|sgd [--backend cpu|gpu] [--data FILE] [--sets a,b] [--ranks 10,16] [--lambdas 0.1,0.2]');
  process.exitCode = 2;
}
gpu?.destroy();
