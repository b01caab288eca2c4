#!/usr/bin/env node
// Builds the published package's dist/: ES modules with the WGSL inlined (vite, library mode) in
// dist/lib, and the .d.ts declarations (tsc, tsconfig.lib.json) in dist/types. Run by `prepack`.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (args) => {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
rmSync(join(root, 'dist/lib'), { recursive: true, force: true });
rmSync(join(root, 'dist/types'), { recursive: true, force: true });
run([join(root, 'node_modules/vite/bin/vite.js'), 'build', '--mode', 'lib', '--logLevel', 'warn']);
run([join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.lib.json']);

// The sources import each other as './x.ts'; tsc keeps those specifiers in declarations, which
// consumers without allowImportingTsExtensions reject. Point them at the emitted './x.js' names
// (TypeScript maps x.js to x.d.ts), and make the WebGPU types the declarations use a visible dependency.
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.d.ts')) {
      let s = readFileSync(p, 'utf8')
        // WGSL is inlined in dist/lib; its declarations are plain strings, not '?raw' modules.
        .replace(/export \{ default as (\w+) \} from '[^']*\?raw';/g, 'export declare const $1: string;')
        .replace(/import (\w+) from '[^']*\?raw';/g, 'declare const $1: string;')
        .replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]*?)\.ts\2/g, '$1$2$3.js$2');
      if (/\bGPU[A-Z]\w*\b/.test(s)) s = `/// <reference types="@webgpu/types" />\n${s}`;
      writeFileSync(p, s);
    }
  }
}
walk(join(root, 'dist/types'));
