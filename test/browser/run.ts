/**
 * The shared GPU-vs-CPU suite in headless Chrome: vite serves the test page on 127.0.0.1,
 * puppeteer opens it with WebGPU enabled, and the page runs every case on navigator.gpu.
 * Prints the adapter and one line per case; exits non-zero on any failure.
 * Usage: node --import ./scripts/register.mjs test/browser/run.ts [--grep TEXT]
 * (WEBMF_LIMITED_ALL=1: the page runs the whole case list under the 1 MiB limits, as Node does.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openServedBrowser } from './chrome.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const grepIdx = process.argv.indexOf('--grep');
const grep = grepIdx > 0 ? process.argv[grepIdx + 1] : '';
const TIMEOUT_MS = 15 * 60_000;

async function main(): Promise<number> {
  const served = await openServedBrowser({ root });
  try {
    const page = await served.newPage();
    const query = new URLSearchParams({ ...(grep ? { grep } : {}), ...(process.env.WEBMF_LIMITED_ALL === '1' ? { limitedAll: '1' } : {}) }).toString();
    const url = `http://127.0.0.1:${served.port}/test/browser/index.html${query ? `?${query}` : ''}`;
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => window.__webmf?.adapter || window.__webmf?.done, { timeout: 120_000 });
    const adapter = await page.evaluate(() => window.__webmf!.adapter);
    console.log(`[chrome] WebGPU adapter: ${adapter || '(none)'}`);
    let printed = 0;
    const t0 = Date.now();
    for (;;) {
      const s = await page.evaluate(() => ({ results: window.__webmf!.results, done: window.__webmf!.done, fatal: window.__webmf!.fatal }));
      for (; printed < s.results.length; printed++) {
        const r = s.results[printed];
        console.log(`  ${r.ok ? '✓' : '✗'} ${r.name} (${Math.round(r.ms)} ms)${r.error ? `\n      ${r.error}` : ''}`);
      }
      if (s.done) {
        const passed = s.results.filter((r) => r.ok).length;
        const failed = s.results.length - passed + (s.fatal ? 1 : 0);
        if (s.fatal) console.error(`[chrome] fatal: ${s.fatal}`);
        mkdirSync(`${root}/test-artifacts`, { recursive: true });
        writeFileSync(`${root}/test-artifacts/browser-results.json`, JSON.stringify({ adapter, passed, failed, results: s.results }, null, 2));
        console.log(`[chrome] ${passed} passed, ${failed} failed`);
        return failed === 0 && passed > 0 ? 0 : 1;
      }
      if (Date.now() - t0 > TIMEOUT_MS) {
        console.error('[chrome] timed out waiting for the suite');
        return 1;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await served.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`[chrome] ${(e as Error).message}`);
    process.exit(1);
  },
);
