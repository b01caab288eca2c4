/**
 * Synthetic catalogues for the demo: the library's generator (src/data/synthetic.ts: planted rank-r
 * matrix + noise, power-law degrees, seeded) in the shapes of its presets plus a tiny one, with
 * readable made-up titles. Each item's "genre" is its strongest positive planted factor, so the
 * PCA map's colours and the recommendations tell a story the planted model really contains.
 */
import type { Dataset } from '../data/dataset.ts';
import { generateSynthetic, SYNTHETIC_PRESETS as LIB_PRESETS, type SyntheticOptions } from '../data/synthetic.ts';
import { Rng } from '../util/random.ts';
import { makeTitle, SYNTHETIC_GENRES } from './synthetic-titles.ts';

export interface DemoPreset {
  label: string;
  /** Planted rank = number of made-up genres (default 10). */
  genres?: number;
  options: Omit<SyntheticOptions, 'seed'>;
}

const shape = (name: keyof typeof LIB_PRESETS, label: string): DemoPreset => ({ label, options: LIB_PRESETS[name] });

export const SYNTHETIC_PRESETS: Record<string, DemoPreset> = {
  tiny: { label: 'tiny (300 users × 200 items, 12k ratings)', genres: 4, options: { nUsers: 300, nItems: 200, nRatings: 12_000, scale: [0.5, 5], step: 0.5, minUserDegree: 8 } },
  'ml-100k': shape('ml-100k', 'ML-100K shape (943 × 1,682, 100k ratings)'),
  'ml-latest-small': shape('ml-latest-small', 'ml-latest-small shape (610 × 9,724, 101k)'),
  'ml-1m': shape('ml-1m', 'ML-1M shape (6,040 × 3,706, 1M ratings)'),
  'ml-10m': shape('ml-10m', 'ML-10M shape (69,878 × 10,677, 10M ratings)'),
  'ml-25m': shape('ml-25m', 'ML-25M shape (162,541 × 59,047, 25M ratings)'),
};

export function demoSynthetic(name: string, seed: number, onProgress?: (fraction: number) => void): { dataset: Dataset; detail: string } {
  const p = SYNTHETIC_PRESETS[name];
  const rank = Math.min(p.genres ?? SYNTHETIC_GENRES.length, SYNTHETIC_GENRES.length);
  const ds = generateSynthetic({ ...p.options, rank, seed, timestamps: false, onProgress: (d, t) => onProgress?.(d / t) });
  const { itemFactors: V } = ds.planted;
  const nI = ds.ratings.nItems;
  const titles: string[] = new Array(nI);
  const genres: string[][] = new Array(nI);
  const serial = new Int32Array(rank);
  const rng = new Rng(seed ^ 0x5eed);
  for (let i = 0; i < nI; i++) {
    let g = 0;
    for (let c = 1; c < rank; c++) if (V[i * rank + c] > V[i * rank + g]) g = c;
    titles[i] = makeTitle(SYNTHETIC_GENRES[g], rng, serial[g]++);
    genres[i] = [SYNTHETIC_GENRES[g]];
  }
  const dataset: Dataset = { ...ds, name: `Synthetic · ${p.label}`, items_meta: { titles, genres } };
  const o = ds.planted;
  return { dataset, detail: `planted rank-${o.rank} matrix (mean ${o.mean.toFixed(2)}) + Gaussian noise (sd ${o.noise}), power-law degrees, seed ${seed}; a title's genre is its item's strongest planted factor` };
}
