/**
 * Rating-file formats and their auto-detection. A format resolves to a line layout: a delimiter and the role of each
 * field (user, item, value, time, ignored), or the Netflix layout (`movieId:` lines followed by `user,rating,date`).
 */
import { InputError } from '../core/errors.ts';
import { quoteText } from './intern.ts';

export type RatingFormat = 'udata' | 'dat' | 'csv' | 'netflix' | 'delimited' | 'implicit';

/** Column names (matched case-insensitively against the header) or 0-based field indices. */
export interface ColumnSpec {
  user: string | number;
  item: string | number;
  /** The rating (explicit) or count (implicit). Absent for implicit data: every line counts 1. */
  value?: string | number;
  timestamp?: string | number;
}

export interface FormatOptions {
  /** 'auto' (default) detects from the file name and the first lines. */
  format?: RatingFormat | 'auto';
  /** For 'delimited'/'implicit': the field separator (',', '\t', ';', '|', '::', ' '...). Detected when absent. */
  delimiter?: string;
  /** For 'delimited'/'implicit': whether the first line names the columns. Detected when absent. */
  header?: boolean;
  /** For 'delimited'/'implicit': which fields hold what. Detected from header names when absent. */
  columns?: ColumnSpec;
  /** Treat values as implicit feedback (counts). Implied by format 'implicit'. */
  implicit?: boolean;
}

export const ROLE_IGNORE = 0;
export const ROLE_USER = 1;
export const ROLE_ITEM = 2;
export const ROLE_VALUE = 3;
export const ROLE_TIME = 4;

export interface LineLayout {
  format: RatingFormat;
  netflix: boolean;
  delimiter: string;
  /** Whether the first line is a header to skip (its names resolve `columns`). */
  header: boolean;
  /** Columns to resolve against the header (null when `roles` is already final). */
  pending: ColumnSpec | null;
  /** Role per field index (ROLE_*). */
  roles: number[];
  hasValue: boolean;
  hasTime: boolean;
  implicit: boolean;
  /** Human-readable account of what was detected and why. */
  description: string;
}

const USER_NAMES = ['userid', 'user_id', 'user', 'uid', 'customerid', 'customer_id', 'customer', 'visitorid', 'visitor_id', 'u'];
const ITEM_NAMES = ['movieid', 'movie_id', 'itemid', 'item_id', 'item', 'iid', 'movie', 'productid', 'product_id', 'product', 'artistid', 'artist_id', 'trackid', 'track_id', 'bookid', 'book_id', 'isbn', 'asin', 'i'];
const RATING_NAMES = ['rating', 'ratings', 'score', 'stars', 'value', 'rate', 'r'];
const COUNT_NAMES = ['count', 'counts', 'plays', 'playcount', 'play_count', 'clicks', 'weight', 'freq', 'frequency', 'n', 'times', 'interactions', 'value'];
const TIME_NAMES = ['timestamp', 'time', 'ts', 'date', 'datetime', 'unixtime', 'unix_time'];

/** Splits a line into fields: a delimiter inside double quotes is text ("" is a quote), as in RFC 4180. */
export function splitHeader(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < line.length; ) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
    } else if (c === '"' && field.trim() === '' && !wasQuoted) {
      quoted = true;
      wasQuoted = true;
      field = '';
      i++;
    } else if (line.startsWith(delimiter, i)) {
      out.push(wasQuoted ? field : field.trim());
      field = '';
      wasQuoted = false;
      i += delimiter.length;
      if (delimiter === ' ') while (line[i] === ' ') i++;
    } else {
      if (!wasQuoted) field += c;
      i++;
    }
  }
  out.push(wasQuoted ? field : field.trim());
  return out;
}

function findName(names: string[], wanted: string[]): number {
  const lower = names.map((n) => n.toLowerCase());
  for (const w of wanted) {
    const i = lower.indexOf(w);
    if (i >= 0) return i;
  }
  return -1;
}

