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
import { InputError } from '../core/errors.ts';
import { buildCsr, IdMap, type Csr, type ExternalId } from '../data/ratings.ts';
import { cholesky, choleskySolve, gramOfColumns, layoutOf, normalEquations, singularError, type SolveSpec } from '../reference/reference.ts';
import type { FactorModelData } from './types.ts';
import { Model } from './model.ts';
import { rowsFromContent, type ContentMap } from './content.ts';

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
  const rankingFactors = model.ranker && data.ranking ? solveAll(model.ranker, data.ranking, true) : undefined;
  return appendItems(model, data, solveAll(model, data, false), rankingFactors, itemIds, items.map((it) => it.title ?? ''), parsed.map((p) => p.users));
}

/** A new Model: `data` with item factors (and ranking item factors) grown to hold the new items. */
export function appendItems(model: Model, data: FactorModelData, itemFactors: Float32Array, rankingFactors: Float32Array | undefined, itemIds: IdMap | undefined, titles: string[], raters: number[][]): Model {
  const nItems = itemFactors.length / data.stride;
  const next: FactorModelData = { ...data, nItems, itemFactors, itemIds };
  if (data.ranking) {
    if (!rankingFactors) throw new InputError('new items need ranking-model factors too (the model carries a ranking model)');
    next.ranking = { ...data.ranking, nItems, itemFactors: rankingFactors };
  }
  // seen: old interactions plus the new items' raters
  const old = model.seenAsCsr();
  const add = new Map<number, number[]>();
  raters.forEach((us, n) => us.forEach((u) => (add.get(u) ?? add.set(u, []).get(u)!).push(data.nItems + n)));
  const indptr = new Uint32Array(data.nUsers + 1);
  const idx: number[] = [];
  for (let u = 0; u < data.nUsers; u++) {
    if (old) for (let p = old.indptr[u]; p < old.indptr[u + 1]; p++) idx.push(old.indices[p]);
    for (const i of add.get(u) ?? []) idx.push(i);
    indptr[u + 1] = idx.length;
  }
  const seen: Csr = { nRows: data.nUsers, nCols: nItems, indptr, indices: Uint32Array.from(idx), values: new Float32Array(idx.length).fill(1) };
  const allTitles = model.itemTitles ? [...model.itemTitles, ...titles] : undefined;
  const m = new Model(next, { gpu: model.gpu, seen, itemTitles: allTitles });
  m.kernels = model.kernels;
  return m;
}

export interface ContentItem {
  id?: ExternalId;
  /** The item's feature row (the map's d values, e.g. a row of itemFeatures). */
  features: ArrayLike<number>;
  title?: string;
}

/**
 * A new Model with `items` added from their features alone (no ratings): factor rows and biases
 * from the content map of the explicit model and, when the model carries a ranking model, from
 * `rankingMap` (fitted on the ranking model's item rows). They appear in recommend and similarItems.
 */
export function addItemsFromContent(model: Model, items: ContentItem[], map: ContentMap, rankingMap?: ContentMap): Model {
  if (items.length === 0) throw new InputError('content items: none given');
  const data = model.toData();
  const F = new Float64Array(items.length * map.d);
  items.forEach((it, n) => {
    if (it.features.length !== map.d) throw new InputError(`content item ${n}: ${it.features.length} features, the map has ${map.d}`);
    for (let a = 0; a < map.d; a++) F[n * map.d + a] = it.features[a];
  });
  let itemIds: IdMap | undefined;
  if (model.itemIds) {
    itemIds = IdMap.from(model.itemIds.ids);
    for (const it of items) {
      if (it.id === undefined) throw new InputError('content items: this model has an item ID map; give each new item an id');
      if (itemIds.has(it.id)) throw new InputError(`content items: item ID ${JSON.stringify(it.id)} already exists`);
      itemIds.add(it.id);
    }
  }
  const grow = (old: Float32Array, rows: Float32Array) => {
    const out = new Float32Array(old.length + rows.length);
    out.set(old);
    out.set(rows, old.length);
    return out;
  };
  const Y = grow(data.itemFactors, rowsFromContent(map, model, F, items.length));
  let R: Float32Array | undefined;
  if (model.ranker && data.ranking) {
    if (!rankingMap) throw new InputError('content items: the model carries a ranking model; give a content map fitted on it (fitContentMap(model.ranker, ...))');
    R = grow(data.ranking.itemFactors, rowsFromContent(rankingMap, model.ranker, F, items.length));
  }
  return appendItems(model, data, Y, R, itemIds, items.map((it) => it.title ?? ''), items.map(() => []));
}
