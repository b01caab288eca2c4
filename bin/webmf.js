#!/usr/bin/env node
// The `webmf` command: runs src/cli/main.ts (see scripts/run.mjs for the environment it sets up).
import { fileURLToPath } from 'node:url';
process.argv.splice(2, 0, fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
await import('../scripts/run.mjs');
