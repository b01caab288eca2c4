/**
 * Reading ratings in a Web Worker in headless Chrome: vite serves a generated page that builds a ratings.csv Blob
 * (seeded synthetic data, MovieLens 25M shape scaled to --ratings lines), reads it with readRatingsInWorker (the
 * reader-worker.ts module worker; arrays transferred back), checks the result against the generator's arrays and
 * reports MB/s, progress events, and that an AbortSignal stops a read. Main thread read of the same Blob for comparison.
 *
 *   node --import ./scripts/register.mjs bench/data-worker-browser.ts [--ratings 2000000]
 */
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { openServedBrowser } from '../test/browser/chrome.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const i = process.argv.indexOf('--ratings');
const nRatings = i > 0 ? Number(process.argv[i + 1]) : 2_000_000;

const PAGE = `<!doctype html><meta charset="utf-8"><title>webmf data worker</title>
<script type="module">
import { readRatingsInWorker } from '/src/data/worker-client.ts';
import { readRatings } from '/src/data/read.ts';
import { generateSynthetic, presetOptions } from '/src/data/synthetic.ts';
const out = (window.__out = { log: [] });
try {
  const n = ${nRatings};
  const o = presetOptions('ml-25m', { seed: 3 });
  const ds = generateSynthetic({ ...o, nRatings: n, nUsers: Math.max(100, Math.round(o.nUsers * n / o.nRatings)), nItems: Math.max(100, Math.round(o.nItems * Math.sqrt(n / o.nRatings))), minUserDegree: 1 });
  const r = ds.ratings;
  const parts = ['userId,movieId,rating,timestamp\\n'];
  let s = '';
  for (let k = 0; k < n; k++) {
    s += (r.users[k] + 1) + ',' + (r.items[k] + 1) + ',' + r.values[k].toFixed(1) + ',' + r.timestamps[k] + '\\n';
    if (s.length > 1 << 20) { parts.push(s); s = ''; }
  }
  parts.push(s);
  const blob = new File(parts, 'ratings.csv');
  out.bytes = blob.size;
  let progress = 0;
  const t0 = performance.now();
  const got = await readRatingsInWorker(blob, { onProgress: () => progress++ });
  out.workerMs = performance.now() - t0;
  out.progress = progress;
  let bad = 0;
  for (let k = 0; k < n; k++) {
    if (got.users.ids[got.ratings.users[k]] !== r.users[k] + 1 || got.items.ids[got.ratings.items[k]] !== r.items[k] + 1 || got.ratings.values[k] !== r.values[k] || got.ratings.timestamps[k] !== r.timestamps[k]) bad++;
  }
  out.ratings = got.ratings.values.length;
  out.mismatches = bad;
  out.detected = got.report.detected;
  const t1 = performance.now();
  const main = await readRatings(blob, {});
  out.mainMs = performance.now() - t1;
  out.mainRatings = main.ratings.values.length;
  const ctl = new AbortController();
  const p = readRatingsInWorker(blob, { signal: ctl.signal, progressEvery: 1 << 20, onProgress: (q) => { if (q.bytes > blob.size / 4) ctl.abort(); } });
  out.abort = await p.then(() => 'not aborted', (e) => e.name + ': ' + e.message);
} catch (e) {
  out.error = String(e && e.stack || e);
}
out.done = true;
</script>`;

const pagePlugin: Plugin = {
  name: 'data-worker-page',
  configureServer(server) {
    server.middlewares.use((req, res, next) => {
      if (req.url !== '/__data_worker.html') return next();
      server.transformIndexHtml('/__data_worker.html', PAGE).then((html) => {
        res.setHeader('content-type', 'text/html');
        res.end(html);
      }, next);
    });
  },
};

async function main(): Promise<number> {
  const served = await openServedBrowser({ root, plugins: [pagePlugin] });
  try {
    const page = await served.newPage();
    await page.goto(`http://127.0.0.1:${served.port}/__data_worker.html`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as unknown as { __out?: { done?: boolean } }).__out?.done, { timeout: 600_000, polling: 500 });
    const out = await page.evaluate(() => (window as unknown as { __out: Record<string, unknown> }).__out);
    if (out.error) {
      console.error(`[chrome] ${out.error}`);
      return 1;
    }
    const mb = (out.bytes as number) / 1e6;
    console.log(`chrome ${await served.browser.version()}: ${mb.toFixed(1)} MB ratings.csv Blob, ${out.ratings} ratings (${String(out.detected).split(' — ')[0]})`);
    console.log(`worker read: ${((out.workerMs as number) / 1000).toFixed(2)} s = ${(mb / ((out.workerMs as number) / 1000)).toFixed(1)} MB/s, ${out.progress} progress events, ${out.mismatches} mismatches vs the generator`);
    console.log(`main-thread read: ${((out.mainMs as number) / 1000).toFixed(2)} s = ${(mb / ((out.mainMs as number) / 1000)).toFixed(1)} MB/s (${out.mainRatings} ratings)`);
    console.log(`abort at 25 %: ${out.abort}`);
    return out.mismatches === 0 && out.ratings === out.mainRatings && String(out.abort).startsWith('AbortError') ? 0 : 1;
  } finally {
    await served.close();
  }
}

process.exitCode = await main();
