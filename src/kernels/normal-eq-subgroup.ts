/**
 * The straight-line parts of shaders/normal_eq_subgroup.wgsl, written per K: lane l of a row's
 * quad owns unknowns 4c + l; for each row a of the triangle and each column group c with
 * 4c + 3 >= a it holds one named accumulator g{a}_{c} (A[a][4c + l]), and h{c} (b[4c + l]).
 * WGSL cannot unroll a loop into named variables and `subgroupBroadcast` needs a constant lane, so
 * the text is generated here; K, RANK and WG still go through overrides.
 */
import normalEqSubgroup from '../../shaders/normal_eq_subgroup.wgsl?raw';
import solveParams from '../../shaders/solve_params.wgsl?raw';
import type { GpuContext } from '../gpu/context.ts';
import { fillMarkers } from './normal-eq-rows.ts';

/** Lanes that share one row. */
export const SUBGROUP_LANES = 4;

/**
 * How the quad shares values: 'broadcast' (subgroups are exactly 4 wide: subgroupBroadcast from a
 * constant lane) or 'shuffle' (wider subgroups, several rows each: subgroupShuffle within the quad);
 * null where the device has no subgroups, or subgroups narrower than 4 (or of unknown size).
 */
export function subgroupShare(gpu: GpuContext): 'broadcast' | 'shuffle' | null {
  const s = gpu.subgroups;
  if (!s || s.minSize < SUBGROUP_LANES || s.minSize % SUBGROUP_LANES !== 0) return null;
  return s.minSize === SUBGROUP_LANES && s.maxSize === SUBGROUP_LANES ? 'broadcast' : 'shuffle';
}

/** Named accumulators per lane for K unknowns: the triangle's share of a lane plus its b entries. */
export function subgroupAccumulators(K: number): number {
  const C = Math.ceil(K / SUBGROUP_LANES);
  let n = C;
  for (let a = 0; a < K; a++) n += C - Math.floor(a / SUBGROUP_LANES);
  return n;
}

/** The complete WGSL (`enable subgroups;`, solve_params.wgsl, the kernel) of the subgroup build for K unknowns. */
export function normalEqSubgroupWgsl(K: number, rank: number, bias: boolean, share: 'broadcast' | 'shuffle'): string {
  const S = SUBGROUP_LANES;
  const C = Math.ceil(K / S);
  const sh = (x: string, j: number) => (share === 'broadcast' ? `subgroupBroadcast(${x}, ${j}u)` : `subgroupShuffle(${x}, first + ${j}u)`);
  const g = (a: number, c: number) => `g${a}_${c}`;
  const c0 = (a: number) => Math.floor(a / S);
  const columns: string[] = [];
  for (let c = 0; c < C; c++) columns.push(`let t${c} = min(${S * c}u + lane, K - 1u); let k${c} = col(t${c});`);
  const declare: string[] = [];
  for (let a = 0; a < K; a++) {
    const row: string[] = [];
    for (let c = c0(a); c < C; c++) row.push(`var ${g(a, c)} = 0.0;`);
    declare.push(row.join(' '));
  }
  declare.push(Array.from({ length: C }, (_, c) => `var h${c} = 0.0;`).join(' '));
  const rating: string[] = ['let yo = idx[p] * P.stride;'];
  for (let c = 0; c < C; c++) rating.push(`let u${c} = Y_at(yo + k${c});`);
  rating.push(`let wt = ratingWeights(val[p], ${bias ? 'Y_at(yo + P.yBias)' : '0.0'});`);
  for (let a = 0; a < K; a++) rating.push(`let w${a} = wt.x * ${sh(`u${c0(a)}`, a % S)};`);
  for (let a = 0; a < K; a++) for (let c = c0(a); c < C; c++) rating.push(`${g(a, c)} = fma(w${a}, u${c}, ${g(a, c)});`);
  for (let c = 0; c < C; c++) rating.push(`h${c} = fma(wt.y, u${c}, h${c});`);
  const addBase: string[] = [];
  for (let a = 0; a < K; a++) for (let c = c0(a); c < C; c++) addBase.push(`${g(a, c)} += base[${a * K}u + t${c}];`);
  const addLambda: string[] = [];
  for (let a = 0; a < K; a++) addLambda.push(`${g(a, c0(a))} += select(0.0, ${a < rank ? 'P.lambda' : 'P.lambdaBias'} * scale, lane == ${a % S}u);`);
  const store: string[] = [...Array.from({ length: C }, (_, c) => `h${c} += poison;`), `let ao = r * ${K * K}u;`, `let bo = r * ${K}u;`];
  for (let a = 0; a < K; a++) {
    for (let c = c0(a); c < C; c++) {
      // whole group inside the triangle and the matrix: every lane stores; else only lanes on or
      // above the diagonal and before K
      const conds: string[] = [];
      if (S * c < a) conds.push(`${S * c}u + lane >= ${a}u`);
      if (S * c + S > K) conds.push(`${S * c}u + lane < K`);
      const st = `A[ao + ${a * K}u + ${S * c}u + lane] = ${g(a, c)} + poison;`;
      store.push(conds.length ? `if (${conds.join(' && ')}) { ${st} }` : st);
    }
  }
  for (let c = 0; c < C; c++) {
    const st = `B[bo + ${S * c}u + lane] = h${c};`;
    store.push(S * c + S > K ? `if (${S * c}u + lane < K) { ${st} }` : st);
  }
  const parts: Record<string, string> = {
    'SHARE(slot, 0)': sh('slot', 0),
    COLUMNS: columns.join('\n  '),
    DECLARE: declare.join('\n  '),
    RATING: rating.join('\n    '),
    ADD_BASE: addBase.join('\n    '),
    ADD_LAMBDA: addLambda.join('\n  '),
    STORE: store.join('\n  '),
  };
  const code = fillMarkers(normalEqSubgroup, 'shaders/normal_eq_subgroup.wgsl', parts);
  // subgroup operations inside the per-row loop: the quad of a row runs it together, which WGSL's
  // uniformity analysis cannot see, so its subgroup check is off for this shader
  return 'enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n' + solveParams + code;
}
