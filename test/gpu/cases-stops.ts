/**
 * Stops keep finished work, on the GPU: an abort after N iterations and a device destroyed after
 * N iterations both hand back the model of iteration N (error.result), for ALS and SGD; with
 * backend 'auto', a lost device hands the fit to the CPU, which finishes it.
 */
import { GpuContext } from '../../src/gpu/context.ts';
import { fitAls, type AlsOptions } from '../../src/train/als/index.ts';
import { fitSgd, type SgdOptions } from '../../src/train/sgd/index.ts';
import type { Ratings } from '../../src/data/ratings.ts';
import type { FitResult, IterationReport } from '../../src/model/types.ts';
import { expect, expectClose, expectThrows } from './check.ts';
import { plantedRatings } from './fixtures.ts';
import type { GpuCase } from './types.ts';

type Fit = (r: Ratings, o: { gpu: GpuContext; backend: 'gpu' | 'auto'; iterations: number; onIteration?: (r: IterationReport) => void; signal?: AbortSignal; onWarning?: (m: string) => void }) => Promise<FitResult>;

const als: Fit = (r, o) => fitAls(r, { rank: 4, lambda: 0.1, useBias: true, seed: 3, ...o } satisfies AlsOptions);
// stratified SGD is deterministic on the GPU (no races), so two runs agree bit for bit
const sgd: Fit = (r, { iterations, ...o }) => fitSgd(r, { rank: 4, mode: 'stratified', blocks: 4, learningRate: 0.02, seed: 3, epochs: iterations, ...o } satisfies SgdOptions);

const N = 3;
const TOTAL = 6;

/**
 * The result an error carries is the N-iteration fit: same history length, same factors. The GPU
 * runs are deterministic (same device, same kernels, same order), so the factors agree to f32
 * rounding; 1e-6 relative leaves room for nothing else.
 */
function sameAsN(label: string, got: FitResult | undefined, ref: FitResult): void {
  expect(got !== undefined, `${label}: the error carries a result`);
  expect(got!.history.length === N, `${label}: ${got!.history.length} iterations in the result, expected ${N}`);
  expectClose(`${label}: user factors of iteration ${N}`, got!.model.userFactors, ref.model.userFactors, { rtol: 1e-6, atol: 1e-7 });
  expectClose(`${label}: item factors of iteration ${N}`, got!.model.itemFactors, ref.model.itemFactors, { rtol: 1e-6, atol: 1e-7 });
}

function stopCase(name: string, fit: Fit): GpuCase[] {
  const { train } = plantedRatings(41, 40, 30, 3, 0.4, 0.1);
  return [
    {
      name: `${name}: an abort after ${N} iterations throws AbortError carrying the model of iteration ${N}`,
      async run(gpu) {
        const ref = await fit(train, { gpu, backend: 'gpu', iterations: N });
        const ac = new AbortController();
        const err = (await expectThrows('abort', () => fit(train, { gpu, backend: 'gpu', iterations: TOTAL, signal: ac.signal, onIteration: (r) => r.iteration === N && ac.abort() }), {
          name: 'AbortError',
        })) as Error & { result?: FitResult };
        sameAsN('abort', err.result, ref);
      },
    },
    {
      name: `${name}: a device destroyed after ${N} iterations: backend 'gpu' throws DeviceLostError with iteration ${N}; 'auto' finishes on the CPU`,
      async run() {
        const own = await GpuContext.create();
        let ref: FitResult;
        try {
          ref = await fit(train, { gpu: own, backend: 'gpu', iterations: N });
          const err = (await expectThrows('device lost', () => fit(train, { gpu: own, backend: 'gpu', iterations: TOTAL, onIteration: (r) => r.iteration === N && own.device.destroy() }), {
            name: 'DeviceLostError',
          })) as Error & { result?: FitResult };
          sameAsN('device lost', err.result, ref);
        } finally {
          own.destroy();
        }
        const own2 = await GpuContext.create();
        try {
          const warnings: string[] = [];
          const f = await fit(train, { gpu: own2, backend: 'auto', iterations: TOTAL, onWarning: (m) => warnings.push(m), onIteration: (r) => r.iteration === N && own2.device.destroy() });
          expect(warnings.length === 1 && /device lost.*continuing on the CPU from (iteration|epoch) 3/i.test(warnings[0]), `warning: ${warnings.join(' | ')}`);
          expect(f.backend === 'cpu', `finished on ${f.backend}`);
          expect(f.history.length === TOTAL, `${f.history.length} iterations, expected ${TOTAL}`);
          expect(f.history[TOTAL - 1].trainRmse <= f.history[N - 1].trainRmse * 1.001, `the CPU iterations go on from iteration ${N}: RMSE ${f.history[N - 1].trainRmse} -> ${f.history[TOTAL - 1].trainRmse}`);
          for (const a of [f.model.userFactors, f.model.itemFactors]) for (let k = 0; k < a.length; k++) expect(Number.isFinite(a[k]), `factor ${k} finite`);
        } finally {
          own2.destroy();
        }
      },
    },
  ];
}

export const stopCases: GpuCase[] = [...stopCase('als', als), ...stopCase('sgd', sgd)];
