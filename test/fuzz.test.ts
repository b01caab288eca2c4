/**
 * Property-based fuzzing (fast-check) of everything that takes outside input: the rating readers (every format, plain
 * and zipped, plus mutated archives), the model loader, the LIBMF importer and the command line. Every generated
 * input must end in a typed error (a WebmfError: InputError, ParseError, LimitError, UsageError...) or a correct
 * result; never another exception, never longer than a bound, never unbounded memory. Seeds are fixed so a failure
 * reproduces; fast-check prints the shrunk counterexample.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { WebmfError } from '../src/core/errors.ts';
import { readRatings, type LoadedDataset } from '../src/data/read.ts';
import { decodeModel, encodeModel } from '../src/model/io.ts';
import { fromLibmf, toLibmf } from '../src/model/libmf.ts';
import type { FactorModelData } from '../src/model/types.ts';
import { main } from '../src/cli/main.ts';

const enc = (s: string) => new TextEncoder().encode(s);
/** Wall-clock bound for one generated input (generous: the machine is shared; typical cases take milliseconds). */
const CASE_MS = 3000;
const rss0 = process.memoryUsage().rss;
const tmp = mkdtempSync(join(tmpdir(), 'webmf-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `f`; a thrown value must be a WebmfError. Returns the result, or null after a typed error. */
async function typed<T>(f: () => Promise<T> | T): Promise<T | null> {
  const t0 = performance.now();
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof WebmfError)) throw new Error(`untyped ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    expect(e.message.length).toBeGreaterThan(0);
    return null;
  } finally {
    expect(performance.now() - t0).toBeLessThan(CASE_MS);
  }
}

/** A data set that came back must be internally consistent. */
function checkDataset(ds: LoadedDataset): void {
  const r = ds.ratings;
  const n = r.values.length;
  expect(r.users.length).toBe(n);
  expect(r.items.length).toBe(n);
  expect(n).toBeGreaterThan(0);
  expect(ds.users.size).toBe(r.nUsers);
  expect(ds.items.size).toBe(r.nItems);
  for (let k = 0; k < n; k++) {
    if (!(r.users[k] >= 0 && r.users[k] < r.nUsers && r.items[k] >= 0 && r.items[k] < r.nItems && Number.isFinite(r.values[k]))) {
      throw new Error(`rating ${k} inconsistent: ${r.users[k]} ${r.items[k]} ${r.values[k]}`);
    }
  }
}

// Pieces that rating files are made of, and that break them.
const piece = fc.oneof(
  fc.constantFrom(',', '\t', '::', ';', '|', ' ', '\n', '\r\n', '\n\n', '"', '""', ':', '-', '.', 'e', 'E', '+', '\u0000', '\u001b[2J', '\u009b', '\uFEFF', 'é', '\u202e'),
  fc.constantFrom('userId,movieId,rating,timestamp\n', 'user,item,count\n', '1:\n', '"a,b",c,d\n', 'NaN', 'inf', '-Infinity', '1e39', '1e-50', '3.4e38', '0x10', '2012-01-02', '2012-13-45 25:61'),
  fc.integer({ min: -5, max: 100000 }).map(String),
  fc.double({ noNaN: false }).map(String),
  fc.string({ maxLength: 8 }),
);
const text = fc.array(piece, { maxLength: 60 }).map((p) => p.join(''));
const fileName = fc.constantFrom('ratings.csv', 'ratings.dat', 'u.data', 'combined_data_1.txt', 'x.txt', 'data.tsv', 'plays.csv');
const readOpts = fc.record(
  {
    format: fc.constantFrom('auto', 'udata', 'dat', 'csv', 'netflix', 'delimited', 'implicit'),
    skipBadLines: fc.boolean(),
    duplicates: fc.constantFrom('last', 'mean', 'sum', 'error'),
    chunkSize: fc.integer({ min: 1, max: 64 }),
  },
  { requiredKeys: [] },
);

describe('fuzz: rating readers', () => {
  it('any text in any format: a consistent data set or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(text, fileName, readOpts, async (t, name, o) => {
        const ds = await typed(() => readRatings(enc(t), { ...(o as object), fileName: name }));
        if (ds) checkDataset(ds);
      }),
      { numRuns: 2500, seed: 1401 },
    );
  });

  it('valid triples in every delimiter and chunking read back exactly', async () => {
    const triple = fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 10 }).map((v) => v / 2));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(triple, { minLength: 1, maxLength: 40, selector: (x) => `${x[0]}/${x[1]}` }), fc.constantFrom(',', '\t', ';', '|', '::'), fc.integer({ min: 1, max: 50 }), fc.boolean(), async (rows, d, chunkSize, crlf) => {
        const body = rows.map((r) => r.join(d)).join(crlf ? '\r\n' : '\n') + '\n';
        const ds = await readRatings(enc(body), { fileName: 'f.txt', format: 'delimited', delimiter: d, chunkSize });
        const got = Array.from(ds.ratings.values, (v, k) => [ds.users.ids[ds.ratings.users[k]], ds.items.ids[ds.ratings.items[k]], v]);
        expect(got).toEqual(rows);
      }),
      { numRuns: 500, seed: 1402 },
    );
  });

  it('zip archives, built then mutated (flipped bytes, truncation, junk): a consistent data set or a typed error', async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('none' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(text, fc.constantFrom('ratings.csv', 'ml/ratings.dat', 'u.data', 'other.txt', 'a\u001b]0;x\u0007.csv'), fc.constantFrom(0, 6, 9), fc.array(mutation, { maxLength: 3 }), async (t, entry, level, muts) => {
        let z = zipSync({ [entry]: enc(t), 'movies.csv': enc('movieId,title\n1,A\n') }, { level: level as 0 | 6 | 9 });
        for (const m of muts) {
          if (m.kind === 'flip') {
            z = z.slice();
            z[m.at % z.length] ^= m.xor;
          } else if (m.kind === 'cut') z = z.subarray(0, m.at % z.length);
        }
        const ds = await typed(() => readRatings(z, { fileName: 'f.zip' }));
        if (ds) {
          checkDataset(ds);
          expect(ds.report.container).toBe('zip');
        }
      }),
      { numRuns: 1000, seed: 1403 },
    );
  });
});

function smallModel(seed: number, bias: boolean): FactorModelData {
  const rank = 1 + (seed % 3);
  const stride = bias ? rank + 2 : rank;
  const nUsers = 1 + (seed % 4);
  const nItems = 1 + ((seed >> 2) % 4);
  const f = (n: number) => Float32Array.from({ length: n * stride }, (_, k) => Math.sin(seed + k));
  return { algo: 'als', rank, bias, implicit: false, stride, mu: bias ? 3 : 0, nUsers, nItems, userFactors: f(nUsers), itemFactors: f(nItems), hyperparams: { lambda: 0.1 } };
}

describe('fuzz: model files', () => {
  it('the webmf binary loader: mutated and random bytes give a model of consistent shape or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }), fc.option(fc.nat()), fc.uint8Array({ maxLength: 64 }), async (seed, bias, flips, cut, junk) => {
        let b = encodeModel(smallModel(seed, bias));
        if (flips.length) b = b.slice();
        for (const [at, x] of flips) b[at % b.length] ^= x;
        if (cut !== null) b = b.subarray(0, cut % (b.length + 1));
        if (seed % 7 === 0) b = junk;
        const d = await typed(() => decodeModel(b));
        if (d) {
          expect(d.data.userFactors.length).toBe(d.data.nUsers * d.data.stride);
          expect(d.data.itemFactors.length).toBe(d.data.nItems * d.data.stride);
          expect(d.data.userFactors.every(Number.isFinite) && d.data.itemFactors.every(Number.isFinite)).toBe(true);
        }
      }),
      { numRuns: 1500, seed: 1404 },
    );
  });

  it('the LIBMF importer: a round trip is exact; mutated text gives a consistent model or a typed error', async () => {
    const token = fc.oneof(fc.constantFrom(' ', '\n', 'T', 'F', 'p0', 'q0', 'k', 'm', 'n', 'b', 'f', '1e39', '-1e-60', 'nan', '999999999999'), fc.double().map(String), fc.integer().map(String));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), token), { maxLength: 5 }), async (seed, edits) => {
        const m = smallModel(seed, false);
        let t = toLibmf(m);
        const back = fromLibmf(t);
        expect(Array.from(back.userFactors)).toEqual(Array.from(m.userFactors));
        for (const [at, len, tok] of edits) {
          const p = at % (t.length + 1);
          t = t.slice(0, p) + tok + t.slice(p + len);
        }
        const d = await typed(() => fromLibmf(t));
        if (d) {
          expect(d.userFactors.length).toBe(d.nUsers * d.rank);
          expect(d.itemFactors.length).toBe(d.nItems * d.rank);
          expect(d.userFactors.every(Number.isFinite) && d.itemFactors.every(Number.isFinite)).toBe(true);
        }
      }),
      { numRuns: 1500, seed: 1405 },
    );
  });
});

describe('fuzz: demo server paths', () => {
  it('any request path: 200 for a file inside the data folder, else 400 or 404; never 500, never a file outside', async () => {
    const { mkdirSync, symlinkSync } = await import('node:fs');
    const { createServer } = await import('node:http');
    const { dataPlugin } = await import('../src/demo/serve.ts');
    const data = join(tmp, 'served');
    mkdirSync(join(data, 'ml'), { recursive: true });
    writeFileSync(join(data, 'ml', 'ratings.csv'), 'inside\n');
    writeFileSync(join(tmp, 'secret.txt'), 'outside\n');
    symlinkSync(tmp, join(data, 'up'));
    let handler: ((req: unknown, res: unknown) => void) | undefined;
    (dataPlugin(data) as unknown as { configureServer(s: unknown): void }).configureServer({ middlewares: { use: (_p: string, fn: typeof handler) => (handler = fn) } });
    const server = createServer((req, res) => handler!(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const { request } = await import('node:http');
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const seg = fc.oneof(fc.constantFrom('..', '.', 'ml', 'ratings.csv', 'up', 'secret.txt', 'served', '%2e%2e', '%2f', '%00', '%E0%A4%A', '%', '%zz', '\\', 'index.json', ''), fc.string({ maxLength: 4 }).map(encodeURIComponent));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(seg, { maxLength: 5 }), async (parts) => {
          const r = await get('/' + parts.join('/'));
          expect([200, 400, 404]).toContain(r.status);
          expect(r.body).not.toContain('outside');
          expect(r.body).not.toMatch(/\bat \S+:\d+|\/work\/|Error:/);
        }),
        { numRuns: 300, seed: 1407 },
      );
    } finally {
      server.close();
    }
  });
});

describe('fuzz: command line', () => {
  it('random arguments to every command: an exit code or a typed error, never a crash', async () => {
    const data = join(tmp, 'r.csv');
    writeFileSync(data, 'userId,movieId,rating\n' + Array.from({ length: 60 }, (_, k) => `${k % 7},${k % 5},${1 + (k % 5)}`).join('\n') + '\n');
    const flags = ['--data', '--test', '--split', '--algo', '--mode', '--rank', '--iters', '--lambda', '--lambda-bias', '--weighted-lambda', '--alpha', '--lr', '--bias', '--seed', '--format', '--columns', '--implicit', '--duplicates', '--entry', '--model', '--user', '--item', '-k', '--all', '--exclude', '--include', '--metrics', '--relevance', '--json', '--quiet', '--save', '--bogus', '-x', '--', '-', '--rank=2', '--iters=1'];
    const values = [data, join(tmp, 'missing.csv'), join(tmp, 'out.webmf'), tmp, '0', '1', '2', '-1', '0.5', '1e309', 'NaN', 'abc', '', 'random:0.5', 'leave:1', 'time:0.2', 'random:2', 'als', 'ials', 'sgd', 'gd', 'stratified', 'userId,movieId,rating', '0,1', 'rmse,ndcg@3,auc', '1,2,3'];
    const arg = fc.oneof(fc.constantFrom(...flags), fc.constantFrom(...values), fc.string({ maxLength: 6 }));
    const model = join(tmp, 'fuzz.webmf');
    let succeeded = 0;
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const ewrite = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('train', 'train', 'recommend', 'similar', 'eval', 'help', 'frob'), fc.boolean(), fc.array(arg, { maxLength: 8 }), async (cmd, withData, rest) => {
          // Never the GPU here (slow to start on a software adapter), and never long fits.
          const head = withData ? (cmd === 'train' ? ['--data', data, '--rank', '2', '--save', model] : ['--model', model]) : [];
          const argv = [cmd, ...head, ...rest, '--backend', 'cpu'].filter((a) => a !== '--iters' && a !== '--gpu');
          const code = await typed(() => main(argv));
          if (code !== null) expect([0, 1, 2, 130]).toContain(code);
          if (code === 0) succeeded++;
        }),
        { numRuns: 250, seed: 1406 },
      );
      // Some of the generated command lines were valid and ran to the end, and a plain valid one still does.
      expect(succeeded).toBeGreaterThan(0);
      expect(await typed(() => main(['train', '--data', data, '--duplicates', 'last', '--rank', '2', '--save', model, '--backend', 'cpu']))).toBe(0);
    } finally {
      write.mockRestore();
      ewrite.mockRestore();
      warn.mockRestore();
    }
  }, 60_000);

  it('memory stayed bounded over the whole suite', () => {
    expect(process.memoryUsage().rss - rss0).toBeLessThan(600 << 20);
  });
});
