/**
 * LIBMF as the benchmarks' peer, through the npm `libmf` package (native LIBMF via koffi; Node only),
 * typed for the part of its API the benchmarks use, since the package ships no declarations.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import type { Ratings } from '../../src/data/ratings.ts';

export interface LibmfModule {
  Loss: { REAL_L2: number };
  Matrix: new () => { push(row: number, col: number, value: number): void };
  Model: new (opts: Record<string, unknown>) => { fit(m: unknown): void; rmse(m: unknown): number; destroy(): void };
}

/** The loaded package and its version (read from its package.json). */
export async function loadLibmf(): Promise<LibmfModule & { version: string }> {
  const name = 'libmf';
  const mod = (await import(/* @vite-ignore */ name)) as LibmfModule;
  const pkg = createRequire(import.meta.url).resolve(name).replace(/src[\\/]index\.js$/, 'package.json');
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  return { Loss: mod.Loss, Matrix: mod.Matrix, Model: mod.Model, version };
}

/** `r` as a LIBMF matrix (one push per rating). */
export function libmfMatrix(lib: Pick<LibmfModule, 'Matrix'>, r: Ratings): InstanceType<LibmfModule['Matrix']> {
  const m = new lib.Matrix();
  for (let k = 0; k < r.values.length; k++) m.push(r.users[k], r.items[k], r.values[k]);
  return m;
}
