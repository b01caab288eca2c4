// Node entry hooks for running the TypeScript sources directly (CLI, start, bench, browser test runner):
// tsx for TypeScript, plus the `?raw` text imports that vite gives the browser and library builds.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./raw-hook.mjs', import.meta.url);
