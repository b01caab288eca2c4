/**
 * The `webmf` command end to end: spawns `node bin/webmf.js ...` on rating files this test writes
 * (a planted low-rank matrix), and checks the JSON shapes, the files written, warm starts from
 * factor files, GPU and CPU answers agreeing, and one-line errors with a non-zero exit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/util/random.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
let dir: string;

function webmf(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin/webmf.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(r: { code: number | null; stdout: string; stderr: string }): Record<string, unknown> {
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines.length).toBe(1); // one JSON object, nothing else on stdout
  return JSON.parse(lines[0]);
}

/**
 * userId,movieId,rating,timestamp from a planted rank-3 matrix; each user's last `testPerUser`
 * ratings go to `testPath`. Returns user → items of the first file.
 */
function writeRatings(path: string, seed: number, nUsers: number, nItems: number, perUser: number, testPath?: string, testPerUser = 0): Map<string, Set<string>> {
  const rng = new Rng(seed);
  const P = Array.from({ length: nUsers }, () => [rng.normal(), rng.normal(), rng.normal()]);
  const Q = Array.from({ length: nItems }, () => [rng.normal(), rng.normal(), rng.normal()]);
  const lines = ['userId,movieId,rating,timestamp'];
  const test = ['userId,movieId,rating,timestamp'];
  const seen = new Map<string, Set<string>>();
  for (let u = 0; u < nUsers; u++) {
    const items = new Set<number>();
    while (items.size < perUser + testPerUser) items.add(rng.int(nItems));
    let n = 0;
    for (const i of items) {
      const x = 3 + 0.8 * (P[u][0] * Q[i][0] + P[u][1] * Q[i][1] + P[u][2] * Q[i][2]) + 0.2 * rng.normal();
      const v = Math.min(5, Math.max(1, Math.round(x * 2) / 2));
      const line = `u${u},m${i},${v},${1_000_000 + u * 1000 + i}`;
      if (n++ >= perUser) {
        test.push(line);
        continue;
      }
      lines.push(line);
      let s = seen.get(`u${u}`);
      if (!s) seen.set(`u${u}`, (s = new Set()));
      s.add(`m${i}`);
    }
  }
  writeFileSync(path, lines.join('\n') + '\n');
  if (testPath) writeFileSync(testPath, test.join('\n') + '\n');
  return seen;
}

