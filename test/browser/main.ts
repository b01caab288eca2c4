/** Runs the shared GPU-vs-CPU cases in the page, on navigator.gpu, and publishes the results. */
import { GpuContext, adapterName } from '../../src/gpu/context.ts';
import { allCases, chunkCases, limitedCases, limitedContext } from '../gpu/all-cases.ts';

interface CaseResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

declare global {
  interface Window {
    __webmf?: { adapter: string; results: CaseResult[]; done: boolean; fatal?: string };
  }
}

const log = document.getElementById('log')!;
const state: NonNullable<Window['__webmf']> = { adapter: '', results: [], done: false };
window.__webmf = state;

async function main() {
  const filter = new URLSearchParams(location.search).get('grep');
  const gpu = await GpuContext.create();
  state.adapter = adapterName(gpu.adapter);
  log.textContent = `adapter: ${state.adapter}\n`;
  // the case list, then the same cases under 1 MiB binding limits, then chunked data against the unchunked run
  const small = await limitedContext(gpu);
  const runs = [
    ...allCases.map((c) => ({ name: c.name, run: () => gpu.scoped(() => c.run(gpu)) })),
    ...limitedCases.map((c) => ({ name: `[1 MiB limits] ${c.name}`, run: () => small.scoped(() => c.run(small)) })),
    ...chunkCases.map((c) => ({ name: c.name, run: () => gpu.scoped(() => c.run(gpu)) })),
  ];
  for (const c of runs) {
    if (filter && !c.name.includes(filter)) continue;
    const t0 = performance.now();
    try {
      await c.run();
      state.results.push({ name: c.name, ok: true, ms: performance.now() - t0 });
    } catch (e) {
      const err = e as Error;
      state.results.push({ name: c.name, ok: false, ms: performance.now() - t0, error: `${err.name}: ${err.message}` });
    }
    const r = state.results[state.results.length - 1];
    log.textContent += `${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.error ? `\n     ${r.error}` : ''}\n`;
  }
  small.destroy();
  gpu.destroy();
}

main()
  .catch((e) => {
    state.fatal = `${(e as Error).name}: ${(e as Error).message}`;
  })
  .finally(() => {
    state.done = true;
  });
