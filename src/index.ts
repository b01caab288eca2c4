/** webmf: matrix factorization on the GPU through WebGPU (browser and Node), with an f64 CPU reference path. */
export { GpuContext, adapterName, MIN_SIZE_LIMIT, type AdapterDescription, type GpuContextOptions, type GpuLimitsRequest } from './gpu/context.ts';
export { DeviceMemoryError, alsDevicePlan, sgdDevicePlan, type DevicePlan, type DevicePart } from './gpu/budget.ts';
export * from './core/errors.ts';
export { IdMap, buildCsr, buildViews, validateRatings, ratingsFromTriples, globalMean, type Ratings, type Csr, type ExternalId } from './data/ratings.ts';
export type { Dataset, ItemMeta } from './data/dataset.ts';
export type { FactorModelData, FitResult, IterationReport, Algo } from './model/types.ts';
export { fitAls, type AlsOptions } from './train/als/index.ts';
export * as reference from './reference/reference.ts';
export { Rng } from './util/random.ts';
export { fitSgd, SgdDivergenceError, type SgdOptions, type SgdFitResult, type SgdSchedule } from './train/sgd/index.ts';
// Data in: readers (streaming, any byte source, zip), splits, synthetic data, R lazy-load reader, worker reading.
// Node-only (not exported here, they import node:fs): src/data/node.ts (readRatingsFile), src/data/movielens.ts (dataGet).
export { readRatings, describeRead, chunksOf, type ByteSource, type ReadOptions, type ReadReport, type LoadedDataset } from './data/read.ts';
export { RatingsParser, ParseError, resolveDuplicates, type ParseOptions, type ParseReport, type ReadProgress, type DuplicatePolicy } from './data/parse.ts';
export { detectLayout, type RatingFormat, type ColumnSpec, type FormatOptions } from './data/formats.ts';
export { parseItemMeta, alignItemMeta, type ItemRecord } from './data/meta.ts';
export { splitRandom, splitLeaveKOut, splitTemporal, splitLastK, kFold, type Split, type SplitOptions, type SplitReport, type ColdPolicy } from './data/split.ts';
export { generateSynthetic, generatePreset, presetOptions, SYNTHETIC_PRESETS, type SyntheticOptions, type SyntheticDataset, type SyntheticPreset } from './data/synthetic.ts';
export { unserializeR, readRds, readLazyLoadIndex, readLazyLoadObject, toDataFrame, type RValue, type RDataFrame } from './data/rdata.ts';
export { readRatingsInWorker, type WorkerReadCall } from './data/worker-client.ts';
export { verifyZip, crc32 } from './data/zipcheck.ts';
// Model out: predict, recommend, similar, fold-in, metrics, model files, LIBMF text.
// Node-only (not exported here, it imports node:fs): src/model/node-io.ts (loadModelFile, saveModelFile).
export { Model, selectTopK, type ModelOptions, type RecommendOptions, type Scored, type SimilarOptions, type FoldInRatings, type FoldInOptions, type RankBy } from './model/model.ts';
export { evaluate, parseMetrics, precisionAtK, recallAtK, ndcgAtK, apAtK, aucFromCounts, DEFAULT_METRICS, type EvaluateOptions, type EvaluateResult } from './model/metrics.ts';
export { encodeModel, decodeModel, loadModel, saveModel, MAGIC as MODEL_MAGIC, FORMAT_VERSION as MODEL_FORMAT_VERSION, type DecodedModel } from './model/io.ts';
export { toLibmf, fromLibmf } from './model/libmf.ts';
// Baselines and the ranking model recommend uses (implicit ALS on rated events, beside the explicit one).
export { fitBaseline, fitPopularity, itemCounts, type BaselineOptions } from './model/baseline.ts';
export { fitRecommender, fitRankingModel, withRanking, ratedEvents, RANKING_DEFAULTS, type RankingOptions, type RecommenderOptions } from './model/ranking.ts';
export { compareWithBaselines } from './model/compare.ts';
export { tune, parseValues, type TuneOptions, type TuneResult, type Trial, type TuneAlgo, type TuneMetric } from './tune/tune.ts';
export { AlsUploads } from './train/als/uploads.ts';
export { tunePlotSvg } from './tune/plot.ts';
export { foldInItems, addItemsFromContent, type NewItem, type ContentItem } from './model/coldstart.ts';
export { itemFeatures, fitContentMap, rowsFromContent, type FeatureMatrix, type ContentMap } from './model/content.ts';
export { fitContentMapGpu } from './model/content-gpu.ts';
export type { KernelVariant } from './kernels/variant.ts';
