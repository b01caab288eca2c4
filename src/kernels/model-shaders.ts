// WGSL sources of the model-out kernels (recommend, similar, predict, ranking metrics), imported as
// text like src/kernels/shaders.ts (kept in their own module so the two lists grow independently).
export { default as scoreWgsl } from '../../shaders/score.wgsl?raw';
export { default as scorePairsWgsl } from '../../shaders/score_pairs.wgsl?raw';
export { default as topkWgsl } from '../../shaders/topk.wgsl?raw';
export { default as similarNormsWgsl } from '../../shaders/similar_norms.wgsl?raw';
export { default as metricsRankWgsl } from '../../shaders/metrics_rank.wgsl?raw';
export { default as metricsHitsWgsl } from '../../shaders/metrics_hits.wgsl?raw';
