/**
 * Getting MovieLens (Node): download GroupLens archives into a cache folder and verify them, or — offline — read the
 * MovieLens latest-small snapshot that Debian's r-cran-dslabs package ships as an R lazy-load database.
 *
 * Verification of a download: the size the server announced; the MD5 that GroupLens publishes beside each archive
 * (`<url>.md5`) when it can be fetched, or one given by the caller; and always the zip's own integrity (every entry
 * inflated, CRC-32 and size checked).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError, WebmfError } from '../core/errors.ts';
import type { Dataset } from './dataset.ts';
import { IdInterner } from './intern.ts';
import { resolveDuplicates } from './parse.ts';
import { readLazyLoadIndex, readLazyLoadObject, toDataFrame, type RColumn } from './rdata.ts';
import type { Ratings } from './ratings.ts';
import { verifyZip } from './zipcheck.ts';

export interface MovieLensEntry {
  name: string;
  url: string;
  /** What it holds, for messages. */
  about: string;
  /** MD5 of the archive when pinned (else the GroupLens .md5 file is fetched). */
  md5?: string;
}

const GROUPLENS = 'https://files.grouplens.org/datasets/movielens';

export const MOVIELENS: Record<string, MovieLensEntry> = {
  'ml-100k': { name: 'ml-100k', url: `${GROUPLENS}/ml-100k.zip`, about: '100,000 ratings, 943 users, 1,682 movies (u.data, u.item)' },
  'ml-1m': { name: 'ml-1m', url: `${GROUPLENS}/ml-1m.zip`, about: '1,000,209 ratings, 6,040 users, 3,706 movies (ratings.dat, movies.dat)' },
  'ml-10m': { name: 'ml-10m', url: `${GROUPLENS}/ml-10m.zip`, about: '10,000,054 ratings, 69,878 users, 10,677 movies (ratings.dat, movies.dat)' },
  'ml-25m': { name: 'ml-25m', url: `${GROUPLENS}/ml-25m.zip`, about: '25,000,095 ratings, 162,541 users, 59,047 movies (ratings.csv, movies.csv)' },
  'ml-latest-small': { name: 'ml-latest-small', url: `${GROUPLENS}/ml-latest-small.zip`, about: '~100,000 ratings, 610 users, 9,700 movies (ratings.csv, movies.csv)' },
};

/** The offline snapshot: MovieLens latest-small as of 2016 (100,004 ratings, 671 users, 9,066 movies). */
export const OFFLINE_NAME = 'movielens-small';
export const DATA_NAMES = [...Object.keys(MOVIELENS), OFFLINE_NAME];

export class NetworkError extends WebmfError {}

export interface DataGetOptions {
  /** Cache folder (default $XDG_CACHE_HOME/webmf or ~/.cache/webmf). */
  cacheDir?: string;
  /** Never touch the network: use the cache or the offline source. */
  offline?: boolean;
  /** Download again even when cached. */
  force?: boolean;
  /** Pinned MD5 of the archive (overrides the published one). */
  md5?: string;
  /** Folder holding dslabs' Rdata.rdx/.rdb (default: search the cache, then the system R library, then apt-get download). */
  dslabsDir?: string;
  /** Fetch implementation (default global fetch). */
  fetch?: typeof fetch;
  /** Milliseconds to wait for the server to answer (default 30 s). */
  connectTimeoutMs?: number;
  onProgress?: (p: { phase: string; bytes?: number; totalBytes?: number }) => void;
  /** One line per step taken (also returned in the result). */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface DataGetResult {
  name: string;
  /** What to read: a zip archive, or a folder with ratings.csv + movies.csv. */
  path: string;
  source: 'cache' | 'download' | 'dslabs';
  /** What was done, step by step. */
  log: string[];
}

export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.trim() ? xdg : join(homedir(), '.cache'), 'webmf');
}

