/**
 * tune(): grid and seeded random search over rank and lambda for explicit ALS, successive halving
 * with warm starts, chosen on a validation split cut from the training data; a stop keeps the best
 * finished trial.
 */
import { describe, expect, it } from 'vitest';
import { tune, parseValues } from '../src/tune/tune.ts';
import { tunePlotSvg } from '../src/tune/plot.ts';
import { fitAls } from '../src/train/als/index.ts';
import { splitRandom } from '../src/data/split.ts';
import { AbortError } from '../src/core/errors.ts';
import { plantedRatings } from './gpu/fixtures.ts';

describe('tune', () => {
  const { train } = plantedRatings(3, 60, 50, 3, 0.4, 0.3);

  it('grid with halving: every pair tried, the better half goes on, the best is the lowest validation RMSE at the full count', async () => {
    const seen: string[] = [];
    const r = await tune(train, { grid: { rank: [1, 3], lambda: [0.05, 5] }, iterations: 4, seed: 1, als: { backend: 'cpu' }, onTrial: (t) => seen.push(`${t.rank}/${t.lambda}`) });
    expect(r.trials.length).toBe(4);
    expect(new Set(seen).size).toBe(4);
    const full = r.trials.filter((t) => t.iterations === 4);
    expect(full.length).toBe(2); // 4 trials: rungs 2 and 4 iterations, half survive
    expect(r.trials.filter((t) => t.iterations === 2).length).toBe(2);
    expect(r.best.validationRmse).toBe(Math.min(...full.map((t) => t.validationRmse)));
    expect(r.best.rank).toBe(3); // the planted rank beats rank 1
    expect(r.best.lambda).toBe(0.05); // lambda 5 x count over-shrinks
    // the warm-started survivor equals a 4-iteration fit from scratch on the same training split
    const { train: fitPart, test: val } = splitRandom(train, { testFraction: 0.1, seed: 1 });
    const direct = await fitAls(fitPart, { rank: 3, lambda: 0.05, iterations: 4, seed: 1, backend: 'cpu', validation: val });
    expect(r.best.validationRmse).toBeCloseTo(direct.history[3].validationRmse!, 5);
    expect(r.validationRatings).toBe(val.values.length);
    const svg = tunePlotSvg(r.trials);
    expect(svg).toMatch(/^<svg/);
    expect((svg.match(/<polyline/g) ?? []).length).toBe(2);
  });

  it('random search is seeded; an abort keeps the best finished trial', async () => {
    const a = await tune(train, { grid: { rank: [2, 3], lambda: [0.01, 1] }, search: 'random', trials: 3, iterations: 2, halving: false, seed: 5, als: { backend: 'cpu' } });
    const b = await tune(train, { grid: { rank: [2, 3], lambda: [0.01, 1] }, search: 'random', trials: 3, iterations: 2, halving: false, seed: 5, als: { backend: 'cpu' } });
    expect(a.trials.map((t) => [t.rank, t.lambda])).toEqual(b.trials.map((t) => [t.rank, t.lambda]));
    for (const t of a.trials) expect(t.lambda >= 0.01 && t.lambda <= 1).toBe(true);
    const ac = new AbortController();
    let n = 0;
    const r = await tune(train, { grid: { rank: [2, 3, 4], lambda: [0.1] }, iterations: 2, halving: false, als: { backend: 'cpu' }, signal: ac.signal, onTrial: () => ++n === 2 && ac.abort() });
    expect(r.stopped).toBe('aborted');
    expect(r.trials.filter((t) => t.iterations > 0).length).toBe(2);
    expect([2, 3]).toContain(r.best.rank);
    const ac2 = new AbortController();
    ac2.abort();
    await expect(tune(train, { grid: { rank: [2], lambda: [0.1] }, als: { backend: 'cpu' }, signal: ac2.signal })).rejects.toBeInstanceOf(AbortError);
  });

  it('parseValues reads lists and log-spaced ranges; bad grids are clear errors', async () => {
    expect(parseValues('8,16,32')).toEqual([8, 16, 32]);
    expect(parseValues('0.01..1', 3)).toEqual([0.01, 0.1, 1]);
    expect(() => parseValues('a,b')).toThrow(/bad value list/);
    expect(() => parseValues('1..0.5')).toThrow(/lo < hi/);
    await expect(tune(train, { grid: { rank: [], lambda: [0.1] } })).rejects.toThrow(/at least one rank/);
    await expect(tune(train, { grid: { rank: [2.5], lambda: [0.1] } })).rejects.toThrow(/positive integer/);
  });
});