/** Resolves a column spec against header names (or indices); a clear error names what is missing. */
export function resolveColumns(spec: ColumnSpec, names: string[] | null, where: string): number[] {
  const roles: number[] = [];
  const put = (c: string | number | undefined, role: number, what: string) => {
    if (c === undefined) return;
    let i: number;
    if (typeof c === 'number') i = c;
    else {
      if (!names) throw new InputError(`${where}: column "${c}" given by name but the file has no header; give a 0-based index`);
      i = names.findIndex((n) => n.toLowerCase() === c.toLowerCase());
      if (i < 0) throw new InputError(`${where}: no column named "${c}" for the ${what} (columns: ${names.join(', ')})`);
    }
    if (!(Number.isInteger(i) && i >= 0 && i < 1024)) throw new InputError(`${where}: bad ${what} column index ${c}`);
    while (roles.length <= i) roles.push(ROLE_IGNORE);
    if (roles[i] !== ROLE_IGNORE) throw new InputError(`${where}: column ${c} is used twice`);
    roles[i] = role;
  };
  put(spec.user, ROLE_USER, 'user');
  put(spec.item, ROLE_ITEM, 'item');
  put(spec.value, ROLE_VALUE, 'rating/count');
  put(spec.timestamp, ROLE_TIME, 'timestamp');
  return roles;
}

function baseName(name: string | undefined): string {
  if (!name) return '';
  const parts = name.split(/[\\/]/);
  return parts[parts.length - 1].toLowerCase();
}

function isNumericField(s: string): boolean {
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(s);
}

/**
 * Whether the first line is a header: some field is not a number while the same field of the second line is (string
 * IDs alone do not make a header); with a single line, when no field is a number.
 */
function looksLikeHeader(lines: string[], d: string): boolean {
  const a = splitHeader(lines[0], d);
  if (lines.length < 2) return !a.some(isNumericField);
  const b = splitHeader(lines[1], d);
  return a.some((f, k) => !isNumericField(f) && b[k] !== undefined && isNumericField(b[k]));
}

function guessDelimiter(line: string): string | null {
  if (line.includes('::')) return '::';
  for (const d of ['\t', ',', ';', '|']) if (line.includes(d)) return d;
  if (/\S\s+\S/.test(line.trim())) return ' ';
  return null;
}

/**
 * Decides the layout from the options, the file name and the first lines of text. Throws an InputError naming the file
 * and showing the first line when it cannot tell.
 */
