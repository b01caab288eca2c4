/**
 * `npm run bench [-- --quick] [-- --suites calibration,kernels,fits,peer,scaling,projection,als-ranks,netflix] [-- --ranks 16,64]
 *   [-- --als-ranks 16,32] [-- --out DIR]` (default suites: all but als-ranks and netflix)
 * `--suites netflix [--netflix-ratings N] [--netflix-rank R] [--netflix-backend gpu|cpu|auto] [--netflix-no-cpu-fallback]`: the 100M-rating
 * Netflix-shaped run (bench/suites/netflix.ts), written to bench/results/<date>-<adapter>-netflix/.
 * Runs the benchmark suites in Node on Dawn (the `webgpu` package) and writes
 * bench/results/<date>-<adapter>[-quick]/{results.json, results.md, *.svg}.
 */
import { loadavg } from 'node:os';
import { GpuContext } from '../src/gpu/context.ts';
import { InputError } from '../src/core/errors.ts';
import { SUITES, makeEnv, runAll, type SuiteName } from './lib/bench.ts';
import { cpuInfo, loadMovielens, parseArgs, peerHook, rss, writeResults } from './lib/node.ts';
import { headlineRatios, kernelPeaks, summaryTable } from './lib/report.ts';
import type { BenchCtx } from './lib/types.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ROOT } from './lib/node.ts';

const argv = process.argv.slice(2);
const args = parseArgs(argv);
for (const s of args.suites ?? []) {
  if (!(SUITES as readonly string[]).includes(s) && s !== 'netflix') throw new InputError(`unknown suite '${s}' (known: ${SUITES.join(', ')}, netflix)`);
}
const wantNetflix = args.suites?.includes('netflix') ?? false;
if (wantNetflix) args.suites = args.suites!.filter((s) => s !== 'netflix');
const argOf = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const log = (s: string) => console.log(s);
const gpu = await GpuContext.create();
const { cpu, cores } = cpuInfo();
const env = makeEnv(gpu, 'node', args.quick, cpu, cores, process.version);
log(`webmf bench: ${env.adapter} | ${cpu} × ${cores} | ${args.quick ? 'quick' : 'full'}`);
const ctx: BenchCtx = { gpu, quick: args.quick, env, log, memory: rss, load: () => loadavg()[0], movielens: () => loadMovielens(log) };
try {
  if (wantNetflix) {
    const { runNetflix, netflixMarkdown } = await import('./suites/netflix.ts');
    const n = argOf('--netflix-ratings');
    const rk = argOf('--netflix-rank');
    const r = await runNetflix(gpu, log, {
      nRatings: n ? Number(n) : undefined,
      rank: rk ? Number(rk) : undefined,
      backend: (argOf('--netflix-backend') as 'gpu' | 'cpu' | 'auto' | undefined) ?? 'gpu',
      cpuFallback: !argv.includes('--netflix-no-cpu-fallback'),
    });
    const slug = env.adapter.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    const dir = args.out ?? join(BENCH_ROOT, 'results', `${env.date}-${slug}-netflix`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ env, netflix: r }, null, 2));
    writeFileSync(join(dir, 'results.md'), netflixMarkdown(r, env.adapter, env.date));
    log(`\nwrote ${dir}/results.json and results.md`);
    if (!args.suites?.length) {
      gpu.destroy();
      process.exit(0);
    }
  }
  const res = await runAll(ctx, { suites: args.suites as SuiteName[] | undefined, peer: peerHook(log), ranks: args.ranks, alsRanks: args.alsRanks });
  const dir = writeResults(res, args.out);
  log(`\nwrote ${dir}/results.json, results.md and plots (${res.seconds.toFixed(0)} s)`);
  for (const x of headlineRatios(res)) {
    log(`  ${x.dataset}: ${x.algo} ${x.backend}: time/iter webmf/libmf ${x.timeRatio.toPrecision(3)}, RMSE ratio ${x.rmseRatio?.toPrecision(4) ?? '-'}`);
  }
  for (const k of res.kernels ? kernelPeaks(res.kernels) : []) log(`  ${k.kernel}: ${k.flopsPct?.toFixed(2)}% of FMA peak (rank ${k.flopsRank}), ${k.bwPct?.toFixed(2)}% of copy BW`);
  log(`\nREADME line (summary.md):\n${summaryTable([res])}`);
  if (res.errors.length) {
    for (const e of res.errors) console.error(`error in ${e.suite}: ${e.message}`);
    process.exitCode = 1;
  }
} finally {
  gpu.destroy();
}
