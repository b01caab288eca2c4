/** Rating readers: every format, chunk boundaries, sources, metadata, zip, bad input, progress/abort, worker packing. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { AbortError, InputError } from '../src/core/errors.ts';
import { IdMap } from '../src/data/ratings.ts';
import { ParseError, RatingsParser, parseNumber, parseTime, resolveDuplicates } from '../src/data/parse.ts';
import { readRatings, describeRead, type LoadedDataset } from '../src/data/read.ts';
import { readRatingsFile } from '../src/data/node.ts';
import { parseItemMeta, splitCsvLine } from '../src/data/meta.ts';
import { handleWorkerMessage } from '../src/data/reader-worker.ts';
import { unpackDataset, type FromWorker } from '../src/data/worker-protocol.ts';
import { crc32, verifyZip } from '../src/data/zipcheck.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const tmp = mkdtempSync(join(tmpdir(), 'webmf-readers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** External (user, item, value) triples of a dataset, in rating order. */
function triples(ds: LoadedDataset): [unknown, unknown, number][] {
  const r = ds.ratings;
  return Array.from(r.users, (u, k) => [ds.users.ids[u], ds.items.ids[r.items[k]], r.values[k]]);
}

const ML_CSV = 'userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n2,31,4,1260759200\n7,10,0.5,1260759300\n';

