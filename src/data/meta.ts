/**
 * Item metadata readers: MovieLens movies.csv (movieId,title,genres; quoted titles), movies.dat
 * (movieId::title::genres) and u.item (pipe-separated, 19 genre flags). Titles keep the source's spelling; the release
 * year is taken from a trailing "(YYYY)" (or u.item's release date).
 */
import { InputError } from '../core/errors.ts';
import type { ItemMeta } from './dataset.ts';
import type { IdMap } from './ratings.ts';
import { decodeFileText, quoteText } from './intern.ts';

export interface ItemRecord {
  title: string;
  genres: string[];
  year: number;
}

/** The 19 genres of MovieLens 100K's u.item flags, in column order (u.genre). */
export const U_ITEM_GENRES = [
  'unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
];

export type MetaFormat = 'movies.csv' | 'movies.dat' | 'u.item' | 'movie_titles.csv';

/** Splits one CSV line with RFC 4180 quoting. */
export function splitCsvLine(line: string, delimiter = ','): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new InputError('unterminated quote');
        s += line.slice(i, q);
        if (line[q + 1] === '"') {
          s += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(s);
      if (i < line.length && line[i] !== delimiter) throw new InputError('text after a closing quote');
      i++;
    } else {
      const d = line.indexOf(delimiter, i);
      const e = d < 0 ? line.length : d;
      out.push(line.slice(i, e));
      i = e + 1;
    }
  }
  return out;
}

export function yearOf(title: string): number {
  const m = /\((\d{4})(?:[–-]\d{0,4})?\)\s*$/.exec(title);
  return m ? Number(m[1]) : NaN;
}

export function detectMetaFormat(fileName: string, firstLine: string): MetaFormat {
  const base = fileName.split(/[\\/]/).pop()!.toLowerCase();
  if (base === 'u.item' || /^\d+\|[^|]*\|/.test(firstLine)) return 'u.item';
  if (base === 'movie_titles.csv' || base === 'movie_titles.txt' || /^\d+,(\d{4}|NULL),/.test(firstLine)) return 'movie_titles.csv';
  if (base === 'movies.dat' || firstLine.includes('::')) return 'movies.dat';
  if (base === 'movies.csv' || /^movieid,title/i.test(firstLine)) return 'movies.csv';
  throw new InputError(`${fileName}: unknown item metadata format (first line ${quoteText(firstLine.slice(0, 80))}); expected movies.csv, movies.dat, u.item or movie_titles.csv`);
}

/** Parses item metadata into external item ID -> record. Bad lines throw with file and line. */
export function parseItemMeta(bytes: Uint8Array, fileName: string, format?: MetaFormat): Map<string, ItemRecord> {
  const { text } = decodeFileText(bytes);
  const lines = text.split(/\r?\n/);
  const fmt = format ?? detectMetaFormat(fileName, lines[0] ?? '');
  const out = new Map<string, ItemRecord>();
  lines.forEach((line, k) => {
    if (!line.trim()) return;
    if (fmt === 'movies.csv' && k === 0 && /^movieid/i.test(line)) return;
    const fail = (why: string): never => {
      throw new InputError(`${fileName}:${k + 1}: ${why}: ${quoteText(line.slice(0, 120))}`);
    };
    let id: string;
    let title: string;
    let genres: string[];
    let year: number;
    if (fmt === 'movies.csv') {
      let f: string[];
      try {
        f = splitCsvLine(line);
      } catch (e) {
        return fail((e as Error).message);
      }
      if (f.length < 2) fail('expected movieId,title,genres');
      id = f[0].trim();
      title = f[1];
      genres = f[2] && f[2] !== '(no genres listed)' ? f[2].split('|') : [];
      year = yearOf(title);
    } else if (fmt === 'movie_titles.csv') {
      // Netflix Prize: movieId,year,title (the title may contain commas).
      const m = /^\s*([^,]+),([^,]*),(.*)$/.exec(line);
      if (!m) return fail('expected movieId,year,title');
      id = m[1].trim();
      title = m[3];
      genres = [];
      year = /^\d{4}$/.test(m[2].trim()) ? Number(m[2]) : NaN;
    } else if (fmt === 'movies.dat') {
      const f = line.split('::');
      if (f.length < 2) fail('expected movieId::title::genres');
      id = f[0].trim();
      title = f[1];
      genres = f[2] && f[2] !== '(no genres listed)' ? f[2].split('|') : [];
      year = yearOf(title);
    } else {
      const f = line.split('|');
      if (f.length < 5 + U_ITEM_GENRES.length) fail(`expected ${5 + U_ITEM_GENRES.length} "|"-separated fields, found ${f.length}`);
      id = f[0].trim();
      title = f[1];
      genres = U_ITEM_GENRES.filter((_, g) => f[5 + g] === '1');
      year = yearOf(title);
      const rel = /(\d{4})\s*$/.exec(f[2]);
      if (Number.isNaN(year) && rel) year = Number(rel[1]);
    }
    if (!id) fail('empty movie ID');
    out.set(String(/^(0|[1-9]\d{0,14})$/.test(id) ? Number(id) : id), { title, genres, year });
  });
  return out;
}

/** Item metadata aligned with the dense item indices of `items` (items without a record get '' / [] / NaN). */
export function alignItemMeta(items: IdMap, records: Map<string, ItemRecord>): { meta: ItemMeta; matched: number } {
  const n = items.size;
  const titles: string[] = new Array(n).fill('');
  const genres: string[][] = Array.from({ length: n }, () => []);
  const years = new Float64Array(n).fill(NaN);
  let matched = 0;
  for (let i = 0; i < n; i++) {
    const rec = records.get(String(items.ids[i]));
    if (!rec) continue;
    matched++;
    titles[i] = rec.title;
    genres[i] = rec.genres;
    years[i] = rec.year;
  }
  return { meta: { titles, genres, years }, matched };
}