function offlineOptions(cacheDir: string, entry?: MovieLensEntry): string {
  const lines = [
    `\`webmf data get ${OFFLINE_NAME} --offline\` reads MovieLens latest-small (2016 snapshot, 100,004 ratings) from Debian's r-cran-dslabs package (fetched with \`apt-get download r-cran-dslabs\`, or give its data folder with dslabsDir)`,
  ];
  if (entry) lines.push(`download ${entry.url} on a connected machine and copy it to ${join(cacheDir, entry.name, `${entry.name}.zip`)}`);
  lines.push('generate data of the same shape with the synthetic generator (presets ml-latest-small, ml-1m, ml-25m, netflix)');
  return 'offline options: ' + lines.map((l, i) => `(${i + 1}) ${l}`).join('; ');
}

/**
 * Makes a MovieLens data set available in the cache and says where. Names: ml-100k, ml-1m, ml-10m, ml-25m,
 * ml-latest-small (downloaded from GroupLens) and movielens-small (ml-latest-small when online, else the offline
 * dslabs snapshot; with `offline` always the snapshot).
 */
export async function dataGet(name: string, options: DataGetOptions = {}): Promise<DataGetResult> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const log: string[] = [];
  const say = (s: string) => {
    log.push(s);
    options.log?.(s);
  };
  if (name === OFFLINE_NAME) {
    if (!options.offline) {
      try {
        const r = await dataGet('ml-latest-small', { ...options, log: say });
        return { ...r, log };
      } catch (e) {
        if (!(e instanceof NetworkError)) throw e;
        say(`no network (${e.message.split(';')[0]}); falling back to the offline dslabs snapshot`);
      }
    }
    const path = await getOffline(cacheDir, options, say);
    return { name, path, source: 'dslabs', log };
  }
  const entry = MOVIELENS[name];
  if (!entry) throw new InputError(`unknown data set ${JSON.stringify(name)} (known: ${DATA_NAMES.join(', ')})`);
  const dir = join(cacheDir, entry.name);
  const zipPath = join(dir, `${entry.name}.zip`);
  if (existsSync(zipPath) && !options.force) {
    say(`using cached ${zipPath} (${(statSync(zipPath).size / 1e6).toFixed(1)} MB)`);
    verifyCached(zipPath, options.md5 ?? entry.md5, name, say);
    return { name, path: zipPath, source: 'cache', log };
  }
  if (options.offline) {
    throw new NetworkError(`${name} is not in the cache (${zipPath}) and --offline forbids downloading; ${offlineOptions(cacheDir, entry)}`);
  }
  mkdirSync(dir, { recursive: true });
  const part = `${zipPath}.part`;
  say(`downloading ${entry.url}`);
  const announced = await download(entry.url, part, options, cacheDir, entry);
  const size = statSync(part).size;
  if (announced !== undefined && size !== announced) {
    rmSync(part, { force: true });
    throw new InputError(`${entry.url}: downloaded ${size} bytes, the server announced ${announced}; try again`);
  }
  say(`downloaded ${(size / 1e6).toFixed(1)} MB`);
  const bytes = readFileSync(part);
  let md5 = options.md5 ?? entry.md5;
  if (!md5) {
    try {
      const text = await fetchText(`${entry.url}.md5`, options);
      const m = /\b([0-9a-f]{32})\b/i.exec(text);
      if (m) md5 = m[1].toLowerCase();
    } catch {
      say('no published MD5 could be fetched; relying on the zip integrity check');
    }
  }
  if (md5) {
    const got = createHash('md5').update(bytes).digest('hex');
    if (got !== md5.toLowerCase()) {
      rmSync(part, { force: true });
      throw new InputError(`${entry.url}: MD5 ${got} does not match the expected ${md5}; the download is corrupt, try again`);
    }
    say(`MD5 ${got} verified`);
  }
  try {
    const entries = verifyZip(bytes, entry.url);
    say(`zip integrity verified (${entries.length} entries, CRC-32 checked)`);
  } catch (e) {
    rmSync(part, { force: true });
    throw e;
  }
  renameSync(part, zipPath);
  // The checksum every later use of the cached archive is verified against.
  writeFileSync(`${zipPath}.md5`, `${md5 ?? createHash('md5').update(bytes).digest('hex')}\n`);
  say(`saved ${zipPath}`);
  return { name, path: zipPath, source: 'download', log };
}

/**
 * Verifies a cached archive on every use: against its MD5 (pinned, or recorded beside it when it was downloaded), or,
 * for a cache filled by hand, by inflating every entry and checking its CRC-32 (then recording the MD5 for next time).
 * A mismatch is an InputError telling how to fetch it again: a disk error or a partial copy never trains silently.
 */
