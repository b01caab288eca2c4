/**
 * The streaming rating parser. Bytes go in as chunks (from a Node stream, a browser ReadableStream, a zip entry...);
 * each complete line is parsed in place and packed straight into growing typed arrays — no string or object per row.
 * One parser may read several files in a row (Netflix's combined_data_1..4): IDs, arrays and counts carry over.
 */
import { AbortError, InputError } from '../core/errors.ts';
import type { IdMap, Ratings } from './ratings.ts';
import { IdInterner, decodeText, quoteText } from './intern.ts';
import {
  ROLE_ITEM, ROLE_TIME, ROLE_USER, ROLE_VALUE, detectLayout, resolveColumns, splitHeader,
  type FormatOptions, type LineLayout, type RatingFormat,
} from './formats.ts';

export type DuplicatePolicy = 'last' | 'mean' | 'sum' | 'error';

export interface ReadProgress {
  /** Bytes consumed so far (uncompressed bytes of the rating file(s)). */
  bytes: number;
  /** Total bytes when known. */
  totalBytes?: number;
  lines: number;
  ratings: number;
  file?: string;
}

export interface ParseOptions extends FormatOptions {
  /** Skip malformed lines (counted and sampled in the report) instead of throwing. Default false. */
  skipBadLines?: boolean;
  /** Declared rating scale: values outside it are bad lines. Default: none (the scale is inferred and reported). */
  scale?: [number, number];
  /** What to do with a repeated (user, item) pair. Default 'error' for ratings, 'sum' for implicit data. */
  duplicates?: DuplicatePolicy;
  /** Existing ID maps to extend (e.g. read a test file with the train file's IDs). They are extended in place. */
  users?: IdMap;
  items?: IdMap;
  /** Expected total bytes, for preallocation and progress. */
  totalBytes?: number;
  /**
   * Average bytes per line, e.g. sampled across the input (readRatingsFile and Blob sources do this: see
   * sampleBytesPerLine). With totalBytes it sizes the arrays once, close to exact; without it the first 64 kB are the sample —
   * MovieLens files start with short user IDs, so that overestimates the count by up to ~30 %.
   */
  bytesPerLine?: number;
  onProgress?: (p: ReadProgress) => void;
  /** Minimum bytes between two progress calls (default 4 MiB). */
  progressEvery?: number;
  signal?: AbortSignal;
}

