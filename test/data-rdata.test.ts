/**
 * The R serialization / lazy-load reader on bytes built here (no network, no apt), the dslabs MovieLens conversion,
 * and `dataGet` / `webmf data get` with an injected fetch and a self-built offline source.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zipSync, zlibSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import {
  RWriter, R_NA_INTEGER, readLazyLoadIndex, readLazyLoadObject, readRds, toDataFrame, unserializeR, type RValue,
} from '../src/data/rdata.ts';
import { NetworkError, dataGet, defaultCacheDir, loadDslabsMovielens } from '../src/data/movielens.ts';
import { readRatingsFile } from '../src/data/node.ts';
import { runDataCommand } from '../src/cli/data.ts';

const tmp = mkdtempSync(join(tmpdir(), 'webmf-rdata-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const enc = (s: string) => new TextEncoder().encode(s);

// --- A small R serializer (XDR, version 3) for building test inputs ---------------------------------------------
type Attr = [string, RNode][];
type RNode =
  | { t: 'null' }
  | { t: 'int' | 'lgl'; v: number[]; a?: Attr; obj?: boolean }
  | { t: 'dbl'; v: number[]; a?: Attr; obj?: boolean }
  | { t: 'str'; v: (string | null)[]; latin1?: boolean; a?: Attr }
  | { t: 'list'; v: RNode[]; a?: Attr; obj?: boolean }
  | { t: 'compact_intseq'; n: number; start: number; step: number };

class Ser {
  readonly w = new RWriter();
  private syms: string[] = [];
  constructor(version: 2 | 3 = 3) {
    this.w.header(version);
  }
  chars(s: string | null, latin1 = false): void {
    if (s === null) {
      this.w.int(9).int(-1);
      return;
    }
    const b = latin1 ? Uint8Array.from(s, (c) => c.charCodeAt(0)) : enc(s);
    this.w.int(9 | ((latin1 ? 4 : 8) << 12)).int(b.length).bytes(b);
  }
  sym(name: string): void {
    const i = this.syms.indexOf(name);
    if (i >= 0) {
      this.w.int(255 | ((i + 1) << 8)); // REFSXP with the index packed into the flags
      return;
    }
    this.syms.push(name);
    this.w.int(1);
    this.chars(name);
  }
  attrs(a: Attr): void {
    for (const [tag, v] of a) {
      this.w.int(2 | (1 << 10)); // LISTSXP with a tag
      this.sym(tag);
      this.item(v);
    }
    this.w.int(254);
  }
  item(x: RNode): void {
    const flags = (type: number, a?: Attr, obj?: boolean) => type | (a ? 1 << 9 : 0) | (obj ? 1 << 8 : 0);
    switch (x.t) {
      case 'null':
        this.w.int(254);
        return;
      case 'int':
      case 'lgl':
        this.w.int(flags(x.t === 'int' ? 13 : 10, x.a, x.obj)).int(x.v.length);
        for (const v of x.v) this.w.int(v);
        break;
      case 'dbl':
        this.w.int(flags(14, x.a, x.obj)).int(x.v.length);
        for (const v of x.v) this.w.double(v);
        break;
      case 'str':
        this.w.int(flags(16, x.a)).int(x.v.length);
        for (const s of x.v) this.chars(s, x.latin1);
        break;
      case 'list':
        this.w.int(flags(19, x.a, x.obj)).int(x.v.length);
        for (const v of x.v) this.item(v);
        break;
      case 'compact_intseq':
        this.w.int(238);
        // info: pairlist(class symbol, package symbol, type)
        this.w.int(2);
        this.sym('compact_intseq');
        this.w.int(2);
        this.sym('base');
        this.w.int(2);
        this.item({ t: 'int', v: [13] });
        this.w.int(254);
        this.item({ t: 'dbl', v: [x.n, x.start, x.step] }); // state
        this.w.int(254); // attributes
        return;
    }
    if ('a' in x && x.a) this.attrs(x.a);
  }
  bytes(x: RNode): Uint8Array {
    this.item(x);
    return this.w.result();
  }
}

const ser = (x: RNode, version: 2 | 3 = 3) => new Ser(version).bytes(x);
const strs = (...v: (string | null)[]): RNode => ({ t: 'str', v });

/** A movielens-like data.frame, as dslabs stores it (genres a factor, row names compact). */
function movielensFrame(rows: { movieId: number; title: string | null; year: number; genres: string; userId: number; rating: number; timestamp: number }[], compactRowNames = true): RNode {
  const levels = [...new Set(rows.map((r) => r.genres))].sort();
  return {
    t: 'list',
    obj: true,
    v: [
      { t: 'int', v: rows.map((r) => r.movieId) },
      { t: 'str', v: rows.map((r) => r.title) },
      { t: 'int', v: rows.map((r) => (Number.isNaN(r.year) ? R_NA_INTEGER : r.year)) },
      { t: 'int', obj: true, v: rows.map((r) => levels.indexOf(r.genres) + 1), a: [['levels', { t: 'str', v: levels }], ['class', strs('factor')]] },
      { t: 'int', v: rows.map((r) => r.userId) },
      { t: 'dbl', v: rows.map((r) => r.rating) },
      { t: 'int', v: rows.map((r) => r.timestamp) },
    ],
    a: [
      ['names', strs('movieId', 'title', 'year', 'genres', 'userId', 'rating', 'timestamp')],
      ['class', strs('data.frame')],
      ['row.names', compactRowNames ? { t: 'int', v: [R_NA_INTEGER, -rows.length] } : { t: 'compact_intseq', n: rows.length, start: 1, step: 1 }],
    ],
  };
}