describe('formats', () => {
  it('reads MovieLens ratings.csv: header, half stars, timestamps, numeric IDs, known scale', async () => {
    const ds = await readRatings(enc(ML_CSV), { fileName: 'ratings.csv' });
    expect(ds.report.format).toBe('csv');
    expect(ds.report.detected).toMatch(/ratings\.csv/);
    expect(triples(ds)).toEqual([[1, 31, 2.5], [1, 1029, 3], [2, 31, 4], [7, 10, 0.5]]);
    expect(Array.from(ds.ratings.timestamps!)).toEqual([1260759144, 1260759179, 1260759200, 1260759300]);
    expect(ds.ratings.nUsers).toBe(3);
    expect(ds.ratings.nItems).toBe(3);
    expect(ds.scale).toEqual([0.5, 5]);
    expect(ds.report.lines).toBe(5);
  });

  it('reads u.data (tab-separated) and ratings.dat ("::", CRLF)', async () => {
    const u = await readRatings(enc('196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t377\t1\t878887116\n'), { fileName: 'ml-100k/u.data' });
    expect(u.report.format).toBe('udata');
    expect(triples(u)).toEqual([[196, 242, 3], [186, 302, 3], [196, 377, 1]]);
    expect(u.scale).toEqual([1, 5]);
    const d = await readRatings(enc('1::1193::5::978300760\r\n1::661::3::978302109\r\n2::1193::4::978300000\r\n'), { fileName: 'ratings.dat' });
    expect(d.report.format).toBe('dat');
    expect(triples(d)).toEqual([[1, 1193, 5], [1, 661, 3], [2, 1193, 4]]);
    expect(d.ratings.timestamps![2]).toBe(978300000);
  });

  it('reads Netflix combined_data: movieId: blocks, dates to Unix seconds', async () => {
    const ds = await readRatings(enc('1:\n1488844,3,2005-09-06\n822109,5,2005-05-13\n2:\n1488844,4,2005-09-07\n'), { fileName: 'combined_data_1.txt' });
    expect(ds.report.format).toBe('netflix');
    expect(triples(ds)).toEqual([[1488844, 1, 3], [822109, 1, 5], [1488844, 2, 4]]);
    expect(ds.ratings.timestamps![0]).toBe(Date.UTC(2005, 8, 6) / 1000);
    await expect(readRatings(enc('1:\n5,3,2005-09-06\n'), { format: 'netflix' })).resolves.toBeTruthy();
    await expect(readRatings(enc('5,3,2005-09-06\n'), { format: 'netflix', fileName: 'n.txt' })).rejects.toThrow(/n\.txt:1: rating line before the first "movieId:" line/);
  });

  it('reads Netflix parts as one data set, errors naming the right part and line', async () => {
    const ds = await readRatings(enc('1:\n10,3,2005-09-06\n'), {
      fileName: 'combined_data_1.txt',
      parts: [{ name: 'combined_data_2.txt', source: enc('2:\n10,4,2005-09-07\n11,5,2005-09-08') }],
    });
    expect(ds.report.files).toEqual(['combined_data_1.txt', 'combined_data_2.txt']);
    expect(triples(ds)).toEqual([[10, 1, 3], [10, 2, 4], [11, 2, 5]]);
    await expect(
      readRatings(enc('1:\n10,3,2005-09-06\n'), { fileName: 'a.txt', parts: [{ name: 'b.txt', source: enc('2:\n10,4,2005-09-07\n11,x,2005-09-08\n') }] }),
    ).rejects.toThrow(/^b\.txt:3: field 2 is not a number: "11,x,2005-09-08"$/);
  });

  it('reads generic CSV/TSV with named columns, string IDs, quotes, extra columns', async () => {
    const text = 'ts;score;who;what;note\n100;4.5;"alice";"The ""Item"";1";x\n200;2;bob;item 2;y\n';
    const ds = await readRatings(enc(text), { delimiter: ';', columns: { user: 'who', item: 'what', value: 'score', timestamp: 'ts' } });
    expect(ds.report.format).toBe('delimited');
    expect(triples(ds)).toEqual([['alice', 'The "Item";1', 4.5], ['bob', 'item 2', 2]]);
    expect(Array.from(ds.ratings.timestamps!)).toEqual([100, 200]);
    // Index-based columns without a header; tab-separated.
    const t = await readRatings(enc('x\tu1\ti1\t3\nx\tu2\ti1\t5\n'), { delimiter: '\t', header: false, columns: { user: 1, item: 2, value: 3 } });
    expect(triples(t)).toEqual([['u1', 'i1', 3], ['u2', 'i1', 5]]);
    await expect(readRatings(enc('a,b,c\n1,2,3\n'), { columns: { user: 'a', item: 'nope', value: 'c' }, fileName: 'g.csv' })).rejects.toThrow(
      /g\.csv: no column named "nope" for the item \(columns: a, b, c\)/,
    );
  });

  it('auto-detects a generic header and says which columns it chose', async () => {
    const ds = await readRatings(enc('user_id,item_id,stars\nu,i,4\n'), { fileName: 'r.csv' });
    expect(ds.report.detected).toMatch(/user=user_id, item=item_id, rating=stars/);
    const headless = await readRatings(enc('1,2,3.5\n2,2,4\n'), { fileName: 'x.csv' });
    expect(headless.report.detected).toMatch(/no header, 3 fields/);
    expect(triples(headless)).toEqual([[1, 2, 3.5], [2, 2, 4]]);
  });

  it('reads implicit user,item,count data; repeated pairs are summed by default; presence data counts 1', async () => {
    const ds = await readRatings(enc('user,item,plays\nalice,song1,3\nbob,song1,2\nalice,song1,1\n'), {});
    expect(ds.report.format).toBe('implicit');
    expect(ds.implicit).toBe(true);
    expect(triples(ds)).toEqual([['alice', 'song1', 4], ['bob', 'song1', 2]]);
    expect(ds.report.duplicates).toBe(1);
    expect(ds.report.duplicatePolicy).toBe('sum');
    const presence = await readRatings(enc('1,10\n2,10\n1,11\n'), { implicit: true });
    expect(triples(presence)).toEqual([[1, 10, 1], [2, 10, 1], [1, 11, 1]]);
    await expect(readRatings(enc('u,i,count\na,b,-2\n'), { fileName: 'c.csv' })).rejects.toThrow(/c\.csv:2: count -2 is negative/);
  });

  it('keeps "07" and 7 distinct (IdMap semantics) and treats big integers and strings as IDs', async () => {
    const ds = await readRatings(enc('u,i,r\n07,1,1\n7,1,2\n123456789012345,1,3\nx-1,1,4\n'), { fileName: 'ids.csv' });
    expect(ds.users.ids).toEqual(['07', 7, 123456789012345, 'x-1']);
    expect(ds.users.find(7)).toBe(1);
    expect(ds.users.find('7')).toBe(1);
    expect(ds.users.find('07')).toBe(0);
  });

  it('extends given IdMaps in place (reading a test file with the train IDs)', async () => {
    const users = IdMap.from([5, 'a']);
    const items = IdMap.from([9]);
    const ds = await readRatings(enc('a,9,3\nb,10,4\n'), { users, items, fileName: 't.csv' });
    expect(Array.from(ds.ratings.users)).toEqual([1, 2]);
    expect(Array.from(ds.ratings.items)).toEqual([0, 1]);
    expect(ds.users).toBe(users);
    expect(users.ids).toEqual([5, 'a', 'b']);
  });
});

