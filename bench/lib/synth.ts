/**
 * Benchmark data: MovieLens shapes (scaled where this machine cannot run the full shape), seeded
 * synthetic sets from the data layer's generator (src/data/synthetic.ts), and the source's 3 x 5
 * toy table. Browser-safe (no node: imports).
 */
import type { Ratings } from '../../src/data/ratings.ts';
import { generateSynthetic, presetOptions } from '../../src/data/synthetic.ts';
import { splitRandom, type Split } from '../../src/data/split.ts';
import { toyRatings } from '../../src/demo/toy.ts';

export interface Shape {
  name: string;
  nUsers: number;
  nItems: number;
  nnz: number;
}

/** Shapes of the public sets (ml-latest-small as the 2016 snapshot the offline source ships). */
export const SHAPES: Record<string, Shape> = {
  'ml-1m': { name: 'ml-1m', nUsers: 6040, nItems: 3706, nnz: 1_000_209 },
  'ml-25m': { name: 'ml-25m', nUsers: 162_541, nItems: 59_047, nnz: 25_000_095 },
};

/**
 * A shape scaled by `s`: users and ratings times s (the ratings per user keep their distribution),
 * items times √s (so a user's ratings still fit among the items; each item gets √s times its
 * ratings). s = 1 is the full shape.
 */
export function scaleShape(sh: Shape, s: number): Shape {
  if (s >= 1) return sh;
  return {
    name: `${sh.name}×${fmtScale(s)}`,
    nUsers: Math.max(8, Math.round(sh.nUsers * s)),
    nItems: Math.max(8, Math.round(sh.nItems * Math.sqrt(s))),
    nnz: Math.max(64, Math.round(sh.nnz * s)),
  };
}

export function fmtScale(s: number): string {
  return s >= 0.01 ? String(+s.toPrecision(2)) : s.toExponential(0);
}

/**
 * The source's toy table: Alice, Bob and Carol rating five movies (Sholay, Swades, Batman,
 * Interstellar, Shawshank); Alice rates all five, Bob and Carol three each (the ? cells are absent).
 * The one copy of it lives in src/demo/toy.ts.
 */
export function toyTable(): Ratings {
  return toyRatings();
}

/** Seeded planted-model ratings of a (possibly scaled) preset shape. */
export function synthOf(preset: 'ml-1m' | 'ml-25m', shape: Shape, seed = 2024): Ratings {
  const o = presetOptions(preset, { nUsers: shape.nUsers, nItems: shape.nItems, nRatings: shape.nnz, seed, timestamps: false, shuffle: true });
  // a scaled shape keeps ratings per user; the minimum degree must stay feasible
  o.minUserDegree = Math.min(o.minUserDegree ?? 1, Math.floor(shape.nnz / shape.nUsers));
  o.maxUserFraction = 0.9;
  return generateSynthetic(o).ratings;
}

/** A plain shape of n ratings with ml-1m's ratios (about 165 ratings per user and 270 per item; at least 400 items). */
export function shapeForRatings(n: number): Shape {
  return { name: `${n.toExponential(0)} ratings`, nUsers: Math.max(8, Math.round(n / 165)), nItems: Math.max(400, Math.round(n / 270)), nnz: n };
}

/** The benchmark's split: seeded 10% random holdout, test users and items kept in train. */
export function benchSplit(r: Ratings, seed = 7): Split {
  return splitRandom(r, { testFraction: 0.1, seed });
}
