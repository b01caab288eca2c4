/**
 * Fold-in: a new (or replaced) user's factor row from their ratings with the item factors fixed,
 * by one regularized solve in f64 on the host. The Model facade owns the IDs and stores the row.
 */
import { InputError } from '../core/errors.ts';
import { buildCsr, type ExternalId } from '../data/ratings.ts';
import { cholesky, choleskySolve, gramOfColumns, normalEquations } from '../reference/reference.ts';
import { layoutOf, singularError, type SolveSpec } from '../core/layout.ts';

export type FoldInRatings = Iterable<readonly [ExternalId, number]> | { items: ArrayLike<ExternalId>; values: ArrayLike<number> };

/** The regularization and mode fold-in solves with (from the training hyperparameters). */
export function foldInSpecOf(m: { rank: number; bias: boolean; mu: number; implicit: boolean; hyperparams: Record<string, number | string | boolean> }): SolveSpec {
  const h = m.hyperparams;
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  const lambda = num(h.lambda ?? h.regParam, 0.1);
  return {
    rank: m.rank,
    bias: m.bias,
    side: 'user',
    mu: m.mu,
    lambda,
    lambdaBias: num(h.lambdaBias, lambda),
    weighted: h.weightedLambda === true,
    implicit: m.implicit ? { alpha: num(h.alpha, 1) } : undefined,
  };
}

/** The ratings as dense item indices and values; finite values, at least one, no item twice. */
export function foldInItems(ratings: FoldInRatings, itemIndex: (id: ExternalId) => number, itemId: (i: number) => ExternalId): { items: number[]; values: number[] } {
  const items: number[] = [];
  const values: number[] = [];
  const push = (id: ExternalId, v: number) => {
    if (!Number.isFinite(v)) throw new InputError(`fold-in: rating of item ${JSON.stringify(id)} is ${v}`);
    items.push(itemIndex(id));
    values.push(v);
  };
  if (Symbol.iterator in Object(ratings) && !('items' in (ratings as object))) {
    for (const [id, v] of ratings as Iterable<readonly [ExternalId, number]>) push(id, v);
  } else {
    const r = ratings as { items: ArrayLike<ExternalId>; values: ArrayLike<number> };
    if (r.items.length !== r.values.length) throw new InputError(`fold-in: ${r.items.length} items but ${r.values.length} values`);
    for (let k = 0; k < r.items.length; k++) push(r.items[k], r.values[k]);
  }
  if (items.length === 0) throw new InputError('fold-in needs at least one rating');
  const dup = new Set<number>();
  for (const i of items) {
    if (dup.has(i)) throw new InputError(`fold-in: item ${JSON.stringify(itemId(i))} is rated twice`);
    dup.add(i);
  }
  return { items, values };
}

/**
 * The user row (stride wide) solving (Hᵀ H_obs + λI) w = Hᵀ(a − μ − b_i) for explicit models (the
 * user bias solved with w), and (YᵀY + Yᵀ(C − I)Y + λI) w = YᵀC p with c = 1 + αf for implicit
 * ones. `gram` gives YᵀY (implicit models only; the caller caches it).
 */
export function solveFoldIn(spec: SolveSpec, items: number[], values: number[], itemFactors: Float32Array, nItems: number, stride: number, gram: () => Float64Array): Float32Array {
  const L = layoutOf(spec);
  const csr = buildCsr(new Int32Array(items.length), Int32Array.from(items), Float32Array.from(values), 1, nItems);
  const base = spec.implicit ? gram() : undefined;
  const { A, b, n } = normalEquations(csr, 0, itemFactors, spec, base);
  const Lm = cholesky(A, L.K);
  if (!Lm) throw singularError(spec, 0, n);
  const x = choleskySolve(Lm, b, L.K);
  const row = new Float32Array(stride);
  for (let t = 0; t < L.K; t++) row[t < spec.rank ? t : L.xBias] = x[t];
  if (spec.bias) row[spec.rank + 1] = 1;
  for (const v of row) if (!Number.isFinite(v)) throw new InputError('fold-in produced a non-finite factor');
  return row;
}

/** YᵀY of the item factors, as fold-in of an implicit model needs it. */
export function itemGram(itemFactors: Float32Array, nItems: number, spec: SolveSpec): Float64Array {
  return gramOfColumns(itemFactors, nItems, spec);
}
