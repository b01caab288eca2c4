/**
 * A trained model that answers questions: predict, recommend, similar items/users, fold-in of new
 * users. Wraps the FactorModelData every trainer produces. One API, two backends: with a GpuContext
 * the heavy verbs (recommend, similar, batched predict, ranking metrics) run on the device — item
 * factors stay resident, scores are a tiled matrix product and the top k are selected on the
 * device; without one (or with backend 'cpu') the f64 CPU path answers, and is the reference the
 * GPU path is checked against.
 *
 * This file is the facade (IDs, the seen set, predict, fold-in bookkeeping); the work lives beside it:
 * model/cpu-rank.ts and model/gpu-rank.ts (ranking and similarity), model/rank-plan.ts (what one
 * ranking call asks), model/fold-in.ts (the fold-in solve) and model/device-cache.ts (device factors).
 */
import type { GpuContext } from '../gpu/context.ts';
import { acquireGpu, type GpuChoice } from '../gpu/acquire.ts';
import { InputError } from '../core/errors.ts';
import { buildCsr, IdMap, type Csr, type ExternalId, type Ratings } from '../data/ratings.ts';
import { strideOf, type SolveSpec } from '../core/layout.ts';
import type { Algo, DeviceFactorBuffers, FactorModelData } from './types.ts';
import { DeviceFactors } from './device-cache.ts';
import { computeNorms } from '../kernels/norms.ts';
import { predictPairs } from '../kernels/pairs.ts';
import type { KernelVariant } from '../kernels/variant.ts';
import { rankCpu, similarCpu } from './cpu-rank.ts';
import { rankGpu, similarGpu } from './gpu-rank.ts';
import { planRanking, type RankResult } from './rank-plan.ts';
import { foldInItems, foldInSpecOf, itemGram, solveFoldIn, type FoldInRatings } from './fold-in.ts';

export { selectTopK } from './cpu-rank.ts';
export type { RankResult } from './rank-plan.ts';
export type { FoldInRatings } from './fold-in.ts';

export interface ModelOptions {
  /** Run recommend/similar/batched predict/ranking metrics on this device. */
  gpu?: GpuContext;
  /** Training interactions (dense indices, as the model): what `filterSeen` removes. */
  seen?: Ratings | Csr;
  /** Item titles by dense index (shown by the CLI, saved with the model). */
  itemTitles?: string[];
  /**
   * A fit's factors still on the device (`FitResult.device`, from `keepOnDevice`): adopted without
   * an upload when they live on `gpu` (the model then owns and destroys them). They must hold the
   * same values as `data`'s factors; on another context they are left alone.
   */
  device?: DeviceFactorBuffers;
}

export interface RecommendOptions {
  /** How many items (default 10). */
  k?: number;
  /** Drop the items the user interacted with in training (default true). */
  filterSeen?: boolean;
  /** Never return these items. */
  exclude?: Iterable<ExternalId>;
  /** Only consider these items. */
  include?: Iterable<ExternalId>;
  /**
   * Which factors rank: 'auto' (default) the model's ranking model when it carries one (see
   * src/model/ranking.ts), else its own; 'ranking' the ranking model (an error without one);
   * 'explicit' the model's own factors (the predicted-rating order).
   */
  rankBy?: RankBy;
  /**
   * A user without any training rating: 'popularity' (default) recommends the most-rated items,
   * marked source 'popularity'; 'model' ranks by the user's factors all the same.
   */
  coldStart?: 'popularity' | 'model';
}

export type RankBy = 'auto' | 'ranking' | 'explicit';

export interface Scored {
  /** External ID (the dense index when the model has no ID map). */
  id: ExternalId;
  /** Dense index. */
  index: number;
  score: number;
  /** Set when the item was not ranked by the model: 'popularity' for a user without ratings. */
  source?: 'popularity';
}

export interface SimilarOptions {
  /** Keep the query itself in the result (it is its own best match). Default false. */
  includeSelf?: boolean;
}

