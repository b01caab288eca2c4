// The worker: WebGPU is available in workers too; the page stays responsive while this trains.
import { GpuContext, Model, fitAls, generateSynthetic } from 'webmf';

try {
  const data = generateSynthetic({ nUsers: 200, nItems: 100, nRatings: 4000, rank: 4, seed: 1 });
  const gpu = await GpuContext.create();
  const fit = await fitAls(data, { rank: 8, iterations: 6, lambda: 0.05, backend: 'gpu', gpu });
  const model = new Model(fit.model, { gpu, seen: data.ratings });
  const top = await model.recommend(data.users.ids[0], { k: 10 });
  postMessage({ adapter: fit.adapter, rmse: fit.history.at(-1).trainRmse, top: top.map(({ id, score }) => ({ id, score })) });
  model.destroy();
  gpu.destroy();
} catch (e) {
  postMessage({ error: String(e?.message ?? e) });
}
