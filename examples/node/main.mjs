// webmf in a plain Node project: fit ALS on the GPU, recommend, save the model, load it back.
// Run: npm install webmf && node main.mjs [model-file]
import { GpuContext, Model, fitAls, ratingsFromTriples } from 'webmf';
import { loadModelFile, saveModelFile } from 'webmf/node';

// Ratings as (user, item, rating) triples: two taste groups, who like items a* or b* respectively.
const triples = [];
for (let u = 0; u < 40; u++) {
  for (let i = 0; i < 30; i++) {
    if ((u * 7 + i * 3) % 5 === 0) continue; // a fifth of the pairs unrated
    triples.push([`u${u}`, `${i % 2 ? 'a' : 'b'}${i}`, i % 2 === u % 2 ? 5 : 1]);
  }
}
const { ratings, users, items } = ratingsFromTriples(triples);

const gpu = await GpuContext.create(); // Node: Dawn, on a hardware GPU or SwiftShader
console.log(`adapter: ${gpu.adapter.description || gpu.adapter.vendor} (${gpu.adapter.source})`);
const fit = await fitAls({ name: 'example', ratings, users, items, scale: [1, 5] }, { rank: 4, iterations: 8, lambda: 0.05, backend: 'gpu', gpu });
console.log(`fit on the ${fit.backend}: train RMSE ${fit.history.at(-1).trainRmse.toFixed(4)}`);

const model = new Model(fit.model, { gpu, seen: ratings });
const top = await model.recommend('u1', { k: 3 });
console.log(`top 3 for u1: ${top.map((s) => `${s.id} ${s.score.toFixed(2)}`).join(', ')}`);

const file = process.argv[2] ?? 'model.webmf';
saveModelFile(model, file);
const again = loadModelFile(file, { gpu });
const top2 = await again.recommend('u1', { k: 3 });
console.log(`loaded ${file}: top 3 again ${top2.map((s) => s.id).join(', ')}`);
console.log(JSON.stringify({ backend: fit.backend, rmse: fit.history.at(-1).trainRmse, top: top.map((s) => s.id), topLoaded: top2.map((s) => s.id) }));
model.destroy();
again.destroy();
gpu.destroy();