export interface FoldInOptions {
  /** External ID of the new user; when it already exists, that user's factors and seen items are replaced. */
  userId?: ExternalId;
}

function csrFromRatings(r: Ratings): Csr {
  return buildCsr(r.users, r.items, r.values, r.nUsers, r.nItems);
}

function isCsr(x: Ratings | Csr): x is Csr {
  return (x as Csr).indptr !== undefined;
}

export class Model {
  readonly algo: Algo;
  readonly rank: number;
  readonly bias: boolean;
  readonly implicit: boolean;
  readonly stride: number;
  readonly mu: number;
  readonly nItems: number;
  readonly ratingScale?: [number, number];
  readonly hyperparams: Record<string, number | string | boolean>;
  readonly itemIds?: IdMap;
  readonly userIds?: IdMap;
  /** Backend the heavy verbs use. */
  readonly backend: 'gpu' | 'cpu';
  readonly gpu?: GpuContext;
  /** Item titles by dense index, when the training data had them. */
  readonly itemTitles?: string[];
  /** GPU kernel family for scoring and top-k ('auto': staged tiles on hardware, direct on software adapters). */
  kernels: KernelVariant = 'auto';
  /** The model `recommend` ranks by when it is not this one (FactorModelData.ranking). */
  readonly ranker?: Model;
  /** Seen items come from this model (a ranker shares its owner's). */
  private seenFrom?: Model;
  private popular: Uint32Array | null = null;

  private _nUsers: number;
  /** User factors with spare capacity for fold-in users (rows [0, nUsers) are live). */
  private X: Float32Array;
  readonly itemFactors: Float32Array;
  /** Seen items per training user (CSR), plus rows replaced or added by fold-in. */
  private seenCsr: Csr | null;
  private readonly seenExtra = new Map<number, Uint32Array>();
  private implicitGram: Float64Array | null = null;

  // device state
  private readonly device: DeviceFactors | null;
  /** A GPU Model.create made for this model (destroyed with it). */
  private ownGpu: GpuContext | null = null;

  /**
   * A model with its GPU chosen the one way fits choose theirs (src/gpu/acquire.ts): `backend`
   * 'auto' (default: the GPU when an adapter exists, else the CPU path with a warning), 'gpu' (or
   * an error), 'cpu'; `gpu` to use a context you have, `gpuSource`, `onWarning`. A GPU made here
   * belongs to the model: `destroy()` releases it, after which the model answers on the CPU only
   * through `backend: 'cpu'` arguments.
   */
  static async create(data: FactorModelData, opts: Omit<ModelOptions, 'gpu'> & GpuChoice = {}): Promise<Model> {
    const { backend, gpu: given, gpuSource, gpuLimits, onWarning, ...rest } = opts;
    const { gpu, own } = await acquireGpu({ backend, gpu: given, gpuSource, gpuLimits, onWarning }, 'the CPU path');
    try {
      const m = new Model(data, { ...rest, gpu: gpu ?? undefined });
      m.ownGpu = own;
      return m;
    } catch (e) {
      own?.destroy();
      throw e;
    }
  }

