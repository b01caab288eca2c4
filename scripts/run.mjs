#!/usr/bin/env node
// Runs a TypeScript entry point (through tsx and the `?raw` hook) in a child Node process.
// The library finds its GPU itself (src/gpu/discover.ts), so the environment passes through unchanged.
// Usage: node scripts/run.mjs [--plain] FILE [ARGS...]   (--plain: a JS file, no TS hooks)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { constants } from 'node:os';

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
// Ctrl-C reaches the child too (same process group): it decides what to do (webmf train saves and exits 130).
// This process only waits for it, instead of dying at once and leaving it orphaned.
process.on('SIGINT', () => {});
const r = spawnSync(process.execPath, [...hooks, target, ...rest], { stdio: 'inherit' });
if (r.error) console.error(r.error.message);
// A child ended by a signal exits as a shell reports it: 128 + the signal number (130 for SIGINT).
process.exit(r.status ?? (r.signal ? 128 + (constants.signals[r.signal] ?? 0) : 1));
