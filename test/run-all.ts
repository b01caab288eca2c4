/**
 * `npm test`: makes sure a Chrome/Chromium exists (installing Debian's where allowed; it also brings
 * the SwiftShader software GPU that Node's Dawn uses on machines without a GPU), then runs the Node
 * suite (vitest, Dawn) and the browser suite (puppeteer, headless Chrome), and prints one summary line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureChrome } from './browser/chrome.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const t0 = Date.now();

async function main(): Promise<number> {
  const chrome = await ensureChrome();
  console.log(`webmf tests: browser ${chrome}`);
  // No GPU variables are set here: the library finds its adapter itself (src/gpu/discover.ts).
  const env = { ...process.env, PUPPETEER_EXECUTABLE_PATH: chrome };
  mkdirSync(`${root}/test-artifacts`, { recursive: true });

  const vitestJson = `${root}/test-artifacts/vitest.json`;
  const node = spawnSync(
    process.execPath,
    [`${root}node_modules/vitest/vitest.mjs`, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`],
    { cwd: root, env, stdio: 'inherit' },
  );
  let nodePassed = 0;
  let nodeFailed = node.status === 0 ? 0 : 1;
  // Failures are repeated after the summary, so the last lines of a long log say what failed and why.
  const failures: string[] = [];
  if (existsSync(vitestJson)) {
    const j = JSON.parse(readFileSync(vitestJson, 'utf8'));
    nodePassed = j.numPassedTests ?? 0;
    nodeFailed = (j.numFailedTests ?? 0) + (node.status === 0 ? 0 : j.numFailedTests ? 0 : 1);
    for (const file of j.testResults ?? []) {
      for (const t of file.assertionResults ?? []) {
        if (t.status !== 'failed') continue;
        const why = firstLines(String(t.failureMessages?.[0] ?? ''));
        failures.push(`node ${file.name?.replace(root, '') ?? ''} > ${t.fullName ?? t.title}\n      ${why}`);
      }
      if (file.status === 'failed' && !(file.assertionResults ?? []).length) failures.push(`node ${file.name}: ${firstLines(String(file.message ?? ''))}`);
    }
  }

  const browser = spawnSync(process.execPath, ['--import', `${root}scripts/register.mjs`, `${root}test/browser/run.ts`], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  let brPassed = 0;
  let brFailed = browser.status === 0 ? 0 : 1;
  const brJson = `${root}/test-artifacts/browser-results.json`;
  if (existsSync(brJson)) {
    const j = JSON.parse(readFileSync(brJson, 'utf8'));
    brPassed = j.passed;
    brFailed = j.failed + (browser.status === 0 || j.failed ? 0 : 1);
    for (const r of j.results ?? []) if (!r.ok) failures.push(`chrome > ${r.name}\n      ${firstLines(String(r.error ?? ''))}`);
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  console.log(`\nnode (Dawn): ${nodePassed} passed, ${nodeFailed} failed; chrome: ${brPassed} passed, ${brFailed} failed; ${secs} s`);
  if (failures.length) console.log(`\nfailed:\n${failures.map((f) => `  ✗ ${f}`).join('\n')}`);
  console.log(`${nodePassed + brPassed} passed, ${nodeFailed + brFailed} failed`);
  return nodeFailed + brFailed === 0 ? 0 : 1;
}

/** The first lines of a failure message (the assertion and its values), without the stack. */
function firstLines(msg: string): string {
  const lines = msg.split('\n').filter((l) => !/^\s+at /.test(l));
  return lines.slice(0, 6).join('\n      ').slice(0, 1500);
}

main().then(
  (c) => process.exit(c),
  (e) => {
    console.error(`webmf tests: ${(e as Error).message}`);
    process.exit(1);
  },
);