  constructor(data: FactorModelData, opts: ModelOptions = {}) {
    const { rank, stride, nUsers, nItems } = data;
    if (!(Number.isInteger(rank) && rank >= 1)) throw new InputError(`model rank must be a positive integer, got ${rank}`);
    const want = strideOf(rank, data.bias);
    if (stride !== want) throw new InputError(`model stride ${stride} does not match rank ${rank}${data.bias ? ' with biases' : ''} (expected ${want})`);
    if (!(Number.isInteger(nUsers) && nUsers >= 0 && Number.isInteger(nItems) && nItems >= 1)) throw new InputError(`bad model dimensions: ${nUsers} users, ${nItems} items`);
    if (data.userFactors.length !== nUsers * stride) throw new InputError(`user factors have ${data.userFactors.length} values, expected ${nUsers} x ${stride}`);
    if (data.itemFactors.length !== nItems * stride) throw new InputError(`item factors have ${data.itemFactors.length} values, expected ${nItems} x ${stride}`);
    for (const [name, F] of [['user', data.userFactors], ['item', data.itemFactors]] as const) {
      for (let e = 0; e < F.length; e++) {
        if (!Number.isFinite(F[e])) throw new InputError(`${name} factor row ${Math.floor(e / stride)} column ${e % stride} is ${F[e]}`);
      }
    }
    if (!Number.isFinite(data.mu)) throw new InputError(`model global mean is ${data.mu}`);
    if (data.userIds && data.userIds.size !== nUsers) throw new InputError(`user ID map has ${data.userIds.size} IDs for ${nUsers} users`);
    if (data.itemIds && data.itemIds.size !== nItems) throw new InputError(`item ID map has ${data.itemIds.size} IDs for ${nItems} items`);
    if (data.ratingScale && !(data.ratingScale[0] <= data.ratingScale[1])) throw new InputError(`bad rating scale ${JSON.stringify(data.ratingScale)}`);
    this.algo = data.algo;
    this.rank = rank;
    this.bias = data.bias;
    this.implicit = data.implicit;
    this.stride = stride;
    this.mu = data.mu;
    this.nItems = nItems;
    this._nUsers = nUsers;
    this.X = data.userFactors;
    this.itemFactors = data.itemFactors;
    // own copies: fold-in adds users, and must not grow the caller's (e.g. a Dataset's) map
    this.userIds = data.userIds ? IdMap.from(data.userIds.ids) : undefined;
    this.itemIds = data.itemIds;
    this.ratingScale = data.ratingScale;
    this.hyperparams = { ...data.hyperparams };
    this.gpu = opts.gpu;
    this.device = opts.gpu ? new DeviceFactors(opts.gpu, stride) : null;
    if (this.device && opts.device && opts.device.gpu === opts.gpu) {
      const d = opts.device;
      if (d.users.size < nUsers * stride * 4 || d.items.size < nItems * stride * 4) throw new InputError(`device factor buffers (${d.users.size} and ${d.items.size} bytes) are smaller than ${nUsers} users and ${nItems} items x ${stride} floats`);
      this.device.adopt(d.users, nUsers, d.items);
    }
    this.backend = opts.gpu ? 'gpu' : 'cpu';
    this.seenCsr = null;
    if (opts.seen) this.setSeen(opts.seen);
    if (opts.itemTitles) {
      if (opts.itemTitles.length !== nItems) throw new InputError(`${opts.itemTitles.length} item titles for ${nItems} items`);
      this.itemTitles = opts.itemTitles;
    }
    if (data.ranking) {
      const rk = data.ranking;
      if (rk.nUsers !== nUsers || rk.nItems !== nItems) throw new InputError(`ranking model is ${rk.nUsers} x ${rk.nItems}; the model is ${nUsers} x ${nItems}`);
      if (rk.ranking) throw new InputError('a ranking model cannot carry its own ranking model');
      this.ranker = new Model({ ...rk, userIds: data.userIds, itemIds: data.itemIds }, { gpu: opts.gpu });
      this.ranker.seenFrom = this;
    }
  }

  /** The model that ranks for `rankBy` (this one or its ranking model). */
  rankerFor(rankBy: RankBy = 'auto'): Model {
    if (rankBy === 'explicit') return this;
    if (rankBy === 'ranking' && !this.ranker) throw new InputError('this model carries no ranking model (train one with fitRecommender or webmf train)');
    return this.ranker ?? this;
  }

  /** Items by training interaction count, most first (ties to the lower index). */
  popularItems(): Uint32Array {
    if (this.seenFrom) return this.seenFrom.popularItems();
    if (!this.popular) {
      const c = new Float64Array(this.nItems);
      for (let u = 0; u < this._nUsers; u++) for (const i of this.seenOf(u)) c[i]++;
      this.popular = Uint32Array.from({ length: this.nItems }, (_, i) => i).sort((a, b) => c[b] - c[a] || a - b);
    }
    return this.popular;
  }

