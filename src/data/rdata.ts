/**
 * A reader for the subset of R's serialization format that data frames use, and for R lazy-load databases
 * (`Rdata.rdx` + `Rdata.rdb`, as shipped by R packages' `data/` folders).
 *
 * Serialization (R Internals, "Serialization formats"): an `X\n` header (XDR, big-endian), the format version (2 or 3),
 * the writer's and the minimal reader's R versions, and for version 3 the native encoding. Then one item, recursively:
 * a 32-bit flags word (type in the low byte, "is object" bit 8, "has attributes" bit 9, "has tag" bit 10, gp levels in
 * bits 12..27), followed by what the type needs. Supported: NULL, logical, integer, double, complex, string (CHARSXP
 * with NA and UTF-8/Latin-1 encodings), list, pairlist (incl. attribute pairlists), symbols, references, environments
 * (kept as opaque markers), raw, S4 objects, and ALTREP compact integer/real sequences, wrappers and deferred strings.
 *
 * Lazy-load DB: the `.rdx` is an RDS file (gzip or zlib or plain) holding `list(variables = list(name = c(offset,
 * length)), references, compressed)`. Each object in the `.rdb` at (offset, length) is a 4-byte big-endian uncompressed
 * length followed by zlib data (compressed = TRUE), or by a type byte then data ('Z' zlib, '0' stored; bzip2 and xz
 * are reported as unsupported).
 */
import { decompressSync, unzlibSync } from 'fflate';
import { InputError } from '../core/errors.ts';

export type RValue =
  | { kind: 'null' }
  | { kind: 'logical'; data: Int32Array; attributes?: RAttributes }
  | { kind: 'integer'; data: Int32Array; attributes?: RAttributes }
  | { kind: 'double'; data: Float64Array; attributes?: RAttributes }
  | { kind: 'complex'; data: Float64Array; attributes?: RAttributes }
  | { kind: 'string'; data: (string | null)[]; attributes?: RAttributes }
  | { kind: 'raw'; data: Uint8Array; attributes?: RAttributes }
  | { kind: 'list'; data: RValue[]; attributes?: RAttributes }
  | { kind: 'pairlist'; data: { tag: string | null; value: RValue }[]; attributes?: RAttributes }
  | { kind: 'symbol'; name: string }
  | { kind: 'environment'; name: string; attributes?: RAttributes }
  | { kind: 'language'; data: { tag: string | null; value: RValue }[]; attributes?: RAttributes }
  | { kind: 's4'; attributes?: RAttributes };

export type RAttributes = Record<string, RValue>;

/** R's NA_integer_ (and NA logical). */
export const R_NA_INTEGER = -2147483648;

const SXP = {
  NIL: 0, SYM: 1, LIST: 2, CLO: 3, ENV: 4, PROM: 5, LANG: 6, SPECIAL: 7, BUILTIN: 8, CHAR: 9, LGL: 10, INT: 13,
  REAL: 14, CPLX: 15, STR: 16, DOT: 17, VEC: 19, EXPR: 20, BCODE: 21, EXTPTR: 22, WEAKREF: 23, RAW: 24, S4: 25,
  REF: 255, NILVALUE: 254, GLOBALENV: 253, UNBOUNDVALUE: 252, MISSINGARG: 251, BASENAMESPACE: 250, NAMESPACE: 249,
  PACKAGE: 248, PERSIST: 247, EMPTYENV: 242, BASEENV: 241, ATTRLANG: 240, ATTRLIST: 239, ALTREP: 238,
} as const;

const NULL: RValue = { kind: 'null' };
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