describe('streaming', () => {
  it('gives the same result for every chunk split (lines, CRLF and "::" cut anywhere)', async () => {
    const text = '1::1193::5::978300760\r\n1::661::3::978302109\r\n\r\n2::1193::4.5::978300000\r\n3::7::1::1';
    const whole = triples(await readRatings(enc(text), { fileName: 'ratings.dat' }));
    const bytes = enc(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      for (const size of [1, 2, 3, 7]) {
        const parts: Uint8Array[] = [bytes.subarray(0, cut)];
        for (let o = cut; o < bytes.length; o += size) parts.push(bytes.subarray(o, Math.min(bytes.length, o + size)));
        const ds = await readRatings(parts, { fileName: 'ratings.dat' });
        expect(triples(ds)).toEqual(whole);
      }
    }
  });

  it('fast and general paths agree on mixed lines (CSV and Netflix), for every chunk split', async () => {
    const csv = 'userId,movieId,rating,timestamp\r\n1,31,2.5,100\r\n\r\n007,31,4,101\r\n2,x9,3,102\r\n3, 31 ,1.5,103\r\n"4",31,5,104\r\n5,32,4.25,105,extra\r\n6,33,3,2005-09-06\r\n7,34,1e0,106';
    const netflix = '1:\n10,3,2005-09-06\n011,4,2005-09-07\r\n12,4.5,2005-12-31 10:11:12\n2:\r\n10,1,2000-02-29\n\nab,2,2001-01-01\n3 :\n10,5,1999-12-31';
    for (const [text, name] of [[csv, 'ratings.csv'], [netflix, 'combined_data_1.txt']]) {
      const bytes = enc(text);
      const whole = await readRatings(bytes, { fileName: name });
      const want = triples(whole);
      const wantT = Array.from(whole.ratings.timestamps!);
      expect(whole.report.ratings).toBeGreaterThanOrEqual(6);
      for (let cut = 1; cut < bytes.length; cut++) {
        const ds = await readRatings([bytes.subarray(0, cut), bytes.subarray(cut)], { fileName: name });
        expect(triples(ds)).toEqual(want);
        expect(Array.from(ds.ratings.timestamps!)).toEqual(wantT);
      }
    }
    const n = await readRatings(enc(netflix), { fileName: 'n' });
    expect(triples(n)).toEqual([[10, 1, 3], ['011', 1, 4], [12, 1, 4.5], [10, 2, 1], ['ab', 2, 2], [10, 3, 5]]);
    expect(Array.from(n.ratings.timestamps!)).toEqual(
      [Date.UTC(2005, 8, 6), Date.UTC(2005, 8, 7), Date.UTC(2005, 11, 31, 10, 11, 12), Date.UTC(2000, 1, 29), Date.UTC(2001, 0, 1), Date.UTC(1999, 11, 31)].map((t) => t / 1000),
    );
    const c = await readRatings(enc(csv), { fileName: 'c' });
    expect(triples(c)).toEqual([[1, 31, 2.5], ['007', 31, 4], [2, 'x9', 3], [3, 31, 1.5], [4, 31, 5], [5, 32, 4.25], [6, 33, 3], [7, 34, 1]]);
  });

  it('daysFromCivil matches Date.UTC', async () => {
    const { daysFromCivil } = await import('../src/data/parse.ts');
    for (let y = 1890; y <= 2110; y += 7) for (let m = 1; m <= 12; m++) for (const d of [1, 15, 28, 29, 31]) expect(daysFromCivil(y, m, d) * 864e5).toBe(Date.UTC(y, m - 1, d));
  });

  it('reads Blob, ReadableStream, async iterables and Node file streams alike', async () => {
    const bytes = enc(ML_CSV);
    const want = triples(await readRatings(bytes, { fileName: 'ratings.csv' }));
    expect(triples(await readRatings(new Blob([bytes]), { fileName: 'ratings.csv' }))).toEqual(want);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.subarray(0, 10));
        c.enqueue(bytes.subarray(10));
        c.close();
      },
    });
    expect(triples(await readRatings(stream, { fileName: 'ratings.csv' }))).toEqual(want);
    async function* gen() {
      for (let i = 0; i < bytes.length; i += 5) yield bytes.subarray(i, i + 5);
    }
    expect(triples(await readRatings(gen(), { fileName: 'ratings.csv' }))).toEqual(want);
    const path = join(tmp, 'ratings.csv');
    writeFileSync(path, bytes);
    const f = await readRatingsFile(path, { chunkSize: 7 });
    expect(triples(f)).toEqual(want);
  });

  it('reports progress in bytes and lines, and stops on abort', async () => {
    const lines = ['userId,movieId,rating,timestamp'];
    for (let k = 0; k < 20000; k++) lines.push(`${k % 97},${k},4,${k}`);
    const bytes = enc(lines.join('\n'));
    const seen: { bytes: number; lines: number }[] = [];
    const ds = await readRatings(bytes, { chunkSize: 4096, progressEvery: 65536, onProgress: (p) => seen.push({ bytes: p.bytes, lines: p.lines }) });
    expect(ds.report.ratings).toBe(20000);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen[seen.length - 1].bytes).toBe(bytes.length);
    expect(seen[seen.length - 1].lines).toBe(20001);
    for (let i = 1; i < seen.length; i++) expect(seen[i].bytes).toBeGreaterThan(seen[i - 1].bytes);
    const ctl = new AbortController();
    const p = readRatings(bytes, { chunkSize: 4096, progressEvery: 1, signal: ctl.signal, onProgress: (q) => q.bytes > 50000 && ctl.abort() });
    await expect(p).rejects.toBeInstanceOf(AbortError);
  });

  it('preallocates from the expected size so the arrays are exact at the end', async () => {
    const lines = [];
    for (let k = 0; k < 50000; k++) lines.push(`${k % 1000}\t${k % 777}\t${1 + (k % 5)}\t${k}`);
    const bytes = enc(lines.join('\n') + '\n');
    const parser = new RatingsParser({ totalBytes: bytes.length, duplicates: 'last' });
    for (let o = 0; o < bytes.length; o += 65536) parser.push(bytes.subarray(o, o + 65536));
    const r = parser.finish();
    expect(r.ratings.users.length).toBe(r.report.ratings);
    // Sized from the first 64 kB: at most 8 % spare (kept as a view), else copied to the exact size.
    expect(r.ratings.users.buffer.byteLength).toBeLessThanOrEqual(4 * r.report.ratings * 1.08);
    expect(r.ratings.timestamps!.length).toBe(r.report.ratings);
  });
});