  /**
   * Recommendations for a user with no ratings: the most-rated items (every result has source
   * 'popularity'; score = training rating count).
   */
  recommendPopular(opts: Pick<RecommendOptions, 'k' | 'exclude' | 'include'> = {}): Scored[] {
    const k = opts.k ?? 10;
    if (!(Number.isInteger(k) && k >= 1)) throw new InputError(`k must be a positive integer, got ${k}`);
    if (!this.hasSeen) throw new InputError('popularity needs the training interactions, and this model holds none');
    const ex = new Set(opts.exclude ? this.itemSet(opts.exclude, 'exclude') : []);
    const inc = opts.include ? new Set(this.itemSet(opts.include, 'include')) : null;
    const c = new Float64Array(this.nItems);
    for (let u = 0; u < this._nUsers; u++) for (const i of this.seenOf(u)) c[i]++;
    const out: Scored[] = [];
    for (const i of this.popularItems()) {
      if (out.length >= k) break;
      if (ex.has(i) || (inc && !inc.has(i))) continue;
      out.push({ id: this.itemId(i), index: i, score: c[i], source: 'popularity' });
    }
    return out;
  }

  get nUsers(): number {
    return this._nUsers;
  }

  /** The live user factors (nUsers x stride). */
  get userFactors(): Float32Array {
    return this.X.subarray(0, this._nUsers * this.stride);
  }

  /** The model as plain data (fold-in users included). */
  toData(): FactorModelData {
    return {
      algo: this.algo,
      rank: this.rank,
      bias: this.bias,
      implicit: this.implicit,
      stride: this.stride,
      mu: this.mu,
      nUsers: this._nUsers,
      nItems: this.nItems,
      userFactors: this.userFactors.slice(),
      itemFactors: this.itemFactors,
      userIds: this.userIds,
      itemIds: this.itemIds,
      ratingScale: this.ratingScale,
      hyperparams: { ...this.hyperparams },
      ranking: this.ranker ? { ...this.ranker.toData(), userIds: undefined, itemIds: undefined } : undefined,
    };
  }

  /** Sets the training interactions `filterSeen` removes (dense indices). */
  setSeen(seen: Ratings | Csr): void {
    const csr = isCsr(seen) ? seen : csrFromRatings(seen);
    if (csr.nRows > this._nUsers || csr.nCols > this.nItems) {
      throw new InputError(`seen interactions cover ${csr.nRows} users x ${csr.nCols} items; the model has ${this._nUsers} x ${this.nItems}`);
    }
    for (let p = 0; p < csr.indices.length; p++) {
      if (csr.indices[p] >= this.nItems) throw new InputError(`seen item index ${csr.indices[p]} out of range [0, ${this.nItems})`);
    }
    this.seenCsr = csr;
    this.seenExtra.clear();
    this.popular = null;
  }

  get hasSeen(): boolean {
    if (this.seenFrom) return this.seenFrom.hasSeen;
    return this.seenCsr !== null || this.seenExtra.size > 0;
  }

  /** Items user `u` (dense) interacted with in training (or fold-in), ascending order not guaranteed. */
  seenOf(u: number): Uint32Array {
    if (this.seenFrom) return this.seenFrom.seenOf(u);
    const extra = this.seenExtra.get(u);
    if (extra) return extra;
    const c = this.seenCsr;
    if (!c || u >= c.nRows) return new Uint32Array(0);
    return c.indices.subarray(c.indptr[u], c.indptr[u + 1]);
  }