class XdrReader {
  pos = 0;
  private readonly view: DataView;
  readonly refs: RValue[] = [];
  constructor(readonly bytes: Uint8Array, readonly what: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(msg: string): never {
    throw new InputError(`${this.what}: ${msg} (at byte ${this.pos} of ${this.bytes.length})`);
  }
  need(n: number): void {
    if (this.pos + n > this.bytes.length) this.fail(`truncated R serialization: need ${n} more bytes`);
  }
  int(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, false);
    this.pos += 4;
    return v;
  }
  length(): number {
    const n = this.int();
    if (n >= 0) return n;
    if (n !== -1) this.fail(`bad vector length ${n}`);
    const hi = this.int();
    const lo = this.int() >>> 0;
    const len = hi * 4294967296 + lo;
    if (len > 2 ** 31) this.fail(`long vector of length ${len} is too large`);
    return len;
  }
  take(n: number): Uint8Array {
    this.need(n);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/** Parses an R serialization stream (`X\n` XDR, version 2 or 3), e.g. the content of an `.rds` file once inflated. */
export function unserializeR(bytes: Uint8Array, what = 'R data'): RValue {
  const r = new XdrReader(bytes, what);
  if (bytes.length < 2) r.fail('empty R serialization');
  const fmt = String.fromCharCode(bytes[0], bytes[1]);
  if (fmt === 'A\n') r.fail('ASCII R serialization is not supported (only XDR "X\\n")');
  if (fmt === 'B\n') r.fail('native binary R serialization is not supported (only XDR "X\\n")');
  if (fmt !== 'X\n') r.fail(`not an R serialization (starts with bytes ${bytes[0]}, ${bytes[1]}; expected "X\\n")`);
  r.pos = 2;
  const version = r.int();
  if (version !== 2 && version !== 3) r.fail(`unsupported R serialization version ${version} (2 and 3 are supported)`);
  r.int(); // writer version
  r.int(); // minimal reader version
  if (version === 3) {
    const n = r.int();
    r.take(n); // native encoding, e.g. "UTF-8"
  }
  const v = readItem(r);
  return v;
}

function readAttributes(r: XdrReader): RAttributes {
  const pl = readItem(r);
  const out: RAttributes = {};
  if (pl.kind === 'pairlist') for (const { tag, value } of pl.data) out[tag ?? ''] = value;
  else if (pl.kind !== 'null') r.fail(`attributes are a ${pl.kind}, expected a pairlist`);
  return out;
}

function readChars(r: XdrReader, levels: number): string | null {
  const n = r.int();
  if (n === -1) return null;
  if (n < 0) r.fail(`bad CHARSXP length ${n}`);
  const b = r.take(n);
  // LATIN1_MASK = 1 << 2; UTF8 (1 << 3), ASCII (1 << 6) and native strings are decoded as UTF-8.
  return levels & 4 ? latin1.decode(b) : utf8.decode(b);
}

function readItem(r: XdrReader): RValue {
  const flags = r.int();
  const type = flags & 0xff;
  const levels = flags >>> 12;
  const hasAttr = (flags & (1 << 9)) !== 0;
  const hasTag = (flags & (1 << 10)) !== 0;
  switch (type) {
    case SXP.NILVALUE:
      return NULL;
    case SXP.EMPTYENV:
      return { kind: 'environment', name: 'emptyenv' };
    case SXP.BASEENV:
      return { kind: 'environment', name: 'baseenv' };
    case SXP.GLOBALENV:
      return { kind: 'environment', name: 'globalenv' };
    case SXP.BASENAMESPACE:
      return { kind: 'environment', name: 'namespace:base' };
    case SXP.UNBOUNDVALUE:
    case SXP.MISSINGARG:
      return NULL;
    case SXP.REF: {
      let idx = flags >>> 8;
      if (idx === 0) idx = r.int();
      const v = r.refs[idx - 1];
      if (!v) r.fail(`reference ${idx} to an object not yet read`);
      return v;
    }
    case SXP.PERSIST:
    case SXP.NAMESPACE:
    case SXP.PACKAGE: {
      if (r.int() !== 0) r.fail('bad persistent string vector');
      const n = r.int();
      const parts: string[] = [];
      for (let i = 0; i < n; i++) {
        const s = readItem(r);
        parts.push(s.kind === 'string' ? String(s.data[0]) : '?');
      }
      const v: RValue = { kind: 'environment', name: `${type === SXP.PACKAGE ? 'package' : 'namespace'}:${parts.join(':')}` };
      r.refs.push(v);
      return v;
    }
    case SXP.SYM: {
      const c = readItem(r);
      const name = c.kind === 'string' ? (c.data[0] ?? 'NA') : '';
      const v: RValue = { kind: 'symbol', name };
      r.refs.push(v);
      return v;
    }
    case SXP.ENV: {
      r.int(); // locked
      const v: RValue = { kind: 'environment', name: 'env' };
      r.refs.push(v);
      readItem(r); // enclosure
      readItem(r); // frame
      readItem(r); // hash table
      const attr = readAttributes(r);
      if (Object.keys(attr).length) v.attributes = attr;
      return v;
    }
    case SXP.LIST:
    case SXP.LANG:
    case SXP.CLO:
    case SXP.PROM:
    case SXP.DOT:
    case SXP.ATTRLIST:
    case SXP.ATTRLANG: {
      // A pairlist: read the chain iteratively (a long pairlist would otherwise recurse once per cell).
      const cells: { tag: string | null; value: RValue }[] = [];
      let attributes: RAttributes | undefined;
      let t = type;
      let a = hasAttr;
      let g = hasTag;
      for (;;) {
        if (a) {
          const at = readAttributes(r);
          if (!cells.length) attributes = at;
        }
        let tag: string | null = null;
        if (g) {
          const s = readItem(r);
          tag = s.kind === 'symbol' ? s.name : s.kind === 'string' ? s.data[0] : null;
        }
        cells.push({ tag, value: readItem(r) });
        // The cdr: continue the loop when it is another cell of the same family, else read it as an item.
        const next = r.int();
        const nt = next & 0xff;
        if (nt === SXP.NILVALUE) break;
        if (nt === SXP.LIST || nt === SXP.ATTRLIST || nt === t) {
          t = nt;
          a = (next & (1 << 9)) !== 0;
          g = (next & (1 << 10)) !== 0;
          continue;
        }
        r.pos -= 4;
        cells.push({ tag: null, value: readItem(r) });
        break;
      }
      const kind = type === SXP.LANG || type === SXP.ATTRLANG ? 'language' : 'pairlist';
      return attributes ? { kind, data: cells, attributes } : { kind, data: cells };
    }
    case SXP.SPECIAL:
    case SXP.BUILTIN: {
      const n = r.int();
      return { kind: 'symbol', name: utf8.decode(r.take(n)) };
    }
    case SXP.CHAR: {
      const s = readChars(r, levels);
      return { kind: 'string', data: [s] };
    }
    case SXP.LGL:
    case SXP.INT: {
      const n = r.length();
      const data = new Int32Array(n);
      const b = r.take(4 * n);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < n; i++) data[i] = dv.getInt32(4 * i, false);
      return withAttr(r, hasAttr, { kind: type === SXP.LGL ? 'logical' : 'integer', data });
    }
    case SXP.REAL:
    case SXP.CPLX: {
      const n = r.length() * (type === SXP.CPLX ? 2 : 1);
      const data = new Float64Array(n);
      const b = r.take(8 * n);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < n; i++) data[i] = dv.getFloat64(8 * i, false);
      return withAttr(r, hasAttr, { kind: type === SXP.CPLX ? 'complex' : 'double', data });
    }
    case SXP.STR: {
      const n = r.length();
      const data: (string | null)[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const f = r.int();
        if ((f & 0xff) !== SXP.CHAR) r.fail(`string vector element ${i} has type ${f & 0xff}, expected CHARSXP (9)`);
        data[i] = readChars(r, f >>> 12);
      }
      return withAttr(r, hasAttr, { kind: 'string', data });
    }
    case SXP.VEC:
    case SXP.EXPR: {
      const n = r.length();
      const data: RValue[] = new Array(n);
      for (let i = 0; i < n; i++) data[i] = readItem(r);
      return withAttr(r, hasAttr, { kind: 'list', data });
    }
    case SXP.RAW: {
      const n = r.length();
      const data = r.take(n).slice();
      return withAttr(r, hasAttr, { kind: 'raw', data });
    }
    case SXP.S4:
      return withAttr(r, hasAttr, { kind: 's4' });
    case SXP.ALTREP: {
      const info = readItem(r);
      const state = readItem(r);
      const attr = readItem(r);
      const v = expandAltrep(r, info, state);
      if (attr.kind === 'pairlist' && 'attributes' in v) {
        const at: RAttributes = {};
        for (const { tag, value } of attr.data) at[tag ?? ''] = value;
        (v as { attributes?: RAttributes }).attributes = at;
      }
      return v;
    }
    default:
      return r.fail(`unsupported R object type ${type} (flags 0x${(flags >>> 0).toString(16)})`);
  }
}

