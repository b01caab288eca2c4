/** Sparse views of a rating set built once on the host (uploaded as they are). */
import type { Ratings } from '../data/ratings.ts';

/**
 * The two sparse views full-batch GD sums over: CSR by user (rowOf/cols/vals per entry) and CSC
 * by item whose entries point back to their CSR position (`map`), in CSR order within each item.
 */
export interface GdViews {
  nUsers: number;
  nItems: number;
  userPtr: Uint32Array;
  /** Item of each CSR entry. */
  userCols: Uint32Array;
  /** User of each CSR entry. */
  rowOf: Uint32Array;
  vals: Float32Array;
  itemPtr: Uint32Array;
  /** User of each CSC entry. */
  itemCols: Uint32Array;
  /** CSR position of each CSC entry. */
  map: Uint32Array;
}

export function gdViews(r: Ratings): GdViews {
  const n = r.values.length;
  const userPtr = new Uint32Array(r.nUsers + 1);
  for (let k = 0; k < n; k++) userPtr[r.users[k] + 1]++;
  for (let u = 0; u < r.nUsers; u++) userPtr[u + 1] += userPtr[u];
  const nextU = userPtr.slice(0, r.nUsers);
  const userCols = new Uint32Array(n);
  const rowOf = new Uint32Array(n);
  const vals = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const p = nextU[r.users[k]]++;
    userCols[p] = r.items[k];
    rowOf[p] = r.users[k];
    vals[p] = r.values[k];
  }
  const itemPtr = new Uint32Array(r.nItems + 1);
  for (let p = 0; p < n; p++) itemPtr[userCols[p] + 1]++;
  for (let i = 0; i < r.nItems; i++) itemPtr[i + 1] += itemPtr[i];
  const nextI = itemPtr.slice(0, r.nItems);
  const itemCols = new Uint32Array(n);
  const map = new Uint32Array(n);
  for (let p = 0; p < n; p++) {
    const q = nextI[userCols[p]]++;
    itemCols[q] = rowOf[p];
    map[q] = p;
  }
  return { nUsers: r.nUsers, nItems: r.nItems, userPtr, userCols, rowOf, vals, itemPtr, itemCols, map };
}

