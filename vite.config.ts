import { defineConfig } from 'vite';
import { resolve } from 'node:path';

// Two builds share this file:
//  - the demo app (default): `vite build` -> dist/app
//  - the library: `vite build --mode lib` -> dist/lib/webmf.js (WGSL inlined through `?raw`)
export default defineConfig(({ mode }) => ({
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  worker: { format: 'es' },
  build:
    mode === 'lib'
      ? {
          outDir: 'dist/lib',
          lib: { entry: resolve(import.meta.dirname, 'src/index.ts'), formats: ['es'], fileName: 'webmf' },
          rollupOptions: { external: ['webgpu', /^node:/] },
        }
      : { outDir: 'dist/app', target: 'es2022' },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
}));