  /** Seen items of every user as one CSR (for saving). */
  seenAsCsr(): Csr | null {
    if (!this.hasSeen) return null;
    const indptr = new Uint32Array(this._nUsers + 1);
    for (let u = 0; u < this._nUsers; u++) indptr[u + 1] = indptr[u] + this.seenOf(u).length;
    const indices = new Uint32Array(indptr[this._nUsers]);
    for (let u = 0; u < this._nUsers; u++) indices.set(this.seenOf(u), indptr[u]);
    return { nRows: this._nUsers, nCols: this.nItems, indptr, indices, values: new Float32Array(indices.length).fill(1) };
  }

  // ---------------------------------------------------------------- IDs

  /** Dense index of a user (external ID; a dense index when the model has no ID map). */
  userIndex(user: ExternalId): number {
    return this.resolve(user, this.userIds, this._nUsers, 'user');
  }

  itemIndex(item: ExternalId): number {
    return this.resolve(item, this.itemIds, this.nItems, 'item');
  }

  userId(index: number): ExternalId {
    return this.userIds ? this.userIds.external(index) : index;
  }

  itemId(index: number): ExternalId {
    return this.itemIds ? this.itemIds.external(index) : index;
  }

  private resolve(id: ExternalId, map: IdMap | undefined, n: number, what: string): number {
    if (map) return map.get(id, what);
    const i = typeof id === 'number' ? id : /^\d+$/.test(String(id).trim()) ? Number(id) : NaN;
    if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new InputError(`unknown ${what} ${JSON.stringify(id)} (the model has ${n} ${what}s, indexed 0..${n - 1})`);
    return i;
  }

  // ---------------------------------------------------------------- predict

  /** Raw score mu + x_u . y_i (f64 over the f32 factors). */
  scoreIndex(u: number, i: number): number {
    const s = this.stride;
    let v = this.mu;
    for (let c = 0; c < s; c++) v += this.X[u * s + c] * this.itemFactors[i * s + c];
    return v;
  }

  private clip(v: number): number {
    const sc = this.ratingScale;
    if (!sc || this.implicit) return v;
    return Math.min(sc[1], Math.max(sc[0], v));
  }

  /** Predicted rating of `item` by `user`, clipped to the rating scale (explicit models). */
  predict(user: ExternalId, item: ExternalId): number {
    return this.clip(this.scoreIndex(this.userIndex(user), this.itemIndex(item)));
  }

  /** Predictions for many (user, item) pairs by external ID; on the GPU when the model has one. */
  async predictMany(users: ArrayLike<ExternalId>, items: ArrayLike<ExternalId>): Promise<Float32Array> {
    if (users.length !== items.length) throw new InputError(`predictMany: ${users.length} users but ${items.length} items`);
    const u = new Uint32Array(users.length);
    const it = new Uint32Array(items.length);
    for (let k = 0; k < u.length; k++) {
      u[k] = this.userIndex(users[k]);
      it[k] = this.itemIndex(items[k]);
    }
    return this.predictIndices(u, it);
  }

  /** Predictions for dense (user, item) index pairs. */
  async predictIndices(users: Uint32Array, items: Uint32Array, backend: 'gpu' | 'cpu' = this.backend): Promise<Float32Array> {
    for (let k = 0; k < users.length; k++) {
      if (!(users[k] < this._nUsers)) throw new InputError(`user index ${users[k]} out of range [0, ${this._nUsers})`);
      if (!(items[k] < this.nItems)) throw new InputError(`item index ${items[k]} out of range [0, ${this.nItems})`);
    }
    if (backend === 'gpu') {
      const gpu = this.requireGpu();
      const clip = this.ratingScale && !this.implicit ? this.ratingScale : undefined;
      return gpu.scoped(() => predictPairs(gpu, this.deviceUsers(), this.deviceItems(), this.stride, this.mu, users, items, clip));
    }
    const out = new Float32Array(users.length);
    for (let k = 0; k < users.length; k++) out[k] = this.clip(this.scoreIndex(users[k], items[k]));
    return out;
  }

  // ---------------------------------------------------------------- recommend