describe('preallocation from sampled line lengths', () => {
  it('estimates bytes per line across a file whose lines grow, and a >1 MB Blob reads into arrays with little spare', async () => {
    const lines = ['userId,movieId,rating,timestamp'];
    // User IDs grow from 1 to 6 digits through the file, as in MovieLens files sorted by user.
    for (let k = 0; k < 120000; k++) lines.push(`${1 + Math.floor(k ** 1.4 / 40)},${(k * 7919) % 50000},${1 + (k % 5)}.0,${1e9 + k}`);
    const bytes = enc(lines.join('\n') + '\n');
    const truth = bytes.length / lines.length;
    const { sampleBytesPerLine } = await import('../src/data/read.ts');
    const est = await sampleBytesPerLine(bytes.length, async (o, n) => bytes.subarray(o, o + n));
    expect(Math.abs(est! / truth - 1)).toBeLessThan(0.05);
    const ds = await readRatings(new Blob([bytes]), { fileName: 'ratings.csv' });
    expect(ds.report.ratings).toBe(120000);
    expect(ds.ratings.users.length).toBe(120000);
    expect(ds.ratings.timestamps!.buffer.byteLength).toBeLessThanOrEqual(8 * 120000 * 1.08);
    expect(ds.users.ids[ds.ratings.users[119999]]).toBe(1 + Math.floor(119999 ** 1.4 / 40));
  });
});

