import { defineConfig } from 'vite';
import { resolve } from 'node:path';

// Two builds share this file:
//  - the demo app (default): `vite build` -> dist/app
//  - the library: `vite build --mode lib` -> dist/lib/webmf.js, node.js, cli.js (WGSL inlined through `?raw`);
//    `npm run build:lib` (and `npm pack`) runs it and adds the declarations (scripts/build-lib.mjs)
// COOP + COEP: the demo is cross-origin isolated, so SharedArrayBuffer (the f32 CPU engine's worker threads) is available.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig(({ mode }) => ({
  server: { host: '127.0.0.1', headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
  worker: { format: 'es' },
  build:
    mode === 'lib'
      ? {
          outDir: 'dist/lib',
          lib: {
            entry: {
              webmf: resolve(import.meta.dirname, 'src/index.ts'),
              node: resolve(import.meta.dirname, 'src/node.ts'),
              cli: resolve(import.meta.dirname, 'src/cli/main.ts'),
            },
            formats: ['es'],
          },
          target: 'es2022',
          rollupOptions: { external: ['webgpu', 'fflate', 'webgpu-utils', /^node:/] },
        }
      : { outDir: 'dist/app', target: 'es2022' },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two test files at a time: on a 2-core machine one file (one GPU case list, one CLI child
    // process) leaves a core idle about a third of the time; vitest's default is cores - 1.
    maxWorkers: 2,
  },
}));
