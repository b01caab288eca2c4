/** Runs the shared GPU-vs-CPU cases in the page, on navigator.gpu, and publishes the results. */
import { GpuContext, adapterName } from '../../src/gpu/context.ts';
import { allCases } from '../gpu/all-cases.ts';

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
  for (const c of allCases) {
    if (filter && !c.name.includes(filter)) continue;
    const t0 = performance.now();
    try {
      await gpu.scoped(() => c.run(gpu));
      state.results.push({ name: c.name, ok: true, ms: performance.now() - t0 });
    } catch (e) {
      const err = e as Error;
      state.results.push({ name: c.name, ok: false, ms: performance.now() - t0, error: `${err.name}: ${err.message}` });
    }
    const r = state.results[state.results.length - 1];
    log.textContent += `${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.error ? `\n     ${r.error}` : ''}\n`;
  }
  gpu.destroy();
}

main()
  .catch((e) => {
    state.fatal = `${(e as Error).name}: ${(e as Error).message}`;
  })
  .finally(() => {
    state.done = true;
  });
