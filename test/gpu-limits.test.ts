/**
 * Lowered GPU limits: the CLI's --gpu-limits parser, GpuContext's checks of a limits request, and one
 * `webmf train --gpu-limits` end to end (bad values are usage errors, exit 2; good ones train).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGpuLimits, UsageError } from '../src/cli/args.ts';
import { checkLimitsRequest } from '../src/gpu/context.ts';
import { InputError } from '../src/core/errors.ts';
import { planChunks } from '../src/kernels/device-csr.ts';
import { LimitError } from '../src/core/errors.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('--gpu-limits and limits requests', () => {
  it('parses NAME=SIZE lists with binary and decimal units', () => {
    expect(parseGpuLimits('train', 'maxStorageBufferBindingSize=4MiB,maxBufferSize=8MiB')).toEqual({ maxStorageBufferBindingSize: 4 * 2 ** 20, maxBufferSize: 8 * 2 ** 20 });
    expect(parseGpuLimits('train', ' maxBufferSize = 2GiB , deviceMemory=3GB')).toEqual({ maxBufferSize: 2 ** 31, deviceMemory: 3e9 });
    expect(parseGpuLimits('train', 'maxStorageBufferBindingSize=1048576')).toEqual({ maxStorageBufferBindingSize: 1048576 });
  });
  it.each([
    ['maxStorageBufferBindingSize', /NAME=SIZE/],
    ['maxStorage=4MiB', /unknown limit 'maxStorage'/],
    ['maxBufferSize=4TB', /unknown unit 'TB'/],
    ['maxBufferSize=512KiB', /at least 1MiB/],
    ['maxBufferSize=1.5MiB,maxBufferSize=2MiB', /names maxBufferSize twice/],
    ['maxBufferSize=1048577', /multiple of 4/],
    ['maxBufferSize=-4MiB', /NAME=SIZE/],
  ])('refuses %s with a clear usage error', (text, msg) => {
    let err: unknown;
    try {
      parseGpuLimits('train', text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(msg);
  });
  it('GpuContext.create checks the request: known names, whole bytes, at least 1 MiB', () => {
    expect(checkLimitsRequest({ maxBufferSize: 2 ** 20 })).toEqual({ maxBufferSize: 2 ** 20 });
    expect(() => checkLimitsRequest({ maxBufferSize: 1000 })).toThrow(InputError);
    expect(() => checkLimitsRequest({ maxBufferSize: Number.NaN })).toThrow(/whole number of bytes/);
    expect(() => checkLimitsRequest({ maxTextureDimension2D: 2 ** 20 })).toThrow(/unknown limit 'maxTextureDimension2D'/);
    expect(() => checkLimitsRequest(7)).toThrow(InputError);
  });
  it('chunk plans keep rows whole, cover every entry once, and name a row too long for one binding', () => {
    const indptr = Uint32Array.from([0, 3, 3, 7, 8, 12]);
    const c = planChunks(indptr, 5);
    expect(c).toEqual([
      { row0: 0, row1: 2, entry0: 0, entry1: 3 },
      { row0: 2, row1: 4, entry0: 3, entry1: 8 },
      { row0: 4, row1: 5, entry0: 8, entry1: 12 },
    ]);
    expect(planChunks(indptr, 100)).toEqual([{ row0: 0, row1: 5, entry0: 0, entry1: 12 }]);
    expect(planChunks(Uint32Array.of(0), 4)).toEqual([{ row0: 0, row1: 0, entry0: 0, entry1: 0 }]);
    expect(() => planChunks(indptr, 3)).toThrow(LimitError);
    expect(() => planChunks(indptr, 3)).toThrow(/row 2 has 4 entries/);
  });
  it('webmf train --gpu-limits trains under 1 MiB limits; a bad value exits 2 before reading the data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'webmf-limits-'));
    try {
      const lines = ['u,i,r'];
      for (let u = 0; u < 40; u++) for (let k = 0; k < 8; k++) lines.push(`${u},${(u * 7 + k * 3) % 30},${1 + ((u + k) % 5)}`);
      writeFileSync(join(dir, 'r.csv'), lines.join('\n') + '\n');
      const run = (...a: string[]) => spawnSync(process.execPath, [join(root, 'bin/webmf.js'), ...a], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      const ok = run('train', '--data', 'r.csv', '--rank', '4', '--iters', '2', '--backend', 'gpu', '--ranking', 'none', '--gpu-limits', 'maxStorageBufferBindingSize=1MiB,maxBufferSize=2MiB', '--json');
      expect(ok.status, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout.trim()).backend).toBe('gpu');
      const bad = run('train', '--data', 'missing.csv', '--gpu-limits', 'maxBufferSize=12');
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/--gpu-limits: maxBufferSize must be .* at least 1MiB/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
