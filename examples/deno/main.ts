// webmf under Deno, which has WebGPU built in (navigator.gpu): fit, recommend, save, load.
// Run: deno run --allow-read --allow-write --allow-env main.ts [model-file]   (deno.json: node_modules from npm install)
import { GpuContext, Model, fitAls, ratingsFromTriples } from 'webmf';
import { loadModelFile, saveModelFile } from 'webmf/node';

const triples: [string, string, number][] = [];
for (let u = 0; u < 40; u++) for (let i = 0; i < 30; i++) if ((u * 7 + i * 3) % 5) triples.push([`u${u}`, `i${i}`, i % 2 === u % 2 ? 5 : 1]);
const { ratings, users, items } = ratingsFromTriples(triples);

const gpu = await GpuContext.create();
const fit = await fitAls({ name: 'deno', ratings, users, items }, { rank: 4, iterations: 8, lambda: 0.05, backend: 'gpu', gpu });
const model = new Model(fit.model, { gpu, seen: ratings });
const top = await model.recommend('u1', { k: 3 });
const file = Deno.args[0] ?? 'model.webmf';
saveModelFile(model, file);
const top2 = await loadModelFile(file, { gpu }).recommend('u1', { k: 3 });
console.log(JSON.stringify({ runtime: `deno ${Deno.version.deno}`, adapter: fit.adapter, backend: fit.backend, rmse: fit.history.at(-1)!.trainRmse, top: top.map((s) => s.id), topLoaded: top2.map((s) => s.id) }));
gpu.destroy();
