/**
 * `npm start`: the main job on the default data set, then the demo.
 * 1. Data: MovieLens latest-small (downloaded, or the offline 2016 snapshot from Debian's
 *    r-cran-dslabs package); where neither can be had, a synthetic set of the same shape.
 * 2. A seeded 90/10 split, biased ALS on the GPU (the CPU reference path when there is no WebGPU
 *    adapter, and it says so), one line per iteration. On Linux without a GPU driver and without
 *    SwiftShader, as root on Debian/Ubuntu it first installs Debian's chromium (as `npm test` does),
 *    which brings SwiftShader; otherwise it says what to install.
 * 3. Test RMSE/MAE and a user's top recommendations with titles, ranked by the ranking model fitted
 *    beside the explicit one (implicit ALS on who rated what; see src/model/ranking.ts).
 * 4. On a terminal (unless --no-serve), the demo page served on 127.0.0.1.
 */
import { dataGet } from '../data/movielens.ts';
import { readRatingsFile } from '../data/node.ts';
import { generatePreset } from '../data/synthetic.ts';
import { splitRandom } from '../data/split.ts';
import type { Dataset } from '../data/dataset.ts';
import { fitRecommender } from '../model/ranking.ts';
import { type GpuContext, adapterName } from '../gpu/context.ts';
import { acquireGpu } from '../gpu/acquire.ts';
import { Model } from '../model/model.ts';
import { planNodeGpu } from '../gpu/discover.ts';
import { INSTALL_ADVICE, aptInstallChromium, canAptInstall, softwareGpuAction } from './chromium.ts';

const say = (s: string) => console.log(s);

async function defaultData(): Promise<Dataset> {
  try {
    const got = await dataGet('movielens-small', { log: (l) => say(`  data: ${l}`) });
    return await readRatingsFile(got.path);
  } catch (e) {
    say(`  data: MovieLens is not available here (${(e as Error).message.split('\n')[0].slice(0, 200)})`);
    say('  data: using a synthetic data set of the same shape (preset ml-latest-small, seed 1)');
    return generatePreset('ml-latest-small', { seed: 1 });
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  say('webmf: matrix factorization on the GPU through WebGPU\n');
  const ds = await defaultData();
  const r = ds.ratings;
  say(`data set: ${ds.name}: ${r.nUsers} users, ${r.nItems} items, ${r.values.length} ratings (density ${((100 * r.values.length) / (r.nUsers * r.nItems)).toFixed(2)}%)`);
  const { train, test } = splitRandom(r, { testFraction: 0.1, seed: 1 });
  say(`split: ${train.values.length} train / ${test.values.length} test ratings (random, seed 1)\n`);

  const action = softwareGpuAction(planNodeGpu().kind, process.platform, canAptInstall());
  if (action === 'install') {
    say('GPU: no GPU driver and no SwiftShader (software GPU) on this machine; the GPU engine needs one of them.');
    try {
      aptInstallChromium(say, 'GPU');
    } catch (e) {
      say(`GPU: installing chromium failed (${(e as Error).message.split('\n')[0]})`);
    }
  } else if (action === 'advise') {
    say(`GPU: no GPU driver and no SwiftShader (software GPU) here. To run the GPU engine, install Chromium or Chrome (${INSTALL_ADVICE}), which ship SwiftShader, or your GPU's Vulkan driver with libvulkan1. Running on the CPU now.`);
  }
  let gpu: GpuContext | null = null;
  try {
    gpu = (await acquireGpu({ backend: 'gpu' })).gpu!;
    say(`GPU: ${adapterName(gpu.adapter)}${gpu.adapter.source ? ` via ${gpu.adapter.source}` : ''}${gpu.adapter.software ? ' (a software adapter: correct, but about as fast as one CPU core)' : ''}`);
  } catch (e) {
    say(`GPU: none (${(e as Error).message}); the fit runs on the f32 CPU engine`);
  }
  const opts = { rank: 16, lambda: 0.1, lambdaBias: 0.1, weightedLambda: true, useBias: true, iterations: 8 };
  say(`ALS: rank ${opts.rank}, lambda ${opts.lambda} x ratings per row (ALS-WR), biases, ${opts.iterations} iterations`);
  say('  iter   seconds   train RMSE   test RMSE   ||WH - W\'H\'||_F');
  const fit = await fitRecommender(
    { ...ds, ratings: train },
    {
      ...opts,
      backend: 'auto',
      validation: test,
      ranking: { backend: gpu ? 'gpu' : 'cpu', gpu: gpu ?? undefined },
      onIteration: (h) =>
        say(`  ${String(h.iteration).padStart(4)}   ${h.seconds.toFixed(2).padStart(7)}   ${h.trainRmse.toFixed(4).padStart(10)}   ${h.validationRmse!.toFixed(4).padStart(9)}   ${h.delta!.toExponential(3).padStart(12)}`),
    },
  );
  const last = fit.history[fit.history.length - 1];
  say(`engine: ${fit.backend}${fit.backendReason ? ` (${fit.backendReason})` : ''}`);
  say(`\nfinished on the ${fit.backend === 'cpu' ? 'f32 CPU engine' : fit.backend === 'reference' ? 'f64 CPU reference' : 'GPU'}${fit.adapter ? ` (${fit.adapter})` : ''}: test RMSE ${last.validationRmse!.toFixed(4)}, ${fit.history.reduce((s, h) => s + h.seconds, 0).toFixed(1)} s of training`);

  const model = new Model({ ...fit.model, ratingScale: ds.scale ?? fit.model.ratingScale }, { gpu: gpu ?? undefined, seen: train, itemTitles: ds.items_meta?.titles });
  const user = model.userId(0);
  const recs = await model.recommend(user, { k: 5 });
  say(`\ntop 5 for user ${user} (unseen items), ranked by the implicit ranking model (rank ${fit.model.ranking!.rank}; scores are preferences, not ratings):`);
  for (const s of recs) say(`  ${s.score.toFixed(2)}  predicted rating ${model.predict(user, s.id).toFixed(2)}  ${ds.items_meta?.titles[s.index] || `item ${s.id}`}`);
  model.destroy();
  gpu?.destroy();
  say(`\ndone in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function serveDemo(): Promise<void> {
  const { startDemoServer } = await import('../demo/serve.ts');
  const { url } = await startDemoServer({ port: 5173 });
  say(`\nthe demo is at ${url} (Ctrl-C to stop)`);
}

main().then(
  () => {
    if (process.stdout.isTTY && !process.argv.includes('--no-serve')) {
      serveDemo().catch((e) => {
        console.error(`webmf: the demo server did not start: ${(e as Error).message}`);
        process.exit(1);
      });
    } else process.exit(0);
  },
  (e) => {
    console.error(`webmf: ${(e as Error).message}`);
    process.exit(1);
  },
);
