/**
 * The Learn tab's worked examples, computed by the library's own f64 reference code (no DOM):
 *  - the source's 3 x 5 table: each person solved with the source's film factors H fixed (step 0,
 *    the closed form w = (H_o H_oᵀ + λI)⁻¹ H_o a), then ALS iterations, with the convergence
 *    quantity ‖WᵗHᵗ − Wᵗ⁻¹Hᵗ⁻¹‖_F after each;
 *  - Alice's least squares (five ratings, three unknowns) and its residual;
 *  - the source's 3 x 3 hands-on example, one whole iteration (users, then movies);
 *  - the source's SGD step and pop quiz 3, through the library's SGD update;
 *  - quiz 1 / quiz 2 facts, local optima from several seeds, and the rank-1 case.
 * The solves are src/reference/reference.ts's (normalEquations for the printed A and b, solveSide for x);
 * the SGD update is src/reference/sgd-reference.ts's sgdUpdateF64. The page and the tests call these.
 */
import { factorDeltaSquared, normalEquations, solveSide, type SolveSpec } from '../reference/reference.ts';
import { sgdUpdateF64, type SgdStepParams } from '../reference/sgd-reference.ts';
import { buildCsr, type Csr, type Ratings } from '../data/ratings.ts';
import { Rng } from '../util/random.ts';
import { TOY_MOVIES, TOY_PEOPLE, TOY_RANK, TOY_TABLE, toyItemRows, toyRatings } from './toy.ts';

/** One row's least-squares solve, with the numbers the page prints. */
export interface RowSolve {
  /** Who (a person or a film). */
  name: string;
  /** Indices (on the other side) of the known cells used. */
  used: number[];
  /** Their ratings. */
  y: number[];
  /** A = Σ v vᵀ + λI over the used rows v of the fixed side (K x K, row-major). */
  A: number[][];
  /** b = Σ y v. */
  b: number[];
  /** The solution x = A⁻¹ b. */
  x: number[];
}

const spec = (rank: number, lambda: number, side: 'user' | 'item'): SolveSpec => ({ rank, bias: false, side, mu: 0, lambda, lambdaBias: 0, weighted: false });

/**
 * Solves every row of `csr` with the rows `Y` of the other side fixed (the library's f64 solve),
 * and returns the printed numbers of each row's normal equations.
 */
export function solveRows(csr: Csr, Y: Float64Array, rank: number, lambda: number, side: 'user' | 'item', names: string[]): { X: Float64Array; rows: RowSolve[] } {
  const s = spec(rank, lambda, side);
  const X = new Float64Array(csr.nRows * rank);
  solveSide(csr, X, Y, s);
  const rows: RowSolve[] = [];
  for (let r = 0; r < csr.nRows; r++) {
    const { A, b } = normalEquations(csr, r, Y, s);
    const lo = csr.indptr[r];
    const hi = csr.indptr[r + 1];
    rows.push({
      name: names[r],
      used: Array.from(csr.indices.subarray(lo, hi)),
      y: Array.from(csr.values.subarray(lo, hi)),
      A: Array.from({ length: rank }, (_, a) => Array.from(A.subarray(a * rank, (a + 1) * rank))),
      b: Array.from(b),
      x: Array.from(X.subarray(r * rank, (r + 1) * rank)),
    });
  }
  return { X, rows };
}

/** P = X Yᵀ (factors as rows), nX x nY. */
export function predictAll(X: Float64Array, Y: Float64Array, nX: number, nY: number, rank: number): number[][] {
  return Array.from({ length: nX }, (_, u) =>
    Array.from({ length: nY }, (_, i) => {
      let s = 0;
      for (let a = 0; a < rank; a++) s += X[u * rank + a] * Y[i * rank + a];
      return s;
    }),
  );
}

/** Both orientations of a small table (null = unknown): by row (CSR) and by column (CSC as CSR). */
function csrOf(table: (number | null)[][]): { byRow: Csr; byCol: Csr } {
  const u: number[] = [];
  const i: number[] = [];
  const v: number[] = [];
  table.forEach((row, r) => row.forEach((x, c) => x !== null && (u.push(r), i.push(c), v.push(x))));
  const nR = table.length;
  const nC = table[0].length;
  const U = Int32Array.from(u);
  const I = Int32Array.from(i);
  const V = Float32Array.from(v);
  return { byRow: buildCsr(U, I, V, nR, nC), byCol: buildCsr(I, U, V, nC, nR) };
}

