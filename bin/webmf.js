#!/usr/bin/env node
// webmf command-line entry. Runs the TypeScript sources through tsx, in a child process whose
// environment lets Dawn find a software Vulkan adapter when the machine has no GPU.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { softwareGpuEnv } from '../scripts/gpu-env.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const [script = 'src/cli/main.ts', ...args] = process.env.WEBMF_SCRIPT
  ? [process.env.WEBMF_SCRIPT, ...process.argv.slice(2)]
  : ['src/cli/main.ts', ...process.argv.slice(2)];
const env = { ...process.env, ...softwareGpuEnv() };
const r = spawnSync(process.execPath, ['--import', `${root}scripts/register.mjs`, `${root}${script}`, ...args], {
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? 1);
