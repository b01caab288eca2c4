/** Hostile inputs: each defect found by probing the readers, the CLI and the model API gets its own input here. */
import { describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { DivergenceError, InputError, LimitError, SingularSystemError, WebmfError } from '../src/core/errors.ts';
import { fromLibmf } from '../src/model/libmf.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { Model } from '../src/model/model.ts';
import { evaluate } from '../src/model/metrics.ts';
import type { Ratings } from '../src/data/ratings.ts';
import { fitAls } from '../src/train/als/index.ts';
import { fitSgd } from '../src/train/sgd/index.ts';
import { largestRank } from '../src/util/budget.ts';
import { readRatings } from '../src/data/read.ts';
import { verifyZip } from '../src/data/zipcheck.ts';
import { deflateNewlines, deflated, zip64 } from './helpers/zip.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('readers: memory stays bounded', () => {
  it('a 300 KB ZIP64 archive of 300 MiB of blank lines and one rating is read in bounded memory', async () => {
    const head = enc('userId,movieId,rating,timestamp\n');
    const z = deflateNewlines(head, 300 * 2 ** 20, enc('1,2,3.5,100\n'));
    const zip = zip64([{ name: 'ratings.csv', method: 8, ...z }]);
    expect(zip.length).toBeLessThan(400_000);
    const rss0 = process.memoryUsage().rss;
    const ds = await readRatings(zip, { fileName: 'blank.zip' });
    expect(ds.report.ratings).toBe(1);
    expect(Array.from(ds.ratings.values)).toEqual([3.5]);
    expect(ds.report.lines).toBe(300 * 2 ** 20 + 2);
    // Before: one array entry per blank line (a fatal "invalid size" abort of V8 at ~3.5 GB).
    expect(process.memoryUsage().rss - rss0).toBeLessThan(400 << 20);
  });

  it('line numbers after millions of blank lines are exact (gaps kept as run lengths)', async () => {
    const n = 3 * 2 ** 20;
    const z = deflateNewlines(enc('userId,movieId,rating\n1,2,3\n'), n, enc('1,2,x\n'));
    const err = await readRatings(zip64([{ name: 'ratings.csv', method: 8, ...z }]), { fileName: 'gap.zip' }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain(`gap.zip:ratings.csv:${n + 3}: field 3 is not a number`);
    const dup = await readRatings(enc('u,i,r\n1,2,3\n\n \n\n5,6,1\n\n\n1,2,4\n'), { fileName: 'd.csv' }).catch((e) => e);
    expect(dup.message).toMatch(/at d\.csv:2 and d\.csv:9/);
    const ok = await readRatings(enc('u,i,r\n\n\n1,2,3\n\n\n'.repeat(1) + '2,2,3\n'), { fileName: 'e.csv', skipBadLines: true });
    expect(ok.report.ratings).toBe(2);
  });

  it('a zip entry claiming 4 GB reserves only what its compressed size can hold (1032:1), and the lie is caught against the directory', async () => {
    // Over 64 kB, so the parser sizes its arrays while the entry streams (from the claimed size).
    const text = enc('userId,movieId,rating\n' + Array.from({ length: 12000 }, (_, k) => `${k % 997},${(k * 31) % 1009},${1 + (k % 5)}`).join('\n') + '\n');
    const zip = zip64([{ name: 'ratings.csv', method: 8, ...deflated(text), claimedSize: 4 * 2 ** 30 }]);
    // ArrayBuffer bytes count reserved (not only touched) memory: sampled while the parser holds its arrays.
    const ab0 = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const onProgress = () => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - ab0));
    const err = await readRatings(zip, { fileName: 'liar.zip', onProgress, progressEvery: 1 }).catch((e) => e);
    // The claim is bounded by 1032 x the compressed size (about a megabyte here, not 7 GB); the size mismatch is then
    // caught against the directory.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(64 << 20);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/liar\.zip: zip entry ratings\.csv inflated to \d+ bytes, the directory says 4294967296/);
  });
});