const ROWS = [
  { movieId: 31, title: 'Dangerous Minds', year: 1995, genres: 'Drama', userId: 1, rating: 2.5, timestamp: 1260759144 },
  { movieId: 1029, title: 'Dumbo', year: 1941, genres: 'Animation|Children|Drama|Musical', userId: 1, rating: 3, timestamp: 1260759179 },
  { movieId: 31, title: 'Dangerous Minds', year: 1995, genres: 'Drama', userId: 2, rating: 4, timestamp: 1260759200 },
  { movieId: 7, title: null, year: NaN, genres: '(no genres listed)', userId: 3, rating: 0.5, timestamp: 1260759300 },
];

/** Writes Rdata.rdx/.rdb holding the given objects (rdb objects: 4-byte BE length + zlib), as R's makeLazyLoadDB does. */
function writeLazyLoadDb(dir: string, objects: Record<string, RNode>): void {
  mkdirSync(dir, { recursive: true });
  const parts: Uint8Array[] = [];
  const keys: RNode[] = [];
  let off = 0;
  for (const obj of Object.values(objects)) {
    const raw = ser(obj, 2);
    const z = zlibSync(raw);
    const blob = new Uint8Array(4 + z.length);
    new DataView(blob.buffer).setUint32(0, raw.length, false);
    blob.set(z, 4);
    parts.push(blob);
    keys.push({ t: 'int', v: [off, blob.length] });
    off += blob.length;
  }
  const rdb = new Uint8Array(off);
  let o = 0;
  for (const p of parts) {
    rdb.set(p, o);
    o += p.length;
  }
  const index: RNode = {
    t: 'list',
    v: [{ t: 'list', v: keys, a: [['names', { t: 'str', v: Object.keys(objects) }]] }, { t: 'list', v: [] }, { t: 'lgl', v: [1] }],
    a: [['names', strs('variables', 'references', 'compressed')]],
  };
  writeFileSync(join(dir, 'Rdata.rdb'), rdb);
  writeFileSync(join(dir, 'Rdata.rdx'), gzipSync(ser(index)));
}

