/**
 * The examples under examples/, each run from the packed tarball as a user would: `npm pack` once
 * (prepack builds dist/), then every example gets its own temporary project with the tarball unpacked
 * as node_modules/webmf. The package's dependencies (and the examples' dev tools: vite, typescript,
 * @types/node) are linked from this repository's node_modules, which holds exactly the versions the
 * lock file names: no network, no npm cache, the same every run.
 *  - node:  fit, recommend, save, load (examples/node/main.mjs), and a strict consumer type-check
 *           (strict, skipLibCheck false) of examples/node/check-types.ts against the declarations;
 *  - deno:  examples/deno/main.ts under the `deno` package's binary, WebGPU built in;
 *  - vite:  `vite build` of examples/vite (training in a Web Worker), opened in headless Chrome;
 *  - plain: examples/plain/index.html (import map to dist/lib), opened in headless Chrome.
 * Every server is on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { softwareGpuEnv } from '../src/gpu/discover.ts';
import { openServedBrowser } from './browser/chrome.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
let work = '';
let tarball = '';

/** Runs a command; resolves with its output, rejects (with the output) on a non-zero exit. */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) ok(out);
      else fail(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}:\n${out}`));
    });
  });
}

/** A copy of examples/NAME in the work dir with the tarball installed and `links` linked from node_modules. */
function project(name: string, links: string[] = []): string {
  const dir = join(work, name);
  cpSync(join(root, 'examples', name), dir, { recursive: true });
  const pkg = join(dir, 'node_modules', 'webmf');
  mkdirSync(pkg, { recursive: true });
  const tar = spawnSync('tar', ['xzf', tarball, '-C', pkg, '--strip-components=1']);
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
  const deps = Object.keys(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).dependencies ?? {});
  for (const d of [...deps, ...links]) {
    const to = join(dir, 'node_modules', d);
    if (existsSync(to)) continue;
    mkdirSync(dirname(to), { recursive: true });
    symlinkSync(join(root, 'node_modules', d), to, 'dir');
  }
  return dir;
}

/** The child's environment with no GPU variables: the library must find its adapter itself. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.VK_ICD_FILENAMES;
  delete env.VK_DRIVER_FILES;
  return env;
}

const lastJson = (out: string) => JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).at(-1) ?? 'null');

let typecheck: Promise<string>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'webmf-examples-'));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const packed = await run(npm, ['pack', '--json', '--pack-destination', work], { cwd: root, timeoutMs: 120_000 });
  const info = JSON.parse(packed.slice(packed.indexOf('\n[') + 1 || packed.indexOf('[')));
  tarball = join(work, info[0].filename);
  const files: string[] = info[0].files.map((f: { path: string }) => f.path);
  // The tarball holds the built package and nothing of the sources.
  expect(files).toContain('dist/lib/webmf.js');
  expect(files).toContain('dist/lib/node.js');
  expect(files).toContain('dist/types/index.d.ts');
  expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.endsWith('.wgsl'))).toEqual([]);
  // Started now, checked below: the slowest step runs beside the others.
  const nodeDir = project('node', ['typescript', '@types/node']);
  typecheck = run(process.execPath, [join(nodeDir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: nodeDir, timeoutMs: 120_000 });
  typecheck.catch(() => {}); // reported by its test
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('examples, from the packed tarball', () => {
  it('package.json: exports map types, import and a node condition; types not in src/; chart.js is not a runtime dependency', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.types).toMatch(/^\.\/dist\/types\//);
    expect(pkg.exports['.']).toMatchObject({ types: './dist/types/index.d.ts', import: './dist/lib/webmf.js' });
    expect(pkg.exports['./node']).toMatchObject({ types: './dist/types/node.d.ts', node: './dist/lib/node.js' });
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@webgpu/types', 'fflate', 'webgpu', 'webgpu-utils']);
    expect(pkg.scripts.prepack).toBeTruthy();
  });

  it('node: a fresh ESM project fits on the GPU, recommends, saves and loads the model', async () => {
    const dir = join(work, 'node');
    const out = await run(process.execPath, ['main.mjs', join(work, 'node.webmf')], { cwd: dir, env: cleanEnv() });
    const r = lastJson(out);
    expect(r.backend, out).toBe('gpu');
    // Two taste groups rated 5 or 1 with rank 4: the fit is near exact, and u1's best unseen items are its group's ('a*').
    expect(r.rmse).toBeLessThan(0.1);
    expect(r.top.length).toBe(3);
    expect(r.top.every((id: string) => id.startsWith('a'))).toBe(true);
    expect(r.topLoaded).toEqual(r.top);
    expect(out).toMatch(/adapter: .+ \(.+\)/);
  });

  it('node: the installed package\'s `webmf` command (the built CLI) runs: --version, train with --columns', async () => {
    const dir = join(work, 'node');
    const bin = join(dir, 'node_modules/webmf/bin/webmf.js');
    const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
    expect((await run(process.execPath, [bin, '--version'], { cwd: dir })).trim()).toBe(`webmf ${version}`);
    writeFileSync(join(dir, 'r.csv'), 's,d,y\n' + Array.from({ length: 40 }, (_, k) => `${k % 8},${k % 5},${1 + (k % 5)}`).join('\n') + '\n');
    const r = JSON.parse(await run(process.execPath, [bin, 'train', '--data', 'r.csv', '--columns', 's,d,y', '--rank', '2', '--iters', '2', '--backend', 'cpu', '--json', '--quiet'], { cwd: dir }));
    expect([r.users, r.items, r.ratings]).toEqual([8, 5, 40]);
  });

  it('node: a strict consumer (strict, skipLibCheck false) type-checks clean against the declarations', async () => {
    await typecheck;
  });

  it('deno: the same steps under Deno, with its built-in WebGPU', async () => {
    const dir = project('deno');
    const deno = join(root, 'node_modules', '.bin', 'deno');
    // Deno's WebGPU (wgpu) uses the system Vulkan loader: give this child the SwiftShader variables
    // the library would have used (none where a hardware driver exists).
    const env = { ...cleanEnv(), ...softwareGpuEnv(cleanEnv()), DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(work, 'deno-cache') };
    const out = await run(deno, ['run', '--allow-read', '--allow-write', '--allow-env', 'main.ts', join(work, 'deno.webmf')], { cwd: dir, env });
    const r = lastJson(out);
    expect(r.runtime, out).toMatch(/^deno /);
    expect(r.backend).toBe('gpu');
    expect(r.rmse).toBeLessThan(0.1);
    expect(r.topLoaded).toEqual(r.top);
  });

  it('vite (built, worker) and plain page (import map): both train in headless Chrome and show their top lists', async () => {
    const viteDir = project('vite', ['vite']);
    await run(process.execPath, [join(viteDir, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], { cwd: viteDir });
    expect(existsSync(join(viteDir, 'dist/index.html'))).toBe(true);
    project('plain');
    const b = await openServedBrowser({ root: work, serve: 'static' });
    try {
      for (const [path, n] of [['/vite/dist/index.html', 10], ['/plain/index.html', 5]] as const) {
        const page = await b.newPage();
        await page.goto(`http://127.0.0.1:${b.port}${path}`);
        await page.waitForFunction(() => document.body.dataset.state, { timeout: 90_000 });
        const state = await page.evaluate(() => ({ state: document.body.dataset.state, status: document.getElementById('status')!.textContent, items: [...document.querySelectorAll('#top li')].map((li) => li.textContent) }));
        expect(state.state, `${path}: ${state.status}`).toBe('done');
        expect(state.items.length).toBe(n);
        expect(state.items.every((t) => /^item .+: -?\d+\.\d{3}$/.test(t ?? ''))).toBe(true);
        await page.close();
      }
    } finally {
      await b.close();
    }
  });
});
