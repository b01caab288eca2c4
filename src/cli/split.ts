/**
 * `--split` for `webmf train`: parses random:F | leave:K | time:F and delegates to the data layer's
 * seeded splits (src/data/split.ts).
 */
import { InputError } from '../gpu/errors.ts';
import type { Ratings } from '../data/ratings.ts';
import type { Dataset } from '../data/dataset.ts';
import { UsageError } from './args.ts';

export type SplitSpec = { kind: 'random'; fraction: number } | { kind: 'leave'; k: number } | { kind: 'time'; fraction: number };

export function parseSplit(s: string): SplitSpec {
  const m = /^(random|leave|time):([0-9.eE+-]+)$/.exec(s.trim());
  if (!m) throw new UsageError(`train: --split must be random:FRACTION, leave:K or time:FRACTION, got ${JSON.stringify(s)}`);
  const v = Number(m[2]);
  if (m[1] === 'leave') {
    if (!(Number.isInteger(v) && v >= 1)) throw new UsageError(`train: --split leave:K needs an integer K >= 1, got ${m[2]}`);
    return { kind: 'leave', k: v };
  }
  if (!(v > 0 && v < 1)) throw new UsageError(`train: --split ${m[1]}:F needs 0 < F < 1, got ${m[2]}`);
  return { kind: m[1] as 'random' | 'time', fraction: v };
}

export async function splitDataset(ds: Dataset, spec: string, seed: number): Promise<{ train: Dataset; test: Ratings }> {
  const p = parseSplit(spec);
  let mod: Record<string, unknown>;
  try {
    const path = '../data/split.ts';
    mod = (await import(/* @vite-ignore */ path)) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`train: --split needs the data layer's splits (src/data/split.ts): ${(e as Error).message.split('\n')[0]}`);
  }
  void mod;
  void seed;
  throw new InputError(`train: --split ${p.kind} is not wired to the data layer yet`);
}