describe('R serialization reader', () => {
  it('reads vectors with NA, encodings, attributes, pairlists and symbol references (versions 2 and 3)', () => {
    for (const version of [2, 3] as const) {
      const v = unserializeR(
        ser(
          {
            t: 'list',
            v: [
              { t: 'int', v: [1, R_NA_INTEGER, -3] },
              { t: 'dbl', v: [0.5, NaN, -Infinity] },
              { t: 'str', v: ['caf\u00e9', null, 'x'] },
              { t: 'str', v: ['cr\u00e8me'], latin1: true },
              { t: 'lgl', v: [1, 0, R_NA_INTEGER] },
              { t: 'null' },
            ],
            a: [['names', strs('i', 'd', 's', 'l1', 'b', 'n')], ['comment', strs('hi')]],
          },
          version,
        ),
      );
      expect(v.kind).toBe('list');
      if (v.kind !== 'list') return;
      expect(Array.from((v.data[0] as { data: Int32Array }).data)).toEqual([1, R_NA_INTEGER, -3]);
      const d = (v.data[1] as { data: Float64Array }).data;
      expect([d[0], Number.isNaN(d[1]), d[2]]).toEqual([0.5, true, -Infinity]);
      expect((v.data[2] as { data: unknown[] }).data).toEqual(['caf\u00e9', null, 'x']);
      expect((v.data[3] as { data: unknown[] }).data).toEqual(['cr\u00e8me']);
      expect(v.data[4].kind).toBe('logical');
      expect(v.data[5].kind).toBe('null');
      expect(v.attributes!.names).toEqual({ kind: 'string', data: ['i', 'd', 's', 'l1', 'b', 'n'] });
      expect(v.attributes!.comment).toEqual({ kind: 'string', data: ['hi'] });
    }
  });

  it('expands ALTREP compact integer sequences', () => {
    const v = unserializeR(ser({ t: 'compact_intseq', n: 5, start: 3, step: 1 }));
    expect(v.kind).toBe('integer');
    expect(Array.from((v as { data: Int32Array }).data)).toEqual([3, 4, 5, 6, 7]);
  });

  it('turns a data.frame into columns: factors become labels, NA integers NaN', () => {
    const df = toDataFrame(unserializeR(ser(movielensFrame(ROWS, false))));
    expect(df.nRows).toBe(4);
    expect(df.names).toEqual(['movieId', 'title', 'year', 'genres', 'userId', 'rating', 'timestamp']);
    expect(df.columns.get('genres')).toEqual({ type: 'string', factor: true, data: ROWS.map((r) => r.genres) });
    const year = df.columns.get('year')!;
    expect(year.type === 'number' && Number.isNaN(year.data[3])).toBe(true);
    expect(() => toDataFrame(unserializeR(ser({ t: 'int', v: [1] })), 'obj')).toThrow(/obj is not a data.frame \(found integer\)/);
  });

  it('rejects what it cannot read with a position: other formats, versions, truncation, unknown types', () => {
    expect(() => unserializeR(enc('A\n1\n'))).toThrow(/ASCII R serialization is not supported/);
    expect(() => unserializeR(enc('RDX2\n'))).toThrow(/not an R serialization/);
    const w = new RWriter();
    w.bytes(enc('X\n')).int(4);
    expect(() => unserializeR(w.result())).toThrow(/unsupported R serialization version 4/);
    const good = ser({ t: 'dbl', v: [1, 2, 3] });
    expect(() => unserializeR(good.subarray(0, good.length - 4), 'cut.rds')).toThrow(/cut\.rds: truncated R serialization: need \d+ more bytes \(at byte \d+ of \d+\)/);
    const bad = new RWriter().header(3).int(99).result();
    expect(() => unserializeR(bad)).toThrow(/unsupported R object type 99/);
  });

  it('reads .rds files gzip-, zlib- or un-compressed', () => {
    const raw = ser(strs('a', 'b'));
    for (const b of [raw, gzipSync(raw), zlibSync(raw)]) expect(readRds(b)).toEqual({ kind: 'string', data: ['a', 'b'] });
  });

  it('reads a lazy-load database: index names -> (offset, length), objects inflated and parsed', () => {
    const dir = join(tmp, 'lazy');
    writeLazyLoadDb(dir, { small: { t: 'dbl', v: [42] }, movielens: movielensFrame(ROWS), other: strs('z') });
    const idx = readLazyLoadIndex(readFileSync(join(dir, 'Rdata.rdx')));
    expect([...idx.variables.keys()]).toEqual(['small', 'movielens', 'other']);
    expect(idx.compressed).toBe(1);
    const rdb = readFileSync(join(dir, 'Rdata.rdb'));
    const small: RValue = readLazyLoadObject(rdb, idx.variables.get('small')!);
    expect(small).toEqual({ kind: 'double', data: Float64Array.from([42]) });
    expect(readLazyLoadObject(rdb, idx.variables.get('other')!)).toEqual({ kind: 'string', data: ['z'] });
    expect(() => readLazyLoadObject(rdb, [rdb.length - 2, 10])).toThrow(/lies outside the file/);
  });
});

