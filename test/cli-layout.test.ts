/**
 * The command line's CSV layout flags (--columns, --delimiter, --no-header), the stopping flags
 * (--tolerance, --early-stopping), --version, `help COMMAND` and the documented exit codes, through
 * `node bin/webmf.js` on files this test writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/util/random.ts';
import { layoutOptions, parseColumns } from '../src/cli/columns.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
let dir: string;

function webmf(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/webmf.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const json = (r: ReturnType<typeof webmf>) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim());
};

/** A planted rank-2 matrix, 30 users x 20 items, 12 ratings each; `sep` between fields. */
function rows(seed: number): [string, string, number][] {
  const rng = new Rng(seed);
  const P = Array.from({ length: 30 }, () => [rng.normal(), rng.normal()]);
  const Q = Array.from({ length: 20 }, () => [rng.normal(), rng.normal()]);
  const out: [string, string, number][] = [];
  for (let u = 0; u < 30; u++) {
    const items = new Set<number>();
    while (items.size < 12) items.add(rng.int(20));
    for (const i of items) out.push([`s${u}`, `d${i}`, Math.round(3 + P[u][0] * Q[i][0] + P[u][1] * Q[i][1])]);
  }
  return out;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'webmf-cli-layout-'));
  const r = rows(3);
  // InstEval's header: s (student), d (lecturer), y (rating); names the auto-detection cannot guess.
  writeFileSync(join(dir, 'insteval.csv'), ['s,d,y', ...r.map((x) => x.join(','))].join('\n') + '\n');
  // The same ratings without a header, ';'-separated, columns in the order rating;item;user.
  writeFileSync(join(dir, 'raw.txt'), r.map(([u, i, v]) => `${v};${i};${u}`).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CLI layout flags', () => {
  it('parseColumns/layoutOptions: names, indexes, escapes, and the mistakes they refuse', () => {
    expect(parseColumns('s,d,y', 'train')).toEqual({ user: 's', item: 'd', value: 'y' });
    expect(parseColumns('2, 1, 0, 3', 'train')).toEqual({ user: 2, item: 1, value: 0, timestamp: 3 });
    expect(() => parseColumns('s', 'train')).toThrow(/USER,ITEM/);
    expect(() => parseColumns('a,,c', 'train')).toThrow(/USER,ITEM/);
    expect(layoutOptions({ delimiter: '\\t' }, 'x')).toEqual({ format: 'delimited', delimiter: '\t' });
    expect(layoutOptions({}, 'x')).toEqual({ format: undefined });
    expect(() => layoutOptions({ columns: 's,d,y', 'no-header': true }, 'x')).toThrow(/indexes/);
    expect(() => layoutOptions({ columns: '0,1,2', format: 'udata' }, 'x')).toThrow(/delimited/);
  });

  it('train --data insteval.csv --columns s,d,y works on a file whose header is s,d,y (and without --columns the error names the flag)', () => {
    const bare = webmf('train', '--data', 'insteval.csv', '--backend', 'cpu', '--json');
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/--columns USER,ITEM,RATING/);
    const r = json(webmf('train', '--data', 'insteval.csv', '--columns', 's,d,y', '--rank', '3', '--bias', '--iters', '15', '--lambda', '0.01', '--backend', 'cpu', '--save', 'm.webmf', '--json'));
    expect(r.users).toBe(30);
    expect(r.items).toBe(20);
    expect(r.ratings).toBe(360);
    // planted mean 3 + rank 2, rounded to integers (error <= 0.5, RMSE ~0.29): biases + rank 3 fit it to well under 0.5
    expect(r.trainRmse).toBeLessThan(0.5);
    // eval reads a test file with the same flags
    const e = json(webmf('eval', '--model', 'm.webmf', '--test', 'insteval.csv', '--columns', 's,d,y', '--metrics', 'rmse', '--backend', 'cpu', '--json'));
    expect(e.ratings).toBe(360);
    // Same ratings, so the same RMSE up to eval's clipping to the rating scale and the saved f32 factors: 2% relative.
    expect(Math.abs(e.metrics.rmse - r.trainRmse) / r.trainRmse).toBeLessThan(0.02);
  });

  it('--no-header, --delimiter and 0-based indexes read the same ratings from a headerless file', () => {
    const a = json(webmf('train', '--data', 'insteval.csv', '--columns', 's,d,y', '--rank', '2', '--iters', '3', '--backend', 'cpu', '--json'));
    const b = json(webmf('train', '--data', 'raw.txt', '--no-header', '--delimiter', ';', '--columns', '2,1,0', '--rank', '2', '--iters', '3', '--backend', 'cpu', '--json'));
    expect([b.users, b.items, b.ratings]).toEqual([a.users, a.items, a.ratings]);
    expect(b.trainRmse).toBeCloseTo(a.trainRmse, 6);
  });

  it('--tolerance stops ALS when it converges; --early-stopping needs held-out data and keeps the best iteration', () => {
    const t = json(webmf('train', '--data', 'insteval.csv', '--columns', 's,d,y', '--rank', '2', '--iters', '200', '--tolerance', '1e-3', '--backend', 'cpu', '--json'));
    expect(t.iterations).toBeLessThan(200);
    const noTest = webmf('train', '--data', 'insteval.csv', '--columns', 's,d,y', '--early-stopping', '2', '--backend', 'cpu');
    expect(noTest.code).toBe(2);
    expect(noTest.stderr).toMatch(/--early-stopping needs held-out ratings/);
    const es = json(webmf('train', '--data', 'insteval.csv', '--columns', 's,d,y', '--rank', '8', '--lambda', '0.001', '--iters', '60', '--split', 'random:0.2', '--early-stopping', '2', '--backend', 'cpu', '--json'));
    expect(es.iterations).toBeLessThanOrEqual(60);
    const best = Math.min(...es.perIteration.map((p: { testRmse: number }) => p.testRmse));
    expect(Number.isFinite(best)).toBe(true);
  });

  it('--version, help COMMAND and exit codes 0 / 1 / 2', () => {
    const v = webmf('--version');
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(`webmf ${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}`);
    const h = webmf('help', 'train');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--columns/);
    expect(h.stdout).toMatch(/--early-stopping/);
    expect(webmf('help').stdout).toMatch(/Exit status: 0 success; 1 .*\n2 a command-line mistake/);
    expect(webmf('help', 'nope').code).toBe(2);
    expect(webmf('train', '--bogus').code).toBe(2);
    expect(webmf('train', '--data', 'missing.csv', '--backend', 'cpu').code).toBe(1);
  });
});
