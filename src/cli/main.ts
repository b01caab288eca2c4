/**
 * The `webmf` command line: train, recommend, similar, eval (and `data`, see src/cli/data.ts).
 * Results go to stdout (one JSON object with --json); progress and warnings go to stderr. Any error
 * is one line on stderr and a non-zero exit (2 for a command-line mistake, 1 otherwise).
 */
import { adapterName, type GpuContext } from '../gpu/context.ts';
import { acquireGpu } from '../gpu/acquire.ts';
import { AbortError, DeviceLostError, DivergenceError, InputError, WebmfError } from '../core/errors.ts';
import type { Ratings } from '../data/ratings.ts';
import type { Dataset } from '../data/dataset.ts';
import type { FitResult, IterationReport } from '../model/types.ts';
import { Model } from '../model/model.ts';
import { evaluate, DEFAULT_METRICS } from '../model/metrics.ts';
import { describeRanker } from '../model/ranking.ts';
import { tunePlotSvg } from '../tune/plot.ts';
import { writeFileSync } from 'node:fs';
import type { RankBy } from '../model/model.ts';
import { loadModelFile, saveModelFile } from '../model/node-io.ts';
import { helpText, parseArgs, parseGpuLimits, req, UsageError, type OptSpec, type Parsed } from './args.ts';
import { cloneIds, readRatingsFile, restrictTo, type ReadFlags } from './load.ts';
import { readFactorFile, writeFactorFiles } from './factors.ts';
import { Progress } from './progress.ts';
import { LAYOUT_OPTS, layoutOptions } from './columns.ts';
import { readFileSync } from 'node:fs';
import { splitDataset } from './split.ts';

const FORMATS = ['auto', 'udata', 'dat', 'csv', 'netflix', 'delimited', 'implicit'];

/** How the rating files are read, beside the layout flags (columns.ts): shared by train and eval. */
const READ: Record<string, OptSpec> = {
  implicit: { type: 'flag', help: 'the values are counts/presence (implicit feedback), not ratings' },
  duplicates: { type: 'string', choices: ['error', 'last', 'mean', 'sum'], help: 'a repeated (user, item) pair: error (default for ratings), last, mean, sum (default for implicit)' },
  entry: { type: 'string', help: 'zip archives: the entry holding the ratings (default ratings.csv/ratings.dat/u.data/combined_data_N.txt)' },
};

const TRAIN: Record<string, OptSpec> = {
  data: { type: 'string', help: 'training ratings: a file, a zip archive, a folder (searched one level down), or - for stdin (required)' },
  format: { type: 'string', choices: FORMATS, help: 'file format (default auto: detected and reported)' },
  ...LAYOUT_OPTS,
  ...READ,
  test: { type: 'string', help: 'held-out ratings file (IDs matched to the training file)' },
  split: { type: 'string', help: 'hold out part of --data instead: random:0.1 | leave:1 | time:0.1' },
  algo: { type: 'string', choices: ['als', 'ials', 'sgd', 'gd', 'baseline', 'popularity'], help: 'algorithm (default als; baseline = mu + b_u + b_i, popularity = most rated first)' },
  mode: { type: 'string', choices: ['hogwild', 'stratified'], help: 'SGD mode (default hogwild)' },
  rank: { type: 'int', help: 'latent factors (default 10)' },
  iters: { type: 'int', help: 'iterations (ALS) or epochs (SGD/GD)' },
  tolerance: { type: 'number', help: "stop when ||WH - W'H'||_F between iterations falls below this (als, ials; default 0: run all)" },
  'early-stopping': { type: 'int', help: 'stop when test RMSE has not improved for N iterations, keep the best (needs --test or --split)' },
  lambda: { type: 'number', help: 'L2 regularization of the factors' },
  'lambda-bias': { type: 'number', help: 'L2 regularization of the biases (default lambda)' },
  'weighted-lambda': { type: 'flag', help: 'ALS-WR: scale lambda by each row\'s rating count (als: the default; ials: off by default)' },
  plain: { type: 'flag', help: 'als: the plain model a = w.h with an unweighted lambda (no biases, no ALS-WR)' },
  alpha: { type: 'number', help: 'implicit confidence c = 1 + alpha f (ials; default 40)' },
  lr: { type: 'number', help: 'learning rate (sgd, gd)' },
  bias: { type: 'flag', help: 'learn mu + b_u + b_i (sgd, gd; als has biases unless --plain)' },
  seed: { type: 'int', help: 'random seed (initial factors, shuffles, splits)' },
  ranking: { type: 'string', choices: ['implicit', 'none'], help: 'ranking model recommend uses (als, sgd, gd; default implicit: implicit ALS on who rated what, saved in the same model)' },
  baselines: { type: 'flag', help: 'also fit the baseline and popularity models and print their test metrics beside this one' },
  backend: {
    type: 'string',
    choices: ['auto', 'gpu', 'cpu', 'reference'],
    help: "default auto: a hardware GPU; on a software adapter the faster of it and the f32 CPU engine (measured once, cached); no GPU: the f32 CPU engine. 'reference': the f64 engine",
  },
  threads: { type: 'int', help: 'worker threads of the f32 CPU engine (default: the core count)' },
  'gpu-limits': { type: 'string', help: 'lower GPU size limits, e.g. maxStorageBufferBindingSize=4MiB,maxBufferSize=8MiB (data is then chunked to fit)' },
  'init-users': { type: 'string', help: 'warm start: user factor file (the --save-factors layout)' },
  'init-items': { type: 'string', help: 'warm start: item factor file' },
  save: { type: 'string', help: 'write the model (webmf binary format) to this file' },
  'save-libmf': { type: 'string', help: 'also write the model in LIBMF text format' },
  'save-factors': { type: 'string', help: 'write PREFIX.users.txt, PREFIX.items.txt and the ID order (PREFIX.user-ids.txt, PREFIX.item-ids.txt)' },
  json: { type: 'flag', help: 'print one JSON object on stdout' },
  quiet: { type: 'flag', help: 'no progress on stderr' },
  help: { type: 'flag', short: 'h', help: 'this help' },
};

