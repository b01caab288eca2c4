/**
 * Interns external IDs read from bytes into dense indices without making a string per row: non-negative integer IDs
 * (the common case) go through a growing lookup table indexed by the ID; other IDs through a Map. The result is an
 * IdMap (same index order: first appearance).
 */
import { IdMap, type ExternalId } from './ratings.ts';

/** IDs below this use the direct table (4 bytes per possible ID: at most 64 MiB). */
const TABLE_LIMIT = 1 << 24;
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

export class IdInterner {
  /** dense index + 1 for integer IDs < table.length (0 = unseen). */
  private table = new Int32Array(1024);
  private readonly bigInts = new Map<number, number>();
  private readonly strings = new Map<string, number>();
  readonly ids: ExternalId[] = [];

  constructor(initial?: IdMap) {
    if (initial) for (const id of initial.ids) this.addId(id);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Adds (or finds) an ID given as a JS value; numbers and canonical integer strings are the same ID. */
  addId(id: ExternalId): number {
    if (typeof id === 'number' && Number.isInteger(id) && id >= 0) return this.addInt(id);
    const s = String(id);
    if (/^(0|[1-9][0-9]{0,14})$/.test(s)) return this.addInt(Number(s));
    return this.addString(s);
  }

  /** Index of a non-negative integer ID (inline table hit, else addInt). */
  int(v: number): number {
    const t = this.table;
    if (v < t.length) {
      const d = t[v];
      if (d !== 0) return d - 1;
    }
    return this.addInt(v);
  }

  addInt(v: number): number {
    if (v < TABLE_LIMIT) {
      let t = this.table;
      if (v >= t.length) {
        let n = t.length;
        while (n <= v) n *= 2;
        const g = new Int32Array(Math.min(n, TABLE_LIMIT));
        g.set(t);
        this.table = t = g;
      }
      const d = t[v];
      if (d !== 0) return d - 1;
      const i = this.ids.length;
      t[v] = i + 1;
      this.ids.push(v);
      return i;
    }
    let i = this.bigInts.get(v);
    if (i === undefined) {
      i = this.ids.length;
      this.bigInts.set(v, i);
      this.ids.push(v);
    }
    return i;
  }

  addString(s: string): number {
    let i = this.strings.get(s);
    if (i === undefined) {
      i = this.ids.length;
      this.strings.set(s, i);
      this.ids.push(s);
    }
    return i;
  }

  /**
   * Interns the ID in buf[s, e) (already trimmed). Digits-only IDs without a leading zero (up to 15 digits) are
   * numbers; anything else is a string (UTF-8, or Latin-1 when not valid UTF-8).
   */
  intern(buf: Uint8Array, s: number, e: number): number {
    const len = e - s;
    if (len > 0 && len <= 15 && (buf[s] !== 48 || len === 1)) {
      let v = 0;
      let i = s;
      for (; i < e; i++) {
        const c = buf[i] - 48;
        if (c < 0 || c > 9) break;
        v = v * 10 + c;
      }
      if (i === e) {
        // Inline table hit: the hot path for MovieLens/Netflix-style IDs.
        if (v < this.table.length) {
          const d = this.table[v];
          if (d !== 0) return d - 1;
        }
        return this.addInt(v);
      }
    }
    return this.addString(decodeText(buf, s, e));
  }

  toIdMap(into?: IdMap): IdMap {
    if (!into) return IdMap.from(this.ids);
    for (let i = into.size; i < this.ids.length; i++) into.add(this.ids[i]);
    return into;
  }
}

export function decodeText(buf: Uint8Array, s: number, e: number): string {
  let ascii = true;
  for (let i = s; i < e; i++) {
    if (buf[i] >= 128) {
      ascii = false;
      break;
    }
  }
  const b = buf.subarray(s, e);
  if (ascii) return e - s < 64 ? String.fromCharCode.apply(null, b as unknown as number[]) : latin1.decode(b);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return latin1.decode(b);
  }
}

/** Decodes a whole text file: UTF-8 (BOM stripped) or, when that fails, Latin-1 (as MovieLens 1M's .dat files are). */
export function decodeFileText(bytes: Uint8Array): { text: string; encoding: 'utf-8' | 'latin1' } {
  const b = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(b), encoding: 'utf-8' };
  } catch {
    return { text: latin1.decode(b), encoding: 'latin1' };
  }
}

export { utf8 as utf8Decoder };

/** Characters a terminal may act on: C0/C1 controls, DEL, and the bidirectional overrides that reorder what is shown. */
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Text from a file or an archive, safe to print: control characters become \uXXXX escapes. */
export function escapeText(s: string): string {
  return s.replace(UNSAFE_TEXT, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A quoted snippet for an error message: JSON-quoted, with the controls JSON leaves raw (DEL, C1, bidi) escaped too. */
export function quoteText(s: string): string {
  return JSON.stringify(s).replace(UNSAFE_TEXT, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
