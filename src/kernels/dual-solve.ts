/**
 * The straight-line parts of shaders/dual_solve.wgsl (the n x n dual solve of rows with fewer
 * ratings than unknowns), written per layout: one factor row's rank columns in named vectors (the
 * widest load the stride allows, lanes past the rank masked off), the dot product of two such rows,
 * and x's accumulators. Like normal-eq-rows.ts, this is text because WGSL cannot unroll a loop into
 * named variables and a private array indexed at run time is memory traffic on software adapters.
 */
import dualSolve from '../../shaders/dual_solve.wgsl?raw';
import dualSolveRegs from '../../shaders/dual_solve_regs.wgsl?raw';
import solveParams from '../../shaders/solve_params.wgsl?raw';
import { fillMarkers, loadWidth, registerCholesky, type RowsLayout } from './normal-eq-rows.ts';

/**
 * Row-length buckets of the register kernels (shaders/dual_solve_regs.wgsl), largest first: rows of
 * (next, NB] ratings take the kernel of NB unknowns (the smallest from 1); longer dual rows take the
 * storage kernel. 16 keeps the triangle (136 scalars) within what the register build holds.
 */
export const DUAL_BUCKETS = [16, 8, 4] as const;
/** The Params fields that start each range of the row order: the storage kernel's, then each bucket's. */
export const DUAL_STARTS = ['dual0', 'dual1', 'dual2', 'dual3'] as const;

const LANE = ['x', 'y', 'z', 'w'];

/** Vectors of W floats that cover a row's rank columns (columns 0 .. rank - 1). */
const rankVectors = (rank: number, W: number): number => Math.ceil(rank / W);

/**
 * The mask of rank vector v (it covers columns vW ..): a vec of W with 0 in the lanes at or past
 * column `rank` (the bias columns), or null when every lane is a rank column.
 */
function laneMask(v: number, W: number, rank: number): string | null {
  const lanes = Array.from({ length: W }, (_, l) => (v * W + l < rank ? '1.0' : '0.0'));
  return W === 1 || lanes.every((l) => l === '1.0') ? null : `vec${W}<f32>(${lanes.join(', ')})`;
}

/** Column c of the factor row starting at vector `base` (a row of stride / W vectors). */
const column = (W: number, base: string, c: number): string => (W === 1 ? `Y_at(${base} + ${c}u)` : `Y_at(${base} + ${Math.floor(c / W)}u).${LANE[c % W]}`);

/**
 * Loads factor row `idx[q]` as `${p}0 ..` (rank columns), `xb${p}` (the column of this side's bias
 * unknown, 0 without biases) and `yb${p}` (the other side's bias, 0 without biases).
 */
function loadCode(L: RowsLayout, p: string, q: string): string {
  const W = loadWidth(L.stride);
  const nv = rankVectors(L.rank, W);
  const lines = [`let o${p} = idx[${q}] * ${L.stride / W}u;`];
  for (let v = 0; v < nv; v++) {
    const m = laneMask(v, W, L.rank);
    lines.push(`let ${p}${v} = Y_at(o${p} + ${v}u)${m ? ` * ${m}` : ''};`);
  }
  lines.push(`let xb${p} = ${L.bias ? column(W, `o${p}`, L.xBias) : '0.0'};`);
  lines.push(`let yb${p} = ${L.bias ? column(W, `o${p}`, L.yBias) : '0.0'};`);
  return lines.join('\n    ');
}

/** The complete WGSL (solve_params.wgsl prepended) of the dual solve for one layout. */
export function dualSolveWgsl(L: RowsLayout): string {
  const W = loadWidth(L.stride);
  const nv = rankVectors(L.rank, W);
  const T = W === 1 ? 'f32' : `vec${W}<f32>`;
  const dot = Array.from({ length: nv }, (_, v) => (W === 1 ? `s = fma(a${v}, b${v}, s);` : `s = s + dot(a${v}, b${v});`));
  const decl = Array.from({ length: nv }, (_, v) => `var x${v} = ${T}(0.0);`);
  if (L.bias) decl.push('var xs = 0.0;');
  const acc = Array.from({ length: nv }, (_, v) => `x${v} = fma(${T}(z), a${v}, x${v});`);
  if (L.bias) acc.push('xs = fma(z, xba, xs);');
  const store: string[] = [];
  const zero: string[] = [];
  for (let t = 0; t < L.rank; t++) {
    const v = Math.floor(t / W);
    store.push(`X[xo + ${t}u] = ${W === 1 ? `x${v}` : `x${v}.${LANE[t % W]}`} * inv;`);
    zero.push(`X[xo + ${t}u] = 0.0;`);
  }
  if (L.bias) {
    store.push(`X[xo + ${L.xBias}u] = xs * invB;`);
    zero.push(`X[xo + ${L.xBias}u] = 0.0;`);
  }
  const parts: Record<string, string> = {
    Y_TYPE: T,
    INV_BIAS: L.bias ? '1.0 / (P.lambdaBias * scale)' : '0.0',
    'LOAD(a, q)': loadCode(L, 'a', 'q'),
    'LOAD(b, p0 + b)': loadCode(L, 'b', 'p0 + b'),
    'LOAD(a, p0 + a)': loadCode(L, 'a', 'p0 + a'),
    DOT: dot.join('\n      '),
    ZERO_X: zero.join(' '),
    DECLARE_X: decl.join(' '),
    ACCUMULATE_X: acc.join('\n    '),
    STORE_X: store.join('\n  '),
  };
  return solveParams + fillMarkers(dualSolve, 'shaders/dual_solve.wgsl', parts);
}