export function detectLayout(sampleLines: string[], fileName: string | undefined, opts: FormatOptions): LineLayout {
  const where = fileName ?? 'input';
  const lines = sampleLines.filter((l) => l.trim() !== '');
  if (!lines.length) throw new InputError(`${where}: empty input (no lines to read)`);
  const first = lines[0];
  const snippet = quoteText(first.length > 80 ? first.slice(0, 80) + '…' : first);
  const base = baseName(fileName);
  let fmt = opts.format ?? 'auto';
  const implicitOpt = opts.implicit ?? fmt === 'implicit';
  const why: string[] = [];

  if (fmt === 'auto') {
    if (opts.columns || opts.delimiter) {
      fmt = implicitOpt ? 'implicit' : 'delimited';
      why.push('columns/delimiter given');
    } else if (/^\s*\d+:\s*$/.test(first) && lines.length > 1 && /^\s*[^,]+,[^,]+,/.test(lines[1])) {
      fmt = 'netflix';
      why.push(`first line ${snippet} is a "movieId:" line`);
    } else if (base === 'u.data' || (first.split('\t').length === 4 && first.split('\t').every(isNumericField))) {
      fmt = 'udata';
      why.push(base === 'u.data' ? 'file name u.data' : 'four numeric tab-separated fields');
    } else if (first.includes('::')) {
      fmt = 'dat';
      why.push('"::"-separated fields');
    } else {
      const d = guessDelimiter(first);
      if (!d) throw new InputError(`${where}: unknown format: cannot find a field separator in the first line ${snippet}; pass format and columns (--format, --columns on the command line)`);
      const fields = splitHeader(first, d);
      const hasHeader = looksLikeHeader(lines, d);
      if (hasHeader) {
        const lower = fields.map((f) => f.toLowerCase());
        if (d === ',' && lower[0] === 'userid' && lower[1] === 'movieid' && lower[2] === 'rating' && !implicitOpt) {
          fmt = 'csv';
          why.push('MovieLens ratings.csv header');
        } else {
          const hasCount = findName(fields, COUNT_NAMES.filter((n) => n !== 'value')) >= 0 && findName(fields, RATING_NAMES.filter((n) => n !== 'value')) < 0;
          fmt = implicitOpt || hasCount ? 'implicit' : 'delimited';
          why.push(`header ${snippet}`);
        }
      } else {
        fmt = implicitOpt ? 'implicit' : 'delimited';
        why.push(`no header, ${fields.length} fields separated by ${JSON.stringify(d)}`);
      }
    }
  }

  const implicit = fmt === 'implicit' || implicitOpt;
  switch (fmt) {
    case 'netflix':
      return {
        format: 'netflix', netflix: true, delimiter: ',', header: false, pending: null,
        roles: [ROLE_USER, ROLE_VALUE, ROLE_TIME], hasValue: true, hasTime: true, implicit,
        description: `Netflix Prize combined_data ("movieId:" lines, then user,rating,date)${why.length ? ` — ${why.join('; ')}` : ''}`,
      };
    case 'udata':
    case 'dat': {
      const delimiter = fmt === 'udata' ? '\t' : '::';
      const roles = [ROLE_USER, ROLE_ITEM, ROLE_VALUE, ROLE_TIME];
      return {
        format: fmt, netflix: false, delimiter, header: false, pending: null, roles, hasValue: true, hasTime: true, implicit,
        description: `${fmt === 'udata' ? 'MovieLens u.data (tab-separated user item rating timestamp)' : 'MovieLens ratings.dat (user::item::rating::timestamp)'}${why.length ? ` — ${why.join('; ')}` : ''}`,
      };
    }
    case 'csv': {
      const hasTime = splitHeader(first, ',').some((f) => f.toLowerCase() === 'timestamp');
      return {
        format: 'csv', netflix: false, delimiter: ',', header: true,
        pending: { user: 'userId', item: 'movieId', value: 'rating', timestamp: hasTime ? 'timestamp' : undefined },
        roles: [], hasValue: true, hasTime, implicit,
        description: `MovieLens ratings.csv (header userId,movieId,rating,timestamp)${why.length ? ` — ${why.join('; ')}` : ''}`,
      };
    }
    case 'delimited':
    case 'implicit': {
      const delimiter = opts.delimiter ?? guessDelimiter(first);
      if (!delimiter) throw new InputError(`${where}: cannot find a field separator in the first line ${snippet}; pass delimiter (--delimiter on the command line)`);
      const fields = splitHeader(first, delimiter);
      const header = opts.header ?? looksLikeHeader(lines, delimiter);
      let columns = opts.columns;
      if (!columns) {
        if (header) {
          const u = findName(fields, USER_NAMES);
          const i = findName(fields, ITEM_NAMES);
          const v = implicit ? findName(fields, COUNT_NAMES) : findName(fields, RATING_NAMES);
          const t = findName(fields, TIME_NAMES);
          if (u < 0 || i < 0) {
            throw new InputError(
              `${where}: unknown format: header ${snippet} has no recognisable user and item columns; pass columns: { user, item, value } (--columns USER,ITEM,RATING on the command line)`,
            );
          }
          if (v < 0 && !implicit) {
            throw new InputError(`${where}: header ${snippet} has no rating column; pass columns.value, or implicit: true for presence data (--columns USER,ITEM,RATING or --implicit on the command line)`);
          }
          columns = { user: u, item: i, value: v >= 0 ? v : undefined, timestamp: t >= 0 ? t : undefined };
        } else if (fields.length >= 2) {
          if (fields.length === 2 && !implicit) {
            throw new InputError(`${where}: two fields per line ${snippet} but no rating: pass implicit: true for presence data, or columns (--implicit or --columns on the command line)`);
          }
          columns = { user: 0, item: 1, value: fields.length >= 3 ? 2 : undefined, timestamp: fields.length >= 4 && !implicit ? 3 : undefined };
        } else {
          throw new InputError(`${where}: unknown format: first line ${snippet} has a single field; pass format/columns (--format, --columns on the command line)`);
        }
      }
      const names = header ? fields : null;
      const roles = resolveColumns(columns, names, where);
      const cols = ['user', 'item', implicit ? 'count' : 'rating', 'timestamp'];
      const desc = roles
        .map((r, k) => (r === ROLE_IGNORE ? null : `${cols[r - 1]}=${names ? names[k] : `#${k}`}`))
        .filter(Boolean)
        .join(', ');
      return {
        format: implicit ? 'implicit' : 'delimited', netflix: false, delimiter, header, pending: null, roles,
        hasValue: roles.includes(ROLE_VALUE), hasTime: roles.includes(ROLE_TIME), implicit,
        description: `${implicit ? 'implicit feedback' : 'explicit ratings'}, ${JSON.stringify(delimiter)}-separated, ${header ? 'with' : 'no'} header (${desc})${why.length ? ` — ${why.join('; ')}` : ''}`,
      };
    }
    default:
      throw new InputError(`${where}: unknown format ${JSON.stringify(fmt)} (known: auto, udata, dat, csv, netflix, delimited, implicit)`);
  }
}