function verifyCached(zipPath: string, pinned: string | undefined, name: string, say: (s: string) => void): void {
  const bytes = readFileSync(zipPath);
  const got = createHash('md5').update(bytes).digest('hex');
  const sidecar = `${zipPath}.md5`;
  const recorded = existsSync(sidecar) ? /\b([0-9a-f]{32})\b/i.exec(readFileSync(sidecar, 'utf8'))?.[1].toLowerCase() : undefined;
  const want = pinned?.toLowerCase() ?? recorded;
  const again = `; fetch it again with \`webmf data get ${name} --force\``;
  if (want) {
    if (got !== want) throw new InputError(`cached ${zipPath} is corrupt: MD5 ${got}, expected ${want}${again}`);
    say(`MD5 ${got} verified`);
    return;
  }
  try {
    const entries = verifyZip(bytes, zipPath);
    say(`zip integrity verified (${entries.length} entries, CRC-32 checked)`);
  } catch (e) {
    throw new InputError(`cached ${(e as Error).message}${again}`);
  }
  try {
    writeFileSync(sidecar, `${got}\n`);
  } catch {
    // A read-only cache is verified by CRC each time instead.
  }
}

async function withConnectTimeout<T>(options: DataGetOptions, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new Error('no answer from the server')), options.connectTimeoutMs ?? 30000);
  const onAbort = () => ctl.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort);
  try {
    return await run(ctl.signal);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function fetchText(url: string, options: DataGetOptions): Promise<string> {
  const f = options.fetch ?? fetch;
  return withConnectTimeout(options, async (signal) => {
    const res = await f(url, { signal });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.text();
  });
}

function networkMessage(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err?.cause?.code ?? err?.cause?.message;
  return `${err?.message ?? String(e)}${cause ? ` (${cause})` : ''}`;
}

/** Streams url into path; returns the announced size. */
async function download(url: string, path: string, options: DataGetOptions, cacheDir: string, entry: MovieLensEntry): Promise<number | undefined> {
  const f = options.fetch ?? fetch;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new Error('no answer from the server')), options.connectTimeoutMs ?? 30000);
  const onAbort = () => ctl.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort);
  let res: Response;
  try {
    res = await f(url, { signal: ctl.signal });
  } catch (e) {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    if (options.signal?.aborted) throw e;
    throw new NetworkError(`cannot download ${entry.name} from ${url}: ${networkMessage(e)}; ${offlineOptions(cacheDir, entry)}`);
  }
  clearTimeout(timer);
  try {
    if (!res.ok || !res.body) throw new NetworkError(`cannot download ${entry.name} from ${url}: HTTP ${res.status}; ${offlineOptions(cacheDir, entry)}`);
    const len = res.headers.get('content-length');
    const total = len ? Number(len) : undefined;
    const out = createWriteStream(path);
    let bytes = 0;
    try {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.length;
        if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()));
        options.onProgress?.({ phase: 'download', bytes, totalBytes: total });
      }
    } catch (e) {
      out.destroy();
      rmSync(path, { force: true });
      if (options.signal?.aborted) throw e;
      throw new NetworkError(`download of ${url} broke off after ${bytes} bytes: ${networkMessage(e)}; ${offlineOptions(cacheDir, entry)}`);
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return total;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Offline: Debian's r-cran-dslabs

const DSLABS_DATA = join('usr', 'lib', 'R', 'site-library', 'dslabs', 'data');

function hasRdata(dir: string): boolean {
  return existsSync(join(dir, 'Rdata.rdx')) && existsSync(join(dir, 'Rdata.rdb'));
}

/** Finds dslabs' data folder: the given one, the cache's unpacked package, the system R library; else fetches it with apt. */
export function locateDslabs(cacheDir: string, options: Pick<DataGetOptions, 'dslabsDir'> = {}, say: (s: string) => void = () => {}): string {
  if (options.dslabsDir) {
    if (!hasRdata(options.dslabsDir)) throw new InputError(`${options.dslabsDir}: no Rdata.rdx/Rdata.rdb (expected dslabs' data folder)`);
    return options.dslabsDir;
  }
  const root = join(cacheDir, 'dslabs');
  const candidates = [join(root, 'root', DSLABS_DATA), join('/', DSLABS_DATA), '/usr/local/lib/R/site-library/dslabs/data'];
  for (const c of candidates) {
    if (hasRdata(c)) {
      say(`found dslabs data in ${c}`);
      return c;
    }
  }
  mkdirSync(root, { recursive: true });
  say(`fetching Debian package r-cran-dslabs into ${root} (apt-get download)`);
  try {
    execFileSync('apt-get', ['download', 'r-cran-dslabs'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
  } catch (e) {
    const msg = (e as { stderr?: Buffer }).stderr?.toString().trim().split('\n').pop() ?? (e as Error).message;
    throw new NetworkError(
      `cannot get the offline MovieLens snapshot: \`apt-get download r-cran-dslabs\` failed (${msg}); install the package (apt-get install r-cran-dslabs) or pass dslabsDir pointing at a folder with Rdata.rdx and Rdata.rdb`,
    );
  }
  const deb = readdirSync(root).filter((f) => /^r-cran-dslabs_.*\.deb$/.test(f)).sort().pop();
  if (!deb) throw new NetworkError(`apt-get download r-cran-dslabs left no .deb in ${root}`);
  say(`unpacking ${deb} (dpkg-deb -x)`);
  try {
    execFileSync('dpkg-deb', ['-x', join(root, deb), join(root, 'root')], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new InputError(`dpkg-deb -x ${deb} failed: ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? (e as Error).message}`);
  }
  const data = join(root, 'root', DSLABS_DATA);
  if (!hasRdata(data)) throw new InputError(`${deb} unpacked, but ${data} has no Rdata.rdx/Rdata.rdb`);
  return data;
}

function numCol(c: RColumn | undefined, name: string, what: string): Float64Array {
  if (!c || c.type !== 'number') throw new InputError(`${what}: column ${name} is missing or not numeric`);
  return c.data;
}

function strCol(c: RColumn | undefined, name: string, what: string): (string | null)[] {
  if (!c || c.type !== 'string') throw new InputError(`${what}: column ${name} is missing or not text`);
  return c.data;
}

/**
 * Reads dslabs' `movielens` data frame (columns movieId, title, year, genres, userId, rating, timestamp) from a
 * lazy-load database folder into a Dataset. Titles get MovieLens' " (year)" suffix back, as in movies.csv.
 */
export function loadDslabsMovielens(dataDir: string, objectName = 'movielens'): Dataset {
  const what = `${join(dataDir, 'Rdata.rdb')}[${objectName}]`;
  const index = readLazyLoadIndex(readFileSync(join(dataDir, 'Rdata.rdx')), join(dataDir, 'Rdata.rdx'));
  const key = index.variables.get(objectName);
  if (!key) throw new InputError(`${join(dataDir, 'Rdata.rdx')}: no object named ${objectName} (has ${[...index.variables.keys()].slice(0, 10).join(', ')}…)`);
  const df = toDataFrame(readLazyLoadObject(readFileSync(join(dataDir, 'Rdata.rdb')), key, index.compressed, what), what);
  return movielensFrameToDataset(df.columns, df.nRows, what);
}

/** Converts movielens-style columns into a Dataset (validating every row; a bad row names its number). */
export function movielensFrameToDataset(cols: Map<string, RColumn>, n: number, what: string): Dataset {
  const userId = numCol(cols.get('userId'), 'userId', what);
  const movieId = numCol(cols.get('movieId'), 'movieId', what);
  const rating = numCol(cols.get('rating'), 'rating', what);
  const ts = cols.has('timestamp') ? numCol(cols.get('timestamp'), 'timestamp', what) : null;
  const title = cols.has('title') ? strCol(cols.get('title'), 'title', what) : null;
  const genres = cols.has('genres') ? strCol(cols.get('genres'), 'genres', what) : null;
  const yearC = cols.get('year');
  const year = yearC && yearC.type === 'number' ? yearC.data : null;
  if (n === 0) throw new InputError(`${what}: empty data frame`);
  const uIds = new IdInterner();
  const iIds = new IdInterner();
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  const values = new Float32Array(n);
  const times = ts ? new Float64Array(n) : undefined;
  const titles: string[] = [];
  const genreList: string[][] = [];
  const years: number[] = [];
  for (let k = 0; k < n; k++) {
    const u = userId[k];
    const m = movieId[k];
    const r = rating[k];
    if (!Number.isInteger(u) || !Number.isInteger(m)) throw new InputError(`${what}: row ${k + 1}: userId ${u} / movieId ${m} is NA or not an integer`);
    if (!Number.isFinite(r)) throw new InputError(`${what}: row ${k + 1}: rating ${r} is NA or not finite`);
    users[k] = uIds.addInt(u);
    const i = iIds.addInt(m);
    items[k] = i;
    values[k] = r;
    if (times) times[k] = ts![k];
    if (i === titles.length) {
      const y = year ? year[k] : NaN;
      const t = title?.[k] ?? '';
      titles.push(t && Number.isFinite(y) && !/\(\d{4}\)\s*$/.test(t) ? `${t} (${y})` : t);
      const g = genres?.[k];
      genreList.push(g && g !== '(no genres listed)' ? g.split('|') : []);
      years.push(y);
    }
  }
  let ratings: Ratings = { users, items, values, nUsers: uIds.size, nItems: iIds.size };
  if (times) ratings.timestamps = times;
  ratings = resolveDuplicates(ratings, 'error', (k) => `${what} row ${k + 1}`).ratings;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return {
    name: OFFLINE_NAME,
    ratings,
    users: uIds.toIdMap(),
    items: iIds.toIdMap(),
    scale: lo >= 0.5 && hi <= 5 ? [0.5, 5] : [lo, hi],
    implicit: false,
    items_meta: { titles, genres: genreList, years: Float64Array.from(years) },
  };
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes a Dataset as MovieLens ratings.csv + movies.csv (the cache format of the offline snapshot). */
export function writeMovielensCsv(ds: Dataset, dir: string): { ratings: string; movies: string } {
  mkdirSync(dir, { recursive: true });
  const r = ds.ratings;
  const ratingsPath = join(dir, 'ratings.csv');
  const parts: string[] = [r.timestamps ? 'userId,movieId,rating,timestamp\n' : 'userId,movieId,rating\n'];
  let buf = '';
  for (let k = 0; k < r.users.length; k++) {
    buf += `${ds.users.ids[r.users[k]]},${ds.items.ids[r.items[k]]},${r.values[k]}${r.timestamps ? `,${r.timestamps[k]}` : ''}\n`;
    if (buf.length > 1 << 20) {
      parts.push(buf);
      buf = '';
    }
  }
  parts.push(buf);
  writeFileSync(`${ratingsPath}.part`, parts.join(''));
  renameSync(`${ratingsPath}.part`, ratingsPath);
  const moviesPath = join(dir, 'movies.csv');
  const lines = ['movieId,title,genres'];
  const m = ds.items_meta;
  for (let i = 0; i < ds.items.size; i++) {
    const g = m?.genres?.[i] ?? [];
    lines.push(`${ds.items.ids[i]},${csvField(m?.titles[i] ?? '')},${csvField(g.length ? g.join('|') : '(no genres listed)')}`);
  }
  writeFileSync(moviesPath, lines.join('\n') + '\n');
  return { ratings: ratingsPath, movies: moviesPath };
}

async function getOffline(cacheDir: string, options: DataGetOptions, say: (s: string) => void): Promise<string> {
  const dir = join(cacheDir, OFFLINE_NAME);
  if (!options.force && existsSync(join(dir, 'ratings.csv')) && existsSync(join(dir, 'movies.csv'))) {
    say(`using cached ${dir}`);
    return dir;
  }
  const data = locateDslabs(cacheDir, options, say);
  say(`reading the movielens data frame from ${join(data, 'Rdata.rdb')} (R lazy-load database)`);
  const ds = loadDslabsMovielens(data);
  const files = writeMovielensCsv(ds, dir);
  say(`wrote ${files.ratings} (${ds.ratings.users.length.toLocaleString('en-US')} ratings) and ${files.movies} (${ds.items.size.toLocaleString('en-US')} movies)`);
  return dir;
}
