/**
 * Rating files for the CLI: streamed from disk through the data layer's parser (src/data/parse.ts:
 * format auto-detection, file:line errors), and test files mapped onto a model's or a training
 * set's IDs.
 */
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError } from '../gpu/errors.ts';
import { IdMap, type Ratings } from '../data/ratings.ts';
import type { Dataset } from '../data/dataset.ts';
import { RatingsParser, type ParseOptions, type ParseReport } from '../data/parse.ts';
import type { RatingFormat } from '../data/formats.ts';

export interface LoadedFile {
  dataset: Dataset;
  report: ParseReport;
}

export async function readRatingsFile(path: string, opts: { format?: RatingFormat | 'auto'; users?: IdMap; items?: IdMap; onProgress?: ParseOptions['onProgress'] } = {}): Promise<LoadedFile> {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new InputError(`${path}: not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const parser = new RatingsParser({ format: opts.format ?? 'auto', users: opts.users, items: opts.items, totalBytes: size, onProgress: opts.onProgress });
  parser.beginFile(path);
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  for await (const chunk of stream) parser.push(chunk as Uint8Array);
  const r = parser.finish();
  const dataset: Dataset = {
    name: basename(path),
    ratings: r.ratings,
    users: r.users,
    items: r.items,
    scale: r.report.scale,
    implicit: r.report.implicit,
  };
  return { dataset, report: r.report };
}

/**
 * Keeps the ratings whose user and item are among the first nUsers / nItems dense indices (the
 * training IDs, when the file was read with copies of the training maps); counts the rest.
 */
export function restrictTo(r: Ratings, nUsers: number, nItems: number): { ratings: Ratings; dropped: number } {
  const keep: number[] = [];
  for (let k = 0; k < r.values.length; k++) if (r.users[k] < nUsers && r.items[k] < nItems) keep.push(k);
  const pick = <T extends Int32Array | Float32Array | Float64Array>(a: T): T => {
    const C = a.constructor as new (n: number) => T;
    const o = new C(keep.length);
    keep.forEach((k, j) => (o[j] = a[k]));
    return o;
  };
  const ratings: Ratings = { users: pick(r.users), items: pick(r.items), values: pick(r.values), nUsers, nItems };
  if (r.timestamps) ratings.timestamps = pick(r.timestamps);
  return { ratings, dropped: r.values.length - keep.length };
}

export function cloneIds(m?: IdMap): IdMap | undefined {
  return m ? IdMap.from(m.ids) : undefined;
}