const RECOMMEND: Record<string, OptSpec> = {
  model: { type: 'string', help: 'model file (webmf binary or LIBMF text; required)' },
  user: { type: 'string', help: 'user ID (required)' },
  k: { type: 'int', short: 'k', help: 'how many items (default 10)' },
  all: { type: 'flag', help: 'keep items the user rated in training (default: filtered out)' },
  exclude: { type: 'string', help: 'comma-separated item IDs never to return' },
  include: { type: 'string', help: 'comma-separated item IDs to choose from' },
  'rank-by': { type: 'string', choices: ['auto', 'ranking', 'explicit'], help: 'auto (default): the ranking model when the file has one; explicit: predicted ratings' },
  backend: { type: 'string', choices: ['gpu', 'cpu'], help: 'default: the GPU when one is found' },
  'gpu-limits': { type: 'string', help: 'lower GPU size limits, e.g. maxStorageBufferBindingSize=4MiB,maxBufferSize=8MiB (data is then chunked to fit)' },
  json: { type: 'flag', help: 'print one JSON object on stdout' },
  help: { type: 'flag', short: 'h', help: 'this help' },
};

const SIMILAR: Record<string, OptSpec> = {
  model: { type: 'string', help: 'model file (required)' },
  item: { type: 'string', help: 'item ID (items similar to it by cosine)' },
  user: { type: 'string', help: 'user ID (users similar to it by cosine), instead of --item' },
  k: { type: 'int', short: 'k', help: 'how many (default 10)' },
  backend: { type: 'string', choices: ['gpu', 'cpu'], help: 'default: the GPU when one is found' },
  'gpu-limits': { type: 'string', help: 'lower GPU size limits, e.g. maxStorageBufferBindingSize=4MiB,maxBufferSize=8MiB (data is then chunked to fit)' },
  json: { type: 'flag', help: 'print one JSON object on stdout' },
  help: { type: 'flag', short: 'h', help: 'this help' },
};

const EVAL: Record<string, OptSpec> = {
  model: { type: 'string', help: 'model file (required)' },
  test: { type: 'string', help: 'test ratings file (required); users/items the model lacks are skipped and counted' },
  format: { type: 'string', choices: FORMATS, help: 'test file format (default auto)' },
  ...LAYOUT_OPTS,
  ...READ,
  metrics: { type: 'string', help: `comma-separated (default ${DEFAULT_METRICS.join(',')})` },
  k: { type: 'int', short: 'k', help: 'k for ranking metrics named without @k (default 10)' },
  relevance: { type: 'number', help: 'test ratings at or above this are relevant for ranking metrics (default: all)' },
  'rank-by': { type: 'string', choices: ['auto', 'ranking', 'explicit'], help: 'model the ranking metrics rank by (as recommend; default auto)' },
  backend: { type: 'string', choices: ['gpu', 'cpu'], help: 'default: the GPU when one is found' },
  'gpu-limits': { type: 'string', help: 'lower GPU size limits, e.g. maxStorageBufferBindingSize=4MiB,maxBufferSize=8MiB (data is then chunked to fit)' },
  json: { type: 'flag', help: 'print one JSON object on stdout' },
  help: { type: 'flag', short: 'h', help: 'this help' },
};

const USAGE = `webmf: matrix factorization recommenders on the GPU (WebGPU)

Commands:
  webmf train --data FILE [--test FILE | --split random:0.1|leave:1|time:0.1] [--algo als|ials|sgd|gd] ...
  webmf recommend --model M --user U [-k 10] [--json]
  webmf similar --model M --item I [-k 10] [--json]
  webmf eval --model M --test FILE [--metrics rmse,mae,ndcg@10,...] [--json]
  webmf tune --data FILE [--test FILE | --folds K] --rank 8,16,32 --lambda 0.02..0.3 [--algo als|ials|sgd] [--save M] [--plot F.svg] [--json]
  webmf data ...                      (data sets: see webmf data --help)

webmf help COMMAND (or webmf COMMAND --help) shows a command's options; webmf --version prints the version.

Exit status: 0 success; 1 an error in the data, a model file, the GPU or the network (one line on stderr);
2 a command-line mistake (unknown option, missing or bad value).`;

