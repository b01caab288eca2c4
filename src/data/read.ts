/**
 * Reading ratings from any byte source — a Uint8Array, a Blob/File, a ReadableStream, a Node stream or any (async)
 * iterable of chunks — in the browser, in a Web Worker or in Node. Zip archives are unpacked on the fly (fflate's
 * streaming Unzip), so a 680 MB ratings.csv inside a zip is never held whole. No Node imports here (see node.ts).
 */
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { AbortError, InputError } from '../core/errors.ts';
import type { Dataset } from './dataset.ts';
import { alignItemMeta, parseItemMeta, type ItemRecord } from './meta.ts';
import { RatingsParser, type ParseOptions, type ParseReport } from './parse.ts';
import { crc32, readCentralDirectory } from './zipcheck.ts';
import { escapeText } from './intern.ts';

export type ByteSource =
  | Uint8Array
  | ArrayBuffer
  | Blob
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

export interface ReadOptions extends ParseOptions {
  /** File name: shown in errors and used for format detection. Taken from a File's name when absent. */
  fileName?: string;
  /** Data set name (default: the file name). */
  name?: string;
  /** Item metadata (movies.csv, movies.dat, u.item, movie_titles.csv) to attach. */
  itemMeta?: { source: ByteSource; fileName: string };
  /** Zip archives: the entry (or entries) holding ratings. Default: ratings.csv/ratings.dat/u.data/combined_data_*.txt. */
  entry?: string | string[];
  /** Zip archives: read the metadata entry found beside the ratings (default true). */
  zipMeta?: boolean;
  /** Chunk size used to slice Blobs and Uint8Arrays (default 4 MiB). */
  chunkSize?: number;
  /** More files of the same format read after `source` into the same data set (Netflix's combined_data_2..4). */
  parts?: { name: string; source: ByteSource }[];
}

export interface ReadReport extends ParseReport {
  container: 'plain' | 'zip';
  /** Item metadata file used, and how many rated items it described. */
  metaFile?: string;
  metaMatched?: number;
}

/** A Dataset plus the account of how it was read. */
export interface LoadedDataset extends Dataset {
  report: ReadReport;
}

/**
 * Deflate's largest possible ratio is 1032:1 (a 258-byte match in 2 bits), so an entry cannot inflate to more than
 * this many times its compressed size. A zip claiming more is lying; the claim only sizes arrays, never trusted past it.
 */
const MAX_DEFLATE_RATIO = 1032;
/** Raw zip bytes handed to the inflater at a time: bounds one inflated chunk to 64 KiB x 1032 = 66 MiB. */
const ZIP_FEED = 64 << 10;
/** Bytes kept from the end of a zip stream to read its central directory (CRC-32 of each entry read). */
const ZIP_TAIL = 8 << 20;

const RATING_ENTRY = /(^|\/)(ratings\.csv|ratings\.dat|u\.data|combined_data_\d+\.txt)$/i;
const META_ENTRY = /(^|\/)(movies\.csv|movies\.dat|u\.item|movie_titles\.(csv|txt))$/i;

function entryKind(name: string): string {
  const m = RATING_ENTRY.exec(name);
  return m ? m[2].toLowerCase().replace(/_\d+/, '_N') : '';
}

/** Chunks of a byte source, as an async iterable. */
export async function* chunksOf(source: ByteSource, chunkSize = 4 << 20): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    const b = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
    for (let i = 0; i < b.length; i += chunkSize) yield b.subarray(i, Math.min(b.length, i + chunkSize));
    return;
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    if (typeof source.stream === 'function') {
      yield* chunksOf(source.stream() as ReadableStream<Uint8Array>, chunkSize);
    } else {
      for (let i = 0; i < source.size; i += chunkSize) {
        yield new Uint8Array(await source.slice(i, Math.min(source.size, i + chunkSize)).arrayBuffer());
      }
    }
    return;
  }
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        if (value) yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  if (Symbol.asyncIterator in source) {
    for await (const c of source as AsyncIterable<Uint8Array>) yield c;
    return;
  }
  if (Symbol.iterator in source) {
    for (const c of source as Iterable<Uint8Array>) yield c;
    return;
  }
  throw new InputError('unsupported byte source: expected Uint8Array, ArrayBuffer, Blob, ReadableStream or an iterable of Uint8Array');
}

export function sizeOf(source: ByteSource): number | undefined {
  if (source instanceof Uint8Array) return source.length;
  if (source instanceof ArrayBuffer) return source.byteLength;
  if (typeof Blob !== 'undefined' && source instanceof Blob) return source.size;
  return undefined;
}

