/**
 * `webmf` end to end for the baselines and the ranking model: train --algo baseline|popularity,
 * --baselines beside the model, the ranking model saved with it, recommend/eval --rank-by and what
 * they say they ranked by.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/util/random.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
let dir: string;

function webmf(...args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [join(root, 'bin/webmf.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines.length).toBe(1);
  return JSON.parse(lines[0]);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'webmf-cli-models-'));
  // 80 users x 60 items; popular items (low index) are rated more often, values from a planted model
  const rng = new Rng(7);
  const train = ['userId,movieId,rating,timestamp'];
  const test = ['userId,movieId,rating,timestamp'];
  for (let u = 0; u < 80; u++) {
    const items = new Set<number>();
    while (items.size < 14) items.add(Math.floor(60 * rng.next() ** 2));
    let n = 0;
    for (const i of items) (n++ < 11 ? train : test).push(`u${u},m${i},${1 + ((u + i) % 5)},${1000 + u}`);
  }
  writeFileSync(join(dir, 'train.csv'), train.join('\n') + '\n');
  writeFileSync(join(dir, 'test.csv'), test.join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('webmf CLI: baselines and the ranking model', () => {
  it('train --baselines prints the model, its ranking model, baseline and popularity side by side', () => {
    const out = webmf('train', '--data', 'train.csv', '--test', 'test.csv', '--rank', '3', '--iters', '3', '--bias', '--backend', 'cpu', '--baselines', '--json', '--save', 'm.webmf', '--quiet');
    const b = out.baselines as Record<string, Record<string, number | null>>;
    expect(Object.keys(b)).toEqual(['als (own factors)', 'als + ranking model', 'baseline', 'popularity']);
    expect(b.popularity.rmse).toBeNull(); // NaN in JSON: popularity predicts no rating
    expect(b.baseline.rmse as number).toBeGreaterThan(0);
    expect(out.ranking).toMatchObject({ algo: 'ials', rank: 16 });
    const rec = webmf('recommend', '--model', 'm.webmf', '--user', 'u3', '--backend', 'cpu', '--json');
    expect(rec.rankedBy).toMatch(/ranking model: implicit ALS/);
    const recE = webmf('recommend', '--model', 'm.webmf', '--user', 'u3', '--backend', 'cpu', '--json', '--rank-by', 'explicit');
    expect(recE.rankedBy).toMatch(/explicit als model itself/);
    const ev = webmf('eval', '--model', 'm.webmf', '--test', 'test.csv', '--metrics', 'rmse,ndcg@10', '--backend', 'cpu', '--json');
    expect(ev.rankedBy).toMatch(/ranking model/);
    expect((ev.metrics as Record<string, number>)['ndcg@10']).toBeCloseTo(b['als + ranking model']['ndcg@10'] as number, 10);
    expect((ev.metrics as Record<string, number>).rmse).toBeCloseTo(b['als (own factors)'].rmse as number, 10);
  });

  it('--algo baseline and popularity train, save and recommend; --ranking none saves no ranking model', () => {
    const base = webmf('train', '--data', 'train.csv', '--test', 'test.csv', '--algo', 'baseline', '--backend', 'cpu', '--json', '--save', 'b.webmf', '--quiet');
    expect(base.testRmse as number).toBeGreaterThan(0);
    expect(base.ranking).toBeNull();
    const pop = webmf('train', '--data', 'train.csv', '--algo', 'popularity', '--backend', 'cpu', '--json', '--save', 'p.webmf', '--quiet');
    expect(pop.testRmse).toBeNull();
    const rec = webmf('recommend', '--model', 'p.webmf', '--user', 'u0', '-k', '3', '--backend', 'cpu', '--json');
    expect(rec.rankedBy).toMatch(/popularity/);
    const scores = (rec.items as { score: number }[]).map((x) => x.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const none = webmf('train', '--data', 'train.csv', '--rank', '2', '--iters', '2', '--backend', 'cpu', '--ranking', 'none', '--json', '--save', 'n.webmf', '--quiet');
    expect(none.ranking).toBeNull();
    expect(webmf('recommend', '--model', 'n.webmf', '--user', 'u0', '--backend', 'cpu', '--json').rankedBy).toMatch(/explicit als model itself/);
  });

  it('tune: grid with halving on a validation split of --data, table as JSON, the best refitted and saved, an SVG plot', () => {
    const out = webmf('tune', '--data', 'train.csv', '--test', 'test.csv', '--rank', '2,4', '--lambda', '0.05..0.5', '--iters', '4', '--backend', 'cpu', '--json', '--quiet', '--save', 't.webmf', '--plot', 't.svg');
    const trials = out.trials as { rank: number; lambda: number; iterations: number; validationRmse: number }[];
    expect(trials.length).toBe(8);
    const best = out.best as { rank: number; lambda: number; validationRmse: number };
    expect(best.validationRmse).toBe(Math.min(...trials.filter((t) => t.iterations === 4).map((t) => t.validationRmse)));
    expect(out.testRmse as number).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 't.svg'), 'utf8')).toMatch(/<svg[\s\S]*polyline/);
    const rec = webmf('recommend', '--model', 't.webmf', '--user', 'u3', '--backend', 'cpu', '--json');
    expect(rec.rankedBy).toMatch(/ranking model/);
  });

  it('tune --algo ials --folds 2 is chosen by NDCG@10 over two folds; --algo sgd tunes --lr; flags of another algo are usage errors', () => {
    const i = webmf('tune', '--data', 'train.csv', '--test', 'test.csv', '--algo', 'ials', '--rank', '2,4', '--lambda', '0.1', '--alpha', '1,10', '--folds', '2', '--iters', '2', '--backend', 'cpu', '--json', '--quiet');
    expect(i.metric).toBe('ndcg@10');
    expect(i.folds).toBe(2);
    const it = i.trials as { score: number; iterations: number; foldScores: number[]; alpha: number }[];
    expect(it.length).toBe(4);
    for (const t of it) expect(t.foldScores.length).toBe(2);
    expect((i.best as { score: number }).score).toBe(Math.max(...it.filter((t) => t.iterations === 2).map((t) => t.score)));
    expect(i.testScore as number).toBeGreaterThan(0);
    expect(i.testScore as number).toBeLessThanOrEqual(1);
    const s = webmf('tune', '--data', 'train.csv', '--test', 'test.csv', '--algo', 'sgd', '--rank', '2', '--lambda', '0.05', '--lr', '0.02,0.1', '--iters', '3', '--no-halving', '--backend', 'cpu', '--json', '--quiet');
    expect(s.metric).toBe('rmse');
    expect((s.trials as { learningRate: number }[]).map((t) => t.learningRate)).toEqual([0.02, 0.1]);
    expect(s.testRmse as number).toBeGreaterThan(0);
    const bad = spawnSync(process.execPath, [join(root, 'bin/webmf.js'), 'tune', '--data', 'train.csv', '--alpha', '1,5', '--backend', 'cpu'], { cwd: dir, encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--alpha applies to --algo ials/);
  });
});