/** The package's version, from the package.json two folders up (src/cli/ in a checkout, dist/lib/ installed). */
function version(): string {
  try {
    const rel = '../../package.json'; // a variable: bundlers must not inline the file as an asset
    return JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const warn = (s: string) => process.stderr.write(`webmf: ${s}\n`);

/** The --gpu-limits of a command line (undefined without the option). */
function gpuLimitsOf(o: Parsed, command: string): Record<string, number> | undefined {
  return typeof o['gpu-limits'] === 'string' ? parseGpuLimits(command, o['gpu-limits']) : undefined;
}

async function openGpu(backend: string | undefined, command: string, gpuLimits?: Record<string, number>): Promise<GpuContext | undefined> {
  if (backend === 'cpu') return undefined;
  try {
    // the library's one way to a GPU; the CLI words the fallback itself (any failure, with its reason)
    return (await acquireGpu({ backend: 'gpu', gpuLimits })).gpu ?? undefined;
  } catch (e) {
    if (backend === 'gpu') throw new WebmfError(`${command}: --backend gpu, but no WebGPU adapter: ${(e as Error).message}`);
    warn(`no WebGPU adapter (${(e as Error).message.split('\n')[0]}); using the CPU backend`);
    return undefined;
  }
}

/** The reading options given on the command line (--columns, --implicit, --duplicates, --entry). */
function readOptions(o: Parsed): ReadFlags {
  const r: ReadFlags = {};
  if (o.implicit) r.implicit = true;
  if (o.duplicates !== undefined) r.duplicates = o.duplicates as ReadFlags['duplicates'];
  if (o.entry !== undefined) r.entry = o.entry as string;
  return r;
}

function fmtNum(v: number | null | undefined, d = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d);
}

// ------------------------------------------------------------------ train

async function train(argv: string[]): Promise<number> {
  const o = parseArgs('train', argv, TRAIN);
  if (o.help) return out(helpText('webmf train --data FILE [options]', TRAIN)), 0;
  const dataPath = req<string>(o, 'data', 'train');
  const algo = (o.algo as string) ?? 'als';
  if (o.test && o.split) throw new UsageError('train: give --test or --split, not both');
  const gpuLimits = gpuLimitsOf(o, 'train'); // checked before any data is read
  const only = (name: string, algos: string[]) => {
    if (o[name] !== undefined && !algos.includes(algo)) throw new UsageError(`train: --${name} applies to --algo ${algos.join('|')}, not ${algo}`);
  };
  only('mode', ['sgd']);
  only('lr', ['sgd', 'gd']);
  only('alpha', ['ials']);
  only('weighted-lambda', ['als', 'ials']);
  only('bias', ['als', 'sgd', 'gd']);
  only('plain', ['als']);
  if (o.plain && (o.bias || o['weighted-lambda'])) throw new UsageError('train: --plain means no biases and no ALS-WR; drop --bias / --weighted-lambda');
  only('ranking', ['als', 'sgd', 'gd']);
  only('tolerance', ['als', 'ials']);
  if (o['early-stopping'] !== undefined) {
    if (algo === 'ials') throw new UsageError('train: --early-stopping watches test RMSE, which --algo ials does not have');
    if (!o.test && !o.split) throw new UsageError('train: --early-stopping needs held-out ratings: give --test FILE or --split');
    if ((o['early-stopping'] as number) < 1) throw new UsageError('train: --early-stopping must be an integer >= 1');
  }
  if (o.tolerance !== undefined && !((o.tolerance as number) >= 0)) throw new UsageError('train: --tolerance must be a number >= 0');
  const layout = layoutOptions(o, 'train');
  const quiet = !!o.quiet;

  // data
  const readBar = new Progress(100, 'reading', !quiet && !!process.stderr.isTTY);
  const readFlags = readOptions(o);
  const full = await readRatingsFile(dataPath, {
    ...layout,
    ...readFlags,
    onProgress: (p) => p.totalBytes && readBar.update(Math.round((100 * p.bytes) / p.totalBytes), `${p.ratings} ratings`),
  });
  readBar.done();
  if (!quiet) warn(`read ${full.report.ratings} ratings, ${full.dataset.users.size} users, ${full.dataset.items.size} items from ${full.report.files.join(', ') || dataPath} (${full.report.detected})`);
  let trainSet: Dataset = full.dataset;
  let test: Ratings | undefined;
  if (o.test) {
    const t = await readRatingsFile(o.test as string, { ...layout, ...readFlags, users: cloneIds(trainSet.users), items: cloneIds(trainSet.items) });
    const r = restrictTo(t.dataset.ratings, trainSet.ratings.nUsers, trainSet.ratings.nItems);
    if (r.dropped && !quiet) warn(`${r.dropped} test ratings have users or items absent from the training data; skipped`);
    test = r.ratings;
  } else if (o.split) {
    const s = await splitDataset(full.dataset, o.split as string, (o.seed as number) ?? 42);
    trainSet = s.train;
    test = s.test;
    if (!quiet) warn(`split ${o.split}: ${trainSet.ratings.values.length} training, ${test.values.length} test ratings${s.report.moved ? ` (${s.report.moved} test ratings of users/items without training ratings moved to training)` : ''}`);
  }
  const { nUsers, nItems } = trainSet.ratings;

  // warm start
  const rank = (o.rank as number) ?? 10;
  let init: { users: Float32Array; items: Float32Array } | undefined;
  if (o['init-users'] || o['init-items']) {
    if (!o['init-users'] || !o['init-items']) throw new UsageError('train: --init-users and --init-items go together');
    const bias = algo === 'als' ? !o.plain : !!o.bias;
    init = {
      users: readFactorFile(o['init-users'] as string, 'user', nUsers, rank, bias),
      items: readFactorFile(o['init-items'] as string, 'item', nItems, rank, bias),
    };
  }

  const fitBackend = ((o.backend as string | undefined) ?? 'auto') as 'auto' | 'gpu' | 'cpu' | 'reference';
  const gpu = fitBackend === 'reference' ? undefined : await openGpu(fitBackend === 'gpu' ? 'gpu' : fitBackend === 'cpu' ? 'cpu' : undefined, 'train', gpuLimits);
  try {
    const iters = o.iters as number | undefined;
    const bar = new Progress(iters ?? (algo === 'sgd' || algo === 'gd' ? 20 : 10), algo, !quiet);
    const onIteration = (r: IterationReport) =>
      bar.update(r.iteration, `train rmse ${fmtNum(r.trainRmse)}${r.validationRmse !== undefined ? ` test rmse ${fmtNum(r.validationRmse)}` : ''} ${r.seconds.toFixed(2)}s`);
    const common = {
      rank,
      lambda: o.lambda as number | undefined,
      lambdaBias: o['lambda-bias'] as number | undefined,
      seed: o.seed as number | undefined,
      init,
      // 'auto' chooses its own engine (and GPU); the CLI's GPU serves the model's queries afterwards
      backend: fitBackend,
      gpu: fitBackend === 'gpu' ? gpu : undefined,
      gpuLimits,
      threads: o.threads as number | undefined,
      validation: algo === 'ials' ? undefined : test,
      earlyStopping: o['early-stopping'] !== undefined ? { patience: o['early-stopping'] as number } : undefined,
      onIteration,
    };
    const t0 = performance.now();
    const titles = trainSet.items_meta?.titles;
    // Ctrl-C: the first stops the fit after the iteration in progress and keeps the finished ones (saved with --save);
    // a second one quits at once.
    const stop = new AbortController();
    const onSigint = () => {
      // With no listener left, the next SIGINT has its default action: the process ends at once (status 130), even in
      // the middle of a long synchronous CPU iteration, where a JS handler could not run. A save in progress is atomic.
      process.off('SIGINT', onSigint);
      process.stderr.write('\nwebmf: interrupt: stopping after the current iteration (Ctrl-C again to quit at once, without saving)\n');
      stop.abort(new Error('interrupted (SIGINT)'));
    };
    process.on('SIGINT', onSigint);
    let fit: FitResult;
    try {
      if (algo === 'baseline' || algo === 'popularity') {
        const { fitBaseline, fitPopularity } = await import('../model/baseline.ts');
        fit = algo === 'baseline' ? fitBaseline(trainSet, { iterations: iters, validation: test, onIteration }) : fitPopularity(trainSet);
      } else if (algo === 'als' || algo === 'ials') {
        const { fitAls } = await import('../train/als/index.ts');
        // als: biases and ALS-WR unless --plain (the library defaults); ials: as asked
        const useBias = algo === 'ials' ? false : !o.plain;
        const weightedLambda = o['weighted-lambda'] ? true : algo === 'ials' || o.plain ? false : undefined;
        fit = await fitAls(trainSet, { ...common, signal: stop.signal, iterations: iters, useBias, weightedLambda, implicit: algo === 'ials', alpha: o.alpha as number | undefined, tolerance: o.tolerance as number | undefined, keepOnDevice: true });
      } else {
        const { fitSgd } = await import('../train/sgd/index.ts');
        fit = await fitSgd(trainSet, { ...common, signal: stop.signal, algo: algo as 'sgd' | 'gd', mode: o.mode as 'hogwild' | 'stratified' | undefined, epochs: iters, learningRate: o.lr as number | undefined, useBias: !!o.bias });
      }
    } catch (e) {
      bar.done();
      return stoppedFit(e, o, { gpu, seen: trainSet.ratings, titles: titles && titles.length === nItems ? titles : undefined, interrupted: stop.signal.aborted });
    } finally {
      process.off('SIGINT', onSigint);
    }
    if (algo === 'als' || algo === 'sgd' || algo === 'gd') {
      if ((o.ranking ?? 'implicit') === 'implicit') {
        const { fitRankingModel, withRanking } = await import('../model/ranking.ts');
        if (!quiet) warn('fitting the ranking model (implicit ALS on who rated what; --ranking none skips it)');
        const rk = await fitRankingModel(trainSet, { seed: o.seed as number | undefined, backend: common.backend, gpu });
        fit = { ...fit, model: withRanking(fit.model, rk.model) };
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    bar.done();
    const model = new Model(fit.model, { gpu, device: fit.device, seen: trainSet.ratings, itemTitles: titles && titles.length === nItems ? titles : undefined });
    let testRmse: number | null = null;
    let testMae: number | null = null;
    if (test && test.values.length && algo !== 'ials' && algo !== 'popularity') {
      const ev = await evaluate(model, test, { metrics: ['rmse', 'mae'] });
      testRmse = ev.metrics.rmse;
      testMae = ev.metrics.mae;
    }
    let baselines: Record<string, Record<string, number>> | null = null;
    if (o.baselines) {
      if (!test || !test.values.length) throw new UsageError('train: --baselines needs --test or --split');
      const { compareWithBaselines } = await import('../model/compare.ts');
      baselines = await compareWithBaselines(model, trainSet, test);
    }
    if (o.save) saveModelFile(model, o.save as string);
    if (o['save-libmf']) saveModelFile(model, o['save-libmf'] as string, 'libmf');
    if (o['save-factors']) writeFactorFiles(model.toData(), o['save-factors'] as string);
    const last = fit.history[fit.history.length - 1];
    const summary = {
      algo,
      mode: algo === 'sgd' ? ((o.mode as string) ?? 'hogwild') : null,
      backend: fit.backend,
      adapter: fit.backend === 'gpu' ? (fit.adapter ?? (gpu ? adapterName(gpu.adapter) : null)) : null,
      backendReason: fit.backendReason ?? null,
      rank: fit.model.rank,
      iterations: fit.history.length,
      seconds,
      trainRmse: last?.trainRmse ?? null,
      testRmse,
      testMae,
      users: nUsers,
      items: nItems,
      ratings: trainSet.ratings.values.length,
      perIteration: fit.history.map((h) => ({ iteration: h.iteration, seconds: h.seconds, trainRmse: h.trainRmse, testRmse: h.validationRmse ?? null })),
      ranking: fit.model.ranking ? { algo: 'ials', rank: fit.model.ranking.rank, alpha: fit.model.ranking.hyperparams.alpha, lambda: fit.model.ranking.hyperparams.lambda } : null,
      baselines,
    };
    if (o.json) out(JSON.stringify(summary));
    else {
      out(`${algo}${summary.mode ? ` (${summary.mode})` : ''} on ${summary.backend}${summary.adapter ? ` [${summary.adapter}]` : ''}: rank ${summary.rank}, ${summary.iterations} iterations in ${seconds.toFixed(2)} s (stopped: ${fit.stopped})`);
      if (fit.backendReason) out(`engine: ${fit.backendReason}`);
      out(`${nUsers} users, ${nItems} items, ${summary.ratings} training ratings`);
      out(`train RMSE ${fmtNum(summary.trainRmse)}${test ? `, test RMSE ${fmtNum(testRmse)}, test MAE ${fmtNum(testMae)} (${test.values.length} ratings)` : ''}`);
      if (fit.model.ranking) out(`recommend ranks by the ${describeRanker(fit.model.ranking, true)} (saved with the model; --ranking none for none)`);
      if (baselines) {
        const cols = ['rmse', 'mae', 'precision@10', 'recall@10', 'ndcg@10'];
        out(`${'model'.padEnd(26)} ${cols.map((c) => c.padStart(12)).join(' ')}`);
        for (const [name, m] of Object.entries(baselines)) out(`${name.padEnd(26)} ${cols.map((c) => fmtNum(m[c]).padStart(12)).join(' ')}`);
      }
      if (o.save) out(`model saved to ${o.save}`);
      if (o['save-factors']) out(`factors saved to ${o['save-factors']}.{users,items,user-ids,item-ids}.txt`);
    }
    model.destroy();
    return 0;
  } finally {
    gpu?.destroy();
  }
}

/**
 * A fit that stopped before its end (Ctrl-C, device loss, divergence): the error carries the result of the last
 * finished iteration, which is written to --save / --save-libmf / --save-factors as a normal run would, saying so.
 * Exit status 130 for an interrupt (the shell's convention for SIGINT), else the error goes on (exit 1).
 */
function stoppedFit(e: unknown, o: Parsed, m: { gpu?: GpuContext; seen: Ratings; titles?: string[]; interrupted: boolean }): number {
  const kept = e instanceof AbortError || e instanceof DeviceLostError || e instanceof DivergenceError ? (e as { result?: FitResult }).result : undefined;
  // The error itself is printed by the entry point; this line says what was kept.
  const what = m.interrupted && e instanceof AbortError ? 'interrupted' : `training stopped (${(e as Error).name})`;
  if (!(e instanceof AbortError && m.interrupted) && !kept) throw e;
  const n = kept?.history.length ?? 0;
  const targets = [o.save && `${o.save}`, o['save-libmf'] && `${o['save-libmf']} (LIBMF)`, o['save-factors'] && `${o['save-factors']}.*.txt`].filter(Boolean);
  if (kept && n > 0 && targets.length) {
    const model = new Model(kept.model, { seen: m.seen, itemTitles: m.titles });
    try {
      if (o.save) saveModelFile(model, o.save as string);
      if (o['save-libmf']) saveModelFile(model, o['save-libmf'] as string, 'libmf');
      if (o['save-factors']) writeFactorFiles(model.toData(), o['save-factors'] as string);
    } finally {
      model.destroy();
    }
    warn(`${what}; the model of iteration ${n} (the last finished one) was saved to ${targets.join(', ')}`);
  } else if (targets.length) {
    warn(`${what}; ${n === 0 ? 'no iteration had finished' : 'no result was kept'}, so nothing was saved (${targets.join(', ')} left as they were)`);
  } else {
    warn(`${what}${n ? ` after ${n} finished iterations (give --save to keep them)` : ''}`);
  }
  if (e instanceof AbortError && m.interrupted) return 130;
  throw e;
}

// ------------------------------------------------------------------ recommend / similar / eval

function idList(s: unknown): string[] | undefined {
  return typeof s === 'string' ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined;
}

async function withModel<T>(o: Parsed, command: string, fn: (m: Model, gpu?: GpuContext) => Promise<T>): Promise<T> {
  const path = req<string>(o, 'model', command);
  const gpu = await openGpu(o.backend as string | undefined, command, gpuLimitsOf(o, command));
  try {
    const m = loadModelFile(path, { gpu });
    try {
      return await fn(m, gpu);
    } finally {
      m.destroy();
    }
  } finally {
    gpu?.destroy();
  }
}

async function recommend(argv: string[]): Promise<number> {
  const o = parseArgs('recommend', argv, RECOMMEND);
  if (o.help) return out(helpText('webmf recommend --model M --user U [-k 10] [--json]', RECOMMEND)), 0;
  const user = req<string>(o, 'user', 'recommend');
  const k = (o.k as number) ?? 10;
  return withModel(o, 'recommend', async (m) => {
    const filterSeen = !o.all;
    if (filterSeen && !m.hasSeen) warn('the model file holds no training interactions; seen items cannot be filtered');
    const rankBy = o['rank-by'] as RankBy | undefined;
    const recs = await m.recommend(user, { k, filterSeen, exclude: idList(o.exclude), include: idList(o.include), rankBy });
    const title = (i: number) => m.itemTitles?.[i] || undefined;
    const ranker = m.rankerFor(rankBy);
    const rankedBy = recs.some((r) => r.source === 'popularity') ? 'popularity (the user has no ratings)' : describeRanker(ranker, ranker !== m);
    if (o.json) out(JSON.stringify({ user, k, backend: m.backend, filterSeen, rankedBy, items: recs.map((r, i) => ({ rank: i + 1, item: r.id, score: r.score, title: title(r.index) })) }));
    else {
      out(`top ${k} for user ${user}${filterSeen ? ' (items rated in training left out)' : ''}, ranked by ${rankedBy}:`);
      recs.forEach((r, i) => out(`${String(i + 1).padStart(4)}  ${String(r.id).padEnd(10)} ${r.score.toFixed(4)}${title(r.index) ? `  ${title(r.index)}` : ''}`));
    }
    return 0;
  });
}

async function similar(argv: string[]): Promise<number> {
  const o = parseArgs('similar', argv, SIMILAR);
  if (o.help) return out(helpText('webmf similar --model M --item I [-k 10] [--json]', SIMILAR)), 0;
  if ((o.item === undefined) === (o.user === undefined)) throw new UsageError('similar: give --item or --user (one of them)');
  const k = (o.k as number) ?? 10;
  return withModel(o, 'similar', async (m) => {
    const side = o.item !== undefined ? 'item' : 'user';
    const q = (o.item ?? o.user) as string;
    const res = side === 'item' ? await m.similarItems(q, k) : await m.similarUsers(q, k);
    const title = (i: number) => (side === 'item' ? m.itemTitles?.[i] || undefined : undefined);
    if (o.json) out(JSON.stringify({ [side]: q, k, backend: m.backend, measure: 'cosine', [side === 'item' ? 'items' : 'users']: res.map((r, i) => ({ rank: i + 1, [side]: r.id, score: r.score, title: title(r.index) })) }));
    else {
      const qt = side === 'item' ? title(m.itemIndex(q)) : undefined;
      out(`${k} ${side}s most similar to ${side} ${q}${qt ? ` (${qt})` : ''} by cosine:`);
      res.forEach((r, i) => out(`${String(i + 1).padStart(4)}  ${String(r.id).padEnd(10)} ${r.score.toFixed(4)}${title(r.index) ? `  ${title(r.index)}` : ''}`));
    }
    return 0;
  });
}

const TUNE: Record<string, OptSpec> = {
  data: { type: 'string', help: 'training ratings file (required); the validation split is cut from it' },
  test: { type: 'string', help: 'test ratings file: the best configuration, refitted on all of --data, is scored on it' },
  format: { type: 'string', choices: FORMATS, help: 'file format (default auto)' },
  algo: { type: 'string', choices: ['als', 'ials', 'sgd'], help: 'model to tune (default als; ials is chosen by validation NDCG@10, als and sgd by validation RMSE)' },
  rank: { type: 'string', help: 'ranks to try: 8,16,32 (default 8,16,32,64)' },
  lambda: { type: 'string', help: 'lambdas: 0.05,0.1 or a range 0.02..0.3 (4 log-spaced values; default 0.02..0.3)' },
  alpha: { type: 'string', help: 'ials: confidence scales to try, 1,5,20 or 1..40 (default: 40 only)' },
  lr: { type: 'string', help: 'sgd: learning rates to try, 0.05,0.1 or 0.01..0.2 (default: the SGD default only)' },
  iters: { type: 'int', help: 'iterations (sgd: epochs) of a trial that survives every halving (default 10)' },
  folds: { type: 'int', help: 'k-fold cross-validation on --data instead of one validation split (k >= 2)' },
  search: { type: 'string', choices: ['grid', 'random'], help: 'grid (default) or seeded random search (log-uniform lambda)' },
  trials: { type: 'int', help: 'random search: number of trials (default 8)' },
  'no-halving': { type: 'flag', help: 'run every trial to the end (default: successive halving)' },
  validation: { type: 'number', help: 'fraction of --data held out to choose on (default 0.1; not with --folds)' },
  plain: { type: 'flag', help: 'als: tune the plain model (no biases, no ALS-WR)' },
  bias: { type: 'flag', help: 'sgd: add mu + b_u + b_i' },
  seed: { type: 'int', help: 'seed of the validation split, the random search and the initial factors' },
  backend: { type: 'string', choices: ['gpu', 'cpu'], help: 'default: the GPU when one is found' },
  'gpu-limits': { type: 'string', help: 'lower GPU size limits, e.g. maxStorageBufferBindingSize=4MiB,maxBufferSize=8MiB (data is then chunked to fit)' },
  save: { type: 'string', help: 'save the best configuration, refitted on all of --data, with its ranking model' },
  plot: { type: 'string', help: 'write an SVG of validation RMSE against lambda, one line per rank' },
  json: { type: 'flag', help: 'print one JSON object on stdout' },
  quiet: { type: 'flag', help: 'no progress on stderr' },
  help: { type: 'flag', short: 'h', help: 'this help' },
};

async function tuneCmd(argv: string[]): Promise<number> {
  const o = parseArgs('tune', argv, TUNE);
  if (o.help) return out(helpText('webmf tune --data FILE [--test FILE | --folds K] --rank 8,16,32 --lambda 0.02..0.3 [--algo als|ials|sgd] [options]', TUNE)), 0;
  const dataPath = req<string>(o, 'data', 'tune');
  const { tune, parseValues } = await import('../tune/tune.ts');
  const algo = ((o.algo as string | undefined) ?? 'als') as 'als' | 'ials' | 'sgd';
  if (o.alpha !== undefined && algo !== 'ials') throw new UsageError(`tune: --alpha applies to --algo ials, not ${algo}`);
  if (o.lr !== undefined && algo !== 'sgd') throw new UsageError(`tune: --lr applies to --algo sgd, not ${algo}`);
  if (o.plain && algo !== 'als') throw new UsageError(`tune: --plain applies to --algo als, not ${algo}`);
  if (o.bias && algo !== 'sgd') throw new UsageError(`tune: --bias applies to --algo sgd (als has biases unless --plain; ials has none)`);
  if (o.folds !== undefined && o.validation !== undefined) throw new UsageError('tune: --folds and --validation are two ways to hold data out; give one');
  const ranks = parseValues((o.rank as string | undefined) ?? '8,16,32,64');
  const lambdas = parseValues((o.lambda as string | undefined) ?? '0.02..0.3');
  const alphas = o.alpha !== undefined ? parseValues(o.alpha as string) : undefined;
  const lrs = o.lr !== undefined ? parseValues(o.lr as string) : undefined;
  const quiet = !!o.quiet;
  const full = await readRatingsFile(dataPath, { format: o.format as never });
  let test: Ratings | undefined;
  if (o.test) {
    const t = await readRatingsFile(o.test as string, { format: o.format as never, users: cloneIds(full.dataset.users), items: cloneIds(full.dataset.items) });
    test = restrictTo(t.dataset.ratings, full.dataset.ratings.nUsers, full.dataset.ratings.nItems).ratings;
  }
  const gpu = await openGpu(o.backend as string | undefined, 'tune', gpuLimitsOf(o, 'tune'));
  // Ctrl-C stops the search between iterations and keeps the best trial so far
  const ac = new AbortController();
  const onSigint = () => {
    warn('interrupted: finishing with the best trial so far');
    ac.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const backend = gpu ? ('gpu' as const) : ('cpu' as const);
    const als = algo === 'als' ? { backend, gpu, useBias: !o.plain, weightedLambda: !o.plain } : { backend, gpu };
    const sgd = { backend, gpu, useBias: !!o.bias };
    const r = await tune(full.dataset, {
      algo,
      grid: { rank: ranks, lambda: lambdas, alpha: alphas, learningRate: lrs },
      search: o.search as 'grid' | 'random' | undefined,
      trials: o.trials as number | undefined,
      iterations: o.iters as number | undefined,
      halving: !o['no-halving'],
      validationFraction: o.validation as number | undefined,
      folds: o.folds as number | undefined,
      seed: o.seed as number | undefined,
      als,
      sgd,
      signal: ac.signal,
      onTrial: (t) => !quiet && warn(t.diverged ? `${describeTrial(t)}: out of the search: ${t.diverged}` : `${describeTrial(t)}: validation ${t.metric.toUpperCase()} ${fmtNum(t.score)}${t.foldScores.length > 1 ? ` (mean of ${t.foldScores.length} folds)` : ''} after ${t.iterations} ${algo === 'sgd' ? 'epochs' : 'iterations'} (${t.seconds.toFixed(1)} s)`),
    });
    if (r.note && !quiet) warn(r.note);
    if (o.plot) writeFileSync(o.plot as string, tunePlotSvg(r.trials));
    let testScore: number | null = null;
    if (test || o.save) {
      // refit the best configuration on all of --data (same iteration count); explicit models with their ranking model
      const b = r.best;
      let fit;
      if (algo === 'als') {
        const { fitRecommender } = await import('../model/ranking.ts');
        fit = await fitRecommender(full.dataset, { ...als, rank: b.rank, lambda: b.lambda, iterations: b.iterations, seed: o.seed as number | undefined, ranking: { backend, gpu } });
      } else if (algo === 'ials') {
        const { fitAls } = await import('../train/als/index.ts');
        fit = await fitAls(full.dataset, { backend, gpu, rank: b.rank, lambda: b.lambda, ...(b.alpha !== undefined ? { alpha: b.alpha } : {}), implicit: true, iterations: b.iterations, seed: o.seed as number | undefined });
      } else {
        const { fitSgd } = await import('../train/sgd/index.ts');
        const { fitRankingModel, withRanking } = await import('../model/ranking.ts');
        fit = await fitSgd(full.dataset, { ...sgd, rank: b.rank, lambda: b.lambda, ...(b.learningRate !== undefined ? { learningRate: b.learningRate } : {}), epochs: b.iterations, seed: o.seed as number | undefined });
        fit = { ...fit, model: withRanking(fit.model, (await fitRankingModel(full.dataset, { backend, gpu, seed: o.seed as number | undefined })).model) };
      }
      const model = new Model(fit.model, { gpu, seen: full.dataset.ratings });
      if (test?.values.length) testScore = (await evaluate(model, test, { metrics: [r.metric] })).metrics[r.metric];
      if (o.save) saveModelFile(model, o.save as string);
      model.destroy();
    }
    const what = `validation ${r.metric.toUpperCase()}`;
    if (o.json) out(JSON.stringify({ algo, metric: r.metric, best: r.best, testScore, ...(r.metric === 'rmse' ? { testRmse: testScore } : {}), stopped: r.stopped, folds: r.folds, validationRatings: r.validationRatings, uploads: r.uploads, factorsOnDevice: r.factorsOnDevice, note: r.note ?? null, trials: r.trials }));
    else {
      const extra = algo === 'ials' && alphas ? 'alpha' : algo === 'sgd' && lrs ? 'lr' : '';
      out(`${'rank'.padStart(6)} ${'lambda'.padStart(8)}${extra ? ` ${extra.padStart(8)}` : ''} ${(algo === 'sgd' ? 'epochs' : 'iterations').padStart(10)} ${what.padStart(16)}`);
      const ex = (t: typeof r.best) => (extra === 'alpha' ? ` ${String(t.alpha).padStart(8)}` : extra === 'lr' ? ` ${String(t.learningRate).padStart(8)}` : '');
      for (const t of [...r.trials].sort((a, b) => a.rank - b.rank || a.lambda - b.lambda || (a.alpha ?? a.learningRate ?? 0) - (b.alpha ?? b.learningRate ?? 0))) out(`${String(t.rank).padStart(6)} ${String(t.lambda).padStart(8)}${ex(t)} ${String(t.iterations).padStart(10)} ${fmtNum(t.score).padStart(16)}`);
      const held = r.folds > 1 ? `mean over ${r.folds} folds of --data` : `on ${r.validationRatings} ratings cut from --data`;
      out(`best: ${describeTrial(r.best)} (${what} ${fmtNum(r.best.score)} ${held})${r.stopped === 'aborted' ? ' [interrupted]' : ''}`);
      if (testScore !== null) out(`refitted on all of --data: test ${r.metric === 'rmse' ? 'RMSE' : r.metric.toUpperCase()} ${fmtNum(testScore)}`);
      if (o.save) out(`model saved to ${o.save}`);
      if (o.plot) out(`plot written to ${o.plot}`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    gpu?.destroy();
  }
}

function describeTrial(t: { rank: number; lambda: number; alpha?: number; learningRate?: number }): string {
  return `rank ${t.rank} lambda ${t.lambda}${t.alpha !== undefined ? ` alpha ${t.alpha}` : ''}${t.learningRate !== undefined ? ` lr ${t.learningRate}` : ''}`;
}

async function evalCmd(argv: string[]): Promise<number> {
  const o = parseArgs('eval', argv, EVAL);
  if (o.help) return out(helpText('webmf eval --model M --test FILE [--metrics ...] [--json]', EVAL)), 0;
  const testPath = req<string>(o, 'test', 'eval');
  const layout = layoutOptions(o, 'eval');
  return withModel(o, 'eval', async (m) => {
    const t = await readRatingsFile(testPath, { ...layout, ...readOptions(o), users: cloneIds(m.userIds), items: cloneIds(m.itemIds) });
    const t0 = performance.now();
    const metrics = idList(o.metrics) ?? DEFAULT_METRICS;
    const r = await evaluate(m, t.dataset, { metrics, k: o.k as number | undefined, relevanceThreshold: o.relevance as number | undefined, rankBy: o['rank-by'] as RankBy | undefined });
    const seconds = (performance.now() - t0) / 1000;
    if (r.skippedRatings) warn(`${r.skippedRatings} test ratings have users or items the model does not know; skipped`);
    if (o.json) out(JSON.stringify({ metrics: r.metrics, users: r.users, ratings: r.ratings, skippedRatings: r.skippedRatings, backend: m.backend, rankedBy: r.rankedBy ?? null, seconds }));
    else {
      for (const [name, v] of Object.entries(r.metrics)) out(`${name.padEnd(14)} ${fmtNum(v)}`);
      if (r.rankedBy) out(`ranking metrics ranked by the ${r.rankedBy}`);
      out(`(${r.ratings} test ratings, ${r.users} users ranked, ${seconds.toFixed(2)} s on ${m.backend})`);
    }
    return 0;
  });
}

async function data(argv: string[]): Promise<number> {
  let mod: { runDataCommand?: (argv: string[]) => Promise<number | void> };
  try {
    mod = await import('./data.ts');
  } catch (e) {
    throw new WebmfError(`data: the data commands are not available in this build (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof mod.runDataCommand !== 'function') throw new WebmfError('data: src/cli/data.ts does not export runDataCommand');
  const code = await mod.runDataCommand(argv);
  return typeof code === 'number' ? code : 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'train':
      return train(rest);
    case 'recommend':
      return recommend(rest);
    case 'similar':
      return similar(rest);
    case 'eval':
      return evalCmd(rest);
    case 'tune':
      return tuneCmd(rest);
    case 'data':
      return data(rest);
    case '--version':
    case '-V':
    case 'version':
      out(`webmf ${version()}`);
      return 0;
    case 'help':
      if (rest[0] && ['train', 'recommend', 'similar', 'eval', 'tune', 'data'].includes(rest[0])) return main([rest[0], '--help']);
      if (rest[0]) throw new UsageError(`help: unknown command ${JSON.stringify(rest[0])} (commands: train, recommend, similar, eval, tune, data)`);
      out(USAGE);
      return 0;
    case undefined:
    case '--help':
    case '-h':
      out(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(cmd)} (commands: train, recommend, similar, eval, tune, data)`);
  }
}

const isMain = (() => {
  try {
    return process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
  } catch {
    return false;
  }
})();

/** Runs the command line and sets the exit status (the installed package's bin/webmf.js calls this). */
export function runCli(argv: string[]): Promise<void> {
  return main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      const err = e as Error;
      const msg = (err?.message ?? String(e)).split('\n')[0];
      process.stderr.write(`webmf: error: ${msg}\n`);
      if (process.env.WEBMF_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
      process.exitCode = e instanceof UsageError ? 2 : e instanceof InputError || e instanceof WebmfError ? 1 : 1;
    },
  );
}

if (isMain) void runCli(process.argv.slice(2));
