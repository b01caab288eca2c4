/** Seeded test data the tests make themselves. */
import { Rng } from '../../src/util/random.ts';
import { buildCsr, type Csr, type Ratings } from '../../src/data/ratings.ts';

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