function withAttr<T extends RValue & { attributes?: RAttributes }>(r: XdrReader, hasAttr: boolean, v: T): T {
  if (hasAttr) v.attributes = readAttributes(r);
  return v;
}

function expandAltrep(r: XdrReader, info: RValue, state: RValue): RValue {
  const cls = info.kind === 'pairlist' && info.data[0]?.value.kind === 'symbol' ? info.data[0].value.name : '?';
  switch (cls) {
    case 'compact_intseq':
    case 'compact_realseq': {
      if (state.kind !== 'double' || state.data.length < 3) r.fail(`bad ${cls} state`);
      const [n, n1, inc] = state.data;
      if (cls === 'compact_intseq') {
        const data = new Int32Array(n);
        for (let i = 0; i < n; i++) data[i] = n1 + i * inc;
        return { kind: 'integer', data };
      }
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) data[i] = n1 + i * inc;
      return { kind: 'double', data };
    }
    case 'wrap_integer':
    case 'wrap_real':
    case 'wrap_string':
    case 'wrap_logical':
    case 'wrap_list':
    case 'wrap_complex':
    case 'wrap_raw': {
      if (state.kind !== 'list' || !state.data.length) r.fail(`bad ${cls} state`);
      return copyValue(state.data[0]);
    }
    case 'deferred_string': {
      // state = pairlist(original vector, scalar info); the strings are the vector's values as R would print them.
      const arg = state.kind === 'pairlist' ? state.data[0]?.value : state;
      if (arg && (arg.kind === 'integer' || arg.kind === 'double' || arg.kind === 'logical')) {
        const data: (string | null)[] = new Array(arg.data.length);
        for (let i = 0; i < arg.data.length; i++) {
          const x = arg.data[i];
          data[i] =
            arg.kind === 'double' ? (Number.isNaN(x) ? null : String(x)) : x === R_NA_INTEGER ? null : arg.kind === 'logical' ? (x ? 'TRUE' : 'FALSE') : String(x);
        }
        return { kind: 'string', data };
      }
      if (arg && arg.kind === 'string') return copyValue(arg);
      return r.fail('bad deferred_string state');
    }
    default:
      return r.fail(`unsupported ALTREP class ${cls}`);
  }
}