/** A line that could not be read: names the file, the line number and a snippet. */
export class ParseError extends InputError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly snippet: string,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}: ${quoteText(snippet)}`);
  }
}

export interface ParseReport {
  format: RatingFormat;
  /** What was detected and why (or what was asked for). */
  detected: string;
  files: string[];
  bytes: number;
  lines: number;
  ratings: number;
  /** Bad lines skipped (skipBadLines), with the first few for the record. */
  skipped: number;
  skippedSamples: { file: string; line: number; reason: string; snippet: string }[];
  /** Repeated (user, item) pairs merged by the duplicate policy. */
  duplicates: number;
  duplicatePolicy: DuplicatePolicy;
  /** Observed value range. */
  min: number;
  max: number;
  /** Declared or inferred scale. */
  scale?: [number, number];
  implicit: boolean;
  ms: number;
}

export interface ParseResult {
  ratings: Ratings;
  users: IdMap;
  items: IdMap;
  report: ParseReport;
}

const NL = 10;
const CR = 13;
const SP = 32;
const TAB = 9;
const QUOTE = 34;
const MAX_SNIPPET = 120;

/** Parses a decimal number in buf[s, e); NaN when it is not one. Falls back to parseFloat for exponents/long mantissas. */
export function parseNumber(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  let neg = false;
  const c0 = buf[i];
  if (c0 === 45 || c0 === 43) {
    neg = c0 === 45;
    i++;
  }
  let v = 0;
  let digits = 0;
  while (i < e) {
    const c = buf[i] - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
    digits++;
    i++;
  }
  if (i < e && buf[i] === 46) {
    i++;
    let f = 0;
    let scale = 1;
    while (i < e) {
      const c = buf[i] - 48;
      if (c < 0 || c > 9) break;
      f = f * 10 + c;
      scale *= 10;
      digits++;
      i++;
    }
    v += f / scale;
  }
  if (i === e && digits > 0 && digits <= 15) return neg ? -v : v;
  if (e === s) return NaN;
  // Exponents, 'inf', 'NaN', very long mantissas: let the engine decide (non-finite results are caught by the caller).
  const str = decodeText(buf, s, e).trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?(inf|infinity|nan)$/i.test(str)) return NaN;
  const lower = str.toLowerCase().replace(/^[-+]/, '');
  if (lower === 'nan') return NaN;
  if (lower.startsWith('inf')) return str.startsWith('-') ? -Infinity : Infinity;
  return parseFloat(str);
}

/** Unix seconds from a number, or from a date `YYYY-MM-DD[ T]HH:MM[:SS]` (UTC); NaN when neither. */
export function parseTime(buf: Uint8Array, s: number, e: number): number {
  if (e - s >= 10 && buf[s + 4] === 45 && buf[s + 7] === 45) {
    const y = digitsAt(buf, s, 4);
    const mo = digitsAt(buf, s + 5, 2);
    const d = digitsAt(buf, s + 8, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31) return NaN;
    let t = Date.UTC(y, mo - 1, d);
    if (e - s > 10) {
      const sep = buf[s + 10];
      if ((sep !== SP && sep !== 84) || e - s < 16) return NaN;
      const h = digitsAt(buf, s + 11, 2);
      const mi = digitsAt(buf, s + 14, 2);
      const sec = e - s >= 19 ? digitsAt(buf, s + 17, 2) : 0;
      if (h < 0 || mi < 0 || sec < 0) return NaN;
      t += ((h * 60 + mi) * 60 + sec) * 1000;
    }
    return t / 1000;
  }
  return parseNumber(buf, s, e);
}

function d2(buf: Uint8Array, s: number): number {
  const a = buf[s] - 48;
  const b = buf[s + 1] - 48;
  return a < 0 || a > 9 || b < 0 || b > 9 ? -1 : a * 10 + b;
}

function d4(buf: Uint8Array, s: number): number {
  const a = d2(buf, s);
  const b = d2(buf, s + 2);
  return a < 0 || b < 0 ? -1 : a * 100 + b;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil); same as Date.UTC / 864e5. */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function digitsAt(buf: Uint8Array, s: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[s + i] - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

interface FileMark {
  name: string;
  /** Index of the first rating read from this file. */
  firstRating: number;
  /**
   * Lines (1-based) in this file that produced no rating (header, blank, movieId:, skipped), as run lengths: run j
   * covers lines gapStart[j] .. gapStart[j] + gapLen[j] - 1, and gapBefore[j] lines of earlier runs precede it. One run
   * per stretch of such lines, so a file of a billion blank lines costs three numbers, not a billion.
   */
  gapStart: number[];
  gapLen: number[];
  gapBefore: number[];
}

function newMark(name: string, firstRating: number): FileMark {
  return { name, firstRating, gapStart: [], gapLen: [], gapBefore: [] };
}

/** Records `count` gap lines starting at `line`, extending the last run when they continue it. */
function addGap(m: FileMark, line: number, count = 1): void {
  const j = m.gapStart.length - 1;
  if (j >= 0 && m.gapStart[j] + m.gapLen[j] === line) {
    m.gapLen[j] += count;
    return;
  }
  m.gapBefore.push(j >= 0 ? m.gapBefore[j] + m.gapLen[j] : 0);
  m.gapStart.push(line);
  m.gapLen.push(count);
}

/** Largest finite f32 (values above it round to Infinity when stored). */
const F32_MAX = 3.4028234663852886e38;

/** Why a finite value cannot be stored as f32 without becoming ±Infinity or 0; null when it can. */
export function f32Problem(v: number): string | null {
  const a = Math.abs(v);
  if (a > F32_MAX) return `is too large for 32-bit floats (largest ${F32_MAX.toPrecision(8)}); it would become Infinity`;
  if (a !== 0 && Math.fround(a) === 0) return 'is too small for 32-bit floats (smallest 1.4e-45); it would become 0';
  return null;
}

/** The shortest line that holds a rating ("1,2" and a newline): no file of N bytes has more than N / 4 ratings. */
const MIN_LINE_BYTES = 4;
/** Most ratings reserved before any is seen (2^27: 1.6 GB of arrays without timestamps); more grows on demand. */
const MAX_PREALLOC = 1 << 27;

/** Bytes that need decoding before the layout is known. */
const DETECT_BYTES = 64 * 1024;

export class RatingsParser {
  private layout: LineLayout | null = null;
  private readonly opts: ParseOptions;
  private readonly userIds: IdInterner;
  private readonly itemIds: IdInterner;
  // Growing packed output.
  private cap = 0;
  private n = 0;
  private users: Int32Array = new Int32Array(0);
  private items: Int32Array = new Int32Array(0);
  private values: Float32Array = new Float32Array(0);
  private times: Float64Array | null = null;
  // Per-file state.
  private file = 'input';
  private line = 0;
  private headerPending = false;
  private netflixItem = -1;
  private carry: Uint8Array | null = null;
  private detectBuf: Uint8Array[] = [];
  private detectLen = 0;
  private marks: FileMark[] = [];
  // Totals.
  private bytes = 0;
  private lines = 0;
  private lastProgress = 0;
  private skipped = 0;
  private readonly skippedSamples: ParseReport['skippedSamples'] = [];
  private min = Infinity;
  private max = -Infinity;
  private delimBytes: Uint8Array = new Uint8Array(0);
  private delim0 = 44;
  private delimLen = 1;
  private readonly t0 = typeof performance !== 'undefined' ? performance.now() : Date.now();
  private finished = false;
  private totalBytes: number | undefined;

  constructor(opts: ParseOptions = {}) {
    this.opts = opts;
    this.totalBytes = opts.totalBytes;
    this.userIds = new IdInterner(opts.users);
    this.itemIds = new IdInterner(opts.items);
    if (opts.scale) {
      const [lo, hi] = opts.scale;
      if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) throw new InputError(`bad rating scale [${lo}, ${hi}]`);
    }
  }

  /** The detected layout once the first bytes were seen. */
  get detected(): LineLayout | null {
    return this.layout;
  }

  /** Adds to the expected byte total (e.g. a zip entry's size), for preallocation and progress. */
  expectBytes(n: number): void {
    if (n > 0) this.totalBytes = (this.totalBytes ?? this.bytes) + n;
  }

  /** Starts a new file (name used in errors). Call before pushing its bytes; the first file may skip this. */
  beginFile(name: string): void {
    // Bytes of the previous file still waiting for format detection are parsed now, under that file's name.
    if (!this.layout && this.detectLen > 0) this.detect(true);
    this.endFile();
    this.file = name;
    this.line = 0;
    this.netflixItem = -1;
    this.headerPending = this.layout ? this.layout.header : false;
    this.marks.push(newMark(name, this.n));
  }

  private mark(): FileMark {
    if (!this.marks.length) this.marks.push(newMark(this.file, this.n));
    return this.marks[this.marks.length - 1];
  }

  /** Feeds bytes. The chunk may be reused by the caller after the call returns. */
  push(chunk: Uint8Array): void {
    if (this.finished) throw new InputError('parser already finished');
    if (this.opts.signal?.aborted) throw new AbortError('reading aborted', { cause: this.opts.signal.reason });
    if (!chunk.length) return;
    this.mark();
    this.bytes += chunk.length;
    if (!this.layout) {
      this.detectBuf.push(chunk.slice());
      this.detectLen += chunk.length;
      if (this.detectLen < DETECT_BYTES) return;
      this.detect(false);
      this.progress(false);
      return;
    }
    this.consume(chunk);
    this.progress(false);
  }

  private detect(atEnd: boolean): void {
    const all = concat(this.detectBuf, this.detectLen);
    this.detectBuf = [];
    // Decode whole lines only (the last partial line may be cut mid-character).
    let end = all.length;
    if (!atEnd) {
      const lastNl = all.lastIndexOf(NL);
      end = lastNl >= 0 ? lastNl : all.length;
    }
    const text = decodeText(all, 0, Math.min(end, DETECT_BYTES)).replace(/^\uFEFF/, '');
    const sample = text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(0, 50);
    const layout = detectLayout(sample, this.file, this.opts);
    this.layout = layout;
    this.headerPending = layout.header;
    const d = new TextEncoder().encode(layout.delimiter);
    this.delimBytes = d;
    this.delim0 = d[0];
    this.delimLen = d.length;
    this.ensure(this.estimateCapacity(all, end));
    // Skip a UTF-8 byte-order mark.
    const start = all[0] === 0xef && all[1] === 0xbb && all[2] === 0xbf ? 3 : 0;
    this.consume(all.subarray(start));
  }

  private estimateCapacity(sample: Uint8Array, end: number): number {
    // Bytes per rating line from the non-blank lines of the sample: blank lines carry no rating, so counting them
    // would size the arrays for a billion ratings from a file of a billion newlines.
    let nl = 0;
    let lineBytes = 0;
    let lineStart = 0;
    for (let i = 0; i < end; i++) {
      if (sample[i] !== NL) continue;
      const len = i - lineStart - (i > lineStart && sample[i - 1] === CR ? 1 : 0);
      if (len > 0) {
        nl++;
        lineBytes += i + 1 - lineStart;
      }
      lineStart = i + 1;
    }
    const total = this.totalBytes;
    const hint = this.opts.bytesPerLine;
    let est: number;
    if (total && hint && hint > 0) est = Math.ceil((total / Math.max(hint, MIN_LINE_BYTES)) * 1.03) + 1024;
    else if (!total || nl < 16) est = 1 << 16;
    else est = Math.ceil((total / Math.max(lineBytes / nl, MIN_LINE_BYTES)) * 1.02) + 1024;
    // Never reserve more up front than MAX_PREALLOC ratings: the arrays grow as data arrives.
    return Math.min(est, MAX_PREALLOC);
  }

  private ensure(cap: number): void {
    if (cap <= this.cap) return;
    const grow = <T extends Int32Array | Float32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a.subarray(0, this.n) as never);
      return b;
    };
    try {
      this.users = grow(this.users, (k) => new Int32Array(k));
      this.items = grow(this.items, (k) => new Int32Array(k));
      this.values = grow(this.values, (k) => new Float32Array(k));
      if (this.layout?.hasTime) this.times = grow(this.times ?? new Float64Array(0), (k) => new Float64Array(k));
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      const per = this.layout?.hasTime ? 20 : 12;
      throw new InputError(
        `${this.file}: out of memory making room for ${cap.toLocaleString('en-US')} ratings (${((cap * per) / 2 ** 30).toFixed(1)} GiB; ${this.n.toLocaleString('en-US')} read so far)`,
        { cause: e },
      );
    }
    this.cap = cap;
  }

  private growFor(): void {
    // Estimate the remaining lines from the bytes still to come, else grow by half.
    const total = this.totalBytes;
    let next = Math.ceil(this.cap * 1.5) + 4096;
    if (total && this.bytes > 0 && this.n > 0 && total > this.bytes) {
      const perRating = this.bytes / this.n;
      const est = this.n + Math.ceil(((total - this.bytes) / perRating) * 1.05) + 4096;
      if (est > this.cap) next = est;
    }
    this.ensure(next);
  }

  private consume(chunk: Uint8Array): void {
    let start = 0;
    if (this.carry) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.carry = concat([this.carry, chunk], this.carry.length + chunk.length);
        return;
      }
      const joined = concat([this.carry, chunk.subarray(0, nl)], this.carry.length + nl);
      this.carry = null;
      this.lineAt(joined, 0, joined.length);
      start = nl + 1;
    }
    const end = chunk.length;
    for (;;) {
      if (chunk[start] === NL) {
        // A run of empty lines: one gap run, no call per line.
        let q = start + 1;
        while (q < end && chunk[q] === NL) q++;
        const count = q - start;
        addGap(this.mark(), this.line + 1, count);
        this.line += count;
        this.lines += count;
        start = q;
        if (start >= end) break;
        continue;
      }
      start = this.fastRun(chunk, start, end);
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) break;
      this.lineAt(chunk, start, nl);
      start = nl + 1;
    }
    if (start < end) this.carry = chunk.slice(start);
  }

  /**
   * The fast path for plain numeric lines (single-byte delimiter, integer IDs without leading zeros, decimal values,
   * integer timestamps): fields are parsed in the same pass that finds them, with no per-line call. Returns where it
   * stopped: the end of the last complete line it took, or the start of a line it leaves to the general path
   * (lineAt), which handles everything else — quotes, spaces, string IDs, dates, blank lines, headers and errors.
   */
  private fastRun(buf: Uint8Array, p: number, end: number): number {
    const L = this.layout!;
    if (L.netflix) return this.fastNetflix(buf, p, end);
    if (this.headerPending || L.pending || this.delimLen !== 1 || this.delim0 === SP) return p;
    const roles = L.roles;
    const nRoles = roles.length;
    const d = this.delim0;
    const uIds = this.userIds;
    const iIds = this.itemIds;
    const sc = this.opts.scale;
    const lo = sc ? sc[0] : -Infinity;
    const hi = sc ? sc[1] : Infinity;
    const minValue = L.implicit ? 0 : -Infinity;
    let n = this.n;
    let min = this.min;
    let max = this.max;
    let taken = 0;
    let users = this.users;
    let items = this.items;
    let values = this.values;
    let times = this.times;
    for (;;) {
      const lineStart = p;
      let uv = -1;
      let iv = -1;
      let value = 1;
      let time = 0;
      let ok = true;
      for (let f = 0; f < nRoles && ok; f++) {
        const role = roles[f];
        if (role === ROLE_VALUE) {
          let neg = false;
          if (p < end && buf[p] === 45) {
            neg = true;
            p++;
          }
          let v = 0;
          let digits = 0;
          while (p < end) {
            const c = buf[p] - 48;
            if (c < 0 || c > 9) break;
            v = v * 10 + c;
            digits++;
            p++;
          }
          if (p < end && buf[p] === 46) {
            p++;
            let fr = 0;
            let scale = 1;
            while (p < end) {
              const c = buf[p] - 48;
              if (c < 0 || c > 9) break;
              fr = fr * 10 + c;
              scale *= 10;
              digits++;
              p++;
            }
            v += fr / scale;
          }
          if (digits === 0 || digits > 15) ok = false;
          value = neg ? -v : v;
        } else if (role !== 0) {
          const s0 = p;
          let v = 0;
          while (p < end) {
            const c = buf[p] - 48;
            if (c < 0 || c > 9) break;
            v = v * 10 + c;
            p++;
          }
          const len = p - s0;
          if (len === 0 || len > 15 || (role !== ROLE_TIME && len > 1 && buf[s0] === 48)) ok = false;
          else if (role === ROLE_USER) uv = v;
          else if (role === ROLE_ITEM) iv = v;
          else time = v;
        } else {
          while (p < end) {
            const c = buf[p];
            if (c === d || c === NL || c === CR) break;
            if (c === QUOTE) {
              ok = false;
              break;
            }
            p++;
          }
        }
        if (ok && f < nRoles - 1) {
          if (p < end && buf[p] === d) p++;
          else ok = false;
        }
      }
      if (ok) {
        // Extra fields after the last one used are ignored (as in the general path).
        if (p < end && buf[p] === d) {
          while (p < end && buf[p] !== NL) {
            if (buf[p] === QUOTE) {
              ok = false;
              break;
            }
            p++;
          }
        } else if (p < end && buf[p] === CR) p++;
      }
      if (!ok || p >= end || buf[p] !== NL || uv < 0 || (iv < 0 && !L.netflix) || value < lo || value > hi || value < minValue) {
        p = lineStart;
        break;
      }
      p++;
      if (n === this.cap) {
        this.n = n;
        this.growFor();
        users = this.users;
        items = this.items;
        values = this.values;
        times = this.times;
      }
      users[n] = uIds.int(uv);
      items[n] = iIds.int(iv);
      values[n] = value;
      if (times) times[n] = time;
      if (value < min) min = value;
      if (value > max) max = value;
      n++;
      taken++;
      if (p >= end) break;
    }
    this.n = n;
    this.min = min;
    this.max = max;
    this.line += taken;
    this.lines += taken;
    return p;
  }

  /** The fast path for Netflix lines: "movieId:" and "user,rating,YYYY-MM-DD" (anything else goes to lineAt). */
  private fastNetflix(buf: Uint8Array, p: number, end: number): number {
    const uIds = this.userIds;
    const sc = this.opts.scale;
    const lo = sc ? sc[0] : -Infinity;
    const hi = sc ? sc[1] : Infinity;
    let n = this.n;
    let min = this.min;
    let max = this.max;
    let lines = 0;
    let item = this.netflixItem;
    let users = this.users;
    let items = this.items;
    let values = this.values;
    let times = this.times;
    for (;;) {
      const lineStart = p;
      // First field: digits.
      let v = 0;
      while (p < end) {
        const c = buf[p] - 48;
        if (c < 0 || c > 9) break;
        v = v * 10 + c;
        p++;
      }
      const len = p - lineStart;
      if (len === 0 || len > 15 || (len > 1 && buf[lineStart] === 48) || p >= end) {
        p = lineStart;
        break;
      }
      if (buf[p] === 58) {
        // "movieId:" (optionally followed by CR)
        p++;
        if (p < end && buf[p] === CR) p++;
        if (p >= end || buf[p] !== NL) {
          p = lineStart;
          break;
        }
        p++;
        item = this.itemIds.int(v);
        lines++;
        addGap(this.mark(), this.line + lines);
        if (p >= end) break;
        continue;
      }
      if (item < 0 || buf[p] !== 44) {
        p = lineStart;
        break;
      }
      p++;
      // Rating: digits with an optional fraction.
      let x = 0;
      let digits = 0;
      while (p < end) {
        const c = buf[p] - 48;
        if (c < 0 || c > 9) break;
        x = x * 10 + c;
        digits++;
        p++;
      }
      if (p < end && buf[p] === 46) {
        p++;
        let fr = 0;
        let scale = 1;
        while (p < end) {
          const c = buf[p] - 48;
          if (c < 0 || c > 9) break;
          fr = fr * 10 + c;
          scale *= 10;
          digits++;
          p++;
        }
        x += fr / scale;
      }
      if (digits === 0 || digits > 15 || p + 11 > end || buf[p] !== 44 || x < lo || x > hi) {
        p = lineStart;
        break;
      }
      // Date: YYYY-MM-DD.
      const y = d4(buf, p + 1);
      const mo = d2(buf, p + 6);
      const d = d2(buf, p + 9);
      if (y < 0 || buf[p + 5] !== 45 || buf[p + 8] !== 45 || mo < 1 || mo > 12 || d < 1 || d > 31) {
        p = lineStart;
        break;
      }
      p += 11;
      if (p < end && buf[p] === CR) p++;
      if (p >= end || buf[p] !== NL) {
        p = lineStart;
        break;
      }
      p++;
      if (n === this.cap) {
        this.n = n;
        this.growFor();
        users = this.users;
        items = this.items;
        values = this.values;
        times = this.times;
      }
      users[n] = uIds.int(v);
      items[n] = item;
      values[n] = x;
      if (times) times[n] = daysFromCivil(y, mo, d) * 86400;
      if (x < min) min = x;
      if (x > max) max = x;
      n++;
      lines++;
      if (p >= end) break;
    }
    this.n = n;
    this.min = min;
    this.max = max;
    this.netflixItem = item;
    this.line += lines;
    this.lines += lines;
    return p;
  }

  private progress(force: boolean): void {
    const cb = this.opts.onProgress;
    if (!cb) return;
    const every = this.opts.progressEvery ?? 4 << 20;
    if (!force && this.bytes - this.lastProgress < every) return;
    this.lastProgress = this.bytes;
    cb({ bytes: this.bytes, totalBytes: this.totalBytes, lines: this.lines, ratings: this.n, file: this.file });
  }

  private bad(buf: Uint8Array, s: number, e: number, reason: string): void {
    const snippet = decodeText(buf, s, Math.min(e, s + MAX_SNIPPET)) + (e - s > MAX_SNIPPET ? '…' : '');
    if (!this.opts.skipBadLines) throw new ParseError(this.file, this.line, snippet, reason);
    this.skipped++;
    addGap(this.mark(), this.line);
    if (this.skippedSamples.length < 20) this.skippedSamples.push({ file: this.file, line: this.line, reason, snippet });
  }

  /** Parses line buf[s, e) (without its newline). */
  private lineAt(buf: Uint8Array, s: number, e: number): void {
    this.line++;
    this.lines++;
    if (e > s && buf[e - 1] === CR) e--;
    const L = this.layout!;
    // Blank lines carry no rating.
    let allBlank = true;
    for (let i = s; i < e; i++) {
      const c = buf[i];
      if (c !== SP && c !== TAB) {
        allBlank = false;
        break;
      }
    }
    if (allBlank) {
      addGap(this.mark(), this.line);
      return;
    }
    if (this.headerPending) {
      this.headerPending = false;
      addGap(this.mark(), this.line);
      if (L.pending) {
        const names = splitHeader(decodeText(buf, s, e), L.delimiter);
        L.roles = resolveColumns(L.pending, names, this.file);
        L.pending = null;
      }
      return;
    }
    if (L.netflix) {
      // "123:" starts a movie's block.
      if (buf[e - 1] === 58) {
        let k = e - 1;
        while (k > s && (buf[k - 1] === SP || buf[k - 1] === TAB)) k--;
        let j = s;
        while (j < k && (buf[j] === SP || buf[j] === TAB)) j++;
        if (k === j) return this.bad(buf, s, e, 'empty movie ID');
        this.netflixItem = this.itemIds.intern(buf, j, k);
        addGap(this.mark(), this.line);
        return;
      }
      if (this.netflixItem < 0) return this.bad(buf, s, e, 'rating line before the first "movieId:" line');
    }

    const roles = L.roles;
    const nRoles = roles.length;
    const d0 = this.delim0;
    const dl = this.delimLen;
    const db = this.delimBytes;
    let user = -1;
    let item = L.netflix ? this.netflixItem : -1;
    let value = 1;
    let time = NaN;
    let field = 0;
    let p = s;
    let gotValue = !L.hasValue;
    let gotTime = !L.hasTime;
    while (field < nRoles) {
      // Field [fs, fe); a quoted field may contain the delimiter.
      let fs = p;
      let fe: number;
      let next: number;
      let escaped = false;
      if (buf[fs] === QUOTE) {
        let k = fs + 1;
        for (;;) {
          while (k < e && buf[k] !== QUOTE) k++;
          if (k + 1 < e && buf[k + 1] === QUOTE) {
            k += 2;
            escaped = true;
            continue;
          }
          break;
        }
        if (k >= e) return this.bad(buf, s, e, 'unterminated quote');
        fs = fs + 1;
        fe = k;
        next = k + 1;
        while (next < e && (buf[next] === SP || buf[next] === TAB) && buf[next] !== d0) next++;
        if (next < e && !matchDelim(buf, next, e, db)) return this.bad(buf, s, e, 'text after a closing quote');
        next = next < e ? next + dl : e + 1;
      } else {
        let k = p;
        if (dl === 1) {
          while (k < e && buf[k] !== d0) k++;
        } else {
          while (k < e && !(buf[k] === d0 && matchDelim(buf, k, e, db))) k++;
        }
        fe = k;
        next = k < e ? k + dl : e + 1;
        if (d0 !== SP) {
          while (fs < fe && (buf[fs] === SP || buf[fs] === TAB)) fs++;
          while (fe > fs && (buf[fe - 1] === SP || buf[fe - 1] === TAB)) fe--;
        } else {
          // Space-separated: runs of spaces are one separator.
          while (next < e && buf[next] === SP) next++;
        }
      }
      const role = roles[field];
      if (role !== 0) {
        if (fe === fs) return this.bad(buf, s, e, `empty field ${field + 1}`);
        if (escaped && (role === ROLE_USER || role === ROLE_ITEM)) {
          const id = decodeText(buf, fs, fe).replace(/""/g, '"');
          if (role === ROLE_USER) user = this.userIds.addString(id);
          else item = this.itemIds.addString(id);
        } else if (role === ROLE_USER) user = this.userIds.intern(buf, fs, fe);
        else if (role === ROLE_ITEM) item = this.itemIds.intern(buf, fs, fe);
        else if (role === ROLE_VALUE) {
          value = parseNumber(buf, fs, fe);
          gotValue = true;
          if (!Number.isFinite(value)) {
            return this.bad(buf, s, e, Number.isNaN(value) && !/^[-+]?nan$/i.test(decodeText(buf, fs, fe)) ? `field ${field + 1} is not a number` : `${L.implicit ? 'count' : 'rating'} ${decodeText(buf, fs, fe)} is not finite`);
          }
          const f32 = f32Problem(value);
          if (f32) return this.bad(buf, s, e, `${L.implicit ? 'count' : 'rating'} ${decodeText(buf, fs, fe)} ${f32}`);
        } else if (role === ROLE_TIME) {
          time = parseTime(buf, fs, fe);
          gotTime = true;
          if (!Number.isFinite(time)) return this.bad(buf, s, e, `field ${field + 1} is not a timestamp or date`);
        }
      }
      field++;
      p = next;
      if (p > e) break;
    }
    if (field < nRoles || user < 0 || item < 0 || !gotValue || !gotTime) {
      return this.bad(buf, s, e, `expected at least ${nRoles} fields separated by ${JSON.stringify(L.delimiter)}, found ${field}`);
    }
    const sc = this.opts.scale;
    if (sc && (value < sc[0] || value > sc[1])) {
      return this.bad(buf, s, e, `rating ${value} is outside the declared scale [${sc[0]}, ${sc[1]}]`);
    }
    if (L.implicit && value < 0) return this.bad(buf, s, e, `count ${value} is negative`);
    if (this.n === this.cap) this.growFor();
    const k = this.n++;
    this.users[k] = user;
    this.items[k] = item;
    this.values[k] = value;
    if (this.times) this.times[k] = time;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  private endFile(): void {
    if (this.carry) {
      const c = this.carry;
      this.carry = null;
      this.lineAt(c, 0, c.length);
    }
  }

  /** Ends the input: parses what is left, applies the duplicate policy and returns exact-size arrays. */
  finish(): ParseResult {
    if (this.finished) throw new InputError('parser already finished');
    if (!this.layout) {
      if (this.detectLen === 0) throw new InputError(`${this.file}: empty input (0 bytes)`);
      this.detect(true);
    }
    this.endFile();
    this.finished = true;
    this.progress(true);
    const L = this.layout!;
    if (this.n === 0) {
      const more = this.skipped ? ` (${this.skipped} bad lines skipped)` : '';
      throw new InputError(`${this.marks.map((m) => m.name).join(', ') || this.file}: no ratings found in ${this.lines} lines${more}`);
    }
    // Arrays of length n: views when the preallocation was close (at most 8 % spare, no copy and no second array
    // alive), else exact copies made one at a time.
    const n = this.n;
    const fit = <T extends Int32Array | Float32Array | Float64Array>(a: T): T =>
      (a.length === n ? a : a.length - n <= 0.08 * n ? a.subarray(0, n) : a.slice(0, n)) as T;
    let users: Int32Array = (this.users = fit(this.users));
    let items: Int32Array = (this.items = fit(this.items));
    let values: Float32Array = (this.values = fit(this.values));
    let times: Float64Array | null = (this.times = this.times ? fit(this.times) : null);
    const implicit = L.implicit;
    const policy: DuplicatePolicy = this.opts.duplicates ?? (implicit ? 'sum' : 'error');
    const nUsers = this.userIds.size;
    const nItems = this.itemIds.size;
    const dup = resolveDuplicates({ users, items, values, timestamps: times ?? undefined, nUsers, nItems }, policy, (k) => this.whereIs(k));
    if (dup.removed > 0) {
      users = dup.ratings.users;
      items = dup.ratings.items;
      values = dup.ratings.values;
      times = dup.ratings.timestamps ?? null;
    }
    let min = this.min;
    let max = this.max;
    if (dup.removed > 0) {
      min = Infinity;
      max = -Infinity;
      for (let k = 0; k < values.length; k++) {
        if (values[k] < min) min = values[k];
        if (values[k] > max) max = values[k];
      }
    }
    const ratings: Ratings = { users, items, values, nUsers, nItems };
    if (times) ratings.timestamps = times;
    const now = typeof performance !== 'undefined' ? performance.now() : Date.now();
    const report: ParseReport = {
      format: L.format,
      detected: L.description,
      files: this.marks.map((m) => m.name),
      bytes: this.bytes,
      lines: this.lines,
      ratings: values.length,
      skipped: this.skipped,
      skippedSamples: this.skippedSamples,
      duplicates: dup.removed,
      duplicatePolicy: policy,
      min,
      max,
      scale: this.opts.scale ?? (implicit ? undefined : inferScale(L.format, min, max)),
      implicit,
      ms: now - this.t0,
    };
    return { ratings, users: this.userIds.toIdMap(this.opts.users), items: this.itemIds.toIdMap(this.opts.items), report };
  }

  /** File and line of rating k (before duplicate merging). */
  whereIs(k: number): string {
    let m = this.marks[0];
    for (const x of this.marks) if (x.firstRating <= k) m = x;
    if (!m) return `rating ${k}`;
    const r = k - m.firstRating + 1; // 1-based rating number within the file
    // Line = r + (gap lines before it). Run j lies before rating r when fewer than r rating lines precede the run.
    const { gapStart, gapLen, gapBefore } = m;
    let lo = 0;
    let hi = gapStart.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (gapStart[mid] - 1 - gapBefore[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    const before = lo > 0 ? gapBefore[lo - 1] + gapLen[lo - 1] : 0;
    return `${m.name}:${r + before}`;
  }
}

/** The format's usual scale when the values fit in it (MovieLens, Netflix), else the observed range. */
function inferScale(format: RatingFormat, min: number, max: number): [number, number] {
  const known: [number, number] | null =
    format === 'csv' ? [0.5, 5] : format === 'udata' || format === 'netflix' ? [1, 5] : format === 'dat' ? (min >= 1 ? [1, 5] : [0.5, 5]) : null;
  if (known && min >= known[0] && max <= known[1]) return known;
  return [min, max];
}

function matchDelim(buf: Uint8Array, k: number, e: number, d: Uint8Array): boolean {
  if (k + d.length > e) return false;
  for (let j = 0; j < d.length; j++) if (buf[k + j] !== d[j]) return false;
  return true;
}

function concat(parts: Uint8Array[], len: number): Uint8Array {
  if (parts.length === 1 && parts[0].length === len) return parts[0];
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface DuplicateResult {
  ratings: Ratings;
  /** Ratings removed by merging. */
  removed: number;
}

/**
 * Finds repeated (user, item) pairs and applies the policy: 'last' keeps the later rating (and its time), 'mean' and
 * 'sum' merge values into the first occurrence's slot (keeping the latest time), 'error' throws naming both lines.
 * O(n) time; extra memory: two Int32Arrays of nItems, plus a permutation (4 bytes per rating) only when the ratings are
 * not already grouped by user or by item.
 */
export function resolveDuplicates(r: Ratings, policy: DuplicatePolicy, where: (k: number) => string = (k) => `rating ${k}`): DuplicateResult {
  const { users, items, values, timestamps, nUsers, nItems } = r;
  const n = users.length;
  // Group by the side whose runs are contiguous (MovieLens files are grouped by user, Netflix files by item).
  let outer = users;
  let inner = items;
  let nOuter = nUsers;
  let nInner = nItems;
  let order: Uint32Array | null = null;
  if (!contiguous(users, nUsers)) {
    if (contiguous(items, nItems)) {
      outer = items;
      inner = users;
      nOuter = nItems;
      nInner = nUsers;
    } else {
      order = groupOrder(users, nUsers);
    }
  }
  const stamp = new Int32Array(nInner).fill(-1);
  const firstPos = new Int32Array(nInner);
  let removed = 0;
  let keep: Uint8Array | null = null;
  let counts: Float32Array | null = null;
  for (let q = 0; q < n; q++) {
    const k = order ? order[q] : q;
    const o = outer[k];
    const i = inner[k];
    if (stamp[i] !== o) {
      stamp[i] = o;
      firstPos[i] = k;
      continue;
    }
    // Duplicate of the rating at firstPos[i] (the earliest occurrence still kept).
    const f = firstPos[i];
    const a = Math.min(f, k);
    const b = Math.max(f, k);
    if (policy === 'error') {
      throw new InputError(
        `duplicate rating for the same (user, item) pair at ${where(a)} and ${where(b)}; pass duplicates: 'last', 'mean' or 'sum' to merge (--duplicates last|mean|sum on the command line)`,
      );
    }
    if (!keep) keep = new Uint8Array(n).fill(1);
    removed++;
    if (policy === 'last') {
      // Keep the later one in the earlier slot so order is stable.
      values[a] = values[b];
      if (timestamps) timestamps[a] = timestamps[b];
    } else {
      if (policy === 'mean') {
        if (!counts) counts = new Float32Array(n).fill(1);
        const c = counts[a];
        values[a] = (values[a] * c + values[b]) / (c + 1);
        counts[a] = c + 1;
      } else {
        values[a] = values[a] + values[b];
      }
      if (timestamps && timestamps[b] > timestamps[a]) timestamps[a] = timestamps[b];
    }
    keep[b] = 0;
    firstPos[i] = a;
  }
  if (!keep) return { ratings: r, removed: 0 };
  const m = n - removed;
  const u2 = new Int32Array(m);
  const i2 = new Int32Array(m);
  const v2 = new Float32Array(m);
  const t2 = timestamps ? new Float64Array(m) : undefined;
  let j = 0;
  for (let k = 0; k < n; k++) {
    if (!keep[k]) continue;
    u2[j] = users[k];
    i2[j] = items[k];
    v2[j] = values[k];
    if (t2) t2[j] = timestamps![k];
    j++;
  }
  const out: Ratings = { users: u2, items: i2, values: v2, nUsers, nItems };
  if (t2) out.timestamps = t2;
  return { ratings: out, removed };
}

/** Whether each value's occurrences form one contiguous run. */
function contiguous(a: Int32Array, n: number): boolean {
  const done = new Uint8Array(n);
  let prev = -1;
  for (let k = 0; k < a.length; k++) {
    const x = a[k];
    if (x === prev) continue;
    if (done[x]) return false;
    if (prev >= 0) done[prev] = 1;
    prev = x;
  }
  return true;
}

/** Stable order of rating indices grouped by key (counting sort). */
export function groupOrder(keys: Int32Array, nKeys: number): Uint32Array {
  const start = new Uint32Array(nKeys + 1);
  for (let k = 0; k < keys.length; k++) start[keys[k] + 1]++;
  for (let i = 0; i < nKeys; i++) start[i + 1] += start[i];
  const order = new Uint32Array(keys.length);
  for (let k = 0; k < keys.length; k++) order[start[keys[k]]++] = k;
  return order;
}