async function readAll(source: ByteSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of chunksOf(source)) {
    parts.push(c.slice());
    n += c.length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Reads ratings (any supported format, plain or zipped) into a Dataset. The format is detected unless given; the
 * report says what was detected, what was skipped and merged, and how long it took.
 */
export async function readRatings(source: ByteSource, options: ReadOptions = {}): Promise<LoadedDataset> {
  const fileName = options.fileName ?? (typeof File !== 'undefined' && source instanceof File ? source.name : undefined) ?? 'input';
  const signal = options.signal;
  const total = options.totalBytes ?? sizeOf(source);
  let bytesPerLine = options.bytesPerLine;
  if (!bytesPerLine && typeof Blob !== 'undefined' && source instanceof Blob && source.size > 1 << 20) {
    bytesPerLine = await blobBytesPerLine(source);
  }
  const it = chunksOf(source, options.chunkSize)[Symbol.asyncIterator]();
  // Closed on every exit path: a parse error mid-file must not leave a file handle for the garbage collector.
  try {
    const first = await it.next();
    const firstChunk = first.done ? new Uint8Array(0) : first.value;
    const isZip = firstChunk.length >= 4 && firstChunk[0] === 0x50 && firstChunk[1] === 0x4b && firstChunk[2] === 3 && firstChunk[3] === 4;
    let meta: { records: Map<string, ItemRecord>; file: string } | null = null;
    let parser: RatingsParser;

    if (!isZip) {
      parser = new RatingsParser({ ...options, totalBytes: total, bytesPerLine });
      parser.beginFile(fileName);
      if (!first.done) parser.push(firstChunk);
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        parser.push(r.value);
      }
      if (options.parts) {
        for (const part of options.parts) {
          parser.beginFile(part.name);
          for await (const c of chunksOf(part.source, options.chunkSize)) parser.push(c);
        }
      }
    } else {
      parser = new RatingsParser({ ...options, totalBytes: undefined });
      const wanted = options.entry === undefined ? null : Array.isArray(options.entry) ? options.entry : [options.entry];
      let kind = '';
      const metaParts: { name: string; parts: Uint8Array[] } = { name: '', parts: [] };
      let failure: unknown = null;
      const seen: string[] = [];
      // CRC-32 and size of every entry whose bytes are used, checked against the central directory at the end.
      const sums = new Map<string, { crc: number; size: number; done: boolean }>();
      const track = (name: string) => {
        const t = { crc: 0, size: 0, done: false };
        sums.set(name, t);
        return t;
      };
      const unzip = new Unzip((file: UnzipFile) => {
        seen.push(file.name);
        if (failure) return;
        const shown = escapeText(file.name);
        const isWanted = wanted ? wanted.some((w) => file.name === w || file.name.endsWith('/' + w)) : RATING_ENTRY.test(file.name) && !file.name.startsWith('__MACOSX/');
        if (isWanted && (wanted || !kind || entryKind(file.name) === kind)) {
          kind ||= entryKind(file.name);
          parser.beginFile(`${fileName}:${shown}`);
          if (file.originalSize) {
            const bound = file.compression === 0 ? (file.size ?? 0) : (file.size ?? 0) * MAX_DEFLATE_RATIO;
            parser.expectBytes(Math.min(file.originalSize, bound));
          }
          const sum = track(file.name);
          file.ondata = (err, data, final) => {
            if (failure) return;
            if (err) {
              failure = new InputError(`${fileName}: corrupt zip entry ${shown}: ${err.message}`);
              return;
            }
            sum.crc = crc32(data, sum.crc);
            sum.size += data.length;
            if (final) sum.done = true;
            try {
              parser.push(data);
            } catch (e) {
              failure = e;
            }
          };
          file.start();
        } else if (options.zipMeta !== false && !options.itemMeta && !metaParts.name && META_ENTRY.test(file.name) && !file.name.startsWith('__MACOSX/')) {
          metaParts.name = file.name;
          const sum = track(file.name);
          file.ondata = (err, data, final) => {
            if (err) failure = new InputError(`${fileName}: corrupt zip entry ${shown}: ${err.message}`);
            else {
              sum.crc = crc32(data, sum.crc);
              sum.size += data.length;
              if (final) sum.done = true;
              metaParts.parts.push(data);
            }
          };
          file.start();
        }
      });
      unzip.register(UnzipInflate);
      let tail: Uint8Array[] = [];
      let tailLen = 0;
      let rawBytes = 0;
      const keepTail = (c: Uint8Array) => {
        tail.push(c.slice());
        tailLen += c.length;
        rawBytes += c.length;
        while (tail.length > 1 && tailLen - tail[0].length >= ZIP_TAIL) tailLen -= tail.shift()!.length;
      };
      const feed = (c: Uint8Array, final: boolean) => {
        keepTail(c);
        try {
          for (let o = 0; o < c.length || (o === 0 && final); o += ZIP_FEED) {
            const end = Math.min(c.length, o + ZIP_FEED);
            unzip.push(c.subarray(o, end), final && end >= c.length);
            if (failure) break;
            if (signal?.aborted) throw new AbortError('reading aborted', { cause: signal.reason });
          }
        } catch (e) {
          failure ??= e instanceof InputError || e instanceof AbortError ? e : new InputError(`${fileName}: bad zip archive: ${(e as Error).message}`);
        }
        if (failure) throw failure;
      };
      let cur = firstChunk;
      for (;;) {
        const r = await it.next();
        feed(cur, !!r.done);
        if (r.done) break;
        cur = r.value;
      }
      // Every entry used must match the CRC-32 and size of the central directory: a flipped bit in the deflate data can
      // inflate without error to different digits.
      const tailBytes = concatAll(tail);
      tail = [];
      const dir = new Map(readCentralDirectory(tailBytes, rawBytes - tailBytes.length, fileName).map((e) => [e.name, e]));
      for (const [name, got] of sums) {
        const want = dir.get(name);
        const shown = escapeText(name);
        if (!want) throw new InputError(`${fileName}: zip entry ${shown} is missing from the central directory`);
        if (!got.done) throw new InputError(`${fileName}: zip entry ${shown} is truncated`);
        if (got.size !== want.size) throw new InputError(`${fileName}: zip entry ${shown} inflated to ${got.size} bytes, the directory says ${want.size}; the archive is corrupt`);
        if (got.crc !== want.crc) throw new InputError(`${fileName}: zip entry ${shown}: CRC-32 ${hex(got.crc)} does not match the directory's ${hex(want.crc)}; the archive is corrupt`);
      }
      if (!kind && !wanted) {
        throw new InputError(
          `${fileName}: no ratings file in the zip archive (looked for ratings.csv, ratings.dat, u.data, combined_data_N.txt; found ${seen.slice(0, 12).map(escapeText).join(', ') || 'no entries'}); pass entry (--entry NAME on the command line)`,
        );
      }
      if (metaParts.name) {
        const bytes = concatAll(metaParts.parts);
        meta = { records: parseItemMeta(bytes, `${fileName}:${metaParts.name}`), file: `${fileName}:${metaParts.name}` };
      }
    }
    if (signal?.aborted) throw new AbortError('reading aborted', { cause: signal.reason });
    const res = parser.finish();
    if (options.itemMeta) {
      const bytes = await readAll(options.itemMeta.source);
      meta = { records: parseItemMeta(bytes, options.itemMeta.fileName), file: options.itemMeta.fileName };
    }
    const report: ReadReport = { ...res.report, container: isZip ? 'zip' : 'plain' };
    const ds: LoadedDataset = {
      name: options.name ?? baseName(fileName),
      ratings: res.ratings,
      users: res.users,
      items: res.items,
      implicit: res.report.implicit,
      report,
    };
    if (res.report.scale) ds.scale = res.report.scale;
    if (meta) {
      const { meta: m, matched } = alignItemMeta(res.items, meta.records);
      ds.items_meta = m;
      report.metaFile = meta.file;
      report.metaMatched = matched;
    }
    return ds;
  } finally {
    await it.return?.(undefined);
  }
}