function rmseKnown(table: (number | null)[][], P: number[][]): number {
  let se = 0;
  let n = 0;
  table.forEach((row, r) => row.forEach((x, c) => x !== null && ((se += (P[r][c] - x) ** 2), n++)));
  return Math.sqrt(se / n);
}

// ---------------------------------------------------------------- the 3 x 5 table

export interface ToyStep {
  /** 0: people solved against the source's H; t >= 1: films re-solved from W, then people from H. */
  t: number;
  W: Float64Array;
  H: Float64Array;
  /** W Hᵀ, 3 x 5 (every cell, known and ?). */
  P: number[][];
  /** RMSE over the 11 known cells. */
  rmse: number;
  /** ‖WᵗHᵗ − Wᵗ⁻¹Hᵗ⁻¹‖_F (prediction matrices); undefined at step 0. */
  delta?: number;
  people: RowSolve[];
  films?: RowSolve[];
}

/** The ? cells the source asks about. */
export const BOB_SHOLAY: [number, number] = [1, 0];
export const CAROL_SWADES: [number, number] = [2, 1];

/** Step 0: each person's factors with H fixed at the source's values (the closed form). */
export function toyStep0(lambda: number): ToyStep {
  const H = toyItemRows();
  const { byRow } = csrOf(TOY_TABLE);
  const { X: W, rows } = solveRows(byRow, H, TOY_RANK, lambda, 'user', TOY_PEOPLE);
  const P = predictAll(W, H, 3, 5, TOY_RANK);
  return { t: 0, W, H, P, rmse: rmseKnown(TOY_TABLE, P), people: rows };
}

/** Step 0 and then `iterations` ALS iterations (films from W, then people from H), all in f64. */
export function toyAls(lambda: number, iterations: number): ToyStep[] {
  const { byRow, byCol } = csrOf(TOY_TABLE);
  const out = [toyStep0(lambda)];
  for (let t = 1; t <= iterations; t++) {
    const prev = out[t - 1];
    const f = solveRows(byCol, prev.W, TOY_RANK, lambda, 'item', TOY_MOVIES);
    const p = solveRows(byRow, f.X, TOY_RANK, lambda, 'user', TOY_PEOPLE);
    const P = predictAll(p.X, f.X, 3, 5, TOY_RANK);
    const delta = Math.sqrt(Math.max(0, factorDeltaSquared(p.X, prev.W, f.X, prev.H, 3, 5, TOY_RANK)));
    out.push({ t, W: p.X, H: f.X, P, rmse: rmseKnown(TOY_TABLE, P), delta, people: p.rows, films: f.rows });
  }
  return out;
}

/** The first iteration t >= 1 whose delta is below eps (where a fit with tolerance eps stops), or null. */
export function stopAt(deltas: (number | undefined)[], eps: number): number | null {
  for (let t = 0; t < deltas.length; t++) {
    const d = deltas[t];
    if (d !== undefined && d < eps) return t;
  }
  return null;
}

/** Alice's least squares with H fixed (λ = 0): five ratings, three unknowns; her residual a − Hᵀw. */
export function aliceLeastSquares(): { w: number[]; fit: number[]; ratings: number[]; residual: number[]; residualNorm: number; gradient: number[] } {
  const s0 = toyStep0(0);
  const w = s0.people[0].x;
  const ratings = TOY_TABLE[0] as number[];
  const fit = s0.P[0];
  const residual = ratings.map((a, i) => a - fit[i]);
  const H = toyItemRows();
  // The normal equations' gradient H (a − Hᵀw): zero at the optimum, although the residual is not.
  const gradient = [0, 1, 2].map((a) => residual.reduce((s, r, i) => s + H[i * 3 + a] * r, 0));
  return { w, fit, ratings, residual, residualNorm: Math.hypot(...residual), gradient };
}

// ---------------------------------------------------------------- the 3 x 3 hands-on example

/** The source's 3 x 3 hands-on example: A, the initial W0 and H0 (rank 2). */
export const HANDS_ON = {
  A: [
    [5, null, 2],
    [4, 4, null],
    [null, 5, 1],
  ] as (number | null)[][],
  W0: [
    [0.5, 0.3],
    [0.4, 0.6],
    [0.2, 0.8],
  ],
  H0: [
    [1.0, 0.5, 0.2],
    [0.3, 1.2, 0.8],
  ],
  users: ['user 1', 'user 2', 'user 3'],
  movies: ['movie 1', 'movie 2', 'movie 3'],
};

