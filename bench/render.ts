/**
 * Re-renders results.md and the SVG plots of a results folder from its results.json (after a change
 * to the report or plot code; no measurement is repeated).
 * Usage: node scripts/run.mjs bench/render.ts bench/results/<folder> [...]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeResults } from './lib/node.ts';
import type { BenchResults } from './lib/types.ts';

const dirs = process.argv.slice(2);
if (!dirs.length) {
  console.error('usage: node scripts/run.mjs bench/render.ts RESULTS_DIR [...]');
  process.exit(2);
}
for (const dir of dirs) {
  const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchResults;
  writeResults(res, dir);
  console.log(`re-rendered ${dir}`);
}