  /**
   * The top k items for a user, best first; ties go to the lower item index. Ranked by the model's
   * ranking model when it carries one (opts.rankBy). A user without any training rating gets the
   * most-rated items instead, marked source 'popularity'.
   */
  async recommend(user: ExternalId, opts: RecommendOptions = {}): Promise<Scored[]> {
    const u = this.userIndex(user);
    if ((opts.coldStart ?? 'popularity') === 'popularity' && this.hasSeen && this.seenOf(u).length === 0) return this.recommendPopular(opts);
    return (await this.recommendMany([user], opts))[0];
  }

  /** recommend for many users at once (one GPU batch per up to 256 users). */
  async recommendMany(users: ArrayLike<ExternalId>, opts: RecommendOptions = {}): Promise<Scored[][]> {
    const idx = new Uint32Array(users.length);
    for (let k = 0; k < idx.length; k++) idx[k] = this.userIndex(users[k]);
    const res = await this.recommendIndices(idx, opts);
    return res.map((r) => Array.from(r.index, (i, j) => ({ id: this.itemId(i), index: i, score: r.score[j] })));
  }

  /** recommend by dense user indices; returns dense item indices and scores. */
  async recommendIndices(users: Uint32Array, opts: RecommendOptions = {}, backend: 'gpu' | 'cpu' = this.backend): Promise<{ index: Uint32Array; score: Float32Array }[]> {
    const k = opts.k ?? 10;
    if (!(Number.isInteger(k) && k >= 1)) throw new InputError(`k must be a positive integer, got ${k}`);
    for (const u of users) if (!(u < this._nUsers)) throw new InputError(`user index ${u} out of range [0, ${this._nUsers})`);
    const cand = opts.include ? this.itemSet(opts.include, 'include') : undefined;
    const exclude = opts.exclude ? this.itemSet(opts.exclude, 'exclude') : new Uint32Array(0);
    const filterSeen = opts.filterSeen ?? true;
    const m = this.rankerFor(opts.rankBy);
    if (m !== this) m.kernels = this.kernels;
    // |mu + x.y| <= |mu| + |x| |y| (Cauchy-Schwarz, every partial sum included): when that bound is finite in f32,
    // no score can overflow on either backend; when it is not, both refuse rather than print Infinity (or, on the
    // GPU, drop NaN scores and return fewer items).
    const maxItem = maxRowNorm(m.itemFactors, m.nItems, m.stride);
    for (const u of users) {
      const bound = Math.abs(m.mu) + rowNorm(m.X, u, m.stride) * maxItem;
      if (!(bound < F32_SAFE)) {
        throw new InputError(
          `recommend: scores for user ${String(this.userId(u))} can reach ${bound.toExponential(2)}, past the 32-bit float range (user factor norm ${rowNorm(m.X, u, m.stride).toExponential(2)}, largest item factor norm ${maxItem.toExponential(2)}): the model is degenerate; retrain with a larger lambda`,
        );
      }
    }
    const r = await m.rankUsers(users, { k, filterSeen, exclude, cand }, backend);
    for (let b = 0; b < r.top.length; b++) {
      for (const v of r.top[b].score) {
        if (!Number.isFinite(v)) throw new InputError(`recommend: user ${String(this.userId(users[b]))} got a non-finite score ${v}`);
      }
    }
    return r.top;
  }

  private itemSet(items: Iterable<ExternalId>, what: string): Uint32Array {
    const s = new Set<number>();
    for (const id of items) {
      try {
        s.add(this.itemIndex(id));
      } catch (e) {
        throw new InputError(`${what}: ${(e as Error).message}`);
      }
    }
    return Uint32Array.from([...s].sort((a, b) => a - b));
  }