/**
 * Average bytes per line from windows spread over the input (9 windows of 64 kB; complete lines only). Used to size
 * the output arrays once: MovieLens-style files sorted by user get longer lines as the IDs grow, so the head alone
 * would overestimate the count by up to ~30 %.
 */
export async function sampleBytesPerLine(size: number, readAt: (offset: number, length: number) => Promise<Uint8Array>, windows = 9, windowBytes = 64 << 10): Promise<number | undefined> {
  if (size <= windowBytes * windows) return undefined;
  let bytes = 0;
  let lines = 0;
  for (let w = 0; w < windows; w++) {
    const off = Math.floor(((size - windowBytes) * w) / (windows - 1));
    const buf = await readAt(off, windowBytes);
    const first = buf.indexOf(10);
    const last = buf.lastIndexOf(10);
    if (first < 0 || last <= first) continue;
    let nl = 0;
    for (let i = first + 1; i <= last; i++) if (buf[i] === 10) nl++;
    bytes += last - first;
    lines += nl;
  }
  return lines >= 64 ? bytes / lines : undefined;
}

async function blobBytesPerLine(blob: Blob): Promise<number | undefined> {
  const head = new Uint8Array(await blob.slice(0, 4).arrayBuffer());
  if (head[0] === 0x50 && head[1] === 0x4b) return undefined;
  return sampleBytesPerLine(blob.size, async (o, n) => new Uint8Array(await blob.slice(o, o + n).arrayBuffer()));
}

function hex(x: number): string {
  return x.toString(16).padStart(8, '0');
}

function concatAll(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function baseName(name: string): string {
  const parts = name.split(/[\\/]/);
  return parts[parts.length - 1];
}

/** One line describing a read, for logs and the CLI. */
export function describeRead(ds: LoadedDataset): string {
  const r = ds.report;
  const bits = [
    `${r.ratings.toLocaleString('en-US')} ratings, ${ds.ratings.nUsers.toLocaleString('en-US')} users, ${ds.ratings.nItems.toLocaleString('en-US')} items`,
    `format: ${r.detected}`,
  ];
  if (r.scale) bits.push(`scale [${r.scale[0]}, ${r.scale[1]}]`);
  if (r.skipped) bits.push(`${r.skipped} bad lines skipped`);
  if (r.duplicates) bits.push(`${r.duplicates} duplicates merged (${r.duplicatePolicy})`);
  if (r.metaFile) bits.push(`titles from ${r.metaFile} (${r.metaMatched} items)`);
  bits.push(`${(r.bytes / 1e6).toFixed(1)} MB in ${(r.ms / 1000).toFixed(2)} s`);
  return bits.join('; ');
}
