/**
 * Cold start for items: fold-in of new items from a few ratings, the mirror of Model.foldIn for
 * users. With the user factors fixed, one regularized solve per item,
 *   explicit: (Wᵀ W_obs + λI) [h; b_i] = Wᵀ(a − μ − b_u)       (the item bias solved with h)
 *   implicit: (WᵀW + Wᵀ(C − I)W + λI) h = WᵀC p, c = 1 + αf
 * with the regularization the model was trained with (λ per rating for ALS-WR). A model carrying a
 * ranking model folds the same item into it from the same events (f = 1). The result is a new Model
 * (the old one is untouched) whose new items appear in recommend and similarItems, and whose raters
 * have the new item among their seen items.
 */
import { InputError } from '../gpu/errors.ts';
import { buildCsr, IdMap, type Csr, type ExternalId } from '../data/ratings.ts';
import { cholesky, choleskySolve, gramOfColumns, layoutOf, normalEquations, singularError, type SolveSpec } from '../reference/reference.ts';
import type { FactorModelData } from './types.ts';
import { Model } from './model.ts';

export interface NewItem {
  /** External ID of the new item (required when the model has an item ID map). */
  id?: ExternalId;
  /** (user, rating) pairs; users by external ID. */
  ratings: Iterable<readonly [ExternalId, number]>;
  title?: string;
}

function itemRows(m: Model, spec: SolveSpec, userFactors: Float32Array, users: number[], values: number[], base?: Float64Array): Float32Array {
  const L = layoutOf(spec);
  const csr = buildCsr(new Int32Array(users.length), Int32Array.from(users), Float32Array.from(values), 1, m.nUsers);
  const { A, b, n } = normalEquations(csr, 0, userFactors, spec, base);
  const Lm = cholesky(A, L.K);
  if (!Lm) throw singularError(spec, 0, n);
  const x = choleskySolve(Lm, b, L.K);
  const row = new Float32Array(m.stride);
  for (let t = 0; t < L.K; t++) row[t < m.rank ? t : L.xBias] = x[t];
  if (m.bias) row[m.rank] = 1; // item row [h, 1, b_i]
  for (const v of row) if (!Number.isFinite(v)) throw new InputError('item fold-in produced a non-finite factor');
  return row;
}

/** A new Model with `items` appended (factors from their ratings, user factors fixed). */
export function foldInItems(model: Model, items: NewItem[]): Model {
  if (items.length === 0) throw new InputError('item fold-in needs at least one item');
  const data = model.toData();
  const parsed = items.map((it, n) => {
    const users: number[] = [];
    const values: number[] = [];
    const dup = new Set<number>();
    for (const [uid, v] of it.ratings) {
      if (!Number.isFinite(v)) throw new InputError(`item fold-in: new item ${n}: rating by user ${JSON.stringify(uid)} is ${v}`);
      const u = model.userIndex(uid);
      if (dup.has(u)) throw new InputError(`item fold-in: new item ${n}: user ${JSON.stringify(uid)} rates it twice`);
      dup.add(u);
      users.push(u);
      values.push(v);
    }
    if (users.length === 0) throw new InputError(`item fold-in: new item ${n} has no ratings`);
    return { users, values };
  });
  let itemIds: IdMap | undefined;
  if (model.itemIds) {
    itemIds = IdMap.from(model.itemIds.ids);
    for (const it of items) {
      if (it.id === undefined) throw new InputError('item fold-in: this model has an item ID map; give each new item an id');
      if (itemIds.has(it.id)) throw new InputError(`item fold-in: item ID ${JSON.stringify(it.id)} already exists`);
      itemIds.add(it.id);
    }
  } else if (items.some((it) => it.id !== undefined)) {
    throw new InputError(`item fold-in: this model has no item ID map; new items get the next indices (${model.nItems}...)`);
  }
  const solveAll = (m: Model, d: FactorModelData, implicitEvents: boolean): Float32Array => {
    const spec: SolveSpec = { ...m.foldInSpec(), side: 'item' };
    const base = spec.implicit ? gramOfColumns(d.userFactors, d.nUsers, spec) : undefined;
    const out = new Float32Array((d.nItems + items.length) * d.stride);
    out.set(d.itemFactors);
    parsed.forEach((p, n) => out.set(itemRows(m, spec, d.userFactors, p.users, implicitEvents ? p.values.map(() => 1) : p.values, base), (d.nItems + n) * d.stride));
    return out;
  };
  const nItems = data.nItems + items.length;
  const next: FactorModelData = { ...data, nItems, itemFactors: solveAll(model, data, false), itemIds };
  if (model.ranker && data.ranking) next.ranking = { ...data.ranking, nItems, itemFactors: solveAll(model.ranker, data.ranking, true) };
  // seen: old interactions plus the new items' raters
  const old = model.seenAsCsr();
  const add = new Map<number, number[]>();
  parsed.forEach((p, n) => p.users.forEach((u) => (add.get(u) ?? add.set(u, []).get(u)!).push(data.nItems + n)));
  const indptr = new Uint32Array(data.nUsers + 1);
  const idx: number[] = [];
  for (let u = 0; u < data.nUsers; u++) {
    if (old) for (let p = old.indptr[u]; p < old.indptr[u + 1]; p++) idx.push(old.indices[p]);
    for (const i of add.get(u) ?? []) idx.push(i);
    indptr[u + 1] = idx.length;
  }
  const seen: Csr = { nRows: data.nUsers, nCols: nItems, indptr, indices: Uint32Array.from(idx), values: new Float32Array(idx.length).fill(1) };
  const titles = model.itemTitles ? [...model.itemTitles, ...items.map((it) => it.title ?? '')] : undefined;
  const m = new Model(next, { gpu: model.gpu, seen, itemTitles: titles });
  m.kernels = model.kernels;
  return m;
}
