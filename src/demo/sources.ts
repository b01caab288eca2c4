/**
 * Where the demo's data comes from (runs inside the engine worker): the source's toy table, a seeded
 * synthetic set of a chosen shape, the user's own files (picker / drag-and-drop: csv, dat, zip, with
 * movies.csv / movies.dat / u.item for titles), or MovieLens files served beside the page.
 * Files go through the library's streaming reader (src/data/read.ts) with progress; nothing is held
 * as one object per rating.
 */
import { IdMap } from '../data/ratings.ts';
import { TOY_MOVIES, TOY_PEOPLE, toyRatings } from './toy.ts';
import type { Dataset } from '../data/dataset.ts';
import { readRatings, type ByteSource } from '../data/read.ts';
import { InputError } from '../core/errors.ts';
import { demoSynthetic, SYNTHETIC_PRESETS } from './synth.ts';
import type { SourceSpec } from './protocol.ts';

export type Progress = (phase: string, fraction: number, text: string) => void;

export { TOY_H, TOY_MOVIES, TOY_PEOPLE, TOY_TABLE } from './toy.ts';

export function toyDataset(): Dataset {
  return {
    name: 'Toy table (Alice, Bob, Carol)',
    ratings: toyRatings(),
    users: IdMap.from(TOY_PEOPLE),
    items: IdMap.from(TOY_MOVIES),
    scale: [1, 5],
    items_meta: { titles: [...TOY_MOVIES] },
  };
}

const RATING_FILE = /(^|\/)(ratings\.csv|ratings\.dat|u\.data|combined_data_\d+\.txt)$|\.(csv|dat|tsv|txt|data|zip)$/i;
const META_FILE = /(^|\/)(movies\.csv|movies\.dat|u\.item|movie_titles\.(csv|txt))$/i;

export interface Loaded {
  dataset: Dataset;
  detail: string;
}

async function readWithProgress(source: ByteSource, fileName: string, size: number | undefined, progress: Progress, meta?: { source: ByteSource; fileName: string }, name?: string): Promise<Loaded> {
  const ds = await readRatings(source, {
    fileName,
    name: name ?? fileName,
    itemMeta: meta,
    totalBytes: size,
    progressEvery: 1 << 20,
    duplicates: 'last',
    onProgress: (p) => {
      const total = p.totalBytes ?? size;
      const f = total ? Math.min(1, p.bytes / total) : 0;
      progress('read', f, `${(p.bytes / 1e6).toFixed(1)} MB${total ? ` of ${(total / 1e6).toFixed(1)} MB` : ''}, ${p.lines.toLocaleString('en-US')} lines`);
    },
  });
  const r = ds.report;
  const bits = [r.detected, `${r.lines.toLocaleString('en-US')} lines`];
  if (r.duplicates) bits.push(`${r.duplicates} duplicate pairs (kept the last)`);
  if (r.skipped) bits.push(`${r.skipped} bad lines skipped`);
  if (r.metaFile) bits.push(`titles from ${r.metaFile} (${r.metaMatched} items)`);
  return { dataset: ds, detail: bits.join('; ') };
}

export async function loadSource(spec: SourceSpec, progress: Progress): Promise<Loaded> {
  switch (spec.kind) {
    case 'toy':
      return { dataset: toyDataset(), detail: "the source's 3 x 5 table (Alice, Bob and Carol; 11 known cells)" };
    case 'synthetic': {
      const p = SYNTHETIC_PRESETS[spec.preset];
      if (!p) throw new InputError(`unknown synthetic preset '${spec.preset}'`);
      const total = p.options.nRatings;
      return demoSynthetic(spec.preset, spec.seed, (f) => progress('generate', f, `${Math.round(f * total).toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ratings`));
    }
    case 'files': {
      const files = spec.files;
      if (!files.length) throw new InputError('no file chosen');
      const meta = files.find((f) => META_FILE.test(f.name));
      const main = files.find((f) => f !== meta && RATING_FILE.test(f.name)) ?? files.find((f) => f !== meta);
      if (!main) throw new InputError(`no rating file among ${files.map((f) => f.name).join(', ')} (movies/titles file alone)`);
      return readWithProgress(main, main.name, main.size, progress, meta ? { source: meta, fileName: meta.name } : undefined);
    }
    case 'url': {
      progress('fetch', 0, `fetching ${spec.ratings}`);
      const res = await fetch(spec.ratings);
      if (!res.ok || !res.body) throw new InputError(`could not fetch ${spec.ratings}: HTTP ${res.status}`);
      const size = Number(res.headers.get('content-length')) || undefined;
      let meta: { source: ByteSource; fileName: string } | undefined;
      if (spec.movies) {
        const m = await fetch(spec.movies);
        if (m.ok) meta = { source: new Uint8Array(await m.arrayBuffer()), fileName: spec.movies.split('/').pop()! };
      }
      return readWithProgress(res.body, spec.ratings.split('/').pop()!, size, progress, meta, spec.name);
    }
  }
}