describe('CPU engine: rank bounded up front', () => {
  const tiny = (): Ratings => {
    const users: number[] = [];
    const items: number[] = [];
    const values: number[] = [];
    for (let u = 0; u < 15; u++) for (let i = 0; i < 20; i++) if ((u + i) % 3 === 0) users.push(u), items.push(i), values.push(1 + ((u * i) % 5));
    return { users: Int32Array.from(users), items: Int32Array.from(items), values: Float32Array.from(values), nUsers: 15, nItems: 20 };
  };
  it('rank 1,000,000 on the CPU is a LimitError naming the memory it needs and the largest rank that fits', async () => {
    const err = await fitAls(tiny(), { rank: 1_000_000, backend: 'cpu', iterations: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(LimitError);
    expect(err.message).toMatch(/host memory, more than the 4\.0 GiB budget; the largest rank that fits is \d+/);
    const fit = Number(/largest rank that fits is (\d+)/.exec(err.message)![1]);
    expect(largestRank({ algo: 'als', rank: 1_000_000, nUsers: 15, nItems: 20, nRatings: 100, cpu: true })).toBe(fit);
  });
  it('rank 8000 on 20 items is refused before minutes of CPU work, saying what fits', async () => {
    const t0 = performance.now();
    const err = await fitAls(tiny(), { rank: 8000, backend: 'cpu', iterations: 1 }).catch((e) => e);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(err).toBeInstanceOf(LimitError);
    expect(err.message).toMatch(/multiply-adds per iteration, more than the 1\.0e\+12 budget; the largest rank that fits is \d+/);
    const sgd = await fitSgd(tiny(), { rank: 4000, backend: 'cpu', epochs: 1, cpuBudget: { flopsPerIteration: 1e5 } }).catch((e) => e);
    expect(sgd).toBeInstanceOf(LimitError);
    // A rank inside the budget still trains.
    const ok = await fitAls(tiny(), { rank: 4, backend: 'cpu', iterations: 1 });
    expect(ok.history.length).toBe(1);
  });
  it('dualSolve must be a boolean: anything else is an InputError before any work; false is accepted (the CPU engines solve every row as K x K)', async () => {
    for (const bad of ['yes', 1, 'false'] as unknown[]) {
      const err = await fitAls(tiny(), { rank: 4, backend: 'cpu', iterations: 1, dualSolve: bad as boolean }).catch((e) => e);
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toMatch(/^dualSolve must be true or false/);
    }
    const off = await fitAls(tiny(), { rank: 4, backend: 'cpu', iterations: 1, dualSolve: false });
    const on = await fitAls(tiny(), { rank: 4, backend: 'cpu', iterations: 1 });
    expect(off.model.userFactors).toEqual(on.model.userFactors);
  });
});

describe('no silently wrong results', () => {
  it('ratings that overflow or underflow f32 are rejected with file:line; so are such LIBMF values', async () => {
    for (const [v, why] of [['1e39', /too large for 32-bit floats/], ['3.5e38', /too large/], ['1e-50', /too small for 32-bit floats.*become 0/]] as const) {
      const err = await readRatings(enc(`u,i,r\n1,2,3\n1,3,${v}\n`), { fileName: 'big.csv' }).catch((e) => e);
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toMatch(new RegExp(`^big\\.csv:3: rating ${v.replace('.', '\\.')} `));
      expect(err.message).toMatch(why);
    }
    // The largest finite f32 and the smallest subnormal are kept.
    const ok = await readRatings(enc('u,i,r\n1,2,3.4e38\n1,3,1.5e-45\n'), { fileName: 'edge.csv' });
    expect(ok.ratings.values[0]).toBe(Math.fround(3.4e38));
    expect(ok.ratings.values[1]).toBeGreaterThan(0);
    const libmf = 'f 0\nm 1\nn 1\nk 2\nb 0\np0 T 1 1e39\nq0 T 1 1\n';
    expect(() => fromLibmf(libmf)).toThrow(/line 6: row p0 value 2 = 1e39 is too large for 32-bit floats/);
    expect(() => fromLibmf(libmf.replace('1e39', '1e-60'))).toThrow(/line 6: row p0 value 2 = 1e-60 is too small/);
  });

  it.each(['reference', 'cpu'] as const)('outlier ratings (1e20) with lambda 0.1 name float overflow as the cause, not "use lambda > 0" (%s engine)', async (backend) => {
    const r: Ratings = { users: Int32Array.of(0, 0, 1, 1, 2), items: Int32Array.of(0, 1, 1, 2, 0), values: Float32Array.of(1e20, 3, 4, 1e20, 2), nUsers: 3, nItems: 3 };
    const err = await fitAls(r, { rank: 4, lambda: 0.1, backend, iterations: 3 }).catch((e) => e);
    expect(err).toBeInstanceOf(SingularSystemError);
    expect(err.message).toMatch(/^item 0: normal equations have entries up to 2\.0e\+39/);
    expect(err.message).toMatch(/float overflow, not too few ratings/);
    expect(err.message).toMatch(/largest \|rating\| is 1\.00e\+20/);
    expect(err.message).not.toMatch(/Use lambda > 0/);
    // A genuinely under-determined row still gets the lambda advice.
    const thin: Ratings = { users: Int32Array.of(0, 1), items: Int32Array.of(0, 1), values: Float32Array.of(3, 4), nUsers: 2, nItems: 2 };
    const e2 = await fitAls(thin, { rank: 3, lambda: 0, backend: 'cpu', iterations: 1 }).catch((e) => e);
    expect(e2.message).toMatch(/Use lambda > 0/);
  });

  it('a flipped byte in a zip entry is a CRC error, not a 2 turned into a 9', async () => {
    const text = enc('userId,movieId,rating\n1,10,2\n2,10,4\n');
    const zip = zipSync({ 'ratings.csv': text }, { level: 0 });
    const at = zip.indexOf(0x32, 30 + 'ratings.csv'.length + 22); // the stored "2" rating
    const bad = zip.slice();
    bad[at] = 0x39;
    expect((await readRatings(zip, { fileName: 'ok.zip' })).ratings.values[0]).toBe(2);
    const err = await readRatings(bad, { fileName: 'flip.zip' }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/flip\.zip: zip entry ratings\.csv: CRC-32 [0-9a-f]{8} does not match the directory's [0-9a-f]{8}/);
    // The download check reads ZIP64 directories too.
    const z64 = zip64([{ name: 'ratings.csv', method: 8, ...deflated(text) }]);
    expect(verifyZip(z64).map((e) => [e.name, e.size])).toEqual([['ratings.csv', text.length]]);
    const z64bad = z64.slice();
    z64bad[30 + 11 + 20 + 5] ^= 0x10; // inside the deflate data
    expect(() => verifyZip(z64bad, 'bad64.zip')).toThrow(InputError);
  });

  it('zip entry names and snippets print control characters escaped', async () => {
    const zip = zipSync({ 'x\u001b[31m.txt': enc('junk') });
    const err = await readRatings(zip, { fileName: 'ctl.zip' }).catch((e) => e);
    expect(err.message).toContain('x\\u001b[31m.txt');
    expect(err.message).not.toMatch(/\u001b/);
    const e2 = await readRatings(enc('u,i,r\n1,2,\u009b31m\n'), { fileName: 'c1.csv' }).catch((e) => e);
    expect(e2.message).toContain('\\u009b31m');
    expect(e2.message).not.toMatch(/\u009b/);
  });

  it('recommend refuses scores past f32 instead of printing Infinity; evaluate refuses empty and NaN test sets', async () => {
    const model = new Model({ algo: 'als', rank: 1, bias: false, implicit: false, stride: 1, mu: 0, nUsers: 1, nItems: 2, userFactors: Float32Array.of(3e19), itemFactors: Float32Array.of(3e19, 1), hyperparams: {} });
    await expect(model.recommend(0, { filterSeen: false })).rejects.toThrow(/recommend: scores for user 0 can reach 9\.00e\+38, past the 32-bit float range/);
    const sane = new Model({ algo: 'als', rank: 1, bias: false, implicit: false, stride: 1, mu: 0, nUsers: 1, nItems: 2, userFactors: Float32Array.of(1), itemFactors: Float32Array.of(2, 1), hyperparams: {} });
    const empty: Ratings = { users: new Int32Array(0), items: new Int32Array(0), values: new Float32Array(0), nUsers: 1, nItems: 2 };
    await expect(evaluate(sane, empty, { metrics: ['rmse'] })).rejects.toThrow(/evaluate: no test ratings to score \(the test set is empty\)/);
    const nan: Ratings = { users: Int32Array.of(0), items: Int32Array.of(1), values: Float32Array.of(NaN), nUsers: 1, nItems: 2 };
    await expect(evaluate(sane, nan, { metrics: ['rmse'] })).rejects.toThrow(/test rating 0 is NaN/);
    const off: Ratings = { users: Int32Array.of(5), items: Int32Array.of(1), values: Float32Array.of(3), nUsers: 6, nItems: 2 };
    await expect(evaluate(sane, off, { metrics: ['rmse'] })).rejects.toThrow(/all 1 have users or items the model does not know/);
    expect((await evaluate(sane, { ...nan, values: Float32Array.of(3) }, { metrics: ['rmse'] })).metrics.rmse).toBeCloseTo(2);
  });

  it('GD whose every step is rejected says so (DivergenceError with the starting factors), never "done"', async () => {
    const r: Ratings = { users: Int32Array.of(0, 0, 1, 1), items: Int32Array.of(0, 1, 0, 1), values: Float32Array.of(5, 3, 4, 1), nUsers: 2, nItems: 2 };
    const err = await fitSgd(r, { algo: 'gd', learningRate: 1e6, epochs: 5, backend: 'cpu' }).catch((e) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect(err.message).toMatch(/GD rejected all 5 steps/);
    expect(err.result.model.userFactors.length).toBe(2 * 10);
    const ok = await fitSgd(r, { algo: 'gd', learningRate: 0.01, epochs: 3, backend: 'cpu' });
    expect(ok.history.length).toBe(3);
  });

  it('plain JS arrays as ratings are converted (and checked) at the API boundary', async () => {
    const plain = { users: [0, 0, 1, 1], items: [0, 1, 0, 1], values: [5, 3, 4, 1], nUsers: 2, nItems: 2 } as unknown as Ratings;
    const typed = await fitAls({ users: Int32Array.of(0, 0, 1, 1), items: Int32Array.of(0, 1, 0, 1), values: Float32Array.of(5, 3, 4, 1), nUsers: 2, nItems: 2 }, { rank: 2, backend: 'cpu', iterations: 2, seed: 3 });
    const fromPlain = await fitAls(plain, { rank: 2, backend: 'cpu', iterations: 2, seed: 3 });
    expect(Array.from(fromPlain.model.userFactors)).toEqual(Array.from(typed.model.userFactors));
    const bad = { ...plain, users: [0, 0.5, 1, 1] } as unknown as Ratings;
    await expect(fitAls(bad, { backend: 'cpu' })).rejects.toThrow(/ratings\.users\[1\] = 0\.5 is not an index/);
    await expect(fitSgd({ ...plain, values: [1, 2, 1e39, 3] } as unknown as Ratings, { backend: 'cpu' })).rejects.toThrow(/ratings\.values\[2\] = 1e\+39 is outside the 32-bit float range/);
  });
});

describe('backends agree on degenerate models (GPU on Dawn)', () => {
  it('outlier ratings (1e20) on the GPU: the error names float overflow too', async () => {
    const gpu = await GpuContext.create();
    try {
      const r: Ratings = { users: Int32Array.of(0, 0, 1, 1, 2), items: Int32Array.of(0, 1, 1, 2, 0), values: Float32Array.of(1e20, 3, 4, 1e20, 2), nUsers: 3, nItems: 3 };
      const err = await fitAls(r, { rank: 4, lambda: 0.1, backend: 'gpu', gpu, iterations: 3 }).catch((e) => e);
      expect(err).toBeInstanceOf(WebmfError);
      expect(err).toBeInstanceOf(SingularSystemError);
      expect(err.message).toMatch(/float overflow, not too few ratings/);
      expect(err.message).not.toMatch(/Use lambda > 0/);
    } finally {
      gpu.destroy();
    }
  });

  it('similar items with factor norms past sqrt(f32 max): the GPU returns what the CPU returns, not []', async () => {
    const gpu = await GpuContext.create();
    try {
      const data = { algo: 'als' as const, rank: 2, bias: false, implicit: false, stride: 2, mu: 0, nUsers: 1, nItems: 4, userFactors: Float32Array.of(1, 1), itemFactors: Float32Array.of(3e19, 1e19, 1, 2, -2, 1, 2e19, 2e19), hyperparams: {} };
      const cpu = await new Model(data).similarItems(0, 3);
      const g = new Model(data, { gpu });
      try {
        expect(g.backend).toBe('gpu');
        const onGpu = await g.similarItems(0, 3);
        expect(cpu.length).toBe(3);
        expect(onGpu.map((r) => r.index)).toEqual(cpu.map((r) => r.index));
        onGpu.forEach((r, k) => expect(Math.abs(r.score - cpu[k].score)).toBeLessThan(1e-6));
        // A sane model still runs its cosines on the GPU and agrees to f32 rounding.
        const sane = { ...data, itemFactors: Float32Array.of(3, 1, 1, 2, -2, 1, 2, 2) };
        const a = await new Model(sane).similarItems(0, 3);
        const b = await new Model(sane, { gpu }).similarItems(0, 3);
        expect(b.map((r) => r.index)).toEqual(a.map((r) => r.index));
      } finally {
        g.destroy();
      }
    } finally {
      gpu.destroy();
    }
  });
});

describe('inputs', () => {
  it('header detection honours quotes: "user,id","item,id",rating is three columns', async () => {
    // Split at every comma, this header had five columns, "user" and "item" among them, and read the wrong fields.
    const err = await readRatings(enc('"user,id","item,id",rating\n1,10,4\n2,10,3\n'), { fileName: 'q.csv' }).catch((e) => e);
    expect(err.message).toMatch(/has no recognisable user and item columns/);
    // A quoted comma before the used columns shifted every index by one.
    const ds = await readRatings(enc('"title, year",user,movie,rating\n"Heat, 1995",1,10,4\n"Up, 2009",2,11,3\n'), { fileName: 'q.csv' });
    expect(ds.report.detected).toMatch(/user=user, item=movie, rating=rating\)/);
    expect(Array.from(ds.ratings.values)).toEqual([4, 3]);
    expect(ds.users.ids).toEqual([1, 2]);
    expect(ds.items.ids).toEqual([10, 11]);
    const named = await readRatings(enc('"user,id","item,id",score\n1,10,4\n'), { fileName: 'q.csv', columns: { user: 'user,id', item: 'item,id', value: 'score' } });
    expect(named.report.ratings).toBe(1);
  });
});

describe('data get: the cache is verified on every use', () => {
  it('a cached archive changed after download (or copied in corrupt) is refused, naming how to fetch it again', async () => {
    const { mkdtempSync, mkdirSync, readFileSync: rd, rmSync, writeFileSync: wr } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { dataGet } = await import('../src/data/movielens.ts');
    const cacheDir = mkdtempSync(join(tmpdir(), 'webmf-cache-'));
    try {
      const zip = zipSync({ 'ml-100k/u.data': enc('1\t2\t3\t881250949\n2\t2\t5\t881250950\n') }, { level: 0 });
      const serve = (async (url: string) => (url.endsWith('.md5') ? new Response('', { status: 404 }) : new Response(zip as unknown as BodyInit))) as unknown as typeof fetch;
      const got = await dataGet('ml-100k', { cacheDir, fetch: serve });
      expect(rd(`${got.path}.md5`, 'utf8')).toMatch(/^[0-9a-f]{32}\n$/);
      expect((await dataGet('ml-100k', { cacheDir })).log.join('\n')).toMatch(/MD5 [0-9a-f]{32} verified/);
      // The byte to corrupt comes from the zip structure, not a search of the whole file: the entry's
      // data starts after its 30-byte local header, name and extra field (lengths at offsets 26 and
      // 28), and is stored (method 0) so it is the text itself; the rating 5 of its second line
      // becomes 9. (A 0x35 found anywhere could be a byte of the DOS time or date, which no check reads.)
      const bad = rd(got.path);
      const hdr = new DataView(bad.buffer, bad.byteOffset, bad.byteLength);
      expect(hdr.getUint32(0, true)).toBe(0x04034b50); // local file header
      expect(hdr.getUint16(8, true)).toBe(0); // stored
      const data0 = 30 + hdr.getUint16(26, true) + hdr.getUint16(28, true);
      const at = data0 + '1\t2\t3\t881250949\n2\t2\t'.length;
      expect(at).toBeLessThan(data0 + hdr.getUint32(18, true)); // inside the entry's data
      expect(bad[at]).toBe(0x35);
      bad[at] = 0x39;
      wr(got.path, bad);
      await expect(dataGet('ml-100k', { cacheDir })).rejects.toThrow(/cached .*ml-100k\.zip is corrupt: MD5 [0-9a-f]{32}, expected [0-9a-f]{32}; fetch it again with `webmf data get ml-100k --force`/);
      // Copied in by hand (no recorded checksum): the CRC-32 of every entry is checked instead.
      const hand = join(cacheDir, 'hand');
      mkdirSync(join(hand, 'ml-100k'), { recursive: true });
      wr(join(hand, 'ml-100k', 'ml-100k.zip'), bad);
      await expect(dataGet('ml-100k', { cacheDir: hand })).rejects.toThrow(/cached .*u\.data: CRC-32 [0-9a-f]+ does not match .*--force/);
      wr(join(hand, 'ml-100k', 'ml-100k.zip'), zip);
      expect((await dataGet('ml-100k', { cacheDir: hand })).log.join('\n')).toMatch(/zip integrity verified/);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('demo server', () => {
  it('refuses symlink escapes, answers malformed percent-encoding with 400 and no trace, validates its arguments', async () => {
    const { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync: wr } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createServer } = await import('node:http');
    const { dataPlugin, findSets, parseServeArgs } = await import('../src/demo/serve.ts');
    const base = mkdtempSync(join(tmpdir(), 'webmf-serve-'));
    const data = join(base, 'data');
    mkdirSync(join(data, 'ml'), { recursive: true });
    wr(join(data, 'ml', 'ratings.csv'), 'userId,movieId,rating\n1,2,3\n');
    mkdirSync(join(base, 'secret'));
    wr(join(base, 'secret', 'ratings.csv'), 'top secret\n');
    symlinkSync(join(base, 'secret'), join(data, 'etc-link'));
    symlinkSync(join(base, 'secret', 'ratings.csv'), join(data, 'ml', 'leak.csv'));
    let handler: ((req: unknown, res: unknown) => void) | undefined;
    const plugin = dataPlugin(data) as unknown as { configureServer(s: unknown): void };
    plugin.configureServer({ middlewares: { use: (_p: string, fn: typeof handler) => (handler = fn) } });
    const server = createServer((req, res) => {
      req.url = req.url!.replace(/^\/webmf-data/, '') || '/';
      handler!(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const get = async (path: string) => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: r.status, body: await r.text() };
    };
    try {
      expect(await get('/webmf-data/ml/ratings.csv')).toEqual({ status: 200, body: 'userId,movieId,rating\n1,2,3\n' });
      expect((await get('/webmf-data/etc-link/ratings.csv')).status).toBe(404);
      expect((await get('/webmf-data/ml/leak.csv')).status).toBe(404);
      const bad = await get('/webmf-data/%E0%A4%A');
      expect(bad.status).toBe(400);
      expect(bad.body).toBe('bad request: malformed URL');
      expect((await get('/webmf-data/..%2f..%2fetc/passwd')).status).toBe(404);
      expect(findSets(data).map((s) => s.name)).toEqual(['ml']);
    } finally {
      server.close();
      rmSync(base, { recursive: true, force: true });
    }
    expect(parseServeArgs(['--port', '0', '--data', '/x'])).toEqual({ port: 0, data: '/x' });
    expect(parseServeArgs(['--port=8080']).port).toBe(8080);
    expect(() => parseServeArgs(['--port', '-1'])).toThrow(/--port must be an integer from 0 to 65535, got "-1"/);
    expect(() => parseServeArgs(['--port', 'abc'])).toThrow(/got "abc"/);
    expect(() => parseServeArgs(['--port', '70000'])).toThrow(/from 0 to 65535/);
    expect(() => parseServeArgs(['--prot', '80'])).toThrow(/unknown argument "--prot"/);
    expect(() => parseServeArgs(['--data'])).toThrow(/--data needs a value/);
  });
});
