/**
 * FitResult.parallelism: what a GPU fit dispatched at once, reported from the backend's own plan —
 * ALS rows per solve dispatch and batches per side, SGD updates in flight (Hogwild groups, the
 * stratified plan's blocks, every rating for GD). CPU fits report none.
 */
import { describe, expect, it } from 'vitest';
import { fitAls } from '../src/train/als/index.ts';
import { fitSgd } from '../src/train/sgd/index.ts';
import { stratifiedPlan } from '../src/core/sgd-plan.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { plantedRatings } from './gpu/fixtures.ts';

describe('FitResult.parallelism', () => {
  const { train } = plantedRatings(5, 40, 30, 2, 0.5, 0.2);
  const n = train.values.length;

  it('GPU ALS solves each side in one dispatch on a small set; SGD reports its updates in flight by mode; CPU fits report none', async () => {
    const gpu = await GpuContext.create();
    try {
      const a = await fitAls(train, { rank: 2, iterations: 1, backend: 'gpu', gpu });
      expect(a.parallelism).toEqual({ userRows: 40, userBatches: 1, itemRows: 30, itemBatches: 1 });
      const hog = await fitSgd(train, { rank: 2, epochs: 1, backend: 'gpu', gpu, mode: 'hogwild' });
      expect(hog.parallelism!.updatesInFlight).toBeGreaterThan(1);
      expect(hog.parallelism!.updatesInFlight).toBeLessThanOrEqual(n);
      const st = await fitSgd(train, { rank: 2, epochs: 1, backend: 'gpu', gpu, mode: 'stratified', blocks: 4, seed: 3 });
      expect(st.parallelism).toEqual({ updatesInFlight: stratifiedPlan(train, 4, 3).b });
      const gd = await fitSgd(train, { rank: 2, epochs: 1, backend: 'gpu', gpu, algo: 'gd' });
      expect(gd.parallelism).toEqual({ updatesInFlight: n });
    } finally {
      gpu.destroy();
    }
    expect((await fitAls(train, { rank: 2, iterations: 1, backend: 'cpu' })).parallelism).toBeUndefined();
  }, 120_000);
});