let trainSeen: Map<string, Set<string>>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'webmf-cli-'));
  trainSeen = writeRatings(join(dir, 'train.csv'), 1, 120, 80, 20, join(dir, 'test.csv'), 4);
  writeRatings(join(dir, 'tiny.csv'), 3, 30, 20, 6);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('webmf CLI', () => {
  it('train --json prints the documented object; --save, --save-libmf and --save-factors write their files', () => {
    const out = json(webmf('train', '--data', 'train.csv', '--split', 'random:0.2', '--algo', 'als', '--rank', '4', '--iters', '4', '--lambda', '0.1', '--bias', '--seed', '3', '--backend', 'cpu', '--json', '--save', 'm.webmf', '--save-libmf', 'm.libmf', '--save-factors', 'f'));
    expect(Object.keys(out).sort()).toEqual(['adapter', 'algo', 'backend', 'backendReason', 'baselines', 'items', 'iterations', 'mode', 'perIteration', 'rank', 'ranking', 'ratings', 'seconds', 'testMae', 'testRmse', 'trainRmse', 'users'].sort());
    expect(out).toMatchObject({ algo: 'als', backend: 'cpu', adapter: null, rank: 4, iterations: 4, users: 120, items: 80 });
    expect(out.backendReason).toMatch(/^backend 'cpu': the f32 CPU engine \(\d+ worker threads|1 thread/);
    expect(out.ratings as number).toBeGreaterThan(1800);
    expect(out.ratings as number).toBeLessThan(2000);
    const per = out.perIteration as { iteration: number; seconds: number; trainRmse: number; testRmse: number }[];
    expect(per.map((p) => p.iteration)).toEqual([1, 2, 3, 4]);
    for (const p of per) for (const v of [p.seconds, p.trainRmse, p.testRmse]) expect(Number.isFinite(v)).toBe(true);
    expect(out.trainRmse as number).toBeLessThan(per[0].trainRmse);
    expect(out.testRmse as number).toBeLessThan(1.2);
    expect(out.testMae as number).toBeLessThan(out.testRmse as number);
    for (const f of ['m.webmf', 'm.libmf', 'f.users.txt', 'f.items.txt', 'f.user-ids.txt', 'f.item-ids.txt']) expect(existsSync(join(dir, f)), f).toBe(true);
    const users = readFileSync(join(dir, 'f.users.txt'), 'utf8').trim().split('\n');
    expect(users.length).toBe(120);
    expect(users[0].split(' ').length).toBe(5); // rank 4 + the user bias
    // rows follow the first appearance of the IDs in the training file
    expect(readFileSync(join(dir, 'f.user-ids.txt'), 'utf8').split('\n').slice(0, 3)).toEqual(['u0', 'u1', 'u2']);
    expect(readFileSync(join(dir, 'm.libmf'), 'utf8').startsWith('f 0\nm 120\nn 80\nk 6\n')).toBe(true);
  });

  it('train --test with SGD warm-started from factor files; progress goes to stderr, JSON alone to stdout', () => {
    const r = webmf('train', '--data', 'train.csv', '--test', 'test.csv', '--algo', 'sgd', '--mode', 'stratified', '--rank', '4', '--iters', '3', '--lr', '0.01', '--bias', '--init-users', 'f.users.txt', '--init-items', 'f.items.txt', '--backend', 'cpu', '--json', '--save', 'sgd.webmf');
    const out = json(r);
    expect(out).toMatchObject({ algo: 'sgd', mode: 'stratified', iterations: 3, users: 120, items: 80, ratings: 2400 });
    // warm start from the ALS factors: the first epoch already fits well
    expect((out.perIteration as { trainRmse: number }[])[0].trainRmse).toBeLessThan(0.8);
    expect(r.stderr).toMatch(/sgd 1\/3 train rmse/);
    const bad = webmf('train', '--data', 'train.csv', '--rank', '6', '--bias', '--init-users', 'f.users.txt', '--init-items', 'f.items.txt', '--backend', 'cpu');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/webmf: error: .*f\.users\.txt:1: 5 values, expected 6 or 7 \(rank 6 \+ bias\)/);
  });

  it('recommend, similar and eval answer in JSON; seen items are left out; GPU and CPU agree', () => {
    const cpu = json(webmf('recommend', '--model', 'sgd.webmf', '--user', 'u7', '-k', '6', '--json', '--backend', 'cpu'));
    const items = cpu.items as { rank: number; item: string; score: number }[];
    expect(cpu).toMatchObject({ user: 'u7', k: 6, backend: 'cpu', filterSeen: true });
    expect(items.map((x) => x.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const x of items) expect(trainSeen.get('u7')!.has(x.item)).toBe(false);
    for (let j = 1; j < items.length; j++) expect(items[j].score).toBeLessThanOrEqual(items[j - 1].score);
    const gpu = json(webmf('recommend', '--model', 'sgd.webmf', '--user', 'u7', '-k', '6', '--json'));
    expect(gpu.backend).toBe('gpu');
    expect((gpu.items as { item: string }[]).map((x) => x.item)).toEqual(items.map((x) => x.item));

    const sim = json(webmf('similar', '--model', 'sgd.webmf', '--item', 'm3', '-k', '4', '--json', '--backend', 'cpu'));
    const si = sim.items as { item: string; score: number }[];
    expect(sim).toMatchObject({ item: 'm3', k: 4, measure: 'cosine' });
    expect(si.length).toBe(4);
    expect(si.some((x) => x.item === 'm3')).toBe(false);
    for (const x of si) expect(Math.abs(x.score)).toBeLessThanOrEqual(1 + 1e-6);

    const ev = json(webmf('eval', '--model', 'sgd.webmf', '--test', 'test.csv', '--metrics', 'rmse,mae,precision@5,ndcg@5,auc,coverage@5', '--json', '--backend', 'cpu'));
    const m = ev.metrics as Record<string, number>;
    expect(Object.keys(m)).toEqual(['rmse', 'mae', 'precision@5', 'ndcg@5', 'auc', 'coverage@5']);
    for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true);
    expect(m.rmse).toBeLessThan(1.2);
    expect(ev.users as number).toBeGreaterThan(50);
  });

  it('train on the GPU end to end (tiny file), and a LIBMF model file is accepted by recommend', () => {
    const out = json(webmf('train', '--data', 'tiny.csv', '--rank', '3', '--iters', '2', '--json', '--quiet', '--backend', 'gpu', '--save', 'gpu.webmf'));
    expect(out.backend).toBe('gpu');
    expect(typeof out.adapter).toBe('string');
    const rec = json(webmf('recommend', '--model', 'm.libmf', '--user', '3', '-k', '2', '--json', '--backend', 'cpu'));
    expect((rec.items as unknown[]).length).toBe(2);
  });

  it('mistakes give one line on stderr and a non-zero exit', () => {
    const cases: [string[], RegExp, number][] = [
      [['train', '--data', 'nope.csv'], /nope\.csv: no such file/, 1],
      [['train', '--data', 'train.csv', '--algo', 'svd'], /--algo must be one of als, ials, sgd, gd/, 2],
      [['train', '--data', 'train.csv', '--rank', 'ten'], /--rank must be an integer/, 2],
      [['train', '--data', 'train.csv', '--lr', '0.1'], /--lr applies to --algo sgd\|gd/, 2],
      [['train', '--data', 'train.csv', '--split', 'random:2'], /0 < F < 1/, 2],
      [['train', '--bogus'], /unknown option --bogus/, 2],
      [['recommend', '--model', 'sgd.webmf', '--user', 'nobody', '--backend', 'cpu'], /unknown user "nobody"/, 1],
      [['similar', '--model', 'sgd.webmf', '--backend', 'cpu'], /give --item or --user/, 2],
      [['eval', '--model', 'train.csv', '--test', 'test.csv', '--backend', 'cpu'], /not a valid webmf model: bad magic/, 1],
      [['frobnicate'], /unknown command "frobnicate"/, 2],
    ];
    for (const [args, re, code] of cases) {
      const r = webmf(...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stdout, args.join(' ')).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines[lines.length - 1], args.join(' ')).toMatch(/^webmf: error: /);
      expect(lines[lines.length - 1]).toMatch(re);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it('webmf data is dispatched to the data commands', () => {
    const r = webmf('data', '--help');
    expect(r.stdout + r.stderr).toMatch(/webmf data get/);
  });
});
