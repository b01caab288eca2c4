/**
 * The Node side of the benchmark: machine facts (os.cpus()), host memory, the offline MovieLens
 * source through the data layer, the LIBMF peer hook, and writing results.json, results.md and
 * the SVG plots to bench/results/<date>-<adapter>/.
 */
import { cpus } from 'node:os';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ratings } from '../../src/data/ratings.ts';
import { plots, slug, summaryTable, toMarkdown } from './report.ts';
import type { BenchResults } from './types.ts';
import type { PeerHook } from './bench.ts';

export const BENCH_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function cpuInfo(): { cpu: string; cores: number } {
  const c = cpus();
  return { cpu: (c[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim(), cores: c.length };
}

export const rss = (): number => process.memoryUsage().rss;

/** MovieLens latest-small from the cache or the offline dslabs source; null (with the reason logged) when not obtainable. */
export async function loadMovielens(log: (s: string) => void): Promise<Ratings | null> {
  try {
    const { dataGet } = await import('../../src/data/movielens.ts');
    const { readRatingsFile } = await import('../../src/data/node.ts');
    const got = await dataGet('movielens-small', { offline: true });
    const ds = await readRatingsFile(got.path, { itemMeta: false });
    log(`fits: MovieLens latest-small from ${got.source} (${ds.ratings.values.length} ratings)`);
    return ds.ratings;
  } catch (e) {
    log(`fits: MovieLens latest-small not obtainable: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

export function peerHook(ctxLog: (s: string) => void): PeerHook {
  return async (datasets, fits) => {
    const { runPeer, peerRatios, libmfVersion } = await import('../suites/peer.ts');
    const rows = await runPeer({ log: ctxLog, memory: rss } as Parameters<typeof runPeer>[0], datasets);
    return {
      rows,
      ratios: peerRatios(fits, rows),
      version: libmfVersion(),
      threads: cpus().length,
      note: 'LIBMF s/iter = least-squares slope of T(i) over separate trainings of i = 1..n iterations (median of 3 when small), which cancels its setup; T(n)/n when the slope is not positive. Its test-RMSE curve comes from the same runs.',
    };
  };
}

export function resultsDir(r: BenchResults, root = join(BENCH_ROOT, 'results')): string {
  const only = r.alsRanks && !r.fits && !r.kernels ? '-als-ranks' : '';
  const tag = `${r.env.date}-${slug(r.env.adapter)}${r.env.runtime === 'browser' ? '-chrome' : ''}${only}${r.env.quick ? '-quick' : ''}`;
  return join(root, tag);
}

/** Writes results.json, results.md, summary.md (the README line) and the plots; returns the folder. */
export function writeResults(r: BenchResults, dir = resultsDir(r)): string {
  mkdirSync(dir, { recursive: true });
  // plots of an earlier run in the same folder would no longer match its tables
  for (const f of readdirSync(dir)) if (f.endsWith('.svg')) rmSync(join(dir, f));
  writeFileSync(join(dir, 'results.json'), JSON.stringify(r, null, 2) + '\n');
  writeFileSync(join(dir, 'results.md'), toMarkdown(r) + '\n');
  writeFileSync(join(dir, 'summary.md'), summaryTable([r]) + '\n');
  for (const [name, svg] of Object.entries(plots(r))) writeFileSync(join(dir, name), svg + '\n');
  return dir;
}

export function parseArgs(argv: string[]): { quick: boolean; suites?: string[]; out?: string; ranks?: number[]; alsRanks?: number[] } {
  const quick = argv.includes('--quick');
  const val = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const suites = val('--suites')?.split(',').map((s) => s.trim()).filter(Boolean);
  const list = (name: string) => val(name)?.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const ranks = list('--ranks');
  const alsRanks = list('--als-ranks');
  return { quick, ...(suites ? { suites } : {}), ...(val('--out') ? { out: val('--out') } : {}), ...(ranks?.length ? { ranks } : {}), ...(alsRanks?.length ? { alsRanks } : {}) };
}
