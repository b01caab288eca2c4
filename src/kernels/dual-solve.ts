/**
 * The straight-line parts of shaders/dual_solve.wgsl (the n x n dual solve of rows with fewer
 * ratings than unknowns), written per layout: one factor row's rank columns in named vectors (the
 * widest load the stride allows, lanes past the rank masked off), the dot product of two such rows,
 * and x's accumulators. Like normal-eq-rows.ts, this is text because WGSL cannot unroll a loop into
 * named variables and a private array indexed at run time is memory traffic on software adapters.
 */
import dualSolve from '../../shaders/dual_solve.wgsl?raw';
import solveParams from '../../shaders/solve_params.wgsl?raw';
import { loadWidth, type RowsLayout } from './normal-eq-rows.ts';

const LANE = ['x', 'y', 'z', 'w'];

/** Vectors of W floats that cover a row's rank columns (columns 0 .. rank - 1). */
const rankVectors = (rank: number, W: number): number => Math.ceil(rank / W);

/** A vector of W floats with lanes at or past column `rank` zeroed (vector v covers columns vW ..). */
function mask(v: number, W: number, rank: number): string {
  const lanes = Array.from({ length: W }, (_, l) => (v * W + l < rank ? '1.0' : '0.0'));
  return lanes.every((l) => l === '1.0') ? '' : ` * vec${W}<f32>(${lanes.join(', ')})`;
}

/**
 * Loads factor row `idx[q]` as `${p}0 ..` (rank columns), `xb${p}` (the column of this side's bias
 * unknown, 0 without biases) and `yb${p}` (the other side's bias, 0 without biases).
 */
function loadCode(L: RowsLayout, p: string, q: string): string {
  const W = loadWidth(L.stride);
  const nv = rankVectors(L.rank, W);
  const lines = [`let o${p} = idx[${q}] * ${L.stride / W}u;`];
  const at = (c: number) => (W === 1 ? `Y_at(o${p} + ${c}u)` : `Y_at(o${p} + ${Math.floor(c / W)}u).${LANE[c % W]}`);
  for (let v = 0; v < nv; v++) lines.push(`let ${p}${v} = Y_at(o${p} + ${v}u)${W === 1 ? '' : mask(v, W, L.rank)};`);
  lines.push(`let xb${p} = ${L.bias ? at(L.xBias) : '0.0'};`);
  lines.push(`let yb${p} = ${L.bias ? at(L.yBias) : '0.0'};`);
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
  let code = dualSolve;
  for (const [k, v] of Object.entries(parts)) {
    const marker = `/*@${k}*/`;
    if (!code.includes(marker)) throw new Error(`shaders/dual_solve.wgsl has no marker ${marker}`);
    code = code.split(marker).join(v);
  }
  const left = /\/\*@[A-Z_]+/.exec(code);
  if (left) throw new Error(`shaders/dual_solve.wgsl: marker ${left[0]}*/ not filled`);
  return solveParams + code;
}