  /**
   * Scores every candidate item for each user (mu + x_u . y_i), masks seen/excluded items, and
   * returns the top k; optionally the AUC rank counts of (user position, item) pairs.
   * Users are processed in GPU batches sized to a 64 MiB score matrix.
   */
  async rankUsers(
    users: Uint32Array,
    o: { k: number; filterSeen: boolean; exclude?: Uint32Array; cand?: Uint32Array; pairs?: { row: Uint32Array; item: Uint32Array } },
    backend: 'gpu' | 'cpu' = this.backend,
  ): Promise<RankResult> {
    const { plan, result, empty } = planRanking(users, o, this.nItems, (u) => this.seenOf(u));
    if (empty) return result;
    if (backend === 'cpu') return rankCpu(plan, result, (u, i) => this.scoreIndex(u, i));
    const gpu = this.requireGpu();
    return rankGpu(plan, result, { gpu, users: this.deviceUsers(), items: this.deviceItems(), nItems: this.nItems, stride: this.stride, mu: this.mu, kernels: this.kernels });
  }

  // ---------------------------------------------------------------- similar

  /** The k items most similar to `item` by cosine of the latent factors (biases excluded). */
  async similarItems(item: ExternalId, k = 10, opts: SimilarOptions = {}): Promise<Scored[]> {
    const i = this.itemIndex(item);
    const r = await this.similarIndices('item', i, k, opts);
    return Array.from(r.index, (j, n) => ({ id: this.itemId(j), index: j, score: r.score[n] }));
  }

  /** The k users most similar to `user` by cosine of the latent factors (biases excluded). */
  async similarUsers(user: ExternalId, k = 10, opts: SimilarOptions = {}): Promise<Scored[]> {
    const u = this.userIndex(user);
    const r = await this.similarIndices('user', u, k, opts);
    return Array.from(r.index, (j, n) => ({ id: this.userId(j), index: j, score: r.score[n] }));
  }

  async similarIndices(side: 'item' | 'user', q: number, k: number, opts: SimilarOptions = {}, backend: 'gpu' | 'cpu' = this.backend): Promise<{ index: Uint32Array; score: Float32Array }> {
    if (!(Number.isInteger(k) && k >= 1)) throw new InputError(`k must be a positive integer, got ${k}`);
    const F = side === 'item' ? this.itemFactors : this.X;
    const n = side === 'item' ? this.nItems : this._nUsers;
    if (!(q >= 0 && q < n)) throw new InputError(`${side} index ${q} out of range [0, ${n})`);
    const kk = Math.min(k, opts.includeSelf ? n : n - 1);
    if (kk <= 0) return { index: new Uint32Array(0), score: new Float32Array(0) };
    const { stride, rank } = this;
    const includeSelf = opts.includeSelf ?? false;
    // The GPU computes norms and dots in f32: with a row norm past sqrt(f32 max) they overflow to NaN, which top-k
    // drops. Such a model gets the CPU's f64 cosines (in [-1, 1]) on either backend, so the two never disagree.
    if (backend === 'cpu' || !(maxRowNorm(F, n, stride, rank) ** 2 < F32_SAFE)) return similarCpu(F, n, stride, rank, q, kk, includeSelf);
    const gpu = this.requireGpu();
    const D = side === 'item' ? this.deviceItems() : this.deviceUsers();
    const norms = this.requireDevice().norms(side, () => computeNorms(gpu, D, n, stride, rank, side === 'item' ? 'model.itemNorms' : 'model.userNorms'));
    return similarGpu(gpu, side, D, norms, { n, stride, rank, q, kk, includeSelf, kernels: this.kernels });
  }

  // ---------------------------------------------------------------- fold-in

  /** The regularization and mode fold-in solves with (from the training hyperparameters). */
  foldInSpec(): SolveSpec {
    return foldInSpecOf(this);
  }

