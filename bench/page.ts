/**
 * The benchmark page: runs the suites in the browser on navigator.gpu (everything but the LIBMF
 * peer, which bench/browser.ts runs in Node on the identical seeded data) and publishes the
 * results as JSON on window.__bench. Query: ?quick=1&suites=calibration,kernels&ranks=16,64
 */
import { GpuContext } from '../src/gpu/context.ts';
import { DEFAULT_SUITES, SUITES, makeEnv, runAll, type SuiteName } from './lib/bench.ts';
import type { BenchCtx, BenchResults } from './lib/types.ts';

declare global {
  interface Window {
    __bench?: { log: string[]; done: boolean; result?: BenchResults; fatal?: string };
  }
}

const state: NonNullable<Window['__bench']> = { log: [], done: false };
window.__bench = state;
const pre = document.getElementById('log')!;
const log = (s: string) => {
  state.log.push(s);
  pre.textContent += `${s}\n`;
};

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const quick = q.get('quick') === '1';
  const suites = (q.get('suites')?.split(',').filter((s) => (SUITES as readonly string[]).includes(s)) ?? [...DEFAULT_SUITES]).filter((s) => s !== 'peer') as SuiteName[];
  const ranks = q.get('ranks')?.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
  pre.textContent = '';
  const gpu = await GpuContext.create();
  const env = makeEnv(gpu, 'browser', quick, 'see Node side', navigator.hardwareConcurrency ?? 0, navigator.userAgent);
  const mem = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  const ctx: BenchCtx = { gpu, quick, env, log, memory: () => (mem ? mem.usedJSHeapSize : null) };
  log(`webmf bench (browser): ${env.adapter} | ${quick ? 'quick' : 'full'}`);
  try {
    state.result = await runAll(ctx, { suites, ...(ranks?.length ? { ranks } : {}) });
  } finally {
    gpu.destroy();
  }
}

main()
  .catch((e) => {
    state.fatal = `${(e as Error).name}: ${(e as Error).message}`;
    log(`fatal: ${state.fatal}`);
  })
  .finally(() => {
    state.done = true;
  });
