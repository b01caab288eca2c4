/** webmf for Node: everything in the main entry, plus the parts that read and write files. */
export * from './index.ts';
export { readRatingsFile, findRatingFiles, type FileReadOptions } from './data/node.ts';
export { dataGet, defaultCacheDir, DATA_NAMES, NetworkError, type DataGetOptions, type DataGetResult } from './data/movielens.ts';
export { loadModelFile, saveModelFile } from './model/node-io.ts';