  /**
   * Adds (or replaces) a user from their ratings with the item factors fixed: one regularized solve,
   * (Hᵀ H_obs + λI) w = Hᵀ(a − μ − b_i) for explicit models (the user bias solved with w), and
   * (YᵀY + Yᵀ(C − I)Y + λI) w = YᵀC p with c = 1 + αf for implicit ones. The user is usable in
   * recommend at once; their rated items count as seen.
   */
  foldIn(ratings: FoldInRatings, opts: FoldInOptions = {}): { id: ExternalId; index: number; factors: Float32Array } {
    const { items, values } = foldInItems(ratings, (id) => this.itemIndex(id), (i) => this.itemId(i));
    const spec = this.foldInSpec();
    const row = solveFoldIn(spec, items, values, this.itemFactors, this.nItems, this.stride, () => (this.implicitGram ??= itemGram(this.itemFactors, this.nItems, spec)));

    let index: number;
    let id: ExternalId;
    const existing = opts.userId !== undefined ? (this.userIds ? this.userIds.find(opts.userId) : this.indexOrMinus(opts.userId)) : -1;
    if (existing >= 0) {
      index = existing;
      id = this.userId(index);
    } else {
      index = this._nUsers;
      if (this.userIds) {
        id = opts.userId ?? index;
        if (this.userIds.has(id)) throw new InputError(`fold-in: user ID ${JSON.stringify(id)} already exists`);
      } else {
        if (opts.userId !== undefined) throw new InputError(`fold-in: this model has no user ID map; new users get the next index (${index}), not ${JSON.stringify(opts.userId)}`);
        id = index;
      }
      if ((index + 1) * this.stride > this.X.length) {
        const grown = new Float32Array(Math.max(16, (index + 1) * 2) * this.stride);
        grown.set(this.X.subarray(0, index * this.stride));
        this.X = grown;
      }
      this._nUsers = index + 1;
      if (this.userIds) this.userIds.add(id);
    }
    this.X.set(row, index * this.stride);
    this.seenExtra.set(index, Uint32Array.from(items));
    this.device?.markDirty(index);
    this.popular = null;
    // the ranking model learns the same user from the same events (rated = 1)
    if (this.ranker) this.ranker.foldIn({ items: items.map((i) => this.itemId(i)), values: items.map(() => 1) }, { userId: this.userIds ? id : existing >= 0 ? index : undefined });
    return { id, index, factors: row };
  }

  private indexOrMinus(id: ExternalId): number {
    try {
      return this.resolve(id, undefined, this._nUsers, 'user');
    } catch {
      return -1;
    }
  }

  // ---------------------------------------------------------------- device state

  private requireGpu(): GpuContext {
    if (!this.gpu) throw new InputError('this model has no GPU context; use the CPU backend');
    return this.gpu;
  }

  private requireDevice(): DeviceFactors {
    this.requireGpu();
    return this.device!;
  }

  /** Item factors on the device (uploaded once). */
  deviceItems(): GPUBuffer {
    return this.requireDevice().items(this.itemFactors);
  }

  /** User factors on the device; fold-in users are written in place (capacity doubles when full). */
  deviceUsers(): GPUBuffer {
    return this.requireDevice().users(this.X, this._nUsers);
  }

  /** Releases the device buffers (the model stays usable; they are re-made on demand). */
  destroy(): void {
    this.ranker?.destroy();
    this.device?.destroy();
    this.ownGpu?.destroy();
    this.ownGpu = null;
  }
}

/** Scores below this are safe in f32 with room for rounding (f32 max is 3.4e38). */
const F32_SAFE = 1e38;

/** Euclidean norm of row r over its first `cols` columns (default: the whole stride, biases included), in f64. */
function rowNorm(F: Float32Array, r: number, stride: number, cols = stride): number {
  let s = 0;
  for (let c = 0; c < cols; c++) s += F[r * stride + c] ** 2;
  return Math.sqrt(s);
}

function maxRowNorm(F: Float32Array, n: number, stride: number, cols = stride): number {
  let m = 0;
  for (let r = 0; r < n; r++) {
    const v = rowNorm(F, r, stride, cols);
    if (v > m) m = v;
  }
  return m;
}
