/**
 * End-to-end test of the browser demo: builds the page with vite, serves the build on 127.0.0.1,
 * and drives it in headless Chrome (WebGPU on, SwiftShader on machines without a GPU). It loads a
 * small synthetic set, trains ALS and SGD on the GPU, runs the ALS-vs-SGD comparison, reads
 * recommendations with titles, folds in a new user, hovers the PCA map and runs the Learn table —
 * and checks that no console error appeared and that no main-thread task broke the 100 ms budget
 * while training (a trace's per-task CPU and wall times; see whileTraining). Screenshots go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer';
import { CHROME_ARGS, ensureChrome } from './browser/chrome.ts';
import { findSets } from '../src/demo/serve.ts';
import { Rng } from '../src/util/random.ts';
import { zipSync } from 'fflate';
import { TOY_TABLE } from '../src/demo/toy.ts';
import type { BenchResults } from '../bench/lib/types.ts';

const TOY_TABLE_NULL = (u: number, i: number) => TOY_TABLE[u][i] === null;

const root = fileURLToPath(new URL('..', import.meta.url));
const artifacts = join(root, 'test-artifacts');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.wasm': 'application/wasm' };

interface DemoState {
  ready: boolean;
  webgpu: boolean;
  adapter: string;
  loaded: { ratings: number; users: number; items: number; test: number } | null;
  runs: { label: string; backend: string; error?: string; stopped: string; history: { iteration: number; trainRmse: number; validationRmse?: number; delta?: number }[] }[];
  errors: string[];
  learnTrace: number[][];
}
declare global {
  interface Window {
    __demo: DemoState & {
      chartPoints(): number; maxChartDrawMs(): number; mapPoints(): number; mapRenderer(): string; mapScreenOf(j: number): [number, number] | null;
      bench(): { running: boolean; result: BenchResults | null };
      tuneResult(): { trials: { rank: number; lambda: number; iterations: number; score: number }[]; best: { rank: number; lambda: number; iterations: number; score: number }; stopped: string; uploads: number; validationRatings: number; metric: string } | null;
    };
  }
}

/**
 * A small MovieLens-format set (ratings.csv + movies.csv with quoted titles), generated here, for
 * the "served MovieLens" path: the demo server offers such files from the webmf cache.
 */
function writeMovieLens(dir: string): { ratings: number } {
  mkdirSync(join(dir, 'ml-e2e'), { recursive: true });
  const rng = new Rng(3);
  const lines = ['userId,movieId,rating,timestamp'];
  for (let u = 1; u <= 40; u++) for (let m = 1; m <= 25; m++) if (rng.next() < 0.5) lines.push(`${u},${m * 10},${(1 + rng.int(9)) / 2},${1_500_000_000 + u * 1000 + m}`);
  writeFileSync(join(dir, 'ml-e2e', 'ratings.csv'), lines.join('\n') + '\n');
  const movies = ['movieId,title,genres'];
  for (let m = 1; m <= 25; m++) movies.push(`${m * 10},"Film ${m}, The (${1990 + m})",Drama|Comedy`);
  writeFileSync(join(dir, 'ml-e2e', 'movies.csv'), movies.join('\n') + '\n');
  // The same files as a MovieLens-style zip, for the file picker.
  const enc = new TextEncoder();
  const zip = zipSync({ 'ml-e2e/ratings.csv': enc.encode(lines.join('\n') + '\n'), 'ml-e2e/movies.csv': enc.encode(movies.join('\n') + '\n') });
  mkdirSync(join(dir, '..', 'upload'), { recursive: true });
  writeFileSync(join(dir, '..', 'upload', 'ml-e2e.zip'), zip);
  return { ratings: lines.length - 1 };
}

