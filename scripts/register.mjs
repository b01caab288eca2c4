// Node entry hooks for running the TypeScript sources directly (CLI, start, bench):
// tsx for TypeScript, plus the `?raw` text imports that vite gives the browser and library builds.
import { register } from 'node:module';
register('tsx/esm', import.meta.url);
register('./raw-hook.mjs', import.meta.url);
