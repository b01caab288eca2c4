/**
 * Node entry points for reading rating files from disk: a plain file, a zip archive, or an extracted MovieLens/Netflix
 * folder. Streams the file in chunks (never reads it whole) and picks up item metadata lying beside the ratings.
 */
import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../gpu/errors.ts';
import { readRatings, sampleBytesPerLine, type LoadedDataset, type ReadOptions } from './read.ts';

export interface FileReadOptions extends Omit<ReadOptions, 'itemMeta'> {
  /** Item metadata file: a path, 'auto' (default: movies.csv/movies.dat/u.item/movie_titles.csv beside the ratings), or false. */
  itemMeta?: string | 'auto' | false;
  /** Read chunk size (default 4 MiB). */
  chunkSize?: number;
}

const RATING_FILES = ['ratings.csv', 'ratings.dat', 'u.data'];
const META_FILES = ['movies.csv', 'movies.dat', 'u.item', 'movie_titles.csv', 'movie_titles.txt'];

/** Finds the ratings file(s) in a folder (MovieLens layouts, Netflix training folder). */
export function findRatingFiles(dir: string): string[] {
  for (const f of RATING_FILES) if (existsSync(join(dir, f))) return [join(dir, f)];
  const netflix = readdirSync(dir).filter((f) => /^combined_data_\d+\.txt$/.test(f)).sort();
  if (netflix.length) return netflix.map((f) => join(dir, f));
  // One level down (an archive extracted into a folder named after it).
  const subs = readdirSync(dir).filter((f) => statSync(join(dir, f)).isDirectory());
  for (const s of subs) {
    const found = findRatingFiles(join(dir, s));
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
  if (!existsSync(path)) throw new InputError(`${path}: no such file or folder`);
  let files = [path];
  if (statSync(path).isDirectory()) {
    files = findRatingFiles(path);
    if (!files.length) throw new InputError(`${path}: no ratings file found (looked for ${RATING_FILES.join(', ')}, combined_data_N.txt)`);
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