/** Serves a folder on 127.0.0.1 (a free port), and `data` at /webmf-data/ as the demo server does. */
function serve(dir: string, data: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let base = dir;
    if (path === '/webmf-data/index.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(findSets(data)));
      return;
    }
    if (path.startsWith('/webmf-data/')) {
      base = data;
      path = path.slice('/webmf-data'.length);
    }
    let file = normalize(join(base, path === '/' ? 'index.html' : path));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      let body: Buffer | string = readFileSync(file);
      // As the demo server does: announce the data index.
      if (file.endsWith('index.html')) body = body.toString('utf8').replace('</head>', '<meta name="webmf-data" content="/webmf-data/index.json"></head>');
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/` });
  }));
}

describe('browser demo, end to end (vite build, 127.0.0.1, headless Chrome with WebGPU)', () => {
  let outDir = '';
  let dataDir = '';
  let served = { ratings: 0 };
  let server: Server | null = null;
  let browser: Browser | null = null;
  let page: Page;
  let url = '';
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    outDir = mkdtempSync(join(tmpdir(), 'webmf-demo-'));
    await build({ root, logLevel: 'error', mode: 'production', build: { outDir, emptyOutDir: true } });
    dataDir = join(mkdtempSync(join(tmpdir(), 'webmf-demo-data-')), 'cache');
    mkdirSync(dataDir);
    served = writeMovieLens(dataDir);
    ({ server, url } = await serve(outDir, dataDir));
    const executablePath = await ensureChrome();
    browser = await puppeteer.launch({ executablePath, headless: true, args: [...CHROME_ARGS, '--window-size=1440,1000'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 960 });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${(e as Error).message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(null)));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
    if (dataDir) rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  /** page.waitForFunction, failing with the page's own errors when it times out. */
  async function waitFor<A extends unknown[]>(fn: (...a: A) => unknown, what: string, timeout: number, ...args: A): Promise<void> {
    try {
      await page.waitForFunction(fn as (...a: unknown[]) => unknown, { timeout, polling: 100 }, ...args);
    } catch (e) {
      const errs = await page.evaluate(() => window.__demo?.errors ?? []).catch(() => []);
      await shot('failure').catch(() => {});
      throw new Error(`timed out waiting for ${what} (${timeout} ms); page errors: ${JSON.stringify(errs)}; console errors: ${JSON.stringify(consoleErrors)}`, { cause: e });
    }
  }

  const shot = (name: string) => page.screenshot({ path: join(artifacts, `demo-${name}.png`), fullPage: true });
  const state = () => page.evaluate(() => ({ ...window.__demo, chartPoints: window.__demo.chartPoints() }));

  /**
   * Runs `act`, waits until `nRuns` runs have finished, and returns the page's main-thread tasks
   * meanwhile that broke the 100 ms budget (the RAIL response budget: a task longer than that
   * delays the page's answer to input by a noticeable amount), from a trace of the window
   * (category 'toplevel': every task's wall time `dur` and its thread's CPU time `tdur`).
   *
   * What is measured is the demo's own main-thread work, not the machine's load: training runs
   * in a worker, and a main-thread task's CPU time is what the demo controls, while its wall
   * time also counts the time the scheduler gave the thread's core to other processes (with a
   * load of 12 on 2 cores, a 20 ms task can take 120 ms). A task breaks the budget when
   *  - its CPU time exceeds 100 ms (work the demo should have moved off the main thread or cut
   *    up; the same on any machine, loaded or not), or
   *  - its wall time exceeds 100 ms times the window's stretch, the median wall/CPU ratio of the
   *    main thread's tasks of 2 ms CPU or more (about 1 on an idle machine, ~6 at load 12): a
   *    task that waits (a synchronous read-back, say) stands out of its neighbours by far more
   *    than the load stretches them, so blocking on something other than the CPU still fails.
   */
  async function whileTraining(act: () => Promise<void>, nRuns: number): Promise<{ ms: number; cpuMs: number; stretch: number }[]> {
    await page.tracing.start({ categories: ['toplevel'] });
    let events: { ph: string; name: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string } }[];
    try {
      await act();
      await waitFor((n) => window.__demo.runs.length >= n, 'the training runs to finish', 60_000, nRuns);
    } finally {
      const buf = await page.tracing.stop();
      events = buf ? JSON.parse(new TextDecoder().decode(buf)).traceEvents : [];
    }
    const mainThreads = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
    const tasks = events
      .filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && mainThreads.has(`${e.pid}:${e.tid}`) && e.tdur !== undefined)
      .map((e) => ({ ms: e.dur! / 1000, cpuMs: e.tdur! / 1000 }));
    expect(tasks.length, 'main-thread tasks in the trace').toBeGreaterThan(0);
    const ratios = tasks.filter((t) => t.cpuMs >= 2).map((t) => t.ms / t.cpuMs).sort((a, b) => a - b);
    const stretch = Math.max(1, ratios.length ? ratios[Math.floor(ratios.length / 2)] : 1);
    const worst = tasks.reduce((a, t) => (t.cpuMs > a.cpuMs ? t : a), tasks[0]);
    console.log(`e2e: ${tasks.length} main-thread tasks while training; the most CPU: ${worst.cpuMs.toFixed(1)} ms (wall ${worst.ms.toFixed(1)} ms); stretch ${stretch.toFixed(2)}`);
    return tasks.filter((t) => t.cpuMs > 100 || t.ms > 100 * stretch).map((t) => ({ ...t, stretch }));
  }

  it('loads a synthetic set, trains ALS and SGD on the GPU, recommends with titles, folds in a new user', async () => {
    await page.goto(url, { waitUntil: 'load' });
    await waitFor(() => window.__demo?.ready, 'the engine worker to be ready', 30_000);
    const s0 = await state();
    expect(s0.webgpu, `the demo found no WebGPU adapter in Chrome (errors: ${s0.errors.join('; ')})`).toBe(true);
    expect(s0.adapter.length).toBeGreaterThan(0);

    // Data: a MovieLens-format set offered by the server, read by the library's reader in the worker.
    await waitFor(() => document.querySelectorAll('#served-list button').length > 0, 'the served data list', 10_000);
    await page.click('#served-list button');
    await waitFor(() => window.__demo.loaded !== null, 'the served set to load', 30_000);
    const ml = (await state()).loaded!;
    expect(ml.ratings).toBe(served.ratings);
    expect(ml.users).toBe(40);
    expect(await page.$eval('#stats-detail', (e) => e.textContent)).toMatch(/titles from movies\.csv \(25 items\)/);
    const titles = await page.$$eval('#you-results li .t', (els) => els.map((e) => e.textContent ?? ''));
    expect(titles.length).toBeGreaterThan(10);
    for (const t of titles) expect(t).toMatch(/^Film \d+, The \(\d{4}\)$/);

    // The same set as a zip through the file picker (read in the worker, unzipped on the fly).
    await page.evaluate(() => (window.__demo.loaded = null));
    const input = (await page.$('#file-input')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(join(dataDir, '..', 'upload', 'ml-e2e.zip'));
    await waitFor(() => window.__demo.loaded !== null, 'the uploaded zip to load', 30_000);
    expect((await state()).loaded!.ratings).toBe(served.ratings);
    expect(await page.$eval('#stats-detail', (e) => e.textContent)).toMatch(/titles from .*movies\.csv \(25 items\)/);

    // A plain user,item,rating file dropped on the drop zone.
    await page.evaluate(() => {
      window.__demo.loaded = null;
      const lines: string[] = [];
      for (let u = 0; u < 30; u++) for (let i = 0; i < 20; i++) if ((u * 7 + i * 3) % 4 === 0) lines.push(`u${u},i${i},${1 + ((u + i) % 5)}`);
      const dt = new DataTransfer();
      dt.items.add(new File([lines.join('\n')], 'my-ratings.csv', { type: 'text/csv' }));
      document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await waitFor(() => window.__demo.loaded !== null, 'the dropped file to load', 30_000);
    expect((await state()).loaded!.ratings).toBe(150);
    expect((await state()).loaded!.users).toBe(30);

    // Then the tiny synthetic preset, for training.
    await page.evaluate(() => (window.__demo.loaded = null));
    await page.select('#synth-preset', 'tiny');
    await page.click('#load-synth');
    await waitFor(() => window.__demo.loaded !== null, 'the data set to load', 30_000);
    const loaded = (await state()).loaded!;
    expect(loaded.ratings).toBe(12_000);
    expect(loaded.users).toBe(300);
    expect(loaded.test).toBeGreaterThan(500);
    expect(await page.$eval('#st-ratings', (e) => e.textContent)).toBe('12,000');
    // Quiz 1 on the Learn tab follows the loaded set: N·M possible ratings and the known fraction.
    const quiz = await page.$$eval('#learn-quiz1 [data-k]', (els) => Object.fromEntries(els.map((e) => [(e as HTMLElement).dataset.k!, Number((e as HTMLElement).dataset.v)])));
    expect(quiz['quiz1.data.possible']).toBe(loaded.users * loaded.items);
    expect(quiz['quiz1.data.fill']).toBe(loaded.ratings / (loaded.users * loaded.items));
    await shot('1-data');

    // Train: ALS on the GPU, 5 iterations.
    await page.click('[data-tab=train]');
    await page.select('#algo', 'als');
    await page.$eval('#iters', (e) => ((e as HTMLInputElement).value = '5'));
    await page.click('input[name=backend][value=gpu]');
    const longAls = await whileTraining(() => page.click('#start'), 1);
    let s = await state();
    const als = s.runs[0];
    expect(als.error, als.error).toBeUndefined();
    expect(als.backend).toBe('gpu');
    expect(als.history).toHaveLength(5);
    const alsTest = als.history.map((r) => r.validationRmse!);
    expect(alsTest.every(Number.isFinite)).toBe(true);
    // A computed expectation instead of a fixed bar: the same data (the tiny preset at the page's
    // seed), the same split (worker: 10% test, seed 7) and the same settings (read from the page)
    // fitted by the f64 CPU engine in Node. The page's validation RMSE is an f32 tree reduction of
    // ~1,200 squared errors (16 per thread, then 256- and parts-wide trees: <= ~40 u = 2.4e-6 of the
    // sum, u = 2^-24, so ~1.2e-6 of the RMSE), and the GPU's factors differ from f64 by rounding of
    // the solves (test/gpu/cases-als.ts: <= 5e-5 of the scale per prediction), which moves the RMSE by
    // ~gap / sqrt(n) since the gaps are not aligned with the residuals. Measured: |page - f64| <=
    // 1.8e-8 absolute (2.8e-8 relative) on SwiftShader, where the tree's roundings largely cancel.
    // Bound: 2e-6 of the RMSE, the reduction's worst case (not the measured gap x 10, so that another
    // adapter's kernels and summation orders pass). And the fit must beat predicting the training
    // mean by a wide margin.
    {
      const { demoSynthetic } = await import('../src/demo/synth.ts');
      const { splitRandom } = await import('../src/data/split.ts');
      const { fitAls } = await import('../src/train/als/index.ts');
      const synthSeed = Number(await page.$eval('#synth-seed', (e) => (e as HTMLInputElement).value)) || 0;
      const rank = Number(await page.$eval('#rank', (e) => (e as HTMLInputElement).value));
      const lambda = Number(await page.$eval('#lambda', (e) => (e as HTMLInputElement).value));
      const useBias = await page.$eval('#bias', (e) => (e as HTMLInputElement).checked);
      const weightedLambda = await page.$eval('#weighted', (e) => (e as HTMLInputElement).checked);
      const { dataset } = demoSynthetic('tiny', synthSeed);
      const split = splitRandom(dataset.ratings, { testFraction: 0.1, seed: 7 });
      expect(split.test.values.length).toBe(loaded.test);
      const ref = await fitAls(split.train, { rank, lambda, useBias, weightedLambda, seed: 42, iterations: 5, backend: 'reference', validation: split.test });
      const refTest = ref.history.map((r) => r.validationRmse!);
      for (let t = 0; t < 5; t++) expect(Math.abs(alsTest[t] - refTest[t]), `iteration ${t + 1}: page ${alsTest[t]} vs f64 ${refTest[t]}`).toBeLessThan(2e-6 * refTest[t]);
      let mean = 0;
      for (const v of split.train.values) mean += v / split.train.values.length;
      let sq = 0;
      for (const v of split.test.values) sq += (v - mean) ** 2;
      const meanRmse = Math.sqrt(sq / split.test.values.length);
      console.log(`e2e: ALS test RMSE per iteration ${alsTest.map((x) => x.toFixed(4)).join(' ')}; f64 CPU ${refTest.map((x) => x.toFixed(4)).join(' ')}; training mean ${meanRmse.toFixed(4)}`);
      // the planted noise (sd 0.5, plus rounding to half stars) puts the floor near 0.55, the mean
      // predictor is ~1.1: learning the planted structure means landing well below 3/4 of the latter
      expect(alsTest[4], `ALS test RMSE ${alsTest[4]} vs the training mean's ${meanRmse}`).toBeLessThan(0.75 * meanRmse);
    }
    // 5 train + 5 test points on the chart (redraws are coalesced, so allow a moment).
    await waitFor(() => window.__demo.chartPoints() >= 10, 'ALS points on the chart', 5_000);
    // Convergence: the iteration table shows the fit's ‖WᵗHᵗ − Wᵗ⁻¹Hᵗ⁻¹‖_F per iteration, and a
    // user-set ε marks the first iteration below it (where a fit with that tolerance stops).
    const deltas = als.history.map((r) => r.delta);
    expect(deltas.every((d) => d !== undefined && Number.isFinite(d) && d > 0), JSON.stringify(deltas)).toBe(true);
    expect(await page.$$eval('#iter-table tbody tr', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.delta)).reverse())).toEqual(deltas);
    const sorted = [...(deltas as number[])].sort((a, b) => a - b);
    for (const eps of [sorted[0] / 2, (sorted[1] + sorted[2]) / 2, sorted[4] * 2]) {
      await page.$eval('#train-eps', (e, v) => {
        (e as HTMLInputElement).value = String(v);
        e.dispatchEvent(new Event('input'));
      }, eps);
      const want = als.history.find((r) => r.delta! < eps)?.iteration;
      expect(await page.$eval('#train-stop', (e) => (e as HTMLElement).dataset.stop), `eps ${eps}`).toBe(want === undefined ? '' : String(want));
    }

    // SGD (Hogwild) on the GPU.
    await page.select('#algo', 'sgd-hogwild');
    // where the demo shows the SGD/GD update, it says the gradient's −2 is folded into α
    expect(await page.$eval('#lr-note', (e) => ((e as HTMLElement).hidden ? '' : e.textContent))).toMatch(/−2 is folded into α/);
    await page.$eval('#iters', (e) => ((e as HTMLInputElement).value = '12'));
    const longSgd = await whileTraining(() => page.click('#start'), 2);
    s = await state();
    const sgd = s.runs[1];
    expect(sgd.error, sgd.error).toBeUndefined();
    expect(sgd.backend).toBe('gpu');
    expect(sgd.history).toHaveLength(12);
    expect(sgd.history[11].validationRmse!).toBeLessThan(sgd.history[0].validationRmse!);
    await waitFor(() => window.__demo.chartPoints() >= 10 + 24, 'SGD points on the chart', 5_000);

    // Head to head on the same split: fills the comparison table and draws both curves.
    await page.$eval('#iters', (e) => ((e as HTMLInputElement).value = '6'));
    const longH2h = await whileTraining(() => page.click('#h2h-run'), 4);
    await waitFor(() => document.querySelectorAll('#h2h-table tbody tr').length >= 8, 'the comparison table', 10_000);
    const h2hRows = await page.$$eval('#h2h-table tbody tr', (rows) => rows.map((r) => (r as HTMLElement).innerText));
    expect(h2hRows.join('\n')).toMatch(/Final test RMSE\s+\d\.\d{4}\s+\d\.\d{4}/);
    // Memory, measured: device buffers the GPU runs held at their peak (ALS solves r x r systems per
    // row on top of the data SGD also holds, so it needs more), printed as the summaries report them.
    const [hA, hS] = (await state()).runs.slice(-2) as unknown as { deviceBytes?: number; shape?: { users: number; items: number; ratings: number } }[];
    expect(hA.deviceBytes).toBeGreaterThan(0);
    expect(hS.deviceBytes).toBeGreaterThan(0);
    expect(hA.deviceBytes!).toBeGreaterThan(hS.deviceBytes!);
    const { fmtBytes } = await import('../src/demo/dom.ts');
    expect(h2hRows.find((r) => r.startsWith('Memory'))).toContain(`${fmtBytes(hA.deviceBytes!)}\t${fmtBytes(hS.deviceBytes!)}`);
    expect(h2hRows.find((r) => r.startsWith('Parallelism'))).toContain(`${hA.shape!.users.toLocaleString('en-US')} user rows, then ${hA.shape!.items.toLocaleString('en-US')} item rows`);
    // Parallelism, measured: what the fits dispatched at once (the tiny set fits one batch per side;
    // Hogwild keeps many updates in flight, fewer than the ratings)
    const pA = (hA as { parallelism?: { userRows: number; userBatches: number; itemRows: number; itemBatches: number } }).parallelism!;
    const pS = (hS as { parallelism?: { updatesInFlight: number } }).parallelism!;
    expect(pA).toEqual({ userRows: hA.shape!.users, userBatches: 1, itemRows: hA.shape!.items, itemBatches: 1 });
    expect(pS.updatesInFlight).toBeGreaterThan(1);
    expect(pS.updatesInFlight).toBeLessThan(hS.shape!.ratings);
    expect(h2hRows.find((r) => r.startsWith('Parallelism: at once'))).toContain(`${pA.userRows.toLocaleString('en-US')} user rows per dispatch, then ${pA.itemRows.toLocaleString('en-US')} item rows per dispatch\t${pS.updatesInFlight.toLocaleString('en-US')} updates in flight`);
    // Both curves on the comparison chart: 6 train + 6 test points each, beside the 34 above.
    expect(await page.evaluate(() => window.__demo.chartPoints())).toBe(34 + 24);
    await shot('2-train');
    // The same curves against wall-clock seconds.
    await page.click('#xaxis button[data-x=seconds]');
    await waitFor(() => document.querySelector('#xaxis button[data-x=seconds]')!.getAttribute('aria-pressed') === 'true', 'the seconds axis', 5_000);
    expect(await page.evaluate(() => window.__demo.chartPoints())).toBe(34 + 24);
    await shot('2b-train-seconds');

    // Choose rank: tune() live in the worker on the training split (ALS on the GPU, the Train tab's
    // options), checked against the same search run here on the f64 engine. Per trial the scores are
    // validation RMSEs after 1-2 iterations of the same fits (a warm start resumes from the exact f32
    // factors), so the 2e-6 relative bound argued above for the ALS curve holds for each.
    {
      await page.select('#algo', 'als');
      await page.$eval('#tune-ranks', (e) => ((e as HTMLInputElement).value = '2,4'));
      await page.$eval('#tune-lambdas', (e) => ((e as HTMLInputElement).value = '0.05,0.5'));
      await page.$eval('#tune-iters', (e) => ((e as HTMLInputElement).value = '2'));
      await page.click('#tune-run');
      await waitFor(() => document.getElementById('tune-best')?.dataset.done, 'the Choose rank search', 60_000);
      expect(await page.$eval('#tune-best', (e) => e.textContent)).toMatch(/^Best: rank \d+, λ [\d.]+ — validation RMSE \d\.\d{4} after 2 iterations/);
      const tr = (await page.evaluate(() => window.__demo.tuneResult()))!;
      expect(tr.metric).toBe('rmse');
      expect(tr.trials).toHaveLength(4);
      expect(tr.uploads).toBe(1); // the four trials shared one upload of the ratings
      const full = tr.trials.filter((t) => t.iterations === 2);
      expect(full).toHaveLength(2);
      expect(tr.best.score).toBe(Math.min(...full.map((t) => t.score)));
      const { demoSynthetic } = await import('../src/demo/synth.ts');
      const { splitRandom } = await import('../src/data/split.ts');
      const { tune } = await import('../src/tune/tune.ts');
      const synthSeed = Number(await page.$eval('#synth-seed', (e) => (e as HTMLInputElement).value)) || 0;
      const useBias = await page.$eval('#bias', (e) => (e as HTMLInputElement).checked);
      const weightedLambda = await page.$eval('#weighted', (e) => (e as HTMLInputElement).checked);
      const split = splitRandom(demoSynthetic('tiny', synthSeed).dataset.ratings, { testFraction: 0.1, seed: 7 });
      const ref = await tune(split.train, { grid: { rank: [2, 4], lambda: [0.05, 0.5] }, iterations: 2, seed: 42, als: { backend: 'reference', useBias, weightedLambda } });
      expect(tr.validationRatings).toBe(ref.validationRatings);
      for (const t of ref.trials) {
        const p = tr.trials.find((x) => x.rank === t.rank && x.lambda === t.lambda)!;
        expect(p, `trial ${t.rank}/${t.lambda}`).toBeDefined();
        expect(p.iterations, `trial ${t.rank}/${t.lambda}`).toBe(t.iterations);
        expect(Math.abs(p.score - t.score), `trial ${t.rank}/${t.lambda}: page ${p.score}, f64 ${t.score}`).toBeLessThan(2e-6 * t.score);
      }
      expect(await page.$$eval('#tune-table tbody tr', (r) => r.length)).toBe(4);
      await (await page.$('#tune-card'))!.screenshot({ path: join(artifacts, 'demo-choose-rank.png') });
    }

    const long = [...longAls, ...longSgd, ...longH2h];
    console.log(`e2e: longest chart redraw ${(await page.evaluate(() => window.__demo.maxChartDrawMs())).toFixed(1)} ms; long tasks while training: ${long.length}`);
    expect(long, `main-thread tasks over the 100 ms budget while training: ${JSON.stringify(long)}`).toEqual([]);

    // Recommend: a user's list, with titles.
    await page.click('[data-tab=recommend]');
    await page.click('#user-go');
    await waitFor(() => document.querySelectorAll('#user-recs li').length >= 10, "the user's recommendations", 15_000);
    const recs = await page.$$eval('#user-recs li .t', (els) => els.map((e) => e.textContent ?? ''));
    expect(recs.every((t) => /\(\d{4}\)$/.test(t))).toBe(true);
    const rated = await page.$$eval('#user-rated li .t', (els) => els.map((e) => e.textContent ?? ''));
    expect(rated.length).toBeGreaterThan(0);
    expect(recs.filter((t) => rated.includes(t))).toEqual([]);
    // It ranks as the library's recommend does, by the ranking model, and says so; predicted rating on request.
    expect(await page.$eval('#ranked-by', (e) => e.textContent)).toMatch(/^ranking model: implicit ALS on rated events, rank 16, alpha 1, lambda 0\.1$/);
    expect(await page.$eval('#user-recs-unit', (e) => e.textContent)).toBe('preference score');
    await page.select('#rank-by', 'explicit');
    await waitFor(() => /^predicted rating/.test(document.getElementById('ranked-by')!.textContent ?? ''), 'the explicit ranking', 15_000);
    await waitFor(() => document.querySelectorAll('#user-recs li').length >= 10, "the user's recommendations by predicted rating", 15_000);
    expect(await page.$eval('#user-recs-unit', (e) => e.textContent)).toBe('predicted rating (unclipped)');
    await page.select('#rank-by', 'ranking');
    await waitFor(() => /^ranking model/.test(document.getElementById('ranked-by')!.textContent ?? ''), 'the ranking model again', 15_000);

    // "You" mode: rate three popular titles; fold-in gives recommendations at once.
    const picks = await page.$$('#you-results li');
    expect(picks.length).toBeGreaterThanOrEqual(3);
    const ratedTitles: string[] = [];
    for (const [k, stars] of [[0, 5], [1, 5], [2, 1]] as const) {
      ratedTitles.push(await picks[k].$eval('.t', (e) => e.textContent ?? ''));
      const buttons = await picks[k].$$('.stars button');
      await buttons[stars - 1].click();
    }
    await waitFor(() => document.querySelectorAll('#you-recs li').length >= 10 && document.querySelectorAll('#you-ratings .chip').length === 3 && document.getElementById('you-recs')!.dataset.ratings === '3', 'fold-in recommendations', 15_000);
    const youRecs = await page.$$eval('#you-recs li .t', (els) => els.map((e) => e.textContent ?? ''));
    expect(youRecs.filter((t) => ratedTitles.includes(t))).toEqual([]);
    expect(await page.$eval('#you-timing', (e) => e.textContent)).toMatch(/fold-in \+ top-k: [\d.]+ ms/);
    await shot('3-recommend');

    // Explore: the PCA map draws with WebGPU and names the item under the pointer.
    await page.click('[data-tab=explore]');
    await waitFor(() => window.__demo.mapPoints() > 50, 'the PCA map', 15_000);
    expect(await page.evaluate(() => window.__demo.mapRenderer())).toBe('webgpu');
    await new Promise((r) => setTimeout(r, 300));
    const box = (await (await page.$('#map'))!.boundingBox())!;
    const p = (await page.evaluate(() => window.__demo.mapScreenOf(0)))!;
    await page.mouse.move(box.x + p[0], box.y + p[1]);
    await waitFor(() => !document.getElementById('map-tip')!.hidden, 'the hover tooltip', 5_000);
    expect(await page.$eval('#map-tip', (e) => e.textContent)).toMatch(/\(\d{4}\)$/);
    await page.type('#sim-search', 'Orbit');
    await waitFor(() => document.querySelectorAll('#sim-results li').length > 0, 'item search results', 10_000);
    const query = await page.$eval('#sim-results li .t', (e) => e.textContent ?? '');
    await page.click('#sim-results li');
    await waitFor((t) => (document.getElementById('sim-title')!.textContent ?? '').includes(t) && document.querySelectorAll('#sim-list li').length >= 10, 'the similar-items list', 10_000, query);
    const similar = await page.$$eval('#sim-list li .t', (els) => els.map((e) => e.textContent ?? ''));
    expect(similar).not.toContain(query);
    await shot('4-explore');

    expect((await state()).errors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it('Learn tab: every worked number in the page equals the library f64 computation (and the source where it prints one)', async () => {
    consoleErrors.length = 0;
    // a new query string: a real navigation (a hash change alone would keep the loaded set)
    await page.goto(`${url}?learn#learn`, { waitUntil: 'load' });
    await page.click('[data-tab=learn]');
    /** Every printed number: key -> [text, full value]. */
    const read = () => page.$$eval('#tab-learn [data-k]', (els) => Object.fromEntries(els.map((e) => [(e as HTMLElement).dataset.k!, [e.textContent ?? '', Number((e as HTMLElement).dataset.v)]])) as Record<string, [string, number]>);
    const seen = new Set<string>();
    const readAll = async () => {
      const n = await read();
      for (const k of Object.keys(n)) seen.add(k);
      return n;
    };
    let nums = await readAll();
    let checked = 0;
    const checkedKeys = new Set<string>();
    /** The page's value equals the library's (f64, same code, so to 1e-12 relative) and prints as `text` when given. */
    const eq = (key: string, want: number, text?: string) => {
      expect(nums[key], `#tab-learn shows ${key}`).toBeDefined();
      const [shown, v] = nums[key];
      expect(Math.abs(v - want), `${key}: page ${v}, library ${want}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
      if (text !== undefined) expect(shown, key).toBe(text);
      checked++;
      checkedKeys.add(key);
    };
    const L = await import('../src/demo/lessons.ts');
    const eqMat = (key: string, M: ArrayLike<number>[]) => M.forEach((row, r) => Array.from(row).forEach((x, c) => eq(`${key}.${r}.${c}`, x)));
    const eqVec = (key: string, v: ArrayLike<number>) => Array.from(v).forEach((x, k) => eq(`${key}.${k}`, x));
    /** A printed row solve: A, b and x of its normal equations. */
    const eqSolve = (key: string, r: { A: number[][]; b: number[]; x: number[] }) => {
      eqMat(`${key}.A`, r.A);
      eqVec(`${key}.b`, r.b);
      eqVec(`${key}.x`, r.x);
    };
    /** Rows of a row-major f64 factor matrix. */
    const rowsOf = (F: Float64Array, n: number, k: number) => Array.from({ length: n }, (_, r) => Array.from(F.subarray(r * k, (r + 1) * k)));
    // Panel 2: step 0, the closed form, and the source's answers.
    for (const [lam, bob, carol] of [[0, '4.86', '4.03'], [0.1, '4.53', '4.30']] as const) {
      const s = L.toyStep0(lam);
      eq(`step0.${lam}.bob-sholay`, s.P[1][0], bob);
      eq(`step0.${lam}.carol-swades`, s.P[2][1], carol);
    }
    const s01 = L.toyStep0(0.1);
    s01.people[1].x.forEach((x, k) => eq(`step0.bob.w.${k}`, x));
    s01.people[2].A.forEach((row, a) => row.forEach((x, b) => eq(`step0.carol.A.${a}.${b}`, x)));
    eq('step0.bob-sholay', s01.P[1][0], '4.53');
    eqSolve('step0.bob', s01.people[1]);
    eqSolve('step0.carol', s01.people[2]);
    eqVec('step0.carol.w', s01.people[2].x);
    eq('step0.carol-swades', s01.P[2][1], '4.30');
    eqVec('step0.h-sholay', rowsOf(s01.H, 5, 3)[0]);
    eqVec('step0.h-swades', rowsOf(s01.H, 5, 3)[1]);
    // the factor tables beside the toy table: the source's H and the people solved against it
    eqMat('H', rowsOf(s01.H, 5, 3));
    eqMat('W', rowsOf(s01.W, 3, 3));
    // Panel 1 at step 0 (λ = 0.1): the ? cells.
    eq('table.1.0', s01.P[1][0], '4.53');
    eq('table.2.1', s01.P[2][1], '4.30');
    // Panel 3: Alice.
    const al = L.aliceLeastSquares();
    ['2.7756', '1.6564', '1.7466'].forEach((t, k) => eq(`alice.w.${k}`, al.w[k], t));
    eq('alice.sholay', al.fit[0], '4.287');
    al.residual.forEach((r, i) => eq(`alice.fit.2.${i}`, r));
    eq('alice.residual-norm', al.residualNorm);
    eqVec('alice.fit.0', al.ratings);
    eqVec('alice.fit.1', al.fit);
    // H(a − Hᵀw*) is zero up to rounding (printed as 0 below 1e-12)
    al.gradient.forEach((g, k) => eq(`alice.gradient.${k}`, Math.abs(g) < 1e-12 ? 0 : g));
    for (const g of al.gradient) expect(Math.abs(g)).toBeLessThan(1e-9);
    // Panel 4: the 3x3 example at λ = 0, every solve.
    const h0 = L.handsOnIteration(0);
    h0.users.forEach((r, u) => r.x.forEach((x, k) => eq(`handson.user${u}.x.${k}`, x)));
    h0.movies.forEach((r, m) => r.x.forEach((x, k) => eq(`handson.movie${m}.x.${k}`, x)));
    h0.P1.forEach((row, r) => row.forEach((x, c) => eq(`handson.P1.${r}.${c}`, x)));
    eq('handson.user3-movie1', h0.P1[2][0], '16.56');
    eq('handson.user3-movie1-users', h0.Pusers[2][0]);
    eqMat('handson.W0', L.HANDS_ON.W0);
    eqMat('handson.H0', L.HANDS_ON.H0);
    h0.users.forEach((r, u) => eqSolve(`handson.user${u}`, r));
    h0.movies.forEach((r, m) => eqSolve(`handson.movie${m}`, r));
    eqMat('handson.W1', rowsOf(h0.W1, 3, 2));
    eqMat('handson.H1', rowsOf(h0.H1, 3, 2));
    eqMat('handson.Pusers', h0.Pusers);
    ['4.5946', '1.3514'].forEach((t, k) => eq(`handson.user0.x.${k}`, 3.4 / 0.74 * [1, 1 / 3.4][k], t));
    // Panel 5: the worked SGD step and quiz 3.
    const w = L.workedSgdStep();
    eq('sgd.worked.prediction', w.prediction, '0.655');
    eq('sgd.worked.e', w.e, '4.345');
    ['0.4413', '0.2043', '0.3369'].forEach((t, k) => eq(`sgd.worked.w.${k}`, w.w[k], t));
    ['0.9674', '0.1087', '0.8630'].forEach((t, k) => eq(`sgd.worked.h.${k}`, w.h[k], t));
    expect(await page.$eval('#learn-sgd-worked', (e) => e.textContent)).toMatch(/prints h₃ = 0\.8631: a rounding slip.*"we predict 3\.2"/s);
    expect(await page.$eval('#learn-sgd-worked', (e) => e.textContent)).toMatch(/folds the factor −2 into the learning rate/);
    eq('sgd.worked.h2-exact', w.h[2]);
    const q3 = L.quiz3();
    eq('quiz3.e', q3.e, '-2.5');
    ['0.650', '0.075'].forEach((t, k) => eq(`quiz3.w.${k}`, q3.w[k], t));
    ['0.400', '0.825'].forEach((t, k) => eq(`quiz3.h.${k}`, q3.h[k], t));
    // Panel 6: quizzes (no set loaded on this page: the toy table's shape) and facts.
    eq('quiz1.data.possible', 15);
    eq('quiz1.data.fill', 11 / 15);
    eq('quiz1.netflix.possible', 3e12);
    expect(nums['quiz1.netflix.possible'][0]).toBe('3×10¹²');
    eq('quiz1.netflix.fill', 20e9 / 3e12, '0.67%');
    for (const [k, v] of [['users', 3], ['items', 5], ['ratings', 11]] as const) eq(`quiz1.data.${k}`, v, String(v));
    for (const k of ['users', 'items', 'ratings'] as const) eq(`quiz1.netflix.${k}`, L.NETFLIX[k]);
    const q2 = L.quiz2(3, 5, 10);
    eq('quiz2.parameters', q2.parameters, '80');
    eqVec('quiz2.W', q2.W);
    eqVec('quiz2.H', q2.H);
    eq('quiz2.cells', q2.cells, '15');
    for (const r of L.localOptima([1, 2, 3, 4])) {
      eq(`optima.${r.seed}.rmse`, r.rmse);
      r.alice.forEach((x, k) => eq(`optima.${r.seed}.alice.${k}`, x));
      eq(`optima.${r.seed}.bob-sholay`, r.bobSholay);
      eq(`optima.${r.seed}.carol-swades`, r.carolSwades);
    }
    const r1 = L.rankOne();
    r1.P.forEach((row, r) => row.forEach((x, c) => eq(`rank1.P.${r}.${c}`, x)));
    eq('rank1.rmse', r1.rmse);
    await shot('learn-full');
    for (const id of ['table', 'step0', 'alice', 'handson', 'sgd', 'quiz']) await (await page.$(`#learn-panel-${id}`))!.screenshot({ path: join(artifacts, `learn-${id}.png`) });

    // λ is live in the 3x3 example: at 0.1 the 16.56 cell comes back into the rating range.
    await page.$eval('#handson-lambda', (e) => {
      (e as HTMLInputElement).value = '0.1';
      e.dispatchEvent(new Event('input'));
    });
    nums = await readAll();
    const h1 = L.handsOnIteration(0.1);
    h1.P1.forEach((row, r) => row.forEach((x, c) => eq(`handson.P1.${r}.${c}`, x)));
    expect(h1.P1[2][0]).toBeLessThan(5);
    await (await page.$('#learn-panel-handson'))!.screenshot({ path: join(artifacts, 'learn-handson-lambda0.1.png') });

    // SGD one rating at a time: the first update is the worked step, then the table in order.
    await page.click('#sgd-next');
    nums = await readAll();
    eq('sgd.last.e', w.e, '4.3450');
    w.h.forEach((x, k) => eq(`sgd.last.h.${k}`, x));
    await page.click('#sgd-epoch');
    nums = await readAll();
    const sgd = new L.ToySgd(0.01, 0);
    for (let k = 0; k < 12; k++) sgd.step();
    const last = sgd.log.at(-1)!;
    eq('sgd.last.e', last.e);
    last.w.forEach((x, k) => eq(`sgd.last.w.${k}`, x));
    eq('sgd.rmse', sgd.rmse());
    eqVec('sgd.last.wBefore', last.wBefore);
    eqVec('sgd.last.hBefore', last.hBefore);
    // every row of the update log, in order (the first is the worked step)
    sgd.log.forEach((r, j) => {
      const key = `sgd.log.${j + 1}`;
      eq(`${key}.prediction`, r.prediction);
      eq(`${key}.e`, r.e);
      eqVec(`${key}.w`, r.w);
      eqVec(`${key}.h`, r.h);
    });
    expect(sgd.log[0].e).toBe(w.e);
    await (await page.$('#learn-panel-sgd'))!.screenshot({ path: join(artifacts, 'learn-sgd-stepped.png') });

    // ALS as it iterates (λ = 0.1, 4 iterations), with ‖WᵗHᵗ − Wᵗ⁻¹Hᵗ⁻¹‖_F against ε = 0.1.
    await page.$eval('#learn-iters', (e) => ((e as HTMLInputElement).value = '4'));
    await page.click('#learn-run');
    await waitFor(() => /done/.test(document.getElementById('learn-status')!.textContent ?? ''), 'the Learn table to finish', 15_000);
    nums = await readAll();
    const steps = L.toyAls(0.1, 4);
    for (const st of steps) {
      eq(`iter.${st.t}.rmse`, st.rmse);
      eq(`iter.${st.t}.bob-sholay`, st.P[1][0]);
      eq(`iter.${st.t}.carol-swades`, st.P[2][1]);
      if (st.delta !== undefined) eq(`iter.${st.t}.delta`, st.delta);
    }
    steps[4].P.forEach((row, u) => row.forEach((x, i) => TOY_TABLE_NULL(u, i) && eq(`table.${u}.${i}`, x)));
    eqMat('H', rowsOf(steps[4].H, 5, 3));
    eqMat('W', rowsOf(steps[4].W, 3, 3));
    const trace = (await state()).learnTrace;
    expect(trace).toHaveLength(5);
    expect(trace[4]).toEqual([steps[4].P[1][0], steps[4].P[1][4], steps[4].P[2][1], steps[4].P[2][4]]);
    const stop = L.stopAt(steps.map((s) => s.delta), 0.1);
    expect(await page.$eval('#learn-stop', (e) => (e as HTMLElement).dataset.stop)).toBe(stop === null ? '' : String(stop));
    // a user-set ε moves the stop: the first iteration below it
    const eps = (steps[2].delta! + steps[3].delta!) / 2;
    await page.$eval('#learn-eps', (e, v) => {
      (e as HTMLInputElement).value = String(v);
      e.dispatchEvent(new Event('input'));
    }, eps);
    expect(await page.$eval('#learn-stop', (e) => (e as HTMLElement).dataset.stop)).toBe(String(L.stopAt(steps.map((s) => s.delta), eps)));
    await (await page.$('#learn-panel-table'))!.screenshot({ path: join(artifacts, 'learn-table-iterated.png') });
    expect(checked).toBeGreaterThan(100);
    // every number the tab printed, at any stage above, was compared with the library's
    expect([...seen].filter((k) => !checkedKeys.has(k)), 'numbers on the Learn tab that no check compared').toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  /** Every top-level key of the CLI bench's results.json (BenchResults): the compiler keeps this list complete. */
  const BENCH_KEYS: Record<keyof BenchResults, true> = {
    env: true, method: true, calibration: true, kernels: true, fits: true, peer: true, scaling: true, alsRanks: true, projection: true, errors: true, notes: true, seconds: true,
  };

  it('Benchmark tab: the quick suite runs on this GPU, a row per kernel with its labelled roofline projection, and the JSON offered is the bench result', async () => {
    consoleErrors.length = 0;
    await page.goto(`${url}#bench`, { waitUntil: 'load' });
    await waitFor(() => window.__demo?.ready && !(document.getElementById('bench-run') as HTMLButtonElement).disabled, 'the Run button', 30_000);
    expect(await page.$eval('#bench-download', (e) => (e as HTMLElement).hidden)).toBe(true);
    await page.click('#bench-run');
    expect(await page.$eval('#bench-stop', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
    await waitFor(() => window.__demo.bench().result !== null, 'the quick benchmark to finish', 60_000);
    const r = (await page.evaluate(() => window.__demo.bench().result))!;
    expect(r.errors).toEqual([]);
    expect(r.env.runtime).toBe('browser');
    expect(r.env.quick).toBe(true);
    // calibrated peaks of this adapter
    expect(r.calibration!.fma.gflops.max).toBeGreaterThan(0);
    expect(r.calibration!.copy.gbps.max).toBeGreaterThan(0);
    // one row per kernel of the suite (the engine's variant on this adapter, rank 16), each timed and finite
    // (the dual solve of short rows has a row where the engine's variant solves with it: the direct
    // kernels at a rank the register solve does not fuse, as on the demo's device, requested with
    // WebGPU's default limits, whose 8 storage buffers per stage leave out the fused solve's 9)
    const rows = r.kernels!;
    const dual = rows.some((k) => k.kernel.startsWith('Dual solve of short rows'));
    const kernels = ['Gram build', 'Cholesky solve', ...(dual ? ['Dual solve of short rows'] : []), 'Build + solve (ALS rows)', 'CG (3 steps)', 'SGD update (Hogwild)', 'Top-10 scoring'];
    expect(rows.map((k) => k.kernel.replace(/ \((direct|tiled)\)$/, ''))).toEqual(kernels);
    for (const k of rows) {
      expect(k.rank, k.kernel).toBe(16);
      expect(k.note ?? '', k.kernel).not.toMatch(/^failed/);
      for (const v of [k.ms.median, k.ms.min, k.gflops, k.gbps, k.pctPeakFlops!, k.pctPeakBw!]) {
        expect(Number.isFinite(v) && v > 0, `${k.kernel}: ${v}`).toBe(true);
      }
    }
    // the table: the measured cells, and beside them the projection cells, labelled as a roofline projection
    const table = await page.evaluate(() => ({
      heads: [...document.querySelectorAll('#bench-table thead th')].map((e) => e.textContent ?? ''),
      rows: [...document.querySelectorAll('#bench-table tbody tr')].map((tr) => ({
        kernel: (tr as HTMLElement).dataset.kernel,
        cells: [...tr.querySelectorAll('td:not(.proj)')].map((e) => e.textContent ?? ''),
        proj: [...tr.querySelectorAll('td.proj')].map((e) => ({ s: Number((e as HTMLElement).dataset.seconds), text: e.textContent ?? '', title: (e as HTMLElement).title })),
      })),
    }));
    expect(table.heads[0]).toMatch(/^measured/);
    expect(table.heads.slice(2, 10)).toEqual(['kernel', 'rank', 'problem', 'ms', 'GFLOP/s', '% FMA peak', 'GB/s', '% copy BW']);
    const projHeads = table.heads.filter((t) => /roofline projection/.test(t));
    expect(projHeads.length).toBe(1 + 3); // the group header, this adapter and the two datasheet GPUs
    expect(projHeads[0]).toMatch(/not measured/);
    expect(table.rows.map((x) => x.kernel)).toEqual(rows.map((k) => k.kernel));
    for (const [i, x] of table.rows.entries()) {
      expect(x.cells.length).toBe(8);
      expect(Number(x.cells[3])).toBeCloseTo(rows[i].ms.median, 1);
      expect(x.proj.length).toBe(3);
      for (const p of x.proj) {
        expect(Number.isFinite(p.s) && p.s > 0, `${x.kernel}: ${p.s}`).toBe(true);
        expect(p.title).toMatch(/^roofline projection on /);
        expect(p.text).toMatch(/ms \((compute|memory)\)$/);
      }
    }
    // the JSON offered for download: parses, is this run, and has the CLI result's top-level keys
    const offered = await page.evaluate(async () => {
      const a = document.getElementById('bench-download') as HTMLAnchorElement;
      return { hidden: a.hidden, name: a.download, text: await (await fetch(a.href)).text() };
    });
    expect(offered.hidden).toBe(false);
    expect(offered.name).toBe('results.json');
    const json = JSON.parse(offered.text) as BenchResults;
    expect(Object.keys(json).filter((k) => !(k in BENCH_KEYS))).toEqual([]);
    // what `npm run bench -- --suites calibration,kernels,projection` writes
    expect(Object.keys(json).sort()).toEqual(['calibration', 'env', 'errors', 'kernels', 'method', 'projection', 'seconds']);
    expect(json.kernels).toEqual(rows);
    expect(json.projection!.rows.length).toBeGreaterThan(0);
    expect(await page.$eval('#bench-status', (e) => e.textContent)).toMatch(new RegExp(`^Done: ${kernels.length} kernel rows`));
    await shot('7-bench');

    // Stop after the first kernel: the finished rows are kept, shown and offered, and the JSON says it was stopped
    await page.click('#bench-run');
    await waitFor(() => /kernels: rank 16 /.test(document.getElementById('bench-log')!.textContent ?? ''), 'the first kernel row', 30_000);
    await page.click('#bench-stop');
    await waitFor(() => window.__demo.bench().result !== null, 'the stopped benchmark', 30_000);
    const stopped = (await page.evaluate(() => window.__demo.bench().result))!;
    expect(stopped.kernels!.length).toBeGreaterThanOrEqual(1);
    expect(stopped.kernels!.length).toBeLessThan(kernels.length);
    expect(stopped.kernels![0].ms.median).toBeGreaterThan(0);
    expect(stopped.notes!.join(' ')).toMatch(/stopped by the user after \d+ kernel rows/);
    expect(await page.$$eval('#bench-table tbody tr', (trs) => trs.length)).toBe(stopped.kernels!.length);
    expect(await page.$eval('#bench-status', (e) => e.textContent)).toMatch(/^Stopped: \d+ kernel rows/);
    expect(await page.$eval('#bench-download', (e) => (e as HTMLElement).hidden)).toBe(false);
    expect((await state()).errors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it('without WebGPU (?cpu=1): a banner says so, the CPU path trains, and Stop ends a run early', async () => {
    consoleErrors.length = 0;
    await page.goto(`${url}?cpu=1#data`, { waitUntil: 'load' });
    await waitFor(() => window.__demo?.ready, 'the engine worker to be ready', 30_000);
    expect((await state()).webgpu).toBe(false);
    const gpuBanner = async () => page.$eval('#gpu-banner', (e) => ((e as HTMLElement).hidden ? '' : (e.textContent ?? '')));
    expect(await gpuBanner()).toMatch(/No WebGPU.*CPU path/);
    expect(await page.$eval('input[name=backend][value=gpu]', (e) => (e as HTMLInputElement).disabled)).toBe(true);
    expect(await page.evaluate(() => window.__demo.mapRenderer())).toBe('canvas');

    // The toy table trains on the CPU reference engine.
    await page.click('#load-toy');
    await waitFor(() => window.__demo.loaded !== null, 'the toy table to load', 10_000);
    expect((await state()).loaded!.ratings).toBe(11);
    await page.click('[data-tab=train]');
    await page.select('#algo', 'als');
    await page.$eval('#iters', (e) => ((e as HTMLInputElement).value = '3'));
    await page.click('#start');
    await waitFor(() => window.__demo.runs.length >= 1, 'the CPU run', 20_000);
    const run = (await state()).runs[0];
    expect(run.error, run.error).toBeUndefined();
    expect(run.backend).toBe('cpu');
    expect(run.history).toHaveLength(3);

    // The Train tab's tolerance reaches the fit: any delta is below 1e9, so the run stops at the
    // first iteration that measures one, long before the 50 asked for.
    await page.$eval('#iters', (e) => ((e as HTMLInputElement).value = '50'));
    await page.$eval('#tolerance', (e) => ((e as HTMLInputElement).value = '1e9'));
    await page.click('#start');
    await waitFor(() => window.__demo.runs.length >= 2, 'the CPU run with a tolerance', 20_000);
    const conv = (await state()).runs[1];
    expect(conv.error, conv.error).toBeUndefined();
    expect(conv.stopped).toBe('converged');
    expect(conv.history.length).toBeGreaterThan(0);
    expect(conv.history.length).toBeLessThanOrEqual(2);
    expect(await page.$eval('#train-note', (e) => e.textContent)).toMatch(/converged/);
    await page.$eval('#tolerance', (e) => ((e as HTMLInputElement).value = '0'));

    // Stop: a long ALS run on the CPU ends early, says so, and keeps the factors it has.
    await page.click('[data-tab=data]');
    await page.select('#synth-preset', 'ml-100k');
    await page.evaluate(() => (window.__demo.loaded = null));
    await page.click('#load-synth');
    await waitFor(() => window.__demo.loaded !== null, 'the ML-100K-shaped set to load', 30_000);
    await page.click('[data-tab=train]');
    await page.select('#algo', 'als');
    await page.$eval('#iters', (e) => ((e as HTMLInputElement).value = '500'));
    const before = (await state()).runs.length;
    await page.click('#start');
    await waitFor(() => document.getElementById('run-iter')!.textContent !== '0 / 500', 'the first ALS iteration', 30_000);
    await page.click('#stop');
    await waitFor((n) => window.__demo.runs.length > n, 'the stopped run', 20_000, before);
    const stopped = (await state()).runs[before];
    expect(stopped.stopped).toBe('stopped');
    expect(stopped.history.length).toBeGreaterThan(0);
    expect(stopped.history.length).toBeLessThan(500);
    expect(await page.$eval('#train-note', (e) => e.textContent)).toMatch(/stopped after \d+ iterations \(its factors so far are the model now\)/);
    await page.click('[data-tab=recommend]');
    await page.click('#user-go');
    await waitFor(() => document.querySelectorAll('#user-recs li').length >= 10, 'recommendations from the CPU model', 15_000);
    expect(await gpuBanner()).toMatch(/No WebGPU/);
    await shot('6-cpu');
    expect((await state()).errors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});

describe('demo helpers (Node)', () => {
  it('symmetricEigen: V diag(values) Vᵀ rebuilds A, V is orthonormal, values descend', async () => {
    const { symmetricEigen } = await import('../src/demo/pca.ts');
    const n = 7;
    const rng = new Rng(5);
    const B = Array.from({ length: n * n }, () => rng.normal());
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) A[i * n + j] += B[i * n + k] * B[j * n + k];
    const { values, vectors: V } = symmetricEigen(A, n);
    let scale = 0;
    for (const a of A) scale = Math.max(scale, Math.abs(a));
    for (let i = 0; i < n; i++) {
      if (i > 0) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
      for (let j = 0; j < n; j++) {
        let rebuilt = 0;
        let dot = 0;
        for (let k = 0; k < n; k++) {
          rebuilt += V[i * n + k] * values[k] * V[j * n + k];
          dot += V[k * n + i] * V[k * n + j];
        }
        // Jacobi sweeps run until the off-diagonal mass is < 1e-22: far below these f64 bounds.
        expect(Math.abs(rebuilt - A[i * n + j])).toBeLessThan(1e-9 * scale);
        expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-9);
      }
    }
  });

  it('pca3: the first component follows a planted direction of large variance', async () => {
    const { pca3 } = await import('../src/demo/pca.ts');
    const rank = 6;
    const stride = rank + 2;
    const n = 400;
    const rng = new Rng(9);
    const dir = [0.6, -0.8, 0, 0, 0, 0];
    const F = new Float32Array(n * stride);
    for (let r = 0; r < n; r++) {
      const t = rng.normal() * 5;
      for (let c = 0; c < rank; c++) F[r * stride + c] = 3 + t * dir[c] + rng.normal() * 0.2;
      F[r * stride + rank] = 99; // bias columns are not factors
    }
    const rows = Uint32Array.from({ length: n }, (_, i) => i);
    const { coords, explained } = pca3(F, stride, rank, rows);
    expect(explained[0]).toBeGreaterThan(0.95);
    // Projection on PC1 equals the planted coordinate up to sign and centring.
    let num = 0;
    let den1 = 0;
    let den2 = 0;
    for (let r = 0; r < n; r++) {
      let t = 0;
      for (let c = 0; c < rank; c++) t += (F[r * stride + c] - 3) * dir[c];
      num += coords[r * 3] * t;
      den1 += coords[r * 3] ** 2;
      den2 += t * t;
    }
    expect(Math.abs(num) / Math.sqrt(den1 * den2)).toBeGreaterThan(0.999);
  });

  it('synthetic catalogue: seeded, the preset shape, distinct titles per genre', async () => {
    const { demoSynthetic } = await import('../src/demo/synth.ts');
    const a = demoSynthetic('tiny', 4).dataset;
    const b = demoSynthetic('tiny', 4).dataset;
    expect(a.ratings.values.length).toBe(12_000);
    expect(a.ratings.nUsers).toBe(300);
    expect(Array.from(a.ratings.values.subarray(0, 50))).toEqual(Array.from(b.ratings.values.subarray(0, 50)));
    const titles = a.items_meta!.titles;
    expect(new Set(titles.map((t) => t.replace(/ \(\d{4}\)$/, ''))).size).toBe(titles.length);
  });
});
