#!/usr/bin/env node
// The `webmf` command. Installed from the package it runs the built CLI (dist/lib/cli.js); in a
// checkout of the repository it runs the TypeScript sources through tsx (see scripts/run.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const src = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
if (existsSync(src) && existsSync(fileURLToPath(new URL('../scripts/run.mjs', import.meta.url)))) {
  process.argv.splice(2, 0, src);
  await import('../scripts/run.mjs');
} else {
  const { runCli } = await import('../dist/lib/cli.js');
  await runCli(process.argv.slice(2));
}
