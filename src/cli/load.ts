/**
 * Rating files for the CLI: streamed from disk by the data layer (src/data/node.ts: format
 * auto-detection, zip archives and folders, file:line errors), and test files mapped onto a model's
 * or a training set's IDs.
 */
import { IdMap, type Ratings } from '../data/ratings.ts';
import type { Dataset } from '../data/dataset.ts';
import type { DuplicatePolicy, ParseOptions, ParseReport } from '../data/parse.ts';
import { readRatingsFile as readDataFile } from '../data/node.ts';
import { withCliAdvice, type LayoutOptions } from './columns.ts';

export interface LoadedFile {
  dataset: Dataset;
  report: ParseReport;
}

/** Reads a ratings file, zip archive or MovieLens/Netflix folder (src/data/node.ts), with its ID maps extended from `users`/`items` copies. */
/** The reading options only the command line's --implicit, --duplicates and --entry set (the layout flags are in columns.ts). */
export interface ReadFlags {
  implicit?: boolean;
  duplicates?: DuplicatePolicy;
  entry?: string;
}

export async function readRatingsFile(
  path: string,
  opts: LayoutOptions & ReadFlags & { users?: IdMap; items?: IdMap; onProgress?: ParseOptions['onProgress'] } = {},
): Promise<LoadedFile> {
  try {
    const ds = await readDataFile(path, {
      format: opts.format ?? 'auto',
      columns: opts.columns,
      delimiter: opts.delimiter,
      header: opts.header,
      implicit: opts.implicit,
      duplicates: opts.duplicates,
      entry: opts.entry,
      users: opts.users,
      items: opts.items,
      onProgress: opts.onProgress,
    });
    return { dataset: ds, report: ds.report };
  } catch (e) {
    throw withCliAdvice(e);
  }
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