describe('numbers and dates', () => {
  it('parses decimals exactly like parseFloat, rejects junk, reads dates as UTC', () => {
    for (const s of ['3', '3.5', '-0.25', '+4', '0.5', '12345678901', '1e3', '2.5E-1', '.5', '4.']) {
      expect(parseNumber(enc(s), 0, s.length)).toBe(parseFloat(s));
    }
    for (const s of ['', 'x', '3x', '1.2.3', '--1', '1e']) expect(Number.isNaN(parseNumber(enc(s), 0, s.length))).toBe(true);
    expect(parseNumber(enc('inf'), 0, 3)).toBe(Infinity);
    expect(parseTime(enc('2005-09-06'), 0, 10)).toBe(Date.UTC(2005, 8, 6) / 1000);
    expect(parseTime(enc('2005-09-06 12:30:15'), 0, 19)).toBe(Date.UTC(2005, 8, 6, 12, 30, 15) / 1000);
    expect(parseTime(enc('2005-13-06'), 0, 10)).toBeNaN();
  });
});

describe('bad input', () => {
  it('a malformed line names the file, the line number and a snippet', async () => {
    const text = 'userId,movieId,rating,timestamp\n1,31,2.5,1\n\n1,x31\n';
    const err = await readRatings(enc(text), { fileName: 'data/ratings.csv' }).catch((e) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect(err).toBeInstanceOf(InputError);
    expect(err.file).toBe('data/ratings.csv');
    expect(err.line).toBe(4);
    expect(err.snippet).toBe('1,x31');
    expect(err.message).toBe('data/ratings.csv:4: expected at least 4 fields separated by ",", found 2: "1,x31"');
  });

  it('skipBadLines skips and counts them (with samples), never silently', async () => {
    const text = 'userId,movieId,rating,timestamp\n1,31,2.5,1\noops\n2,31,abc,2\n3,31,4,3\n4,31,NaN,4\n';
    const ds = await readRatings(enc(text), { fileName: 'r.csv', skipBadLines: true });
    expect(ds.report.ratings).toBe(2);
    expect(ds.report.skipped).toBe(3);
    expect(ds.report.skippedSamples.map((s) => s.line)).toEqual([3, 4, 6]);
    expect(ds.report.skippedSamples[1].reason).toMatch(/field 3 is not a number/);
    expect(describeRead(ds)).toMatch(/3 bad lines skipped/);
  });

  it('rejects non-finite ratings and ratings outside the declared scale', async () => {
    await expect(readRatings(enc('1\t2\tinf\t5\n'), { fileName: 'u.data' })).rejects.toThrow(/u\.data:1: rating inf is not finite/);
    await expect(readRatings(enc('1\t2\tNaN\t5\n'), { fileName: 'u.data' })).rejects.toThrow(/u\.data:1: rating NaN is not finite/);
    await expect(readRatings(enc('1\t2\t3\t5\n1\t3\t6\t5\n'), { fileName: 'u.data', scale: [1, 5] })).rejects.toThrow(
      /u\.data:2: rating 6 is outside the declared scale \[1, 5\]: "1\\t3\\t6\\t5"/,
    );
    const ok = await readRatings(enc('1\t2\t3\t5\n1\t3\t6\t5\n'), { fileName: 'u.data', scale: [1, 5], skipBadLines: true });
    expect(ok.report.skipped).toBe(1);
    expect(ok.scale).toEqual([1, 5]);
  });

  it('duplicate (user, item): error names both lines; last, mean and sum merge and report', async () => {
    const text = 'userId,movieId,rating,timestamp\n1,31,2,10\n2,31,4,11\n\n1,31,5,12\n1,31,3.5,9\n';
    await expect(readRatings(enc(text), { fileName: 'd.csv' })).rejects.toThrow(/duplicate rating .* at d\.csv:2 and d\.csv:5/);
    const last = await readRatings(enc(text), { fileName: 'd.csv', duplicates: 'last' });
    expect(triples(last)).toEqual([[1, 31, 3.5], [2, 31, 4]]);
    expect(last.report.duplicates).toBe(2);
    expect(last.ratings.timestamps![0]).toBe(9);
    const mean = await readRatings(enc(text), { fileName: 'd.csv', duplicates: 'mean' });
    expect(triples(mean)[0][2]).toBeCloseTo((2 + 5 + 3.5) / 3, 6);
    expect(mean.ratings.timestamps![0]).toBe(12);
    const sum = await readRatings(enc(text), { fileName: 'd.csv', duplicates: 'sum' });
    expect(triples(sum)[0][2]).toBe(10.5);
  });

  it('finds duplicates in ungrouped input too (counting-sort path), and by item for Netflix-style input', () => {
    const r = { users: Int32Array.from([0, 1, 0, 1, 0]), items: Int32Array.from([0, 0, 1, 1, 0]), values: Float32Array.from([1, 2, 3, 4, 5]), nUsers: 2, nItems: 2 };
    expect(() => resolveDuplicates(r, 'error')).toThrow(/rating 0 and rating 4/);
    const out = resolveDuplicates(r, 'last');
    expect(out.removed).toBe(1);
    expect(Array.from(out.ratings.values)).toEqual([5, 2, 3, 4]);
  });

  it('empty input, whitespace-only input and an unknown format are clear errors', async () => {
    await expect(readRatings(new Uint8Array(0), { fileName: 'e.csv' })).rejects.toThrow(/e\.csv: empty input/);
    await expect(readRatings(enc('\n\n  \n'), { fileName: 'e.csv' })).rejects.toThrow(/e\.csv: empty input/);
    await expect(readRatings(enc('userId,movieId,rating,timestamp\n'), { fileName: 'h.csv' })).rejects.toThrow(/h\.csv: no ratings found in 1 lines/);
    await expect(readRatings(enc('hello\n'), { fileName: 'x.txt' })).rejects.toThrow(/x\.txt: unknown format/);
    await expect(readRatings(enc('foo,bar\n1,2\n'), { fileName: 'y.txt' })).rejects.toThrow(/y\.txt: unknown format: header "foo,bar" has no recognisable user and item columns/);
    await expect(readRatings(enc('1,2\n'), { fileName: 'z.txt' })).rejects.toThrow(/two fields per line .* implicit: true/);
    await expect(readRatings(enc('1,2,3\n'), { format: 'bogus' as never })).rejects.toThrow(/unknown format "bogus"/);
    // A wrong format for the content fails on the first line with its number.
    await expect(readRatings(enc('1,2,3,4\n'), { format: 'udata', fileName: 'w' })).rejects.toThrow(/w:1: expected at least 4 fields separated by "\\t", found 1/);
  });
});

describe('item metadata and zip archives', () => {
  const moviesCsv = 'movieId,title,genres\n31,"Dangerous Minds, The (1995)",Drama\n1029,Dumbo (1941),Animation|Children\n10,GoldenEye (1995),(no genres listed)\n';

  it('parses movies.csv, movies.dat (Latin-1), u.item and movie_titles.csv', () => {
    const a = parseItemMeta(enc(moviesCsv), 'movies.csv');
    expect(a.get('31')).toEqual({ title: 'Dangerous Minds, The (1995)', genres: ['Drama'], year: 1995 });
    expect(a.get('10')!.genres).toEqual([]);
    const latin = Uint8Array.from([...enc('1::Cr'), 0xe8, ...enc('me (1999)::Comedy|Drama\n')]);
    expect(parseItemMeta(latin, 'movies.dat').get('1')).toEqual({ title: 'Crème (1999)', genres: ['Comedy', 'Drama'], year: 1999 });
    const uitem = '1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n';
    expect(parseItemMeta(enc(uitem), 'u.item').get('1')).toEqual({ title: 'Toy Story (1995)', genres: ['Animation', "Children's", 'Comedy'], year: 1995 });
    expect(parseItemMeta(enc('1,2003,Dinosaur Planet, The\n2,NULL,X\n'), 'movie_titles.csv').get('1')).toEqual({ title: 'Dinosaur Planet, The', genres: [], year: 2003 });
    expect(() => parseItemMeta(enc('1|short\n'), 'u.item')).toThrow(/u\.item:1: expected 24/);
    expect(splitCsvLine('a,"b,""c""",d')).toEqual(['a', 'b,"c"', 'd']);
  });

  it('reads a zip archive streaming, picks the ratings entry and attaches titles to the dense items', async () => {
    const zip = zipSync({
      'ml-latest-small/README.txt': enc('readme'),
      'ml-latest-small/movies.csv': enc(moviesCsv),
      'ml-latest-small/ratings.csv': enc(ML_CSV),
      'ml-latest-small/tags.csv': enc('userId,movieId,tag,timestamp\n'),
    });
    const ds = await readRatings(zip, { fileName: 'ml-latest-small.zip', chunkSize: 50 });
    expect(ds.report.container).toBe('zip');
    expect(ds.report.files).toEqual(['ml-latest-small.zip:ml-latest-small/ratings.csv']);
    expect(triples(ds)).toEqual([[1, 31, 2.5], [1, 1029, 3], [2, 31, 4], [7, 10, 0.5]]);
    expect(ds.items_meta!.titles).toEqual(['Dangerous Minds, The (1995)', 'Dumbo (1941)', 'GoldenEye (1995)']);
    expect(Array.from(ds.items_meta!.years!)).toEqual([1995, 1941, 1995]);
    expect(ds.report.metaMatched).toBe(3);
    // u.data in ml-100k: u1.base etc. are not taken.
    const z100 = zipSync({ 'ml-100k/u1.base': enc('9\t9\t9\t9\n'), 'ml-100k/u.data': enc('1\t2\t3\t4\n'), 'ml-100k/u.item': enc('2|X (1990)|||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1\n') });
    const d100 = await readRatings(z100, { fileName: 'ml-100k.zip' });
    expect(triples(d100)).toEqual([[1, 2, 3]]);
    expect(d100.items_meta!.genres![0]).toEqual(['Western']);
    const picked = await readRatings(z100, { fileName: 'ml-100k.zip', entry: 'u1.base' });
    expect(triples(picked)).toEqual([[9, 9, 9]]);
    await expect(readRatings(zipSync({ 'a.txt': enc('x') }), { fileName: 'n.zip' })).rejects.toThrow(/n\.zip: no ratings file in the zip archive .*found a\.txt/);
    // Errors inside a zip entry name the archive, the entry and the line.
    await expect(readRatings(zipSync({ 'r/ratings.csv': enc('userId,movieId,rating,timestamp\n1,2\n') }), { fileName: 'b.zip' })).rejects.toThrow(/b\.zip:r\/ratings\.csv:2: expected/);
  });

  it('reads a folder with ratings + movies beside each other', async () => {
    const dir = join(tmp, 'ml');
    rmSync(dir, { recursive: true, force: true });
    await import('node:fs').then((fs) => fs.mkdirSync(dir, { recursive: true }));
    writeFileSync(join(dir, 'ratings.csv'), ML_CSV);
    writeFileSync(join(dir, 'movies.csv'), moviesCsv);
    const ds = await readRatingsFile(dir);
    expect(ds.items_meta!.titles[1]).toBe('Dumbo (1941)');
    expect(ds.report.metaFile).toBe(join(dir, 'movies.csv'));
    await expect(readRatingsFile(join(tmp, 'missing.csv'))).rejects.toThrow(/no such file/);
    // A Netflix training folder: combined_data_N.txt read in order as one data set, titles from movie_titles.csv.
    const nf = join(tmp, 'netflix');
    await import('node:fs').then((fs) => fs.mkdirSync(nf, { recursive: true }));
    writeFileSync(join(nf, 'combined_data_2.txt'), '2:\n10,4,2005-09-07\n');
    writeFileSync(join(nf, 'combined_data_1.txt'), '1:\n10,3,2005-09-06\n11,5,2005-09-06'); // no final newline
    writeFileSync(join(nf, 'movie_titles.csv'), '1,2003,Dinosaur Planet\n2,2004,Isle of Man TT, 2004 Review\n');
    const n = await readRatingsFile(nf);
    expect(n.report.files).toEqual([join(nf, 'combined_data_1.txt'), join(nf, 'combined_data_2.txt')]);
    expect(triples(n)).toEqual([[10, 1, 3], [11, 1, 5], [10, 2, 4]]);
    expect(n.items_meta!.titles).toEqual(['Dinosaur Planet', 'Isle of Man TT, 2004 Review']);
  });

  it('verifies zip integrity: CRC-32 of every entry, truncation detected', () => {
    expect(crc32(enc('123456789'))).toBe(0xcbf43926);
    const zip = zipSync({ 'a.csv': enc('1,2,3\n'.repeat(1000)), 'b.txt': enc('hello') });
    expect(verifyZip(zip).map((e) => e.name)).toEqual(['a.csv', 'b.txt']);
    const bad = zip.slice();
    bad[40] ^= 0xff; // inside a.csv's deflate data
    expect(() => verifyZip(bad, 'bad.zip')).toThrow(/bad\.zip: a\.csv/);
    expect(() => verifyZip(zip.subarray(0, zip.length - 30), 'cut.zip')).toThrow(/cut\.zip: not a zip archive or truncated/);
  });
});

describe('worker protocol', () => {
  it('the worker handler posts progress, then the packed arrays with their buffers in the transfer list', async () => {
    const posted: { m: FromWorker; t?: Transferable[] }[] = [];
    const bytes = enc(ML_CSV.repeat(1).replace(/\n$/, '\n') + '9,31,5,1260759400\n');
    await handleWorkerMessage(
      { type: 'read', id: 3, source: new Blob([bytes]), options: { fileName: 'ratings.csv', progressEvery: 1, itemMeta: { source: new Blob([enc('movieId,title,genres\n31,A (2000),Drama\n')]), fileName: 'movies.csv' } } },
      (m, t) => posted.push({ m, t }),
    );
    const done = posted.find((p) => p.m.type === 'done')!;
    expect(posted.some((p) => p.m.type === 'progress')).toBe(true);
    expect(done.m.type).toBe('done');
    if (done.m.type !== 'done') return;
    expect(done.t).toContain(done.m.dataset.users.buffer);
    expect(done.t).toContain(done.m.dataset.values.buffer);
    expect(done.t).toContain(done.m.dataset.timestamps!.buffer);
    // Structured clone (as postMessage does) and unpack.
    const ds = unpackDataset(structuredClone(done.m.dataset));
    expect(triples(ds)).toEqual([[1, 31, 2.5], [1, 1029, 3], [2, 31, 4], [7, 10, 0.5], [9, 31, 5]]);
    expect(ds.users.find(9)).toBe(3);
    expect(ds.items_meta!.titles[0]).toBe('A (2000)');
    const errs: FromWorker[] = [];
    await handleWorkerMessage({ type: 'read', id: 4, source: new ArrayBuffer(0), options: { fileName: 'e.csv' } }, (m) => errs.push(m));
    expect(errs[0]).toEqual({ type: 'error', id: 4, error: { name: 'InputError', message: 'e.csv: empty input (0 bytes)' } });
  });
});
