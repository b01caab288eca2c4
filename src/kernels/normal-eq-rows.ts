/**
 * The straight-line parts of shaders/normal_eq_rows.wgsl, written per (K, band, mode): the named
 * accumulators of a band of the upper triangle, the per-rating update, the base Gram and lambda,
 * and either the stores of the band ('build') or the fused register Cholesky solve ('solve').
 * WGSL cannot unroll a loop into named variables, and on software adapters a private array indexed
 * at run time is memory traffic per access, so the text is generated here; everything that an
 * `override` can carry (K, RANK, WG) still goes through overrides.
 */
import normalEqRows from '../../shaders/normal_eq_rows.wgsl?raw';
import solveParams from '../../shaders/solve_params.wgsl?raw';
import { SHARED } from './constants.ts';

export type RowsMode = 'build' | 'solve';

/** A band of rows [a0, a1) of the K x K upper triangle (and of b) that one invocation accumulates. */
export interface Band {
  a0: number;
  a1: number;
}

/** Accumulators of band [a0, a1): its upper-triangle entries plus its right-hand-side entries. */
export const bandAccumulators = (K: number, b: Band): number => {
  let n = 0;
  for (let a = b.a0; a < b.a1; a++) n += K - a + 1;
  return n;
};

/**
 * Cuts the K rows of the triangle into bands of at most `maxAcc` accumulators each (a band holds at
 * least one row). One band means the system fits one invocation and the solve can be fused.
 */
export function planBands(K: number, maxAcc: number = SHARED.ROWS_MAX_ACC): Band[] {
  const out: Band[] = [];
  let a0 = 0;
  while (a0 < K) {
    let a1 = a0;
    let acc = 0;
    while (a1 < K && (a1 === a0 || acc + (K - a1 + 1) <= maxAcc)) acc += K - a1++ + 1;
    out.push({ a0, a1 });
    a0 = a1;
  }
  return out;
}

const g = (a: number, b: number) => `g${a}_${b}`;

/** Where one side's solve reads its factor rows: the layout's columns, known when the pipeline is made. */
export interface RowsLayout {
  rank: number;
  stride: number;
  /** Factor column of this side's bias (unknown K - 1 with biases). */
  xBias: number;
  /** Factor column of the other side's bias (0 without biases). */
  yBias: number;
  bias: boolean;
}

/** Floats per load of a factor row: the widest vector the stride is a multiple of. */
export const loadWidth = (stride: number): 1 | 2 | 4 => (stride % 4 === 0 ? 4 : stride % 2 === 0 ? 2 : 1);

/** Column of unknown t in a factor row (the rank columns, then this side's bias column). */
const colOf = (t: number, L: RowsLayout) => (t < L.rank ? t : L.xBias);
const colExpr = (t: number, rank: number, at: string) => (t < rank ? `${at} + ${t}u` : `${at} + P.xBias`);
const LANE = ['x', 'y', 'z', 'w'];

function ratingCode(K: number, L: RowsLayout, band: Band, p: string): string {
  const { a0, a1 } = band;
  const W = loadWidth(L.stride);
  const lines: string[] = ['{', `  let q = ${p};`, `  let yo = idx[q] * ${L.stride / W}u;`];
  // one vector load per W-wide group of columns the band reads (the other side's bias included)
  const cols = new Set<number>();
  for (let b = a0; b < K; b++) cols.add(colOf(b, L));
  if (L.bias) cols.add(L.yBias);
  const vecs = [...new Set([...cols].map((c) => Math.floor(c / W)))].sort((x, y) => x - y);
  for (const v of vecs) lines.push(`  let v${v} = Y_at(yo + ${v}u);`);
  const at = (c: number) => (W === 1 ? `v${c}` : `v${Math.floor(c / W)}.${LANE[c % W]}`);
  lines.push(`  let wt = ratingWeights(val[q], ${L.bias ? at(L.yBias) : '0.0'});`);
  for (let b = a0; b < K; b++) lines.push(`  let y${b} = ${at(colOf(b, L))};`);
  for (let a = a0; a < a1; a++) lines.push(`  let w${a} = wt.x * y${a};`);
  for (let a = a0; a < a1; a++) {
    for (let b = a; b < K; b++) lines.push(`  ${g(a, b)} = fma(w${a}, y${b}, ${g(a, b)});`);
    lines.push(`  h${a} = fma(wt.y, y${a}, h${a});`);
  }
  lines.push('}');
  return lines.join('\n    ');
}

function declare(K: number, band: Band): string {
  const out: string[] = [];
  for (let a = band.a0; a < band.a1; a++) {
    const row: string[] = [];
    for (let b = a; b < K; b++) row.push(`var ${g(a, b)} = 0.0;`);
    row.push(`var h${a} = 0.0;`);
    out.push(row.join(' '));
  }
  return out.join('\n  ');
}

function addBase(K: number, band: Band): string {
  const out: string[] = [];
  for (let a = band.a0; a < band.a1; a++) for (let b = a; b < K; b++) out.push(`${g(a, b)} += base[${a * K + b}u];`);
  return out.join('\n    ');
}

function addLambda(rank: number, band: Band): string {
  const out: string[] = [];
  for (let a = band.a0; a < band.a1; a++) out.push(`${g(a, a)} += ${a < rank ? 'P.lambda' : 'P.lambdaBias'} * scale;`);
  return out.join('\n  ');
}