/**
 * The WGSL of the register dual solve for rows of at most NB = DUAL_BUCKETS[bucket] ratings (rows of
 * the order from Params.dual{bucket + 1} to the next bucket's start, or the batch's end).
 */
export function dualSolveRegsWgsl(L: RowsLayout, bucket: number): string {
  const NB = DUAL_BUCKETS[bucket];
  const W = loadWidth(L.stride);
  const nv = rankVectors(L.rank, W);
  const T = W === 1 ? 'f32' : `vec${W}<f32>`;
  const ks = Array.from({ length: NB }, (_, k) => k);
  const g = (a: number, b: number) => `g${a}_${b}`;
  // the last rank vector's lanes past the rank (bias columns) are masked off
  const last = laneMask(nv - 1, W, L.rank);
  const load = (k: number) => `let y${k} = Y_at(c${k} + v) * m${k}${last ? ' * lm' : ''};`;
  const lastMask = last ? [`let lm = select(${T}(1.0), ${last}, v == ${nv - 1}u);`] : [];
  // rating k of the row (a padding row repeats the last rating; its mask m_k is 0)
  const rating = (k: number) => `p0 + ${k === 0 ? '0u' : `min(${k}u, n - 1u)`}`;
  const rows = ks.flatMap((k) => [
    `let c${k} = idx[${rating(k)}] * ${L.stride / W}u;`,
    `let m${k} = ${k === 0 ? '1.0' : `select(0.0, 1.0, ${k}u < n)`};`,
  ]);
  const gram = [...lastMask, ...ks.map(load)];
  for (const a of ks) for (let b = a; b < NB; b++) gram.push(W === 1 ? `${g(a, b)} = fma(y${a}, y${b}, ${g(a, b)});` : `${g(a, b)} = ${g(a, b)} + dot(y${a}, y${b});`);
  // the bias columns (scalar reads), the targets, and M = inv G + invB xb xb^T + I
  const finish: string[] = [];
  for (const k of ks) {
    finish.push(`let xb${k} = ${L.bias ? `${column(W, `c${k}`, L.xBias)} * m${k}` : '0.0'};`);
    finish.push(`var h${k} = ratingWeights(val[${rating(k)}], ${L.bias ? column(W, `c${k}`, L.yBias) : '0.0'}).y * m${k};`);
  }
  for (const a of ks) for (let b = a; b < NB; b++) finish.push(`${g(a, b)} = fma(${g(a, b)}, inv, xb${a} * xb${b} * invB)${a === b ? ' + 1.0' : ''};`);
  const xPass = [...lastMask, ...ks.map(load), `var xv = y0 * h0;`, ...ks.slice(1).map((k) => `xv = fma(${T}(h${k}), y${k}, xv);`)];
  if (W === 1) xPass.push('if (v < RANK) { X[xo + v] = xv * inv; }');
  else for (let l = 0; l < W; l++) xPass.push(`if (v * ${W}u + ${l}u < RANK) { X[xo + v * ${W}u + ${l}u] = xv.${LANE[l]} * inv; }`);
  const xBias = L.bias ? `X[xo + ${L.xBias}u] = (${ks.map((k) => `h${k} * xb${k}`).join(' + ')}) * invB;` : '';
  const parts: Record<string, string> = {
    Y_TYPE: T,
    FIRST: `P.${DUAL_STARTS[bucket + 1]}`,
    END: bucket + 2 < DUAL_STARTS.length ? `P.${DUAL_STARTS[bucket + 2]}` : 'P.rowCount',
    INV_BIAS: L.bias ? '1.0 / (P.lambdaBias * scale)' : '0.0',
    ROWS: rows.join('\n  '),
    DECLARE: ks.map((a) => ks.slice(a).map((b) => `var ${g(a, b)} = 0.0;`).join(' ')).join('\n  '),
    NV: String(nv),
    GRAM_PASS: gram.join('\n    '),
    FINISH_M: finish.join('\n  '),
    SOLVE: registerCholesky(NB).join('\n  '),
    X_PASS: xPass.join('\n    '),
    X_BIAS: xBias,
  };
  return solveParams + fillMarkers(dualSolveRegs, 'shaders/dual_solve_regs.wgsl', parts);
}
