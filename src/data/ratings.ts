/**
 * The data model: ratings as parallel typed arrays, external-ID maps, and the CSR (by user) /
 * CSC (by item) views every engine iterates over. Built once per data set.
 */
import { InputError } from '../core/errors.ts';

export interface Ratings {
  /** Dense user index per rating, in [0, nUsers). */
  users: Int32Array;
  /** Dense item index per rating, in [0, nItems). */
  items: Int32Array;
  /** Rating (explicit) or frequency (implicit). */
  values: Float32Array;
  /** Optional Unix time in seconds. */
  timestamps?: Float64Array;
  nUsers: number;
  nItems: number;
}

export type ExternalId = string | number;

/** Maps external IDs (strings or numbers; 7 and "7" are the same ID) to dense indices and back. */
export class IdMap {
  private readonly index = new Map<string, number>();
  readonly ids: ExternalId[] = [];

  static from(ids: Iterable<ExternalId>): IdMap {
    const m = new IdMap();
    for (const id of ids) m.add(id);
    return m;
  }

  get size(): number {
    return this.ids.length;
  }

  /** Index of `id`, adding it when new. */
  add(id: ExternalId): number {
    const key = String(id);
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.ids.length;
      this.index.set(key, i);
      this.ids.push(id);
    }
    return i;
  }

  has(id: ExternalId): boolean {
    return this.index.has(String(id));
  }

  /** Index of `id`, or -1. */
  find(id: ExternalId): number {
    return this.index.get(String(id)) ?? -1;
  }

  /** Index of `id`; a clear error when unknown. */
  get(id: ExternalId, what = 'id'): number {
    const i = this.index.get(String(id));
    if (i === undefined) throw new InputError(`unknown ${what} ${JSON.stringify(id)}`);
    return i;
  }

  external(index: number): ExternalId {
    if (!(index >= 0 && index < this.ids.length)) throw new InputError(`index ${index} out of range [0, ${this.ids.length})`);
    return this.ids[index];
  }
}

/** Compressed sparse rows: row r has entries indptr[r] .. indptr[r+1]-1. */
export interface Csr {
  nRows: number;
  nCols: number;
  indptr: Uint32Array;
  indices: Uint32Array;
  values: Float32Array;
}

/** Checks lengths, index ranges and values; throws InputError naming the first offending rating. */
/**
 * Ratings as the engine needs them: Int32Array indices and Float32Array values. Plain arrays (or other typed arrays)
 * are checked and converted here, at the API boundary, so the GPU path never meets a JS array in createBuffer; a
 * value that would not survive the f32 conversion (1e39 becomes Infinity, 1e-50 becomes 0) is an error naming it.
 * Already-typed input is returned as is.
 */