describe('MovieLens offline snapshot and dataGet', () => {
  const dslabs = join(tmp, 'dslabs-data');
  writeLazyLoadDb(dslabs, { murders: strs('x'), movielens: movielensFrame(ROWS) });

  it('converts the dslabs movielens frame: ratings, timestamps, titles with "(year)", genres', () => {
    const ds = loadDslabsMovielens(dslabs);
    expect(ds.ratings.users.length).toBe(4);
    expect(ds.users.ids).toEqual([1, 2, 3]);
    expect(ds.items.ids).toEqual([31, 1029, 7]);
    expect(Array.from(ds.ratings.values)).toEqual([2.5, 3, 4, 0.5]);
    expect(ds.ratings.timestamps![3]).toBe(1260759300);
    expect(ds.items_meta!.titles).toEqual(['Dangerous Minds (1995)', 'Dumbo (1941)', '']);
    expect(ds.items_meta!.genres![1]).toEqual(['Animation', 'Children', 'Drama', 'Musical']);
    expect(ds.items_meta!.genres![2]).toEqual([]);
    expect(ds.scale).toEqual([0.5, 5]);
  });

  it('dataGet offline writes ratings.csv + movies.csv that read back to the same data, then uses the cache', async () => {
    const cacheDir = join(tmp, 'cache1');
    const lines: string[] = [];
    const res = await dataGet('movielens-small', { offline: true, cacheDir, dslabsDir: dslabs, log: (s) => lines.push(s) });
    expect(res.source).toBe('dslabs');
    expect(existsSync(join(res.path, 'ratings.csv'))).toBe(true);
    expect(lines.join('\n')).toMatch(/wrote .*ratings\.csv \(4 ratings\)/);
    const ds = await readRatingsFile(res.path);
    expect(ds.report.ratings).toBe(4);
    expect(ds.items_meta!.titles).toEqual(['Dangerous Minds (1995)', 'Dumbo (1941)', '']);
    expect(ds.items_meta!.genres![1]).toEqual(['Animation', 'Children', 'Drama', 'Musical']);
    const again = await dataGet('movielens-small', { offline: true, cacheDir, dslabsDir: dslabs });
    expect(again.log[0]).toMatch(/using cached/);
  });

  it('without network: a NetworkError naming the offline options; movielens-small falls back to the snapshot', async () => {
    const noNet = (async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } });
    }) as unknown as typeof fetch;
    const cacheDir = join(tmp, 'cache2');
    const err = await dataGet('ml-1m', { cacheDir, fetch: noNet }).catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toMatch(/cannot download ml-1m from https:\/\/files\.grouplens\.org\/datasets\/movielens\/ml-1m\.zip: fetch failed \(ENOTFOUND\)/);
    expect(err.message).toMatch(/offline options: \(1\) `webmf data get movielens-small --offline`/);
    expect(err.message).toContain(join(cacheDir, 'ml-1m', 'ml-1m.zip'));
    await expect(dataGet('ml-25m', { cacheDir, offline: true })).rejects.toThrow(/not in the cache .* --offline forbids downloading; offline options/);
    const fb = await dataGet('movielens-small', { cacheDir, fetch: noNet, dslabsDir: dslabs });
    expect(fb.source).toBe('dslabs');
    expect(fb.log.join('\n')).toMatch(/falling back to the offline dslabs snapshot/);
    await expect(dataGet('ml-5m', { cacheDir })).rejects.toThrow(/unknown data set "ml-5m" \(known: ml-100k, ml-1m, ml-10m, ml-25m, ml-latest-small, movielens-small\)/);
  });

  it('downloads into the cache and verifies size, MD5 and zip integrity (served by a fake fetch)', async () => {
    const zip = zipSync({ 'ml-100k/u.data': enc('1\t2\t3\t881250949\n2\t2\t5\t881250950\n'), 'ml-100k/u.item': enc('2|X (1990)|||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1\n') });
    const md5 = createHash('md5').update(zip).digest('hex');
    const serve = (body: Uint8Array, md5text: string | null, announced = body.length) =>
      (async (url: string) => {
        if (url.endsWith('.md5')) return md5text === null ? new Response('', { status: 404 }) : new Response(md5text);
        return new Response(body as unknown as BodyInit, { headers: { 'content-length': String(announced) } });
      }) as unknown as typeof fetch;
    const cacheDir = join(tmp, 'cache3');
    const res = await dataGet('ml-100k', { cacheDir, fetch: serve(zip, `MD5 (ml-100k.zip) = ${md5}\n`) });
    expect(res.source).toBe('download');
    expect(res.log.join('\n')).toMatch(/MD5 [0-9a-f]{32} verified[\s\S]*zip integrity verified \(2 entries/);
    const ds = await readRatingsFile(res.path);
    expect(ds.report.ratings).toBe(2);
    expect(ds.items_meta!.titles[0]).toBe('X (1990)');
    expect((await dataGet('ml-100k', { cacheDir })).source).toBe('cache');
    // Bad MD5, truncated body, corrupt archive: rejected and nothing left in the cache.
    const c4 = join(tmp, 'cache4');
    await expect(dataGet('ml-100k', { cacheDir: c4, fetch: serve(zip, '0'.repeat(32)) })).rejects.toThrow(/MD5 [0-9a-f]+ does not match the expected 0{32}/);
    await expect(dataGet('ml-100k', { cacheDir: c4, fetch: serve(zip.subarray(0, 50), null, zip.length) })).rejects.toThrow(/downloaded 50 bytes, the server announced \d+/);
    const corrupt = zip.slice();
    corrupt[45] ^= 0xff;
    await expect(dataGet('ml-100k', { cacheDir: c4, fetch: serve(corrupt, null) })).rejects.toThrow(/ml-100k\.zip: ml-100k\/u\.data/);
    expect(existsSync(join(c4, 'ml-100k', 'ml-100k.zip'))).toBe(false);
    expect(existsSync(join(c4, 'ml-100k', 'ml-100k.zip.part'))).toBe(false);
  });

  it('the default cache folder follows XDG_CACHE_HOME', () => {
    const old = process.env.XDG_CACHE_HOME;
    try {
      process.env.XDG_CACHE_HOME = '/x/cache';
      expect(defaultCacheDir()).toBe('/x/cache/webmf');
      delete process.env.XDG_CACHE_HOME;
      expect(defaultCacheDir()).toMatch(/\.cache\/webmf$/);
    } finally {
      if (old === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = old;
    }
  });

  it('webmf data get movielens-small --offline --cache DIR prints what it did; errors are one line', async () => {
    const cacheDir = join(tmp, 'cache5');
    // The offline source where the command looks for it in the cache (as `apt-get download` + `dpkg-deb -x` leave it).
    writeLazyLoadDb(join(cacheDir, 'dslabs', 'root', 'usr', 'lib', 'R', 'site-library', 'dslabs', 'data'), { movielens: movielensFrame(ROWS) });
    const out: string[] = [];
    const err: string[] = [];
    const code = await runDataCommand(['get', 'movielens-small', '--offline', '--cache', cacheDir], (s) => out.push(s), (s) => err.push(s));
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/found dslabs data[\s\S]*wrote [\s\S]*read 4 ratings, 3 users, 3 items, scale \[0\.5, 5\], titles for 2 items/);
    const e2: string[] = [];
    expect(await runDataCommand(['get', 'ml-25m', '--offline', `--cache=${cacheDir}`], () => {}, (s) => e2.push(s))).toBe(1);
    expect(e2).toHaveLength(1);
    expect(e2[0]).not.toContain('\n');
    expect(e2[0]).toMatch(/^webmf data get ml-25m: ml-25m is not in the cache/);
    expect(await runDataCommand(['get'], () => {}, () => {})).toBe(2);
    expect(await runDataCommand(['get', 'x', '--bogus'], () => {}, () => {})).toBe(2);
    expect(await runDataCommand(['frob'], () => {}, () => {})).toBe(2);
  });
});
