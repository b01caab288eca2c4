/**
 * `npm run bench:browser [-- --quick] [-- --suites ...] [-- --ranks ...]`
 * Runs the same suites in headless Chrome: vite serves bench/index.html on 127.0.0.1, puppeteer
 * opens it with WebGPU enabled, the page runs the suites on navigator.gpu and returns JSON. The
 * LIBMF peer runs here in Node on the identical seeded datasets (regenerated with the same seeds),
 * and the results are written to bench/results/<date>-<adapter>-chrome[-quick]/.
 */
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { openServedBrowser } from '../test/browser/chrome.ts';
import { fitDatasets, timeToTarget } from './suites/fits.ts';
import { cpuInfo, parseArgs, peerHook, writeResults } from './lib/node.ts';
import { headlineRatios, kernelPeaks, summaryTable } from './lib/report.ts';
import type { BenchCtx, BenchResults } from './lib/types.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = parseArgs(process.argv.slice(2));
const TIMEOUT_MS = 60 * 60_000;
const log = (s: string) => console.log(s);

async function runPage(): Promise<BenchResults> {
  const served = await openServedBrowser({ root, args: ['--enable-precise-memory-info'], protocolTimeout: TIMEOUT_MS });
  try {
    const page = await served.newPage();
    const q = new URLSearchParams();
    if (args.quick) q.set('quick', '1');
    if (args.suites) q.set('suites', args.suites.join(','));
    if (args.ranks) q.set('ranks', args.ranks.join(','));
    await page.goto(`http://127.0.0.1:${served.port}/bench/index.html?${q}`, { waitUntil: 'load' });
    let printed = 0;
    const t0 = Date.now();
    for (;;) {
      const s = await page.evaluate(() => {
        const b = window.__bench;
        return b ? { log: b.log, done: b.done, fatal: b.fatal } : { log: [] as string[], done: false, fatal: undefined };
      });
      for (; printed < s.log.length; printed++) log(`[chrome] ${s.log[printed]}`);
      if (s.done) {
        if (s.fatal) throw new Error(`the benchmark page failed: ${s.fatal}`);
        return await page.evaluate(() => window.__bench!.result!);
      }
      if (Date.now() - t0 > TIMEOUT_MS) throw new Error('timed out waiting for the benchmark page');
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await served.close();
  }
}

const loadStart = loadavg()[0];
const res = await runPage();
res.env.loadAverage = { start: +loadStart.toFixed(2), end: +loadavg()[0].toFixed(2) };
const { cpu, cores } = cpuInfo();
res.env.cpu = cpu;
res.env.cores = cores;
const wantPeer = !args.suites || args.suites.includes('peer');
if (wantPeer && res.fits) {
  // the page's datasets, rebuilt here from the same seeds (MovieLens is not loaded in the page)
  const ctx = { gpu: { adapter: res.env.adapterInfo }, quick: res.env.quick, log } as unknown as BenchCtx;
  const datasets = await fitDatasets(ctx);
  try {
    res.peer = await peerHook(log)(datasets, res.fits);
    timeToTarget([...res.fits, ...res.peer.rows]);
  } catch (e) {
    res.errors.push({ suite: 'peer', message: `${(e as Error).name}: ${(e as Error).message}` });
  }
}
const dir = writeResults(res, args.out);
log(`\nwrote ${dir}/results.json, results.md and plots (${res.seconds.toFixed(0)} s in the page)`);
for (const x of headlineRatios(res)) log(`  ${x.dataset}: ${x.algo} ${x.backend}: time/iter webmf/libmf ${x.timeRatio.toPrecision(3)}, RMSE ratio ${x.rmseRatio?.toPrecision(4) ?? '-'}`);
for (const k of res.kernels ? kernelPeaks(res.kernels) : []) log(`  ${k.kernel}: ${k.flopsPct?.toFixed(2)}% of FMA peak (rank ${k.flopsRank}), ${k.bwPct?.toFixed(2)}% of copy BW`);
log(`\nREADME line (summary.md):\n${summaryTable([res])}`);
if (res.errors.length) {
  for (const e of res.errors) console.error(`error in ${e.suite}: ${e.message}`);
  process.exitCode = 1;
}
