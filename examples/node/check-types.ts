// Type-checked (tsc -p tsconfig.json, strict, skipLibCheck false) against webmf's declarations.
import { GpuContext, Model, fitAls, fitSgd, ratingsFromTriples, type AlsOptions, type FitResult, type Scored } from 'webmf';
import { loadModelFile, readRatingsFile, saveModelFile } from 'webmf/node';

export async function demo(path: string): Promise<Scored[]> {
  const ds = await readRatingsFile(path);
  const opts: AlsOptions = { rank: 8, iterations: 5, tolerance: 1e-4 };
  const gpu: GpuContext = await GpuContext.create();
  const fit: FitResult = await fitAls(ds, { ...opts, gpu });
  await fitSgd(ds.ratings, { rank: 4, epochs: 2 });
  const model = new Model(fit.model, { gpu, seen: ds.ratings });
  saveModelFile(model, 'm.webmf');
  const { ratings } = ratingsFromTriples([['a', 'b', 1]]);
  void ratings;
  const src: string | undefined = gpu.adapter.source;
  void src;
  return loadModelFile('m.webmf').recommend(ds.users.ids[0], { k: 10 });
}