export interface HandsOnIteration {
  lambda: number;
  /** W0 H0: the start's predictions. */
  P0: number[][];
  /** Users solved with H0 fixed. */
  users: RowSolve[];
  W1: Float64Array;
  /** W1 H0 (after the users' half). */
  Pusers: number[][];
  /** Movies solved with W1 fixed. */
  movies: RowSolve[];
  H1: Float64Array;
  /** W1 H1 (after the whole iteration). */
  P1: number[][];
}

/** One whole ALS iteration of the 3 x 3 example: every user with H0 fixed, then every movie with W1. */
export function handsOnIteration(lambda: number): HandsOnIteration {
  const { A, W0, H0, users, movies } = HANDS_ON;
  const H0rows = Float64Array.from({ length: 6 }, (_, k) => H0[k % 2][Math.floor(k / 2)]);
  const W0rows = Float64Array.from(W0.flat());
  const { byRow, byCol } = csrOf(A);
  const u = solveRows(byRow, H0rows, 2, lambda, 'user', users);
  const m = solveRows(byCol, u.X, 2, lambda, 'item', movies);
  return {
    lambda,
    P0: predictAll(W0rows, H0rows, 3, 3, 2),
    users: u.rows,
    W1: u.X,
    Pusers: predictAll(u.X, H0rows, 3, 3, 2),
    movies: m.rows,
    H1: m.X,
    P1: predictAll(u.X, m.X, 3, 3, 2),
  };
}

// ---------------------------------------------------------------- SGD

const sgdParams = (rank: number, lr: number, lambda = 0, mu = 0): SgdStepParams => ({ rank, bias: false, mu, lr, lambda, lambdaBias: 0, lanes: 1 });

export interface SgdStepRecord {
  u: number;
  i: number;
  a: number;
  /** μ + w·h before the update. */
  prediction: number;
  /** e = a − prediction. */
  e: number;
  wBefore: number[];
  hBefore: number[];
  w: number[];
  h: number[];
}

/**
 * One SGD update through the library's update (sgdUpdateF64), on rows u of X and i of Y in place:
 * w += lr (e h − λ w), h += lr (e w_old − λ h). The source writes the gradient of (a − w·h)² as
 * −2 e h; the library folds that factor 2 (and the sign) into the learning rate.
 */
export function sgdStep(X: Float64Array, Y: Float64Array, u: number, i: number, a: number, rank: number, lr: number, lambda = 0, mu = 0): SgdStepRecord {
  const wBefore = Array.from(X.subarray(u * rank, (u + 1) * rank));
  const hBefore = Array.from(Y.subarray(i * rank, (i + 1) * rank));
  const e = sgdUpdateF64(X, Y, u, i, a, sgdParams(rank, lr, lambda, mu));
  return { u, i, a, prediction: a - e, e, wBefore, hBefore, w: Array.from(X.subarray(u * rank, (u + 1) * rank)), h: Array.from(Y.subarray(i * rank, (i + 1) * rank)) };
}

/** The source's worked step: w = [0.4, 0.2, 0.3], h = Sholay's [0.95, 0.1, 0.85], a = 5, α = 0.01. */
export function workedSgdStep(): SgdStepRecord {
  return sgdStep(Float64Array.of(0.4, 0.2, 0.3), Float64Array.of(0.95, 0.1, 0.85), 0, 0, 5, 3, 0.01);
}

/**
 * Pop quiz 3: rating 2, prediction 4.5, α = 0.1, w = [0.8, 0.3], h = [0.6, 0.9]. The quiz states
 * the prediction (4.5) while w·h = 0.75, so a global mean μ = 3.75 supplies the rest: e = −2.5.
 */
export function quiz3(): SgdStepRecord {
  return sgdStep(Float64Array.of(0.8, 0.3), Float64Array.of(0.6, 0.9), 0, 0, 2, 2, 0.1, 0, 3.75);
}

/**
 * SGD over the toy table one rating at a time, in table order (Alice's five, Bob's, Carol's), from
 * every person at the source's start w = [0.4, 0.2, 0.3] and the source's H; the first update is
 * the worked step (Alice, Sholay).
 */
