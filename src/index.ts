/** webmf: matrix factorization on the GPU through WebGPU (browser and Node), with an f64 CPU reference path. */
export { GpuContext, adapterName, type AdapterDescription, type GpuContextOptions } from './gpu/context.ts';
export * from './gpu/errors.ts';
export { IdMap, buildCsr, buildViews, validateRatings, ratingsFromTriples, globalMean, type Ratings, type Csr, type ExternalId } from './data/ratings.ts';
export type { Dataset, ItemMeta } from './data/dataset.ts';
export type { FactorModelData, FitResult, IterationReport, Algo } from './model/types.ts';
export { fitAls, type AlsOptions } from './als/index.ts';
export * as reference from './cpu/reference.ts';
export { Rng } from './util/random.ts';
export { fitSgd, SgdDivergenceError, type SgdOptions, type SgdFitResult, type SgdSchedule } from './sgd/index.ts';
