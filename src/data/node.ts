/**
 * Node entry points for reading rating files from disk: a plain file, a zip archive, or an extracted MovieLens/Netflix
 * folder. Streams the file in chunks (never reads it whole) and picks up item metadata lying beside the ratings.
 */
import { closeSync, createReadStream, existsSync, lstatSync, openSync, readFileSync, readSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join, relative, isAbsolute } from 'node:path';
import { InputError } from '../core/errors.ts';
import { readRatings, sampleBytesPerLine, type LoadedDataset, type ReadOptions } from './read.ts';

export interface FileReadOptions extends Omit<ReadOptions, 'itemMeta'> {
  /** Item metadata file: a path, 'auto' (default: movies.csv/movies.dat/u.item/movie_titles.csv beside the ratings), or false. */
  itemMeta?: string | 'auto' | false;
  /** Read chunk size (default 4 MiB). */
  chunkSize?: number;
}

const RATING_FILES = ['ratings.csv', 'ratings.dat', 'u.data'];
const META_FILES = ['movies.csv', 'movies.dat', 'u.item', 'movie_titles.csv', 'movie_titles.txt'];

/** Whether `path` (after resolving symlinks) lies inside the folder whose real path is `root`. */
function inside(root: string, path: string): boolean {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return false;
  }
  const rel = relative(root, real);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Regular files directly in `dir` (symlinks only when they resolve inside `root`), by name; unreadable entries skipped. */
function filesIn(dir: string, root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((f) => {
    const p = join(dir, f);
    try {
      const l = lstatSync(p);
      if (l.isSymbolicLink()) return inside(root, p) && statSync(p).isFile();
      return l.isFile();
    } catch {
      return false;
    }
  });
}

function ratingFilesIn(dir: string, root: string): string[] {
  const files = filesIn(dir, root);
  for (const f of RATING_FILES) if (files.includes(f)) return [join(dir, f)];
  const netflix = files.filter((f) => /^combined_data_\d+\.txt$/.test(f)).sort();
  return netflix.map((f) => join(dir, f));
}

/**
 * Finds the ratings file(s) in a folder (MovieLens layouts, Netflix training folder): in the folder itself, else in
 * its subfolders one level down (an archive extracted into a folder named after it), in name order. Never deeper, and
 * never through a symlink that leads out of the folder.
 */