export function asRatings(r: Ratings, what = 'ratings'): Ratings {
  if (r === null || typeof r !== 'object') throw new InputError(`${what} must be an object { users, items, values, nUsers, nItems }, got ${r === null ? 'null' : typeof r}`);
  const arrayLike = (a: unknown) => a instanceof Object && typeof (a as ArrayLike<number>).length === 'number';
  for (const f of ['users', 'items', 'values'] as const) {
    if (!arrayLike(r[f])) throw new InputError(`${what}.${f} must be an array or typed array, got ${r[f] === null ? 'null' : typeof r[f]}`);
  }
  if (r.timestamps !== undefined && !arrayLike(r.timestamps)) throw new InputError(`${what}.timestamps must be an array or typed array`);
  const ok = r.users instanceof Int32Array && r.items instanceof Int32Array && r.values instanceof Float32Array && (r.timestamps === undefined || r.timestamps instanceof Float64Array);
  if (ok) return r;
  const ints = (a: ArrayLike<number>, name: string): Int32Array => {
    if (a instanceof Int32Array) return a;
    const out = new Int32Array(a.length);
    for (let k = 0; k < a.length; k++) {
      const v = a[k];
      if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff)) throw new InputError(`${what}.${name}[${k}] = ${String(v)} is not an index (an integer >= 0)`);
      out[k] = v;
    }
    return out;
  };
  let values: Float32Array;
  if (r.values instanceof Float32Array) values = r.values;
  else {
    const a = r.values as ArrayLike<number>;
    values = new Float32Array(a.length);
    for (let k = 0; k < a.length; k++) {
      const v = a[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${what}.values[${k}] = ${String(v)} is not a finite number`);
      const a32 = Math.abs(v);
      if (a32 > 3.4028234663852886e38 || (a32 !== 0 && Math.fround(a32) === 0)) throw new InputError(`${what}.values[${k}] = ${v} is outside the 32-bit float range`);
      values[k] = v;
    }
  }
  const out: Ratings = { users: ints(r.users, 'users'), items: ints(r.items, 'items'), values, nUsers: r.nUsers, nItems: r.nItems };
  if (r.timestamps !== undefined) out.timestamps = r.timestamps instanceof Float64Array ? r.timestamps : Float64Array.from(r.timestamps as ArrayLike<number>);
  return out;
}

export function validateRatings(r: Ratings, opts: { allowEmpty?: boolean } = {}): void {
  const n = r.users.length;
  if (r.items.length !== n || r.values.length !== n || (r.timestamps && r.timestamps.length !== n)) {
    throw new InputError(
      `mismatched rating array lengths: users ${n}, items ${r.items.length}, values ${r.values.length}` +
        (r.timestamps ? `, timestamps ${r.timestamps.length}` : ''),
    );
  }
  if (n === 0 && !opts.allowEmpty) throw new InputError('empty rating set: at least one rating is needed');
  if (!(Number.isInteger(r.nUsers) && r.nUsers >= 0 && Number.isInteger(r.nItems) && r.nItems >= 0)) {
    throw new InputError(`bad dimensions nUsers=${r.nUsers} nItems=${r.nItems}`);
  }
  if (r.nUsers > 0x7fffffff || r.nItems > 0x7fffffff || n > 0xffffffff) {
    throw new InputError(`too many users, items or ratings for 32-bit indices`);
  }
  const { users, items, values } = r;
  for (let k = 0; k < n; k++) {
    const u = users[k];
    const i = items[k];
    if (!(u >= 0 && u < r.nUsers)) throw new InputError(`rating ${k}: user index ${u} out of range [0, ${r.nUsers})`);
    if (!(i >= 0 && i < r.nItems)) throw new InputError(`rating ${k}: item index ${i} out of range [0, ${r.nItems})`);
    if (!Number.isFinite(values[k])) throw new InputError(`rating ${k}: value ${values[k]} is not finite`);
  }
}

/** Builds CSR by rows[] (counting sort; stable, so entries keep their input order within a row). */
export function buildCsr(rows: Int32Array, cols: Int32Array, values: Float32Array, nRows: number, nCols: number): Csr {
  const nnz = rows.length;
  const indptr = new Uint32Array(nRows + 1);
  for (let k = 0; k < nnz; k++) indptr[rows[k] + 1]++;
  for (let r = 0; r < nRows; r++) indptr[r + 1] += indptr[r];
  const next = indptr.slice(0, nRows);
  const indices = new Uint32Array(nnz);
  const vals = new Float32Array(nnz);
  for (let k = 0; k < nnz; k++) {
    const p = next[rows[k]]++;
    indices[p] = cols[k];
    vals[p] = values[k];
  }
  return { nRows, nCols, indptr, indices, values: vals };
}

/** CSR by user and CSC (stored as CSR of the transpose) by item. */
export function buildViews(r: Ratings): { byUser: Csr; byItem: Csr } {
  return {
    byUser: buildCsr(r.users, r.items, r.values, r.nUsers, r.nItems),
    byItem: buildCsr(r.items, r.users, r.values, r.nItems, r.nUsers),
  };
}

export function rowCounts(csr: Csr): Uint32Array {
  const c = new Uint32Array(csr.nRows);
  for (let r = 0; r < csr.nRows; r++) c[r] = csr.indptr[r + 1] - csr.indptr[r];
  return c;
}

/** Ratings from external IDs (e.g. parsed records); builds the ID maps. */
export function ratingsFromTriples(
  triples: ArrayLike<readonly [ExternalId, ExternalId, number]>,
  maps: { users?: IdMap; items?: IdMap } = {},
): { ratings: Ratings; users: IdMap; items: IdMap } {
  const users = maps.users ?? new IdMap();
  const items = maps.items ?? new IdMap();
  const n = triples.length;
  const u = new Int32Array(n);
  const it = new Int32Array(n);
  const v = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const [a, b, x] = triples[k];
    u[k] = users.add(a);
    it[k] = items.add(b);
    v[k] = x;
  }
  return { ratings: { users: u, items: it, values: v, nUsers: users.size, nItems: items.size }, users, items };
}

export function globalMean(values: Float32Array): number {
  let s = 0;
  for (let k = 0; k < values.length; k++) s += values[k];
  return values.length ? s / values.length : 0;
}
