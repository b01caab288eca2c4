/** Seeded test data the tests make themselves. */
import { Rng } from '../../src/util/random.ts';
import type { FitResult } from '../../src/model/types.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { expect } from './check.ts';
import { buildCsr, type Csr, type Ratings } from '../../src/data/ratings.ts';
import { residuals } from '../../src/reference/reference.ts';

/** The factors a held-out RMSE reads (a fit's model). */
export type HeldOutFactors = { userFactors: Float32Array; itemFactors: Float32Array; stride: number; mu: number };

/** The f64 RMSE of a model's factors on held-out ratings. */
export function heldOutRmse(test: Ratings, m: HeldOutFactors): number {
  return residuals(test.users, test.items, test.values, m.userFactors, m.itemFactors, m.stride, m.mu).rmse;
}

/**
 * Random sparse ratings with chosen row lengths: row r gets lengths[r % lengths.length] distinct
 * columns (capped at nCols). Values uniform in [1, 5].
 */
export function sparseRatings(seed: number, nRows: number, nCols: number, lengths: number[]): Ratings {
  const rng = new Rng(seed);
  const u: number[] = [];
  const it: number[] = [];
  const v: number[] = [];
  const cols = Int32Array.from({ length: nCols }, (_, i) => i);
  for (let r = 0; r < nRows; r++) {
    const n = Math.min(nCols, lengths[r % lengths.length]);
    rng.shuffle(cols);
    for (let k = 0; k < n; k++) {
      u.push(r);
      it.push(cols[k]);
      v.push(1 + Math.round(rng.next() * 8) / 2);
    }
  }
  return { users: Int32Array.from(u), items: Int32Array.from(it), values: Float32Array.from(v), nUsers: nRows, nItems: nCols };
}

export function csrOf(r: Ratings): Csr {
  return buildCsr(r.users, r.items, r.values, r.nUsers, r.nItems);
}

/** Random factor matrix, nRows x stride, N(0, scale^2); bias layout columns set per side. */
export function randomFactors(seed: number, nRows: number, stride: number, scale = 0.5): Float32Array {
  const rng = new Rng(seed);
  const X = new Float32Array(nRows * stride);
  for (let i = 0; i < X.length; i++) X[i] = rng.normal() * scale;
  return X;
}

/** Sets the constant-1 column of a bias layout (users: rank+1, items: rank). */
export function setConstColumn(X: Float32Array, nRows: number, rank: number, side: 'user' | 'item'): Float32Array {
  const stride = rank + 2;
  const c = side === 'user' ? rank + 1 : rank;
  for (let r = 0; r < nRows; r++) X[r * stride + c] = 1;
  return X;
}

/** Planted low-rank ratings a = w*.h* + N(0, noise^2) on a random density-p mask; returns train and test. */
export function plantedRatings(seed: number, nUsers: number, nItems: number, rank: number, density: number, noise: number, testFraction = 0.2) {
  const rng = new Rng(seed);
  const W = Float64Array.from({ length: nUsers * rank }, () => rng.normal());
  const H = Float64Array.from({ length: nItems * rank }, () => rng.normal());
  const tr: [number[], number[], number[]] = [[], [], []];
  const te: [number[], number[], number[]] = [[], [], []];
  for (let u = 0; u < nUsers; u++) {
    for (let i = 0; i < nItems; i++) {
      if (rng.next() >= density) continue;
      let s = 0;
      for (let c = 0; c < rank; c++) s += W[u * rank + c] * H[i * rank + c];
      const dst = rng.next() < testFraction ? te : tr;
      dst[0].push(u);
      dst[1].push(i);
      dst[2].push(3 + s / Math.sqrt(rank) + noise * rng.normal());
    }
  }
  const pack = (d: typeof tr): Ratings => ({
    users: Int32Array.from(d[0]),
    items: Int32Array.from(d[1]),
    values: Float32Array.from(d[2]),
    nUsers,
    nItems,
  });
  return { train: pack(tr), test: pack(te) };
}

/** mu + user . item for every rating of `r` (the unclipped predictions of a fit), in f64. */
export function predictions(f: FitResult, r: Ratings): Float64Array {
  const m = f.model;
  const out = new Float64Array(r.values.length);
  for (let k = 0; k < out.length; k++) {
    let s = m.mu;
    for (let c = 0; c < m.stride; c++) s += m.userFactors[r.users[k] * m.stride + c] * m.itemFactors[r.items[k] * m.stride + c];
    out[k] = s;
  }
  return out;
}

/**
 * For a fit made with keepOnDevice: checks that the handed-over device buffers hold exactly the
 * host factors the fit returned, and gives `uploads(run)`, which counts the factor uploads made
 * while `run` runs (a model buffer for factors, or a queue write the size of a factor matrix).
 */
export async function deviceFactorChecks(gpu: GpuContext, fit: FitResult): Promise<{ uploads<T>(run: () => Promise<T>): Promise<{ count: number; value: T }> }> {
  const dev = fit.device!;
  const wDev = await gpu.readF32(dev.users, 0, fit.model.userFactors.length);
  const hDev = await gpu.readF32(dev.items, 0, fit.model.itemFactors.length);
  expect(wDev.every((v, e) => Object.is(v, fit.model.userFactors[e])), 'device user factors equal the returned host copy');
  expect(hDev.every((v, e) => Object.is(v, fit.model.itemFactors[e])), 'device item factors equal the returned host copy');
  const factorBytes = new Set([fit.model.userFactors.byteLength, fit.model.itemFactors.byteLength]);
  return {
    async uploads<T>(run: () => Promise<T>) {
      let count = 0;
      const origStorage = gpu.storage.bind(gpu);
      const origFactors = gpu.factorStorage.bind(gpu);
      const origWrite = gpu.write.bind(gpu);
      gpu.storage = (label, sizeOrData) => {
        if (/^model\.(user|item)Factors$/.test(label)) count++;
        return origStorage(label, sizeOrData);
      };
      gpu.factorStorage = (label, sizeOrData) => {
        if (/^model\.(user|item)Factors$/.test(label)) count++;
        return origFactors(label, sizeOrData);
      };
      gpu.write = (buffer, data, offset) => {
        if (factorBytes.has(data.byteLength)) count++;
        origWrite(buffer, data, offset);
      };
      try {
        const value = await run();
        return { count, value };
      } finally {
        gpu.storage = origStorage;
        gpu.factorStorage = origFactors;
        gpu.write = origWrite;
      }
    },
  };
}