function copyValue(v: RValue): RValue {
  // Wrapper states are shared with nothing else, but the attributes slot is replaced by the outer ALTREP's: shallow copy.
  return { ...v } as RValue;
}

/** Inflates and parses an `.rds` file (gzip, zlib or uncompressed). */
export function readRds(bytes: Uint8Array, what = 'RDS file'): RValue {
  let raw = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) raw = decompressSync(bytes);
  else if (bytes[0] === 0x78) raw = unzlibSync(bytes);
  else if (bytes[0] === 0x42 && bytes[1] === 0x5a) throw new InputError(`${what}: bzip2-compressed RDS is not supported`);
  else if (bytes[0] === 0xfd && bytes[1] === 0x37) throw new InputError(`${what}: xz-compressed RDS is not supported`);
  return unserializeR(raw, what);
}

export interface LazyLoadIndex {
  /** Object name -> [offset, length] in the .rdb file. */
  variables: Map<string, [number, number]>;
  /** The DB's compression: 1 (zlib), 2 (bzip2), 3 (xz). */
  compressed: number;
}

/** Reads a lazy-load DB index (`.rdx`). */
export function readLazyLoadIndex(rdx: Uint8Array, what = 'Rdata.rdx'): LazyLoadIndex {
  const v = readRds(rdx, what);
  if (v.kind !== 'list') throw new InputError(`${what}: expected a list, found ${v.kind}`);
  const names = listNames(v);
  const vars = v.data[names.indexOf('variables')];
  if (!vars || vars.kind !== 'list') throw new InputError(`${what}: no "variables" list in the index`);
  const varNames = listNames(vars);
  const variables = new Map<string, [number, number]>();
  vars.data.forEach((key, i) => {
    const k = key.kind === 'integer' || key.kind === 'double' ? key.data : null;
    if (!k || k.length !== 2) throw new InputError(`${what}: bad key for ${varNames[i]}`);
    variables.set(varNames[i], [k[0], k[1]]);
  });
  const c = v.data[names.indexOf('compressed')];
  let compressed = 1;
  if (c && (c.kind === 'logical' || c.kind === 'integer' || c.kind === 'double')) compressed = Number(c.data[0]) || 0;
  return { variables, compressed };
}

