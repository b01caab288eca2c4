/**
 * `--split` for `webmf train`: parses random:F | leave:K | time:F and delegates to the data layer's
 * seeded splits (src/data/split.ts): random holdout, per-user leave-k-out, global temporal cutoff at
 * the (1 − F) quantile of the timestamps.
 */
import { InputError } from '../core/errors.ts';
import type { Ratings } from '../data/ratings.ts';
import { splitLeaveKOut, splitRandom, splitTemporal, type SplitReport } from '../data/split.ts';
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

/** Train/test by the data layer's seeded splits; test users/items absent from train move to train (reported). */
export async function splitDataset(ds: Dataset, spec: string, seed: number): Promise<{ train: Dataset; test: Ratings; report: SplitReport }> {
  const p = parseSplit(spec);
  const r = ds.ratings;
  const s =
    p.kind === 'random'
      ? splitRandom(r, { seed, testFraction: p.fraction })
      : p.kind === 'leave'
        ? splitLeaveKOut(r, { seed, k: p.k })
        : splitTemporal(r, { seed, testFraction: p.fraction });
  if (s.test.values.length === 0) throw new InputError(`train: --split ${spec} left no test ratings`);
  return { train: { ...ds, ratings: s.train }, test: s.test, report: s.report };
}
