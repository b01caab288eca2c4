#!/usr/bin/env node
// Runs a TypeScript entry point (through tsx and the `?raw` hook) in a child Node process.
// The library finds its GPU itself (src/gpu/discover.ts), so the environment passes through unchanged.
// Usage: node scripts/run.mjs [--plain] FILE [ARGS...]   (--plain: a JS file, no TS hooks)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
let args = process.argv.slice(2);
const plain = args[0] === '--plain';
if (plain) args = args.slice(1);
const [file, ...rest] = args;
if (!file) {
  console.error('usage: node scripts/run.mjs [--plain] FILE [ARGS...]');
  process.exit(2);
}
const target = file.startsWith('/') ? file : resolve(root, file);
const hooks = plain ? [] : ['--import', `${root}scripts/register.mjs`];
const r = spawnSync(process.execPath, [...hooks, target, ...rest], { stdio: 'inherit' });
if (r.error) console.error(r.error.message);
process.exit(r.status ?? 1);
