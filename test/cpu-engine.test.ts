/**
 * The f32 CPU engine's host side in Node: the single-thread fallback without shared memory, worker
 * failures as typed errors, and the 'auto' probe's cache file. (Its numerical checks against the
 * f64 reference are shared cases in test/gpu/cases-cpu.ts, run in Node and Chrome.)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitAls } from '../src/train/als/index.ts';
import { fitSgd } from '../src/train/sgd/index.ts';
import { chooseEngine, forgetProbes } from '../src/cpu-engine/auto.ts';
import { createExec, workerSource } from '../src/cpu-engine/pool.ts';
import { gramWasmBytes } from '../src/cpu-engine/wasm.ts';
import { sparseRatings } from './gpu/fixtures.ts';

describe('f32 CPU engine host', () => {
  it('without SharedArrayBuffer it runs on the calling thread, says why, and gives the same fit', async () => {
    const data = sparseRatings(5, 40, 30, [0, 2, 7, 15]);
    const o = { rank: 4, iterations: 3, lambda: 0.1, useBias: true, backend: 'cpu' as const, threads: 2 };
    const pooled = await fitAls(data, o);
    const saved = globalThis.SharedArrayBuffer;
    let inline: Awaited<ReturnType<typeof fitAls>>;
    try {
      // @ts-expect-error: simulate a runtime without shared memory (a page that is not cross-origin isolated)
      delete globalThis.SharedArrayBuffer;
      const exec = await createExec({ threads: 2 });
      expect(exec.shared).toBe(false);
      expect(exec.threads).toBe(1);
      expect(exec.reason).toMatch(/1 thread: SharedArrayBuffer is not available/);
      exec.destroy();
      inline = await fitAls(data, o);
    } finally {
      globalThis.SharedArrayBuffer = saved;
    }
    expect(pooled.backendReason).toMatch(/2 worker threads/);
    expect(inline.backendReason).toMatch(/1 thread: SharedArrayBuffer is not available/);
    // Rows are solved independently by the same code: the pool and the calling thread agree exactly.
    expect(Array.from(inline.model.userFactors)).toEqual(Array.from(pooled.model.userFactors));
    expect(Array.from(inline.model.itemFactors)).toEqual(Array.from(pooled.model.itemFactors));
  });

  it('a job that fails inside a worker rejects with a typed error naming the worker, and bad thread counts are refused', async () => {
    const exec = await createExec({ threads: 2 });
    try {
      await expect(exec.run('solveRows', [{}, {}])).rejects.toMatchObject({ name: 'WebmfError', message: /CPU engine worker failed: TypeError/ });
    } finally {
      exec.destroy();
    }
    await expect(createExec({ threads: 0 })).rejects.toThrow(/threads must be an integer in \[1, 256\], got 0/);
    await expect(fitAls(sparseRatings(1, 5, 5, [3]), { backend: 'cpu', threads: 1.5 })).rejects.toThrow(/threads/);
    await expect(fitSgd(sparseRatings(1, 5, 5, [3]), { backend: 'cpu', threads: -1 })).rejects.toThrow(/threads must be an integer/);
  });

  it('the worker source is self-contained: every kernel it calls is defined in it', () => {
    const src = workerSource();
    for (const name of ['gramWasm', 'deltaGrams', 'gramRows', 'gramBlocked', 'choleskyInPlace', 'solveRows', 'sgdUpdate', 'sgdHogwild', 'sgdStratified', 'gdResiduals', 'gdSide']) {
      expect(src).toContain(`function ${name}(`);
    }
    expect(() => new Function(src.replace(/^if \(typeof require[\s\S]*$/m, ''))).not.toThrow();
  });

  it('the committed WebAssembly bytes are what scripts/build-wasm.mjs makes of gram.wat, and they validate', async () => {
    const { buildGramWasm, moduleSource } = await import('../scripts/build-wasm.mjs');
    const committed = readFileSync(new URL('../src/cpu-engine/gram-wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(moduleSource(await buildGramWasm()));
    expect(gramWasmBytes()).not.toBeNull();
    const f = await fitAls(sparseRatings(2, 30, 20, [4, 9]), { rank: 3, iterations: 1, backend: 'cpu', threads: 1 });
    expect(f.backendReason).toMatch(/WebAssembly SIMD Gram/);
  });

  it("'auto' keeps the probe in <cache>/webmf/engine-probe.json and uses it on the next run", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webmf-probe-'));
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = dir;
    try {
      forgetProbes();
      const first = await chooseEngine({ backend: 'auto' }, 'sgd', 2);
      first.own?.destroy();
      if (!/software adapter/.test(first.reason)) return; // a hardware adapter is never probed
      const file = join(dir, 'webmf', 'engine-probe.json');
      const cache = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { engine: string; gpuMs: number; cpuMs: number }>;
      const key = Object.keys(cache).find((k) => k.includes('|sgd|r2|'));
      expect(key).toBeDefined();
      expect(cache[key!].engine).toBe(first.engine);
      // A verdict written by an earlier run is what the next process uses (here: doctored to say GPU).
      cache[key!] = { engine: 'gpu', gpuMs: 1, cpuMs: 2 };
      writeFileSync(file, JSON.stringify(cache));
      forgetProbes();
      const next = await chooseEngine({ backend: 'auto' }, 'sgd', 2);
      next.own?.destroy();
      expect(next.engine).toBe('gpu');
      expect(next.reason).toMatch(/cached probe at rank 2, GPU 1\.0 ms vs f32 CPU 2\.0 ms/);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
      forgetProbes();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