export class ToySgd {
  readonly X = new Float64Array(TOY_PEOPLE.length * TOY_RANK);
  readonly Y = toyItemRows();
  private readonly r: Ratings = toyRatings();
  next = 0;
  epoch = 0;
  readonly log: SgdStepRecord[] = [];
  constructor(
    public lr = 0.01,
    public lambda = 0,
  ) {
    for (let u = 0; u < TOY_PEOPLE.length; u++) this.X.set([0.4, 0.2, 0.3], u * TOY_RANK);
  }
  step(): SgdStepRecord {
    const k = this.next;
    const rec = sgdStep(this.X, this.Y, this.r.users[k], this.r.items[k], this.r.values[k], TOY_RANK, this.lr, this.lambda);
    this.log.push(rec);
    this.next = (k + 1) % this.r.values.length;
    if (this.next === 0) this.epoch++;
    return rec;
  }
  rmse(): number {
    return rmseKnown(TOY_TABLE, predictAll(this.X, this.Y, 3, 5, TOY_RANK));
  }
}

// ---------------------------------------------------------------- quizzes and facts

/** Quiz 1: how many ratings are possible and what fraction is known. */
export function quiz1(nUsers: number, nItems: number, nRatings: number): { possible: number; fill: number } {
  const possible = nUsers * nItems;
  return { possible, fill: nRatings / possible };
}

/** The source's Netflix figures: 200M users, 15K movies, 20B ratings. */
export const NETFLIX = { users: 200e6, items: 15e3, ratings: 20e9 };

/** Quiz 2: W is N x r, H is r x M, r(N + M) parameters (against N M cells). */
export function quiz2(nUsers: number, nItems: number, rank: number): { W: [number, number]; H: [number, number]; parameters: number; cells: number } {
  return { W: [nUsers, rank], H: [rank, nItems], parameters: rank * (nUsers + nItems), cells: nUsers * nItems };
}

/** ALS from random film factors (seeded, N(0, 1) entries) on the toy table: people first, `iterations` times. */
function alsFromSeed(seed: number, rank: number, lambda: number, iterations: number): { W: Float64Array; H: Float64Array; rmse: number; P: number[][] } {
  const { byRow, byCol } = csrOf(TOY_TABLE);
  const rng = new Rng(seed);
  let H: Float64Array = Float64Array.from({ length: 5 * rank }, () => rng.normal());
  let W: Float64Array = new Float64Array(3 * rank);
  for (let t = 0; t < iterations; t++) {
    W = solveRows(byRow, H, rank, lambda, 'user', TOY_PEOPLE).X;
    H = solveRows(byCol, W, rank, lambda, 'item', TOY_MOVIES).X;
  }
  const P = predictAll(W, H, 3, 5, rank);
  return { W, H, rmse: rmseKnown(TOY_TABLE, P), P };
}

export interface SeedRun {
  seed: number;
  rmse: number;
  /** Alice's factors. */
  alice: number[];
  bobSholay: number;
  carolSwades: number;
}

/**
 * Local optima: the same table and settings from several seeds. The objective is not convex in
 * (W, H) jointly; ALS reaches different factors (any invertible R with W R, H R⁻ᵀ fits equally,
 * and distinct stationary points exist), with similar error on the known cells.
 */
export function localOptima(seeds: number[], rank = 2, lambda = 0.1, iterations = 50): SeedRun[] {
  return seeds.map((seed) => {
    const r = alsFromSeed(seed, rank, lambda, iterations);
    return { seed, rmse: r.rmse, alice: Array.from(r.W.subarray(0, rank)), bobSholay: r.P[1][0], carolSwades: r.P[2][1] };
  });
}

/**
 * The rank-1 case: r = 1 makes every prediction w_u h_i, so each person's row is one film vector h
 * scaled by a number; everyone whose w has the same sign ranks the films in the same order.
 */
export function rankOne(lambda = 0.1, iterations = 50): { w: number[]; h: number[]; P: number[][]; orders: number[][]; sameOrder: boolean; rmse: number } {
  const r = alsFromSeed(1, 1, lambda, iterations);
  const orders = r.P.map((row) => row.map((_, i) => i).sort((x, y) => row[y] - row[x]));
  // Same sign as Alice: her order; opposite sign: her order reversed.
  const sameOrder = orders.every((o, k) => o.join() === (Math.sign(r.W[k]) === Math.sign(r.W[0]) ? orders[0] : [...orders[0]].reverse()).join());
  return { w: Array.from(r.W), h: Array.from(r.H), P: r.P, orders, sameOrder, rmse: r.rmse };
}