/** Reads one object of a lazy-load DB (`.rdb`) given its [offset, length] key. */
export function readLazyLoadObject(rdb: Uint8Array, key: [number, number], compressed = 1, what = 'Rdata.rdb'): RValue {
  const [off, len] = key;
  if (!(off >= 0 && len >= 5 && off + len <= rdb.length)) {
    throw new InputError(`${what}: key (${off}, ${len}) lies outside the file of ${rdb.length} bytes`);
  }
  const blob = rdb.subarray(off, off + len);
  const outLen = new DataView(blob.buffer, blob.byteOffset, 4).getUint32(0, false);
  let raw: Uint8Array;
  if (compressed === 0) raw = blob.subarray(4);
  else if (compressed === 1) raw = unzlibSync(blob.subarray(4), { out: new Uint8Array(outLen) });
  else {
    const t = String.fromCharCode(blob[4]);
    if (t === 'Z') raw = unzlibSync(blob.subarray(5), { out: new Uint8Array(outLen) });
    else if (t === '0') raw = blob.subarray(5);
    else throw new InputError(`${what}: object compressed with ${t === '2' ? 'bzip2' : t === 'X' ? 'xz' : `type '${t}'`} is not supported`);
  }
  if (raw.length !== outLen) throw new InputError(`${what}: inflated ${raw.length} bytes, header says ${outLen}`);
  return unserializeR(raw, what);
}

/** Names attribute of a list (or [] when absent). */
export function listNames(v: RValue): string[] {
  const n = 'attributes' in v ? v.attributes?.names : undefined;
  return n && n.kind === 'string' ? n.data.map((s) => s ?? '') : [];
}

export function rClass(v: RValue): string[] {
  const c = 'attributes' in v ? v.attributes?.class : undefined;
  return c && c.kind === 'string' ? c.data.map((s) => s ?? '') : [];
}

/** A data.frame column as JS data: numbers (NA -> NaN) or strings (NA -> null); factors become their labels. */
export type RColumn = { type: 'number'; data: Float64Array; integer: boolean } | { type: 'string'; data: (string | null)[]; factor: boolean };

export interface RDataFrame {
  names: string[];
  nRows: number;
  columns: Map<string, RColumn>;
}

/** Converts a data.frame (list with names, class "data.frame") into columns. */
export function toDataFrame(v: RValue, what = 'R object'): RDataFrame {
  if (v.kind !== 'list' || !rClass(v).includes('data.frame')) {
    throw new InputError(`${what} is not a data.frame (found ${v.kind}${rClass(v).length ? ` of class ${rClass(v).join('/')}` : ''})`);
  }
  const names = listNames(v);
  const columns = new Map<string, RColumn>();
  let nRows = -1;
  v.data.forEach((col, i) => {
    const name = names[i] ?? `V${i + 1}`;
    let c: RColumn;
    if (col.kind === 'integer' && rClass(col).includes('factor')) {
      const lv = col.attributes?.levels;
      if (!lv || lv.kind !== 'string') throw new InputError(`${what}: factor column ${name} has no levels`);
      const data: (string | null)[] = new Array(col.data.length);
      for (let k = 0; k < col.data.length; k++) {
        const code = col.data[k];
        data[k] = code === R_NA_INTEGER ? null : (lv.data[code - 1] ?? null);
      }
      c = { type: 'string', data, factor: true };
    } else if (col.kind === 'integer' || col.kind === 'logical') {
      const data = new Float64Array(col.data.length);
      for (let k = 0; k < col.data.length; k++) data[k] = col.data[k] === R_NA_INTEGER ? NaN : col.data[k];
      c = { type: 'number', data, integer: true };
    } else if (col.kind === 'double') {
      c = { type: 'number', data: col.data, integer: false };
    } else if (col.kind === 'string') {
      c = { type: 'string', data: col.data, factor: false };
    } else {
      throw new InputError(`${what}: column ${name} has unsupported type ${col.kind}`);
    }
    if (nRows >= 0 && c.data.length !== nRows) throw new InputError(`${what}: column ${name} has ${c.data.length} rows, expected ${nRows}`);
    nRows = c.data.length;
    columns.set(name, c);
  });
  return { names, nRows: Math.max(0, nRows), columns };
}

/** Writes R XDR serialization (version 3): used by tests to build inputs, and handy to export data to R. */
export class RWriter {
  private buf = new Uint8Array(1024);
  private n = 0;
  private grow(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
  int(v: number): this {
    this.grow(4);
    new DataView(this.buf.buffer).setInt32(this.n, v, false);
    this.n += 4;
    return this;
  }
  double(v: number): this {
    this.grow(8);
    new DataView(this.buf.buffer).setFloat64(this.n, v, false);
    this.n += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }
  header(version: 2 | 3 = 3): this {
    this.bytes(new Uint8Array([0x58, 0x0a]));
    this.int(version).int(0x040201).int(version === 3 ? 0x030500 : 0x020300);
    if (version === 3) this.int(5).bytes(new TextEncoder().encode('UTF-8'));
    return this;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}