function storeBand(K: number, band: Band): string {
  const out = [`let ao = r * ${K * K}u;`, `let bo = r * ${K}u;`];
  for (let a = band.a0; a < band.a1; a++) {
    for (let b = a; b < K; b++) out.push(`A[ao + ${a * K + b}u] = ${g(a, b)};`);
    out.push(`B[bo + ${a}u] = h${a};`);
  }
  return out.join('\n  ');
}

function zeroFactors(K: number, rank: number): string {
  const out: string[] = [];
  for (let t = 0; t < K; t++) out.push(`X[${colExpr(t, rank, 'xo')}] = 0.0;`);
  return out.join(' ');
}

/**
 * Right-looking Cholesky of the K x K upper triangle held in the named scalars g{a}_{b}, in place
 * (U), with the relative pivot rule (a bad pivot becomes 1 and sets `failed`, declared here), then
 * U^T z = h and U x = z in place in h0 .. h{K-1}. Also the dual solve's register kernels' solve.
 */
export function registerCholesky(K: number): string[] {
  const o: string[] = ['var failed = false;'];
  for (let k = 0; k < K; k++) o.push(`let o${k} = ${g(k, k)};`);
  for (let k = 0; k < K; k++) {
    o.push(`{ let d = ${g(k, k)}; let bad = !(d > PIV_TOL * o${k}) || !(d <= 3.0e38); failed = failed || bad;`);
    o.push(`  ${g(k, k)} = select(sqrt(d), 1.0, bad); let inv = 1.0 / ${g(k, k)};`);
    for (let j = k + 1; j < K; j++) o.push(`  ${g(k, j)} = ${g(k, j)} * inv;`);
    for (let i = k + 1; i < K; i++) for (let j = i; j < K; j++) o.push(`  ${g(i, j)} = fma(-${g(k, i)}, ${g(k, j)}, ${g(i, j)});`);
    o.push('}');
  }
  // U^T z = b (forward), then U x = z (backward), in place in h
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < k; i++) o.push(`h${k} = fma(-${g(i, k)}, h${i}, h${k});`);
    o.push(`h${k} = h${k} / ${g(k, k)};`);
  }
  for (let k = K - 1; k >= 0; k--) {
    for (let j = k + 1; j < K; j++) o.push(`h${k} = fma(-${g(k, j)}, h${j}, h${k});`);
    o.push(`h${k} = h${k} / ${g(k, k)};`);
  }
  return o;
}

/** The fused solve: registerCholesky, then the stores of U, x and the factors. */
function solveCode(K: number, rank: number): string {
  const o: string[] = ['let xo = (row - P.xRow0) * P.stride;', ...registerCholesky(K)];
  o.push(storeBand(K, { a0: 0, a1: K }));
  o.push(`if (failed) { ${zeroFactors(K, rank)} atomicAdd(&status[0], 1u); atomicMin(&status[1], row); return; }`);
  for (let t = 0; t < K; t++) o.push(`X[${colExpr(t, rank, 'xo')}] = h${t};`);
  return o.join('\n  ');
}

const SOLVE_BINDINGS = [
  '@group(0) @binding(8) var<storage, read_write> X: array<f32>;',
  '@group(0) @binding(9) var<storage, read_write> status: array<atomic<u32>, 2>;',
].join('\n');

/** The complete WGSL (solve_params.wgsl prepended) of one band's build, or of the fused solve. */
export function normalEqRowsWgsl(K: number, L: RowsLayout, band: Band, mode: RowsMode, unroll = 2): string {
  const rank = L.rank;
  const W = loadWidth(L.stride);
  if (mode === 'solve' && (band.a0 !== 0 || band.a1 !== K)) throw new Error(`a fused solve needs the whole system in one band (K = ${K}, band ${band.a0}..${band.a1})`);
  const parts: Record<string, string> = {
    SOLVE_BINDINGS: mode === 'solve' ? SOLVE_BINDINGS : '',
    EMPTY_ROW: mode === 'solve' ? `if (n == 0u) { let xo = (row - P.xRow0) * P.stride; ${zeroFactors(K, rank)} return; }` : '',
    DECLARE: declare(K, band),
    Y_TYPE: W === 1 ? 'f32' : `vec${W}<f32>`,
    'RATING(p)': ratingCode(K, L, band, 'p'),
    'RATING(p + 1u)': unroll === 2 ? ratingCode(K, L, band, 'p + 1u') : '',
    STEP: unroll === 2 ? '2u' : '1u',
    ADD_BASE: addBase(K, band),
    ADD_LAMBDA: addLambda(rank, band),
    FINISH: mode === 'solve' ? solveCode(K, rank) : storeBand(K, band),
  };
  return solveParams + fillMarkers(normalEqRows, 'shaders/normal_eq_rows.wgsl', parts);
}

/**
 * `src` (the text of `file`) with every marker comment @NAME replaced by parts[NAME]: throws when a
 * part has no marker or a marker is left unfilled (the generated kernels' shared check).
 */
export function fillMarkers(src: string, file: string, parts: Record<string, string>): string {
  let code = src;
  for (const [k, v] of Object.entries(parts)) {
    const marker = `/*@${k}*/`;
    if (!code.includes(marker)) throw new Error(`${file} has no marker ${marker}`);
    code = code.split(marker).join(v);
  }
  const left = /\/\*@[A-Z_]+/.exec(code);
  if (left) throw new Error(`${file}: marker ${left[0]}*/ not filled`);
  return code;
}