export function findRatingFiles(dir: string): string[] {
  let root: string;
  try {
    root = realpathSync(dir);
  } catch (e) {
    throw new InputError(`${dir}: cannot read the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const here = ratingFilesIn(dir, root);
  if (here.length) return here;
  let subs: string[];
  try {
    subs = readdirSync(dir).sort();
  } catch {
    return [];
  }
  for (const s of subs) {
    const p = join(dir, s);
    try {
      const l = lstatSync(p);
      if (!(l.isDirectory() || (l.isSymbolicLink() && inside(root, p) && statSync(p).isDirectory()))) continue;
    } catch {
      continue;
    }
    const found = ratingFilesIn(p, root);
    if (found.length) return found;
  }
  return [];
}

function findMeta(dir: string): string | undefined {
  for (const f of META_FILES) if (existsSync(join(dir, f))) return join(dir, f);
  return undefined;
}

/** Reads a ratings file, a zip archive or a folder from disk into a Dataset. */
export async function readRatingsFile(path: string, options: FileReadOptions = {}): Promise<LoadedDataset> {
  if (path === '-') return readRatingsStream(process.stdin, '-', options);
  // Standard input by name: read from the process's stream (opening the path fails when it is a socket, as a parent
  // process's pipe can be).
  if (path === '/dev/stdin' || path === '/dev/fd/0' || path === '/proc/self/fd/0') return readRatingsStream(process.stdin, path, options);
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: ${code === 'ENOENT' ? 'no such file or folder' : `cannot read (${code ?? (e as Error).message})`}`);
  }
  // FIFOs, process substitution (/dev/fd/N), /dev/stdin and other devices: no size, no seeking; streamed as they come.
  if (!st.isFile() && !st.isDirectory()) return readRatingsStream(createReadStream(path, { highWaterMark: options.chunkSize ?? 4 << 20 }), path, options);
  let files = [path];
  if (st.isDirectory()) {
    files = findRatingFiles(path);
    if (!files.length) throw new InputError(`${path}: no ratings file found (looked for ${RATING_FILES.join(', ')}, combined_data_N.txt, in the folder and one level down)`);
  }
  const total = files.reduce((s, f) => s + statSync(f).size, 0);
  if (total === 0) throw new InputError(`${files.join(', ')}: empty input (0 bytes)`);
  const chunkSize = options.chunkSize ?? 4 << 20;
  const stream = (f: string) => (isZip(f) ? (createReadStream(f, { highWaterMark: chunkSize }) as AsyncIterable<Uint8Array>) : reusedChunks(f, chunkSize));
  let metaPath: string | undefined;
  if (options.itemMeta === undefined || options.itemMeta === 'auto') metaPath = findMeta(dirname(files[0]));
  else if (options.itemMeta) metaPath = options.itemMeta;
  const { itemMeta: _ignored, ...rest } = options;
  void _ignored;
  // Average line length sampled across the file, so the arrays are sized once and nearly exactly.
  let bytesPerLine: number | undefined;
  if (total > 1 << 20 && !options.bytesPerLine && !isZip(files[0])) {
    const sizes = files.map((f) => statSync(f).size);
    const fds = files.map((f) => openSync(f, 'r'));
    try {
      bytesPerLine = await sampleBytesPerLine(total, async (offset, length) => {
        // Map the global offset to a file.
        let k = 0;
        while (k < files.length - 1 && offset >= sizes[k]) offset -= sizes[k++];
        const buf = new Uint8Array(Math.min(length, sizes[k] - offset));
        readSync(fds[k], buf, 0, buf.length, offset);
        return buf;
      });
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  }
  const opts: ReadOptions = {
    bytesPerLine: options.bytesPerLine ?? bytesPerLine,
    ...rest,
    fileName: files.length === 1 ? files[0] : path,
    name: options.name ?? basename(path),
    totalBytes: total,
  };
  if (metaPath && !files[0].toLowerCase().endsWith('.zip')) opts.itemMeta = { source: readFileSync(metaPath), fileName: metaPath };
  opts.parts = files.slice(1).map((f) => ({ name: f, source: stream(f) }));
  if (files.length > 1) opts.fileName = files[0];
  return readRatings(stream(files[0]), opts);
}

/** Reads a stream of unknown length (stdin, a FIFO): format and zip detected from the first bytes. */
async function readRatingsStream(stream: AsyncIterable<Uint8Array> & { destroy?: () => void }, name: string, options: FileReadOptions): Promise<LoadedDataset> {
  const { itemMeta, ...rest } = options;
  const opts: ReadOptions = { ...rest, fileName: name === '-' ? 'stdin' : name, name: options.name ?? (name === '-' ? 'stdin' : basename(name)) };
  if (itemMeta && itemMeta !== 'auto') opts.itemMeta = { source: readFileSync(itemMeta), fileName: itemMeta };
  try {
    return await readRatings(stream, opts);
  } finally {
    if (stream !== (process.stdin as unknown)) stream.destroy?.();
  }
}

function isZip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = new Uint8Array(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 3 && b[3] === 4;
  } finally {
    closeSync(fd);
  }
}

/**
 * A file's bytes in chunks read into one reused buffer: the plain-text parser consumes each chunk before the next read
 * (it copies only a partial last line), so a 700 MB file leaves no trail of 4 MB buffers for the GC to catch up with.
 */
async function* reusedChunks(path: string, chunkSize: number): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(chunkSize);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}
