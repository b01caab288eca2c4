/**
 * The mutations `npm run test:mutants` applies, one at a time (test/mutants/run.ts). Each entry is a
 * bug the GPU suite must catch: `find` is an exact snippet of `file` (it must occur exactly once, so
 * an entry goes stale loudly when the kernel changes), `replace` the broken code, `why` what the
 * bug would mean for a user. `cases` (substrings of GPU case names, see test/gpu/*.ts) narrows the
 * run to the cases that exercise the file; without it, `casesFor[file]` is used. `sample` marks the
 * few that `npm test` runs every time (test/mutants.test.ts). Host logic with no GPU case of its own
 * (the hyperparameter search) names `tests` instead: Node test files (and an optional name pattern,
 * `testPattern`) that run in its place; a failing test kills the mutant.
 *
 * A new kernel adds its mutants here. A mutant that survives is a missing test; one that cannot
 * change any result (an equivalent mutation) is not listed — the ones considered and dropped are
 * noted at the end of this file.
 */
import { CPU_ENGINE_CASES, cpuEngineMutants } from './cpu-engine.ts';

export type MutantKind = 'operator' | 'off-by-one' | 'dropped' | 'index' | 'skipped' | 'barrier' | 'sentinel';

export interface Mutant {
  id: string;
  file: string;
  find: string;
  replace: string;
  kind: MutantKind;
  why: string;
  cases?: string[];
  /** Node test files (test/*.test.ts) that run instead of GPU cases. */
  tests?: string[];
  /** With `tests`: only the tests whose names match (vitest's -t). */
  testPattern?: string;
  sample?: boolean;
}

const SGD = ['sgd: the source', 'sgd: Hogwild', 'sgd: stratified', 'sgd: multi-epoch', 'sgd: partialFit'];
const NEQ_TILED = ['normal equations (Gram upper triangle + rhs) match f64, tiled', 'whole fit: ALS tiled'];
const NEQ_DIRECT = ['normal equations (Gram upper triangle + rhs) match f64, direct', 'whole fit: ALS direct'];
const NEQ_ROWS = [
  'normal equations (Gram upper triangle + rhs) match f64, direct kernels: ',
  'direct kernels (register build forced)',
  'batched Cholesky: factor and solve residuals within 20·K·u, direct',
  'whole fit: ALS direct',
];
// the subgroup build: its own K = 26 implicit case, then SHAPES' rank 33 biased and rank 64 systems
// ('auto' takes the subgroup build for them on an adapter with subgroups)
const NEQ_SUB = [
  'direct kernels (subgroup build',
  'match f64, direct kernels: rank 33',
  'within 20·K·u, direct kernels: rank 33',
  'match f64, direct kernels: rank 64',
];
const CHOL_TILED = ['batched Cholesky: factor and solve residuals within 20·K·u, tiled', 'rank 128 biased Cholesky solve agrees with f64, tiled', 'lambda = 0', 'rank 256'];
const CHOL_DIRECT = ['batched Cholesky: factor and solve residuals within 20·K·u, direct kernels (s', 'a nearly singular system', 'batched Cholesky: factor and solve residuals within 20·K·u, direct', 'rank 128 biased Cholesky solve agrees with f64, direct', 'lambda = 0'];
// the dual solve of short rows: its own cases (every layout), then the whole fits that take it
const DUAL = ['dual solve', 'whole fit: ALS direct kernels, Cholesky'];
const TUNE = ['test/tune.test.ts'];
const TUNE_CPU = '^tune (?!on the GPU)';
const TUNE_GPU = '^tune on the GPU';
const MODEL = ['recommend', 'similar items', 'batched predict', 'fold-in users', 'evaluate on the GPU'];

/** Default cases per file: the ones that run its kernels (cheapest first where the order allows). */
export const casesFor: Record<string, string[]> = {
  'shaders/sgd.wgsl': SGD,
  'shaders/sgd_lanes.wgsl': SGD,
  'shaders/shuffle.wgsl': ['sgd: the GPU shuffle', 'sgd: Hogwild'],
  'shaders/feistel.wgsl': ['sgd: the GPU shuffle', 'sgd: each epoch walks the Hogwild runs', 'sgd: Hogwild'],
  'shaders/sgd_params.wgsl': ['sgd: each epoch walks the Hogwild runs', ...SGD],
  'shaders/gd.wgsl': ['gd: full-batch'],
  'shaders/loss.wgsl': ['loss reduction', 'sgd: stratified', 'implicit ALS', 'whole fit'],
  'shaders/normal_eq.wgsl': NEQ_TILED,
  'shaders/normal_eq_direct.wgsl': NEQ_DIRECT,
  'shaders/normal_eq_rows.wgsl': NEQ_ROWS,
  'shaders/loss_direct.wgsl': ['loss reduction', 'whole fit: ALS direct'],
  'src/kernels/normal-eq-rows.ts': NEQ_ROWS,
  'shaders/normal_eq_subgroup.wgsl': NEQ_SUB,
  'src/kernels/normal-eq-subgroup.ts': NEQ_SUB,
  'shaders/normal_eq_finish.wgsl': ['normal equations', 'whole fit: ALS'],
  'shaders/solve_params.wgsl': ['normal equations', 'whole fit: ALS', 'implicit'],
  'shaders/cholesky.wgsl': CHOL_TILED,
  'shaders/cholesky_direct.wgsl': CHOL_DIRECT,
  'shaders/cg.wgsl': ['CG', 'cg'],
  'shaders/cholesky_blocked.wgsl': CHOL_DIRECT,
  'shaders/dual_solve.wgsl': DUAL,
  'src/kernels/dual-solve.ts': DUAL,
  'shaders/dual_solve_regs.wgsl': DUAL,
  'src/kernels/cg-direct.ts': ['CG', 'cg'],
  'shaders/gram.wgsl': ['convergence quantity', 'implicit ALS', 'whole fit: ALS'],
  'shaders/score.wgsl': MODEL,
  'shaders/topk.wgsl': MODEL,
  'shaders/metrics_rank.wgsl': ['evaluate on the GPU'],
  'shaders/metrics_hits.wgsl': ['ndcgOnDevice'],
  'shaders/score_pairs.wgsl': ['batched predict', 'evaluate on the GPU'],
  'shaders/similar_norms.wgsl': ['similar items', 'fold-in users'],
  'shaders/prelude.wgsl': ['dispatch helper folds'],
  'shaders/calib_fma.wgsl': ['calibration'],
  'shaders/calib_copy.wgsl': ['calibration'],
  'src/kernels/normal-eq.ts': ['normal equations', 'batched Cholesky', 'whole fit: ALS'],
  'src/kernels/loss.ts': ['loss reduction', 'sgd: stratified', 'implicit ALS', 'whole fit'],
  'src/kernels/sgd.ts': ['sgd: the GPU shuffle', ...SGD],
  'src/kernels/gd.ts': ['gd: full-batch'],
  'src/kernels/topk.ts': MODEL,
  'src/kernels/score.ts': MODEL,
  'src/kernels/ranks.ts': ['evaluate on the GPU'],
  'src/kernels/pairs.ts': ['batched predict', 'evaluate on the GPU'],
  'src/gpu/wgsl.ts': ['loss reduction', 'sgd: the source', 'normal equations'],
  'src/kernels/gram.ts': ['convergence quantity', 'implicit ALS'],
  'src/kernels/device-csr.ts': ['chunking: a CSR over', 'chunking: ALS-WR', 'whole fit: ALS'],
};

export const mutants: Mutant[] = [
  // ---------------------------------------------------------------- shared helpers (shaders/prelude.wgsl)
  {
    id: 'prelude.workgroup-row', file: 'shaders/prelude.wgsl', kind: 'index',
    find: '  return wid.x + wid.y * nwg.x;', replace: '  return wid.x + wid.y * (nwg.x - 1u);',
    why: 'a dispatch folded into 2-D gives two workgroups of each row boundary the same linear id',
  },
  // ---------------------------------------------------------------- SGD, one invocation per rating (shaders/sgd.wgsl)
  {
    id: 'sgd.hogwild-drop-every-20th', file: 'shaders/sgd.wgsl', kind: 'skipped', sample: true,
    find: 'if (q + 3u < p1) {', replace: 'if (q + 3u < p1 && (q + 3u) % 20u != 19u) {',
    cases: ['sgd: Hogwild on ratings sharing no row'],
    why: 'Hogwild silently skips 5% of the ratings every epoch (every 20th position; the audit mutant)',
  },
  {
    id: 'sgd.hogwild-run-short', file: 'shaders/sgd.wgsl', kind: 'off-by-one',
    find: 'let p1 = min(P.n, p0 + P.run);', replace: 'let p1 = min(P.n, p0 + P.run - 1u);',
    cases: ['sgd: Hogwild on ratings sharing no row'],
    why: 'the last rating of every run of 64 is never visited',
  },
  {
    id: 'sgd.hogwild-quad-order', file: 'shaders/sgd.wgsl', kind: 'index',
    find: 'rate(v1.z, v1.w, bitcast<f32>(v2.x));', replace: 'rate(v1.z, v1.z, bitcast<f32>(v2.x));',
    cases: ['sgd: Hogwild on ratings sharing no row'],
    why: 'the third rating of every packed quad is read with the wrong item',
  },
  {
    id: 'sgd.loop-drop-mu', file: 'shaders/sgd.wgsl', kind: 'dropped',
    find: 'let e = a - (P.mu + s);', replace: 'let e = a - s;',
    cases: ['one-lane kernel'],
    why: 'long rows: the error ignores the global mean',
  },
  {
    id: 'sgd.loop-drop-lambda-w', file: 'shaders/sgd.wgsl', kind: 'dropped',
    find: 'let gw = fma(ev, hj, -(lam * wj));', replace: 'let gw = ev * hj;',
    cases: ['one-lane kernel'],
    why: 'long rows: user factors are not regularized',
  },
  {
    id: 'sgd.loop-h-uses-new-w', file: 'shaders/sgd.wgsl', kind: 'index',
    find: 'let gh = fma(ev, wj, -(lam * hj));', replace: 'let gh = fma(ev, wj + P.lr * gw, -(lam * hj));',
    cases: ['one-lane kernel'],
    why: 'long rows: the item step uses the already-updated user vector',
  },
  {
    id: 'sgd.loop-bias-reg-uses-lambda', file: 'shaders/sgd.wgsl', kind: 'dropped',
    find: 'let lam = select(vec4<f32>(P.lambdaBias), vec4<f32>(P.lambda), fac);', replace: 'let lam = vec4<f32>(P.lambda);',
    cases: ['one-lane kernel'],
    why: 'long rows: the biases are regularized with lambda instead of lambdaBias',
  },
  {
    id: 'sgd.loop-constant-column-written', file: 'shaders/sgd.wgsl', kind: 'dropped',
    find: 'storeW(u, j, select(wj, fma(rw, gw, wj), updU));', replace: 'storeW(u, j, fma(rw, gw, wj));',
    cases: ['one-lane kernel'],
    why: "long rows: the user's constant-1 column is updated like a factor (and b_i's multiplier drifts)",
  },
  {
    id: 'sgd.loop-last-slot-skipped', file: 'shaders/sgd.wgsl', kind: 'off-by-one',
    find: 'for (var j = 0u; j < NV; j++) {\n    let c =', replace: 'for (var j = 0u; j + 1u < NV; j++) {\n    let c =',
    cases: ['one-lane kernel'],
    why: 'long rows: the last four columns are never updated',
  },
  {
    id: 'sgd.loop-adagrad-K0', file: 'shaders/sgd.wgsl', kind: 'off-by-one',
    find: 'let K0 = f32(select(LEAD, LEAD + 1u, BIAS));', replace: 'let K0 = f32(LEAD);',
    cases: ['one-lane kernel'],
    why: "long rows: AdaGrad averages the lead group's squared gradient over one column too few with biases",
  },
  {
    id: 'sgd.loop-adagrad-no-sqrt', file: 'shaders/sgd.wgsl', kind: 'operator',
    find: 'ru = vec2<f32>(P.lr / sqrt(gu.x), P.lr / sqrt(gu.y));', replace: 'ru = vec2<f32>(P.lr / gu.x, P.lr / gu.y);',
    cases: ['one-lane kernel'],
    why: 'long rows: the AdaGrad rate divides by G instead of sqrt(G)',
  },
  {
    id: 'sgd.stratified-no-shift', file: 'shaders/sgd.wgsl', kind: 'index',
    find: 'let blk = r * S.b + (r + S.shift) % S.b;', replace: 'let blk = r * S.b + r % S.b;',
    cases: ['sgd: stratified'],
    why: 'every sub-epoch runs the diagonal blocks: most ratings are never visited',
  },
  {
    id: 'sgd.stratified-last-rating', file: 'shaders/sgd.wgsl', kind: 'off-by-one',
    find: 'for (var p = bstart[blk]; p < end; p++) {', replace: 'for (var p = bstart[blk]; p + 1u < end; p++) {',
    cases: ['sgd: stratified'],
    why: 'the last rating of every block is skipped',
  },
  {
    id: 'sgd.stratified-word', file: 'shaders/sgd.wgsl', kind: 'index',
    find: 'return rt[k / 4u][k % 4u];', replace: 'return rt[k / 4u][(k + 1u) % 4u];',
    cases: ['sgd: stratified'],
    why: 'stratified SGD reads the packed ratings one word off within a vec4',
  },
  // the unrolled row step and the row accessors, generated by src/kernels/sgd.ts
  {
    id: 'host.sgd-unrolled-drop-mu', file: 'src/kernels/sgd.ts', kind: 'dropped', sample: true,
    find: "'  let e = a - (P.mu + s);'", replace: "'  let e = a - s;'",
    cases: ["sgd: the source's worked step", 'sgd: pop quiz 3'],
    why: 'the error ignores the global mean: every biased/offset fit learns a shifted model',
  },
  {
    id: 'host.sgd-unrolled-drop-lambda-w', file: 'src/kernels/sgd.ts', kind: 'dropped',
    find: '`    let gw = fma(ev, h${j}, -(${lam} * w${j}));`', replace: '`    let gw = ev * h${j};`',
    cases: ['sgd: stratified GPU equals the f32 CPU replay for 5 epochs (plain, constant, default'],
    why: 'user factors are not regularized',
  },
  {
    id: 'host.sgd-unrolled-h-uses-new-w', file: 'src/kernels/sgd.ts', kind: 'index',
    find: '`    let gh = fma(ev, w${j}, -(${lam} * h${j}));`', replace: '`    let gh = fma(ev, w${j} + P.lr * gw, -(${lam} * h${j}));`',
    cases: ["sgd: the source's worked step"],
    why: 'the item step uses the already-updated user vector (the source says: the old w)',
  },
  {
    id: 'host.sgd-unrolled-bias-never-updated', file: 'src/kernels/sgd.ts', kind: 'dropped',
    find: "c >= stride || !(fac[q] || c === own) ? 'false'", replace: "c >= stride || !fac[q] ? 'false'",
    cases: ['sgd: stratified GPU equals the f32 CPU replay for 5 epochs (biased, constant, default'],
    why: 'the biases are never learned',
  },
  {
    id: 'host.sgd-unrolled-rest-in-lead-epoch', file: 'src/kernels/sgd.ts', kind: 'dropped',
    find: "isLead[q] ? 'true' : 'rest'", replace: "'true'",
    cases: ['sgd: stratified GPU equals the f32 CPU replay for 5 epochs (plain, adagrad'],
    why: "AdaGrad's lead-only first epoch (LIBMF's warm-up) updates every column",
  },
  {
    id: 'host.sgd-unrolled-dot-column-dropped', file: 'src/kernels/sgd.ts', kind: 'off-by-one',
    find: 'for (let q = 0; q < 4 && 4 * j + q < stride; q++) L.push', replace: 'for (let q = 0; q < 3 && 4 * j + q < stride; q++) L.push',
    cases: ['sgd: stratified GPU equals the f32 CPU replay for 5 epochs (plain, constant, default'],
    why: 'the prediction leaves out every fourth column',
  },
  {
    id: 'host.sgd-unrolled-adagrad-K0', file: 'src/kernels/sgd.ts', kind: 'off-by-one',
    find: 'const K0 = bias ? lead + 1 : lead;', replace: 'const K0 = lead;',
    cases: ['sgd: stratified GPU equals the f32 CPU replay for 5 epochs (biased, adagrad'],
    why: "AdaGrad averages the lead group's squared gradient over one column too few with biases",
  },
  {
    id: 'host.sgd-vec2-tail-store', file: 'src/kernels/sgd.ts', kind: 'off-by-one',
    find: '(lastHalf ? `  if (j + 1u < NV) { ${M}[b + 1u] = v.zw; }\\n` : `  ${M}[b + 1u] = v.zw;\\n`)', replace: '`  ${M}[b + 1u] = v.zw;\\n`',
    cases: ['sgd: stratified GPU equals the f32 CPU replay for 5 epochs (biased, constant, default'],
    why: 'rows of an odd count of vec2 overwrite the first two columns of the next row',
  },
  {
    id: 'host.sgd-scalar-row-bound', file: 'src/kernels/sgd.ts', kind: 'off-by-one',
    find: '`  for (var c = 0u; c < 4u && 4u * j + c < STRIDE; c++) { ${M}[b + c] = v[c]; }\\n}\\n`', replace: '`  for (var c = 0u; c < 4u; c++) { ${M}[b + c] = v[c]; }\\n}\\n`',
    cases: ['one-lane kernel'],
    why: 'rows of an odd stride write past their end into the next row',
  },
  {
    id: 'host.sgd-run-unaligned', file: 'src/kernels/sgd.ts', kind: 'index',
    find: 'export const SGD_RUN = 64;', replace: 'export const SGD_RUN = 62;',
    cases: ['sgd: Hogwild on ratings sharing no row'],
    why: 'runs that are not whole quads read the packed ratings out of step',
  },
  {
    id: 'host.sgd-groups-floor', file: 'src/kernels/sgd.ts', kind: 'off-by-one',
    find: 'this.chunkGroups = this.chunkSizes.map((m) => Math.max(1, Math.ceil(m / SGD_RUN)));', replace: 'this.chunkGroups = this.chunkSizes.map((m) => Math.max(1, Math.floor(m / SGD_RUN)));',
    cases: ['sgd: Hogwild on ratings sharing no row'],
    why: 'the last partial run of ratings is never visited',
  },
  // ---------------------------------------------------------------- SGD, several lanes per rating (shaders/sgd_lanes.wgsl)
  {
    id: 'sgd-lanes.hogwild-drop-every-20th', file: 'shaders/sgd_lanes.wgsl', kind: 'skipped',
    find: 'let live = g < P.groups && p < P.n;',
    replace: 'let live = g < P.groups && p < P.n && p % 20u != 19u;',
    cases: ['sgd: Hogwild on ratings sharing no row'],
    why: 'Hogwild silently skips 5% of the ratings every epoch (the audit mutant)',
  },
  {
    id: 'sgd-lanes.drop-mu', file: 'shaders/sgd_lanes.wgsl', kind: 'dropped',
    find: 'let e = a - (P.mu + tot);', replace: 'let e = a - tot;',
    why: 'the error ignores the global mean: every biased/offset fit learns a shifted model',
  },
  {
    id: 'sgd-lanes.drop-lambda-w', file: 'shaders/sgd_lanes.wgsl', kind: 'dropped',
    find: 'let gw = e * h - P.lambda * w;', replace: 'let gw = e * h;',
    why: 'user factors are not regularized',
  },
  {
    id: 'sgd-lanes.h-uses-new-w', file: 'shaders/sgd_lanes.wgsl', kind: 'index',
    find: 'let gh = e * w - P.lambda * h;', replace: 'let gh = e * (w + lrs.x * gw) - P.lambda * h;',
    why: 'the item step uses the already-updated user vector (the source says: the old w)',
  },
  {
    id: 'sgd-lanes.bias-reg-uses-lambda', file: 'shaders/sgd_lanes.wgsl', kind: 'dropped',
    find: 'let gbu = e - P.lambdaBias * bu;', replace: 'let gbu = e - P.lambda * bu;',
    why: 'the user bias is regularized with lambda instead of lambdaBias',
  },
  {
    id: 'sgd-lanes.drop-item-bias-in-dot', file: 'shaders/sgd_lanes.wgsl', kind: 'dropped',
    find: '        s = s + H_at(yi + RANK + 1u);\n', replace: '',
    why: 'the prediction leaves out the item bias',
  },
  {
    id: 'sgd-lanes.item-bias-index', file: 'shaders/sgd_lanes.wgsl', kind: 'index',
    find: 'let bi = H_at(yi + RANK + 1u);', replace: 'let bi = H_at(yi + RANK);',
    why: 'the item-bias update reads the constant-1 column instead of the bias',
  },
  {
    id: 'sgd-lanes.lane-stride', file: 'shaders/sgd_lanes.wgsl', kind: 'index',
    find: 'for (var k = lane; k < RANK; k += LANES) { s = s + W_at(xu + k) * H_at(yi + k); }',
    replace: 'for (var k = lane; k < RANK; k += 1u) { s = s + W_at(xu + k) * H_at(yi + k); }',
    why: 'with several lanes per rating, lanes sum overlapping columns: the dot product is wrong',
  },
  {
    id: 'sgd-lanes.missing-dot-barrier', file: 'shaders/sgd_lanes.wgsl', kind: 'barrier',
    find: '  dotp[gb + lane] = s;\n  workgroupBarrier();\n', replace: '  dotp[gb + lane] = s;\n',
    why: 'lanes read the other lanes\' partial dot products before they are written',
  },
  {
    id: 'sgd-lanes.last-column-skipped', file: 'shaders/sgd_lanes.wgsl', kind: 'off-by-one',
    find: 'for (var k = lane; k < kEnd; k += LANES) {', replace: 'for (var k = lane; k + 1u < kEnd; k += LANES) {',
    why: 'the last latent column is never updated',
  },
  {
    id: 'sgd-lanes.adagrad-K0', file: 'shaders/sgd_lanes.wgsl', kind: 'off-by-one',
    find: 'let K0 = f32(select(LEAD, LEAD + 1u, BIAS));', replace: 'let K0 = f32(LEAD);',
    why: 'AdaGrad averages the lead group\'s squared gradient over one column too few with biases',
  },
  {
    id: 'sgd-lanes.adagrad-no-sqrt', file: 'shaders/sgd_lanes.wgsl', kind: 'operator',
    find: 'glr[gb] = vec4<f32>(P.lr / sqrt(GU[2u * u]),', replace: 'glr[gb] = vec4<f32>(P.lr / GU[2u * u],',
    why: 'the AdaGrad rate divides by G instead of sqrt(G)',
  },
  {
    id: 'sgd-lanes.stratified-no-shift', file: 'shaders/sgd_lanes.wgsl', kind: 'index',
    find: 'let blk = row * S.b + (row + S.shift) % S.b;', replace: 'let blk = row * S.b + row % S.b;',
    why: 'every sub-epoch runs the diagonal blocks: most ratings are never visited',
  },
  {
    id: 'sgd-lanes.stratified-last-rating', file: 'shaders/sgd_lanes.wgsl', kind: 'off-by-one',
    find: 'for (var p = rg.x; p < rg.y; p++) {', replace: 'for (var p = rg.x; p + 1u < rg.y; p++) {',
    why: 'the last rating of every block is skipped',
  },
  // ---------------------------------------------------------------- shuffle
  {
    id: 'shuffle.three-rounds', file: 'shaders/feistel.wgsl', kind: 'off-by-one',
    find: 'for (var rd = 0u; rd < 4u; rd++) {', replace: 'for (var rd = 0u; rd < 3u; rd++) {',
    why: 'the GPU permutation differs from the seeded Feistel map the CPU engine replays',
  },
  {
    id: 'shuffle.cycle-walk-bound', file: 'shaders/feistel.wgsl', kind: 'sentinel',
    find: 'if (x < n) { break; }', replace: 'if (x <= n) { break; }',
    why: 'the permutation can return n, one past the last rating',
  },
  {
    id: 'shuffle.value-not-permuted', file: 'shaders/shuffle.wgsl', kind: 'index',
    find: 'dst[3u * p + 2u] = src[3u * k + 2u];', replace: 'dst[3u * p + 2u] = src[3u * p + 2u];',
    why: 'ratings are shuffled apart from their (user, item): Hogwild trains on scrambled data',
  },
  {
    id: 'feistel.hash-shift', file: 'shaders/feistel.wgsl', kind: 'index',
    find: '  h = h ^ (h >> 13u);', replace: '  h = h ^ (h >> 12u);',
    why: 'the GPU round function differs from the JS map: the permutation is not the seeded one the tests and the CPU engine replay',
  },
  {
    id: 'shuffle.keys-ignored', file: 'shaders/shuffle.wgsl', kind: 'dropped',
    find: 'return feistelPerm(p, P.n, P.half, P.mask, P.keys);', replace: 'return feistelPerm(p, P.n, P.half, P.mask, vec4<u32>(0u));',
    why: 'the shuffle ignores its seeded keys: every fit and seed walks the same order',
  },
  {
    id: 'sgd.run-order-domain', file: 'shaders/sgd_params.wgsl', kind: 'off-by-one',
    find: 'return feistelPerm(t, P.groups, P.runHalf, P.runMask, P.runKeys);', replace: 'return feistelPerm(t, P.groups - 1u, P.runHalf, P.runMask, P.runKeys);',
    cases: ['sgd: each epoch walks the Hogwild runs'],
    why: 'the run order maps into [0, groups - 1): one run is walked twice and the last never',
  },
  {
    id: 'sgd.run-order-identity', file: 'shaders/sgd_params.wgsl', kind: 'dropped',
    find: '  if (P.runHalf == 0u) { return t; }', replace: '  return t;',
    cases: ['sgd: each epoch walks the Hogwild runs'],
    why: 'every epoch walks the runs in the same order: the list is shuffled once and never again',
  },
  {
    id: 'sgd.run-order-keys', file: 'shaders/sgd_params.wgsl', kind: 'dropped',
    find: 'return feistelPerm(t, P.groups, P.runHalf, P.runMask, P.runKeys);', replace: 'return feistelPerm(t, P.groups, P.runHalf, P.runMask, vec4<u32>(1u));',
    cases: ['sgd: each epoch walks the Hogwild runs'],
    why: 'both kernels walk their runs in one fixed order whatever the epoch',
  },
  {
    id: 'host.run-order-epoch', file: 'src/train/sgd/gpu-backend.ts', kind: 'dropped',
    find: 'runOrder: { seed: s.seed, epoch } };', replace: 'runOrder: { seed: s.seed, epoch: 1 } };',
    cases: ['sgd: each epoch walks the Hogwild runs'],
    why: 'the fit passes the same run order every epoch',
  },
  // ---------------------------------------------------------------- GD
  {
    id: 'gd.bias-lambda', file: 'shaders/gd.wgsl', kind: 'dropped',
    find: 'let lam = select(P.lambda, P.lambdaBias, c >= RANK);', replace: 'let lam = P.lambda;',
    why: 'bias columns are regularized with lambda instead of lambdaBias',
  },
  {
    id: 'gd.position-map', file: 'shaders/gd.wgsl', kind: 'index',
    find: 'if (P.useMap != 0u) { pos = posMap[q]; }', replace: 'if (P.useMap == 7u) { pos = posMap[q]; }',
    why: 'the item gradient reads residuals in CSC order from a CSR-ordered array',
  },
  {
    id: 'gd.drop-mu', file: 'shaders/gd.wgsl', kind: 'dropped',
    find: '  var s = P.mu;\n  for (var c = 0u; c < STRIDE; c++) { s = s + W[xu + c] * H[yi + c]; }',
    replace: '  var s = 0.0;\n  for (var c = 0u; c < STRIDE; c++) { s = s + W[xu + c] * H[yi + c]; }',
    why: 'GD residuals ignore the global mean',
  },
  // ---------------------------------------------------------------- loss
  {
    id: 'loss.abs-dropped', file: 'shaders/loss.wgsl', kind: 'dropped',
    find: 'acc += vec2<f32>(e * e, abs(e));', replace: 'acc += vec2<f32>(e * e, e);',
    why: 'MAE sums signed errors',
  },
  {
    id: 'loss.last-rating', file: 'shaders/loss.wgsl', kind: 'off-by-one', sample: true, cases: ['loss reduction'],
    find: 'if (k < P.n) {', replace: 'if (k + 1u < P.n) {',
    why: 'the last rating is left out of RMSE and loss',
  },
  {
    id: 'loss.first-rating', file: 'shaders/loss.wgsl', kind: 'off-by-one', cases: ['whole fit: ALS tiled kernels, Cholesky, explicit'],
    find: 'if (k < P.n) {', replace: 'if (k > 0u && k < P.n) {',
    why: 'the first rating is left out of RMSE and loss: 2e-4 of the whole fit\'s RMSE, which passed its former 1e-3 bound (now 2e-6); run by the tiled whole fit alone, which shows that a fit with kernels \'tiled\' reduces its loss with this kernel',
  },
  {
    id: 'als.loss-kernels-ignored', file: 'src/train/als/gpu.ts', kind: 'dropped',
    cases: ['whole fit: ALS tiled kernels, Cholesky, explicit', 'whole fit: ALS direct kernels, Cholesky, explicit'],
    find: 'train.users, train.items, train.values, p.kernels))', replace: 'train.users, train.items, train.values))',
    why: "the ALS fit's loss reduction ignores the kernels option and picks by adapter: a 'tiled' fit on a software adapter (or a 'direct' one on hardware) reduces its loss with the other kernel",
  },
  {
    id: 'loss.implicit-confidence', file: 'shaders/loss.wgsl', kind: 'dropped',
    find: '(1.0 + af) * d * d', replace: 'af * d * d',
    why: 'the implicit loss uses alpha f instead of the confidence 1 + alpha f',
  },
  {
    id: 'loss.implicit-preference', file: 'shaders/loss.wgsl', kind: 'dropped', cases: ['loss reduction, implicit', 'implicit ALS: stored zeros'],
    find: 'let d = select(0.0, 1.0, values[k] > 0.0) - p;', replace: 'let d = 1.0 - p;',
    why: 'a stored f = 0 counts as a preference of 1 in the loss while the solver uses 0',
  },
  {
    id: 'ref-als.implicit-preference', file: 'src/train/als/cpu.ts', kind: 'dropped', cases: ['implicit ALS: stored zeros'],
    find: 'const pref = t.values[k] > 0 ? 1 : 0;', replace: 'const pref = 1;',
    why: 'the reference loss counts a stored f = 0 as a preference of 1, unlike its solver',
  },
  {
    id: 'cpu-als.implicit-preference', file: 'src/cpu-engine/als.ts', kind: 'dropped', cases: ['implicit ALS: stored zeros'],
    find: 'const d = (values[k] > 0 ? 1 : 0) - s;', replace: 'const d = 1 - s;',
    why: 'the f32 engine\'s loss counts a stored f = 0 as a preference of 1, unlike its solver',
  },
  {
    id: 'loss.implicit-unobserved', file: 'shaders/loss.wgsl', kind: 'dropped',
    find: 'acc += vec2<f32>((1.0 + af) * d * d - p * p, af);', replace: 'acc += vec2<f32>((1.0 + af) * d * d, af);',
    why: 'a stored entry is counted twice: once here and once in the all-entries term tr(W^T W H^T H) the fit adds (src/train/als/index.ts)',
    cases: ['loss reduction, implicit', 'implicit ALS'],
  },
  {
    id: 'loss.missing-barrier', file: 'shaders/loss.wgsl', kind: 'barrier',
    find: '  red[tid] = x;\n  workgroupBarrier();\n', replace: '  red[tid] = x;\n',
    why: 'the tree reduction reads slots before other threads wrote them',
  },
  {
    id: 'loss.total-stride', file: 'shaders/loss.wgsl', kind: 'index',
    find: 'for (var k = tid; k < P.parts; k += WG) { acc += part[k]; }', replace: 'for (var k = tid; k < P.parts; k += 1u) { acc += part[k]; }',
    why: 'the final sum counts partials several times',
  },
  // ---------------------------------------------------------------- ALS build, direct
  {
    id: 'neq-direct.drop-weight', file: 'shaders/normal_eq_direct.wgsl', kind: 'dropped',
    find: 'let wa = w * ya;', replace: 'let wa = ya;',
    why: 'implicit ALS builds the Gram without the confidence weights',
  },
  {
    id: 'neq-direct.bias-column', file: 'shaders/normal_eq_direct.wgsl', kind: 'index',
    find: 'if (hasBias) { yb = Y_at(j * P.stride + P.yBias); }', replace: 'if (hasBias) { yb = Y_at(j * P.stride + P.xBias); }',
    why: 'the right-hand side subtracts the constant column instead of the other side\'s bias',
  },
  {
    id: 'neq-direct.skip-first-rating', file: 'shaders/normal_eq_direct.wgsl', kind: 'skipped',
    find: 'for (var p = seg.y; p < seg.z; p++) {', replace: 'for (var p = seg.y + 1u; p < seg.z; p++) {',
    why: 'the first rating of every segment is ignored',
  },
  {
    id: 'neq-direct.diagonal-not-written', file: 'shaders/normal_eq_direct.wgsl', kind: 'off-by-one',
    find: 'for (var b = a; b < K; b++) { partial[o + a * PW + b] = acc[b][q]; }', replace: 'for (var b = a + 1u; b < K; b++) { partial[o + a * PW + b] = acc[b][q]; }',
    why: 'the Gram diagonal is never written',
  },
  // ---------------------------------------------------------------- ALS build, subgroups (generated)
  {
    id: 'neq-sub.broadcast-lane', file: 'src/kernels/normal-eq-subgroup.ts', kind: 'index',
    find: 'rating.push(`let w${a} = wt.x * ${sh(`u${c0(a)}`, a % S)};`);', replace: 'rating.push(`let w${a} = wt.x * ${sh(`u${c0(a)}`, (a + 1) % S)};`);',
    why: 'each row of the triangle is multiplied by the neighbouring unknown\'s factor (the quad shares the wrong lane)',
  },
  {
    id: 'neq-sub.column', file: 'src/kernels/normal-eq-subgroup.ts', kind: 'off-by-one',
    find: 'columns.push(`let t${c} = min(${S * c}u + lane, K - 1u);', replace: 'columns.push(`let t${c} = min(${S * c}u + lane + 1u, K - 1u);',
    why: 'each lane loads the next unknown\'s column of the factor row',
  },
  {
    id: 'neq-sub.drop-weight', file: 'src/kernels/normal-eq-subgroup.ts', kind: 'dropped',
    find: 'rating.push(`let w${a} = wt.x * ', replace: 'rating.push(`let w${a} = 1.0 * ',
    why: 'implicit ALS builds the Gram without the confidence weights',
  },
  {
    id: 'neq-sub.bias-column', file: 'src/kernels/normal-eq-subgroup.ts', kind: 'index',
    find: "${bias ? 'Y_at(yo + P.yBias)' : '0.0'}", replace: "${bias ? 'Y_at(yo + P.xBias)' : '0.0'}",
    why: 'the right-hand side subtracts the constant column instead of the other side\'s bias',
  },
  {
    id: 'neq-sub.drop-base', file: 'src/kernels/normal-eq-subgroup.ts', kind: 'dropped',
    find: 'addBase.push(`${g(a, c)} += base[${a * K}u + t${c}];`);', replace: 'addBase.push(`${g(a, c)} += 0.0;`);',
    why: 'implicit ALS leaves out Y^T Y (the unobserved entries)',
  },
  {
    id: 'neq-sub.lambda-lane', file: 'src/kernels/normal-eq-subgroup.ts', kind: 'index',
    find: 'lane == ${a % S}u);`);', replace: 'lane == 0u);`);',
    why: 'lambda lands off the diagonal for three rows in four',
  },
  {
    id: 'neq-sub.lambda-bias', file: 'src/kernels/normal-eq-subgroup.ts', kind: 'dropped',
    find: "${a < rank ? 'P.lambda' : 'P.lambdaBias'} * scale", replace: "${'P.lambda'} * scale",
    why: 'the bias unknown is regularized with lambda instead of lambdaBias',
  },
  {
    id: 'neq-sub.diagonal-not-stored', file: 'src/kernels/normal-eq-subgroup.ts', kind: 'off-by-one',
    find: 'conds.push(`${S * c}u + lane >= ${a}u`);', replace: 'conds.push(`${S * c}u + lane > ${a}u`);',
    why: 'the Gram diagonal is never written for rows not on a lane-0 column',
  },
  {
    id: 'neq-sub.last-rating', file: 'shaders/normal_eq_subgroup.wgsl', kind: 'off-by-one',
    find: 'for (; p < e; p++) {', replace: 'for (; p + 1u < e; p++) {',
    why: 'every row loses its last rating',
  },
  {
    id: 'neq-sub.row-slot', file: 'shaders/normal_eq_subgroup.wgsl', kind: 'index',
    find: 'let r = o.x - P.rowBase;', replace: 'let r = i;',
    why: 'a system is written to the slot of its place in the longest-first order, not of its row',
  },
  {
    id: 'neq-sub.quad-check', file: 'shaders/normal_eq_subgroup.wgsl', kind: 'operator',
    find: '!= slot || (lid & 3u) != lane', replace: '== slot || (lid & 3u) != lane',
    why: 'the guard against a quad split over subgroups fires on every correct quad (NaN systems)',
  },
  // ---------------------------------------------------------------- ALS build, rows (generated)
  {
    id: 'neq-rows.drop-weight', file: 'src/kernels/normal-eq-rows.ts', kind: 'dropped',
    find: 'lines.push(`  let w${a} = wt.x * y${a};`);', replace: 'lines.push(`  let w${a} = y${a};`);',
    why: 'implicit ALS builds the Gram without the confidence weights',
  },
  {
    id: 'neq-rows.bias-column', file: 'src/kernels/normal-eq-rows.ts', kind: 'index',
    find: "ratingWeights(val[q], ${L.bias ? at(L.yBias) : '0.0'})", replace: "ratingWeights(val[q], ${L.bias ? at(L.xBias) : '0.0'})",
    why: 'the right-hand side subtracts the constant column instead of the other side\'s bias',
  },
  {
    id: 'neq-rows.tail-rating', file: 'shaders/normal_eq_rows.wgsl', kind: 'off-by-one',
    find: '  if (p < e) {', replace: '  if (p + 1u < e) {',
    why: 'a row with an odd number of ratings loses its last one (two ratings per loop pass)',
  },
  {
    id: 'neq-rows.row-slot', file: 'shaders/normal_eq_rows.wgsl', kind: 'index',
    find: 'let r = row - P.rowBase;', replace: 'let r = i;',
    why: 'a system is written to the slot of its place in the longest-first order, not of its row',
  },
  {
    id: 'neq-rows.lambda-bias', file: 'src/kernels/normal-eq-rows.ts', kind: 'dropped',
    find: "${a < rank ? 'P.lambda' : 'P.lambdaBias'}", replace: "${'P.lambda'}",
    why: 'the bias unknown is regularized with lambda instead of lambdaBias',
  },
  {
    id: 'neq-rows.drop-base', file: 'src/kernels/normal-eq-rows.ts', kind: 'dropped',
    find: 'out.push(`${g(a, b)} += base[${a * K + b}u];`);', replace: 'out.push(`${g(a, b)} += 0.0 * base[${a * K + b}u];`);',
    why: 'implicit ALS leaves out Y^T Y (the unobserved entries)',
  },
  {
    id: 'neq-rows.diagonal-not-stored', file: 'src/kernels/normal-eq-rows.ts', kind: 'off-by-one',
    find: 'for (let b = a; b < K; b++) out.push(`A[ao + ${a * K + b}u] = ${g(a, b)};`);', replace: 'for (let b = a + 1; b < K; b++) out.push(`A[ao + ${a * K + b}u] = ${g(a, b)};`);',
    why: 'the Gram diagonal is never written',
  },
  {
    id: 'neq-rows.band-gap', file: 'src/kernels/normal-eq-rows.ts', kind: 'off-by-one',
    find: '    out.push({ a0, a1 });\n    a0 = a1;', replace: '    out.push({ a0, a1 });\n    a0 = a1 + 1;',
    why: 'the row of the triangle after each band is never built',
  },
  {
    id: 'neq-rows.forward-solve', file: 'src/kernels/normal-eq-rows.ts', kind: 'off-by-one',
    find: 'for (let i = 0; i < k; i++) o.push(`h${k} = fma(-${g(i, k)}, h${i}, h${k});`);', replace: 'for (let i = 1; i < k; i++) o.push(`h${k} = fma(-${g(i, k)}, h${i}, h${k});`);',
    why: 'the fused solve\'s forward substitution drops the first unknown\'s term',
  },
  {
    id: 'neq-rows.factor-update', file: 'src/kernels/normal-eq-rows.ts', kind: 'operator',
    find: 'o.push(`  ${g(i, j)} = fma(-${g(k, i)}, ${g(k, j)}, ${g(i, j)});`);', replace: 'o.push(`  ${g(i, j)} = fma(${g(k, i)}, ${g(k, j)}, ${g(i, j)});`);',
    why: 'the register Cholesky adds the rank-1 update instead of subtracting it',
  },
  {
    id: 'neq-rows.empty-row', file: 'src/kernels/normal-eq-rows.ts', kind: 'dropped',
    find: "EMPTY_ROW: mode === 'solve' ? `if (n == 0u) { let xo = (row - P.xRow0) * P.stride; ${zeroFactors(K, rank)} return; }` : '',", replace: "EMPTY_ROW: '',",
    why: 'a row without ratings gets a solution of its lambda-only system written from stale registers instead of zero factors',
  },
  // ---------------------------------------------------------------- loss, direct
  {
    id: 'loss-direct.row-dot', file: 'src/kernels/loss.ts', kind: 'off-by-one',
    find: 'Array.from({ length: stride / W }, (_, c)', replace: 'Array.from({ length: stride / W - 1 }, (_, c)',
    why: 'the prediction leaves out the last vector of each row (the bias columns, in a biased fit)',
  },
  {
    id: 'loss-direct.chunk-end', file: 'shaders/loss_direct.wgsl', kind: 'off-by-one',
    find: 'let k1 = min(k0 + CH, P.n);', replace: 'let k1 = min(k0 + CH - 1u, P.n);',
    why: 'one rating in 64 is left out of RMSE and loss',
  },
  {
    id: 'loss-direct.sums-range', file: 'shaders/loss_direct.wgsl', kind: 'off-by-one',
    find: 'min(id * CH + CH, P.parts)', replace: 'min(id * CH + CH - 1u, P.parts)',
    why: 'the second level drops one partial in 64',
  },
  {
    id: 'loss-direct.abs', file: 'shaders/loss_direct.wgsl', kind: 'dropped',
    find: 'acc += vec2<f32>(e * e, abs(e));', replace: 'acc += vec2<f32>(e * e, e);',
    why: 'MAE sums signed errors',
  },
  {
    id: 'loss-direct.implicit-preference', file: 'shaders/loss_direct.wgsl', kind: 'dropped',
    find: 'let d = select(0.0, 1.0, v > 0.0) - p;', replace: 'let d = 1.0 - p;',
    why: 'a stored f = 0 counts as a preference of 1 in the loss while the solver uses 0',
  },
  {
    id: 'loss-direct.implicit-confidence', file: 'shaders/loss_direct.wgsl', kind: 'dropped',
    find: 'acc += vec2<f32>((1.0 + af) * d * d - p * p, af);', replace: 'acc += vec2<f32>(af * d * d - p * p, af);',
    why: 'the barrier-free implicit loss weighs a stored entry by alpha f instead of the confidence 1 + alpha f',
    cases: ['loss reduction, implicit', 'implicit ALS'],
  },
  {
    id: 'loss-direct.implicit-unobserved', file: 'shaders/loss_direct.wgsl', kind: 'dropped',
    find: 'acc += vec2<f32>((1.0 + af) * d * d - p * p, af);', replace: 'acc += vec2<f32>((1.0 + af) * d * d, af);',
    why: 'a stored entry is counted twice: once here and once in the all-entries term tr(W^T W H^T H) the fit adds (src/train/als/index.ts)',
    cases: ['loss reduction, implicit', 'implicit ALS'],
  },
  {
    id: 'loss-direct.total-range', file: 'shaders/loss_direct.wgsl', kind: 'off-by-one',
    find: 'for (var k = 0u; k < P.parts2; k++) { acc += part2[k]; }', replace: 'for (var k = 1u; k < P.parts2; k++) { acc += part2[k]; }',
    why: 'the final level drops the first 4096 ratings\' sums',
  },
  {
    id: 'neq-rows.second-rating', file: 'shaders/normal_eq_rows.wgsl', kind: 'index',
    find: '    /*@RATING(p + 1u)*/', replace: '    /*@RATING(p)*/',
    why: 'with two ratings per loop pass, the first is counted twice and the second never',
  },
  {
    id: 'neq-rows.unweighted-lambda', file: 'shaders/normal_eq_rows.wgsl', kind: 'dropped',
    find: 'let scale = select(1.0, f32(n), P.weighted != 0u);', replace: 'let scale = 1.0;',
    why: 'ALS-WR (the default) regularizes every row by lambda instead of lambda times its rating count',
  },
  // ---------------------------------------------------------------- ALS build, tiled
  {
    id: 'neq-tiled.missing-barrier', file: 'shaders/normal_eq.wgsl', kind: 'barrier',
    find: '      workgroupBarrier();\n      if (live) {\n        for (var n = g; n < cnt; n += G) {',
    replace: '      if (live) {\n        for (var n = g; n < cnt; n += G) {',
    why: 'threads read the staged tile before it is fully written',
  },
  {
    id: 'neq-tiled.tile-tail', file: 'shaders/normal_eq.wgsl', kind: 'off-by-one',
    find: 'let cnt = min(TILE, end - t0);', replace: 'let cnt = min(TILE, end - t0 - 1u);',
    why: 'the last rating of every tile is dropped',
  },
  {
    id: 'neq-tiled.drop-weight', file: 'shaders/normal_eq.wgsl', kind: 'dropped',
    find: 'sh[rOff + n * KR4 + c4] = l * w;', replace: 'sh[rOff + n * KR4 + c4] = l;',
    why: 'implicit ALS builds the Gram without the confidence weights',
  },
  {
    id: 'neq-tiled.group-reduce', file: 'shaders/normal_eq.wgsl', kind: 'off-by-one',
    find: 'for (var g2 = 1u; g2 < G; g2++) {', replace: 'for (var g2 = 1u; g2 + 1u < G; g2++) {',
    why: 'the last thread group\'s share of the entries is left out of the sum',
  },
  // ---------------------------------------------------------------- ALS finish + shared params
  {
    id: 'neq-finish.lambda-bias', file: 'shaders/normal_eq_finish.wgsl', kind: 'dropped',
    find: 'if (i == j) { sum += select(P.lambdaBias, P.lambda, i < RANK) * scale; }', replace: 'if (i == j) { sum += P.lambda * scale; }',
    why: 'the bias unknown is regularized with lambda instead of lambdaBias',
  },
  {
    id: 'neq-finish.weighted-lambda', file: 'shaders/normal_eq_finish.wgsl', kind: 'dropped',
    find: 'let scale = select(1.0, n, P.weighted != 0u);', replace: 'let scale = 1.0;',
    why: 'ALS-WR (lambda times the row\'s rating count) silently becomes plain lambda',
  },
  {
    id: 'neq-finish.first-segment', file: 'shaders/normal_eq_finish.wgsl', kind: 'off-by-one',
    find: 'for (var s = s0; s < s1; s++) {', replace: 'for (var s = s0 + 1u; s < s1; s++) {',
    why: 'the first segment of every row is left out (long rows lose ratings)',
  },
  {
    id: 'neq-finish.drop-base', file: 'shaders/normal_eq_finish.wgsl', kind: 'dropped',
    find: 'if (P.useBase != 0u) { sum += base[i * K + j]; }', replace: 'if (P.useBase == 7u) { sum += base[i * K + j]; }',
    why: 'implicit ALS leaves out Y^T Y (the unobserved entries)',
  },
  {
    id: 'solve-params.implicit-preference', file: 'shaders/solve_params.wgsl', kind: 'sentinel',
    find: 'select(0.0, 1.0 + P.alpha * v, v > 0.0)', replace: '1.0 + P.alpha * v',
    why: 'stored zeros count as positive preferences (p = 1) in the implicit solve',
    cases: ['implicit ALS: stored zeros'],
  },
  {
    id: 'solve-params.drop-bias', file: 'shaders/solve_params.wgsl', kind: 'dropped',
    find: 'return vec2<f32>(1.0, v - P.mu - yb);', replace: 'return vec2<f32>(1.0, v - P.mu);',
    why: 'the explicit target leaves out the other side\'s bias',
  },
  // ---------------------------------------------------------------- Cholesky, tiled
  {
    id: 'chol-tiled.sync-barrier', file: 'shaders/cholesky.wgsl', kind: 'barrier',
    find: 'fn sync() {\n  storageBarrier();\n  workgroupBarrier();\n}', replace: 'fn sync() {\n}',
    why: 'the factorization steps read each other\'s results without any barrier',
  },
  {
    id: 'chol-tiled.pivot-rule', file: 'shaders/cholesky.wgsl', kind: 'sentinel',
    find: 'let bad = !(d > PIV_TOL * d0[k]) || !(d <= 3.0e38);', replace: 'let bad = !(d > 0.0) || !(d <= 3.0e38);',
    why: 'the relative pivot rule is dropped: a nearly singular system is solved to f32 noise instead of SingularSystemError',
  },
  {
    id: 'chol-tiled.back-index', file: 'shaders/cholesky.wgsl', kind: 'index',
    find: 'for (var i = tid; i < k; i += WG) { y[i] -= ld(i, k) * xk; }', replace: 'for (var i = tid; i < k; i += WG) { y[i] -= ld(k, i) * xk; }',
    why: 'back substitution reads the lower triangle (the original A) instead of U',
  },
  {
    id: 'chol-tiled.forward-bound', file: 'shaders/cholesky.wgsl', kind: 'off-by-one',
    find: 'for (var j = k + 1u + tid; j < K; j += WG) { v[j] -= ld(k, j) * yk; }', replace: 'for (var j = k + 2u + tid; j < K; j += WG) { v[j] -= ld(k, j) * yk; }',
    why: 'forward substitution skips the next unknown',
  },
  // ---------------------------------------------------------------- Cholesky, direct
  {
    id: 'chol-direct.pivot-rule', file: 'shaders/cholesky_direct.wgsl', kind: 'sentinel',
    find: 'let bad = !(d > PIV_TOL * X[xo + col(k)]) || !(d <= 3.0e38);', replace: 'let bad = !(d > 0.0) || !(d <= 3.0e38);',
    why: 'the relative pivot rule is dropped: a nearly singular system is solved to f32 noise',
  },
  {
    id: 'chol-direct.forward-bound', file: 'shaders/cholesky_direct.wgsl', kind: 'off-by-one',
    find: 'for (var i = 0u; i < k; i++) { s -= A[a + i * K + k] * B[bo + i]; }', replace: 'for (var i = 0u; i + 1u < k; i++) { s -= A[a + i * K + k] * B[bo + i]; }',
    why: 'forward substitution leaves out the last term',
  },
  {
    id: 'chol-direct.back-index', file: 'shaders/cholesky_direct.wgsl', kind: 'index',
    find: 'for (var j = k + 1u; j < K; j++) { s -= A[a + k * K + j] * B[bo + j]; }', replace: 'for (var j = k + 1u; j < K; j++) { s -= A[a + j * K + k] * B[bo + j]; }',
    why: 'back substitution reads the lower triangle (the original A) instead of U',
  },
  // ---------------------------------------------------------------- CG
  // ---------------------------------------------------------------- Cholesky, blocked (direct variant)
  {
    id: 'chol-blocked.offdiag-update', file: 'shaders/cholesky_blocked.wgsl', kind: 'off-by-one',
    find: 'for (var k = 0u; k < i; k++) {', replace: 'for (var k = 1u; k < i; k++) {',
    why: 'the off-diagonal blocks leave out the first block row\'s update (wrong U from K > 12)',
  },
  {
    id: 'chol-blocked.diag-update-sign', file: 'shaders/cholesky_blocked.wgsl', kind: 'operator',
    find: 's0 = fma(vec4<f32>(-b0.x), b0, s0);', replace: 's0 = fma(vec4<f32>(b0.x), b0, s0);',
    why: 'the diagonal block adds one term of the rank-4 update instead of subtracting it',
  },
  {
    id: 'chol-blocked.forward-solve', file: 'shaders/cholesky_blocked.wgsl', kind: 'index',
    find: 'cj = fma(vec4<f32>(-yi.x), u0, cj);', replace: 'cj = fma(vec4<f32>(-yi.y), u0, cj);',
    why: 'the forward solve subtracts the wrong component of y',
  },
  {
    id: 'chol-blocked.padding', file: 'shaders/cholesky_blocked.wgsl', kind: 'sentinel',
    find: 'return select(0.0, 1.0, r == c);', replace: 'return 0.0;',
    why: 'the padding of a K that is not a multiple of 4 is zero, not identity: its pivots fail',
  },
  {
    id: 'chol-blocked.back-solve', file: 'shaders/cholesky_blocked.wgsl', kind: 'off-by-one',
    find: 'for (var j = i + 1u; j < NB; j++) {', replace: 'for (var j = i + 2u; j < NB; j++) {',
    why: 'back substitution ignores the next block column',
  },
  {
    id: 'chol-blocked.pivot-rule', file: 'shaders/cholesky_blocked.wgsl', kind: 'sentinel',
    find: 'let bad1 = !(e1 > PIV_TOL * dg.y) || !(e1 <= 3.0e38);', replace: 'let bad1 = !(e1 > 0.0) || !(e1 <= 3.0e38);',
    why: 'a pivot that lost all its digits is accepted: an ill-conditioned row gets garbage factors instead of a reported failure',
  },
  // ---------------------------------------------------------------- dual solve of short rows (shaders/dual_solve.wgsl)
  {
    id: 'dual.identity', file: 'shaders/dual_solve.wgsl', kind: 'index',
    find: 'select(0.0, 1.0, a == b);', replace: 'select(0.0, 1.0, a != b);',
    why: 'the identity of M = Y D^-1 Y^T + I lands off the diagonal: every short row gets a wrong solution',
  },
  {
    id: 'dual.bias-column', file: 'shaders/dual_solve.wgsl', kind: 'dropped',
    find: 'fma(s, inv, xba * xbb * invB)', replace: 'fma(s, inv, 0.0)',
    why: "the bias unknown's column is left out of M: biased short rows solve a system without their bias",
  },
  {
    id: 'dual.pivot-update', file: 'shaders/dual_solve.wgsl', kind: 'operator',
    find: 'd = fma(-u, u, d);', replace: 'd = fma(u, u, d);',
    why: "the pivot adds the column's squares instead of subtracting them: a wrong factor of M from n = 2",
  },
  {
    id: 'dual.forward-solve', file: 'shaders/dual_solve.wgsl', kind: 'index',
    find: 's = fma(-A[mo + i2 * n + k], A[zo + i2], s);', replace: 's = fma(-A[mo + k * n + i2], A[zo + i2], s);',
    why: "the forward solve reads M's lower triangle (never written) instead of U",
  },
  {
    id: 'dual.back-solve', file: 'shaders/dual_solve.wgsl', kind: 'off-by-one',
    find: 'for (var j = k + 1u; j < n; j++) { s = fma(-A[mo + k * n + j], A[zo + j], s); }', replace: 'for (var j = k + 2u; j < n; j++) { s = fma(-A[mo + k * n + j], A[zo + j], s); }',
    why: 'back substitution ignores the next unknown',
  },
  {
    id: 'dual.wr-scale', file: 'shaders/dual_solve.wgsl', kind: 'dropped',
    find: 'let scale = select(1.0, f32(n), P.weighted != 0u);', replace: 'let scale = 1.0;',
    why: "ALS-WR's lambda n becomes lambda for short rows: they are under-regularized, the long rows are not",
  },
  {
    id: 'dual.rank-mask', file: 'src/kernels/dual-solve.ts', kind: 'sentinel',
    find: "(v * W + l < rank ? '1.0' : '0.0')", replace: "'1.0'",
    why: 'the bias columns that share the last vector with the rank columns count as rank columns in M and x',
  },
  {
    id: 'dual.x-lambda', file: 'src/kernels/dual-solve.ts', kind: 'operator',
    find: "`x${v}.${LANE[t % W]}`} * inv;`", replace: "`x${v}.${LANE[t % W]}`} * invB;`",
    why: "x = D^-1 Y^T z scales the rank unknowns by the bias's regularization",
  },
  {
    id: 'dual.cholesky-skip', file: 'shaders/cholesky_blocked.wgsl', kind: 'off-by-one',
    find: 'if (counts[row] < P.dualMax) { return; }', replace: 'if (counts[row] <= P.dualMax) { return; }',
    cases: DUAL,
    why: 'a row with exactly K ratings is skipped by the Cholesky and not taken by the dual: its factors are never written',
  },
  {
    id: 'dual.start', file: 'src/kernels/normal-eq.ts', kind: 'off-by-one',
    find: 'const bounds = [K - 1, ...DUAL_BUCKETS];', replace: 'const bounds = [K, ...DUAL_BUCKETS];',
    cases: DUAL,
    why: "the dual's first row is placed before the rows with K ratings, so their systems are not built before the Cholesky reads them",
  },
  {
    id: 'dual-regs.empty-row', file: 'shaders/dual_solve_regs.wgsl', kind: 'dropped',
    find: 'if (n == 0u) {\n    for (var t = 0u; t < K; t++) { X[xo + col(t)] = 0.0; }', replace: 'if (n == 0u) {\n    for (var t = 0u; t < 0u; t++) { X[xo + col(t)] = 0.0; }',
    why: 'a row without ratings keeps its previous factors (the Cholesky no longer visits it) instead of zero',
  },
  {
    id: 'dual-regs.padding', file: 'src/kernels/dual-solve.ts', kind: 'sentinel',
    find: "`select(0.0, 1.0, ${k}u < n)`", replace: "'1.0'",
    why: "a row shorter than its bucket counts the repeated last rating as more ratings instead of identity padding",
  },
  {
    id: 'dual-regs.first-row', file: 'src/kernels/dual-solve.ts', kind: 'index',
    find: 'FIRST: `P.${DUAL_STARTS[bucket + 1]}`,', replace: 'FIRST: `P.${DUAL_STARTS[Math.min(bucket + 2, 3)]}`,',
    why: "a bucket's register kernel starts at the next bucket's rows: rows of 9..16 and 5..8 ratings are never solved",
  },
  {
    id: 'dual-regs.x-accumulate', file: 'src/kernels/dual-solve.ts', kind: 'index',
    find: 'xv = fma(${T}(h${k}), y${k}, xv);', replace: 'xv = fma(${T}(h${k}), y0, xv);',
    why: "x = D^-1 Y^T z takes every z against the first rating's factor row",
  },
  {
    id: 'dual-regs.bias-column', file: 'src/kernels/dual-solve.ts', kind: 'dropped',
    find: ', inv, xb${a} * xb${b} * invB)', replace: ', inv, 0.0)',
    why: "the register kernels leave the bias unknown's column out of M",
  },
  {
    id: 'dual.unregularized-bias', file: 'src/kernels/normal-eq.ts', kind: 'dropped',
    find: '(!this.spec.bias || p.lambdaBias > 0)', replace: 'true',
    cases: DUAL,
    why: 'with lambdaBias 0 the dual divides by zero (D^-1): short biased rows fail instead of taking the Cholesky',
  },
  // ---------------------------------------------------------------- CG, direct (generated)
  {
    id: 'cg-direct.lambda-bias', file: 'src/kernels/cg-direct.ts', kind: 'dropped',
    find: "4 * i + a < K ? 'P.lambdaBias' : '0.0'", replace: "4 * i + a < K ? 'P.lambda' : '0.0'",
    why: 'the bias unknown is regularized with lambda instead of lambdaBias',
  },
  {
    id: 'cg-direct.step-sign', file: 'src/kernels/cg-direct.ts', kind: 'operator',
    find: 'r[${i}] = fma(vec4<f32>(-a), ap[${i}], r[${i}]);', replace: 'r[${i}] = fma(vec4<f32>(a), ap[${i}], r[${i}]);',
    why: 'the residual grows along A p instead of shrinking',
  },
  {
    id: 'cg-direct.no-conjugation', file: 'src/kernels/cg-direct.ts', kind: 'dropped',
    find: 'p[${i}] = fma(vec4<f32>(beta), p[${i}], r[${i}]);', replace: 'p[${i}] = r[${i}];',
    why: 'steepest descent instead of CG: each step forgets the previous directions',
  },
  {
    id: 'cg-direct.weight', file: 'src/kernels/cg-direct.ts', kind: 'dropped',
    find: 'o.ap[${i}] = fma(d, y${i}, o.ap[${i}]);', replace: 'o.ap[${i}] = o.ap[${i}] + y${i};',
    why: 'the matrix-free product A p drops each rating\'s weighted projection w (y . p)',
  },
  {
    id: 'cg-direct.confidence', file: 'src/kernels/cg-direct.ts', kind: 'dropped',
    find: 'let d = vec4<f32>(wt.x * (', replace: 'let d = vec4<f32>((',
    why: 'implicit CG multiplies by the unweighted Gram: every confidence counts as 1',
  },
  {
    id: 'cg.weighted-lambda', file: 'shaders/cg.wgsl', kind: 'dropped',
    find: 'var s = select(P.lambdaBias, P.lambda, c < RANK) * scale * vc;', replace: 'var s = select(P.lambdaBias, P.lambda, c < RANK) * vc;',
    why: 'the CG solver ignores weighted lambda (ALS-WR)',
  },
  {
    id: 'cg.missing-barrier', file: 'shaders/cg.wgsl', kind: 'barrier',
    find: '      tt[n] = tg;\n    }\n    workgroupBarrier();\n', replace: '      tt[n] = tg;\n    }\n',
    why: 'the matrix-vector product reads staged weights and factors before they are written',
  },
  {
    id: 'cg.no-conjugation', file: 'shaders/cg.wgsl', kind: 'dropped',
    find: 'let beta = select(0.0, rsn / rs, rs > 0.0);', replace: 'let beta = 0.0;',
    why: 'CG degrades to steepest descent',
  },
  {
    id: 'cg.residual-sign', file: 'shaders/cg.wgsl', kind: 'operator',
    find: 'r[c] = bv[c] - ap[c];', replace: 'r[c] = bv[c] + ap[c];',
    why: 'the initial residual has the wrong sign',
  },
  // ---------------------------------------------------------------- Gram / convergence
  {
    id: 'gram.sub-sign', file: 'shaders/gram.wgsl', kind: 'operator',
    find: 'if (SUB_A) { v -= a2[r * P.stride + c]; }', replace: 'if (SUB_A) { v += a2[r * P.stride + c]; }',
    why: 'the convergence quantity uses W + W\' instead of the difference',
  },
  {
    id: 'gram.trace-cross-term', file: 'shaders/gram.wgsl', kind: 'dropped',
    find: 'acc += 2.0 * grams[2u * CC + e] * grams[3u * CC + t]', replace: 'acc += grams[2u * CC + e] * grams[3u * CC + t]',
    why: 'the cross term of ||WH - W\'H\'||^2 loses its factor 2',
  },
  {
    id: 'gram.run-rows', file: 'shaders/gram.wgsl', kind: 'index',
    find: 'let r0 = g * CH + sub * len;', replace: 'let r0 = g * CH;',
    why: "every run of a partial sums the partial's first rows: the Grams count those rows SUBS times and miss the rest",
  },
  {
    id: 'gram.run-partial', file: 'shaders/gram.wgsl', kind: 'index',
    find: 'let o = ((P.partBase + g) * SUBS + sub) * SP * SP + ca * SP + cb;', replace: 'let o = ((P.partBase + g) * SUBS) * SP * SP + ca * SP + cb;',
    why: "every run of a partial writes the partial's first slot: runs overwrite each other's sums and reduce adds stale slots",
  },
  {
    id: 'gram.sym-transpose', file: 'shaders/gram.wgsl', kind: 'index',
    find: 'let low = SYM && i / 4u > j / 4u;', replace: 'let low = false;',
    why: "a symmetric Gram's entries below the diagonal blocks are read from partials no invocation wrote (stale sums of another Gram)",
  },
  {
    id: 'gram.sym-block-column', file: 'shaders/gram.wgsl', kind: 'index',
    find: '    bj += bi;\n', replace: '\n',
    why: 'the upper-triangle enumeration of a symmetric Gram drops its column offset: blocks left of the diagonal are summed in place of those right of it',
  },
  {
    id: 'gram.diag-only-lane', file: 'shaders/gram.wgsl', kind: 'index',
    find: 'part[o + SP + 1u] = acc.y;', replace: 'part[o + SP + 1u] = acc.x;',
    why: "the regularization's diagonal-only Gram writes column 0's sum of squares for column 1: a wrong loss",
  },
  {
    id: 'gram.diag-only-reduce', file: 'shaders/gram.wgsl', kind: 'index',
    find: 'if (DIAG_ONLY && i != j) { return; }', replace: 'if (DIAG_ONLY && i == j) { return; }',
    why: 'the diagonal-only reduce skips the diagonal: the regularization term reads stale sums',
  },
  // ---------------------------------------------------------------- scoring, top-k, metrics
  {
    id: 'score.drop-mu', file: 'shaders/score.wgsl', kind: 'dropped',
    find: 'return acc + P.mu;', replace: 'return acc;',
    why: 'recommendation scores leave out the global mean',
  },
  {
    id: 'score.missing-barrier', file: 'shaders/score.wgsl', kind: 'barrier',
    find: '    workgroupBarrier();\n    let kn = min(KT, P.cols - k0);', replace: '    let kn = min(KT, P.cols - k0);',
    why: 'the tiled scorer reads tiles before they are staged',
  },
  {
    id: 'score.cosine-zero', file: 'shaders/score.wgsl', kind: 'sentinel',
    find: 'return select(0.0, acc / d, d > 0.0);', replace: 'return select(0.0, acc / d, d >= 0.0);',
    why: 'a zero vector gets NaN cosine scores instead of 0',
  },
  {
    id: 'score.candidate-search', file: 'shaders/score.wgsl', kind: 'off-by-one',
    find: 'if (cand[mid] < item) { lo = mid + 1u; } else { hi = mid; }', replace: 'if (cand[mid] <= item) { lo = mid + 1u; } else { hi = mid; }',
    why: 'seen/excluded items are not masked when recommending from an include list',
  },
  {
    id: 'score.direct-quad-last-dropped', file: 'shaders/score.wgsl', kind: 'dropped',
    find: '  if (c + 3u < P.nCols) { S[o + 3u] = finish(r, c + 3u, acc.w); }\n', replace: '',
    why: 'on the direct path every fourth candidate of a row is never scored',
  },
  {
    id: 'score.direct-candidate-index', file: 'shaders/score.wgsl', kind: 'index',
    find: 'let yb1 = colItem(min(c + 1u, last)) * P.stride;', replace: 'let yb1 = min(c + 1u, last) * P.stride;',
    why: 'include lists score the wrong items',
  },
  {
    id: 'topk.tie-order', file: 'shaders/topk.wgsl', kind: 'operator',
    find: 'return as_ > bs || (as_ == bs && ai < bi);', replace: 'return as_ > bs || (as_ == bs && ai > bi);',
    why: 'ties come out higher index first (the CPU puts the lower index first)',
  },
  {
    id: 'topk.direct-last-item', file: 'shaders/topk.wgsl', kind: 'off-by-one',
    find: 'let end = min(start + P.csize, P.n);', replace: 'let end = min(start + P.csize, P.n - 1u);',
    why: 'the last item of the catalogue is never recommended',
  },
  {
    id: 'topk.bitonic-barrier', file: 'shaders/topk.wgsl', kind: 'barrier',
    find: '      workgroupBarrier();\n    }\n  }\n  let ob', replace: '    }\n  }\n  let ob',
    why: 'bitonic sort stages race',
  },
  {
    id: 'rank.self-tie-direct', file: 'shaders/metrics_rank.wgsl', kind: 'sentinel', sample: true,
    find: '    if (s > MASKED && c != col) {\n      if (s > sp) { g += 1u; }', replace: '    if (s > MASKED) {\n      if (s > sp) { g += 1u; }',
    why: 'every item counts as tied with itself: AUC is biased (the audit mutant, barrier-free entry)',
    cases: ['evaluate on the GPU'],
  },
  {
    id: 'rank.self-tie-tiled', file: 'shaders/metrics_rank.wgsl', kind: 'sentinel',
    find: '    if (s > MASKED && c != col) {\n      if (s > sp) { acc.x += 1u; }', replace: '    if (s > MASKED) {\n      if (s > sp) { acc.x += 1u; }',
    why: 'every item counts as tied with itself (the audit mutant, tiled entry)',
  },
  {
    id: 'rank.missing-barrier', file: 'shaders/metrics_rank.wgsl', kind: 'barrier',
    find: '  red[tid] = acc;\n  workgroupBarrier();\n', replace: '  red[tid] = acc;\n',
    why: 'the count reduction reads slots before they are written',
  },
  {
    id: 'hits.search-past', file: 'shaders/metrics_hits.wgsl', kind: 'operator',
    find: 'if (relIdx[mid] < i) { lo = mid + 1u; }', replace: 'if (relIdx[mid] <= i) { lo = mid + 1u; }',
    why: 'the binary search steps past the relevant item it looks for: no top-k entry is ever a hit',
  },
  {
    id: 'hits.position-shift', file: 'shaders/metrics_hits.wgsl', kind: 'off-by-one',
    find: 'mask |= 1u << kept;', replace: 'mask |= 1u << (kept + 1u);',
    why: 'every hit is credited one rank lower than it is: NDCG discounts each hit too much',
  },
  // Not listed, as equivalent here: dropping the PAD_I test (padding carries PAD_SCORE, below MASKED,
  // so the score test drops it too), and dropping the score test (masked entries are seen items,
  // which sort after every candidate and are never in the relevant sets ndcgOnDevice passes, so
  // keeping them moves no hit).
  {
    id: 'host.hits-batch-offset', file: 'src/model/gpu-rank.ts', kind: 'index', cases: ['ndcgOnDevice'],
    find: '(b1 - b0) * 4)), b0);', replace: '(b1 - b0) * 4)), 0);',
    why: 'each batch of users\' hit masks lands over the first batch\'s: later users score as unranked',
  },
  {
    id: 'pairs.low-clip', file: 'shaders/score_pairs.wgsl', kind: 'dropped',
    find: 'if (P.clip != 0u) { s = clamp(s, P.lo, P.hi); }', replace: 'if (P.clip != 0u) { s = min(s, P.hi); }',
    why: 'predictions are not clipped at the bottom of the rating scale',
  },
  {
    id: 'pairs.item-index', file: 'shaders/score_pairs.wgsl', kind: 'index',
    find: 'let i = items[k] * P.stride;', replace: 'let i = (users[k] + 0u * items[k]) * P.stride;',
    why: 'predict reads the user index for the item row',
  },
  {
    id: 'norms.bias-included', file: 'shaders/similar_norms.wgsl', kind: 'off-by-one',
    find: 'for (var c = 0u; c < P.cols; c++) {', replace: 'for (var c = 0u; c <= P.cols; c++) {',
    why: 'cosine norms include a bias column',
  },
  // ---------------------------------------------------------------- calibration microkernels
  {
    id: 'calib-fma.dropped-chain', file: 'shaders/calib_fma.wgsl', kind: 'dropped',
    find: 'let t = (c0 + c1) + c2;', replace: 'let t = (c0 + c1) + c1;',
    why: 'one FMA chain is left out of the folded result (the compiler may then drop its work)',
  },
  {
    id: 'calib-copy.block', file: 'shaders/calib_copy.wgsl', kind: 'index',
    find: 'dst[i + 2u] = v2;', replace: 'dst[i + 2u] = v1;',
    why: 'one element of each block of 4 is copied from its neighbour',
  },
  {
    id: 'calib-copy.tail', file: 'shaders/calib_copy.wgsl', kind: 'off-by-one',
    find: 'if (i >= P.n) { return; }', replace: 'if (i > P.n) { return; }',
    why: 'the block that starts at n is copied too (4 elements past n)',
  },
  // ---------------------------------------------------------------- host: uniform packing and dispatch
  {
    id: 'host.solve-params-lambda-bias', file: 'src/kernels/normal-eq.ts', kind: 'index',
    find: 'lambda: p.lambda, lambdaBias: p.lambdaBias,', replace: 'lambda: p.lambda, lambdaBias: p.lambda,',
    why: 'the host packs lambda where the shader reads lambdaBias',
  },
  {
    id: 'host.solve-params-weighted', file: 'src/kernels/normal-eq.ts', kind: 'dropped',
    find: 'weighted: p.weighted, useBase,', replace: 'weighted: false, useBase,',
    why: 'the weighted-lambda flag never reaches the shader',
  },
  {
    id: 'host.singular-row-sentinel', file: 'src/kernels/normal-eq.ts', kind: 'sentinel',
    find: 'this.gpu.write(this.status, new Uint32Array([0, 0xffffffff]));', replace: 'this.gpu.write(this.status, new Uint32Array([0, 0]));',
    why: 'the smallest-singular-row slot starts at 0, so the error always names row 0', cases: ['lambda = 0'],
  },
  {
    id: 'host.pairs-clip-flag', file: 'src/kernels/pairs.ts', kind: 'dropped',
    find: 'clip: !!clip, mu,', replace: 'clip: false, mu,',
    why: 'predict never clips to the rating scale',
  },
  {
    id: 'host.topk-chunk-size', file: 'src/kernels/topk.ts', kind: 'off-by-one',
    find: 'hasIdx: !!inI, csize: CH }', replace: 'hasIdx: !!inI, csize: CH / 2 }',
    why: 'the barrier-free top-k scans only half of each chunk: most items are never candidates',
  },
  {
    id: 'host.finish-dispatch', file: 'src/kernels/normal-eq.ts', kind: 'off-by-one',
    find: 'this.gpu.dispatch(pass, this.finishPipe, g[1], b.rowCount);', replace: 'this.gpu.dispatch(pass, this.finishPipe, g[1], b.rowCount - 1);',
    why: 'the last row of each batch gets no normal equations',
  },
  {
    id: 'host.loss-mu-dropped', file: 'src/kernels/loss.ts', kind: 'index',
    find: '{ n: c.n, stride, mu, parts: this.parts,', replace: '{ n: c.n, stride, mu: 0, parts: this.parts,',
    why: 'the global mean never reaches the loss kernel: biased fits report the wrong RMSE',
  },
  {
    id: 'host.loss-chunk-window', file: 'src/kernels/loss.ts', kind: 'index',
    find: '{ buffer: part, offset: c.part0 * 8, size: c.parts * 8 }', replace: '{ buffer: part, offset: 0, size: c.parts * 8 }',
    why: 'every loss chunk writes its partial sums over the first chunk\'s: chunked sums lose ratings', cases: ['chunking: the loss'],
  },
  {
    id: 'host.loss-direct-chunk-window', file: 'src/kernels/loss.ts', kind: 'index',
    find: '{ buffer: part, offset: (ch.k0 / CH) * 8, size: Math.max(1, Math.ceil(ch.n / CH)) * 8 }', replace: '{ buffer: part, offset: 0, size: Math.max(1, Math.ceil(ch.n / CH)) * 8 }',
    why: 'the barrier-free loss writes every chunk\'s partial sums over the first chunk\'s', cases: ['chunking: the loss'],
  },
  {
    id: 'host.csr-chunk-relative', file: 'src/kernels/device-csr.ts', kind: 'dropped',
    find: '      segs[s * 4 + 1] -= e0;\n', replace: '',
    why: 'segment starts stay global while the kernel reads a chunk: rows past the first chunk read the wrong ratings',
    cases: ['chunking: a CSR over', 'chunking: ALS-WR'],
  },
  // factor matrices over one binding, bound in windows (src/kernels/factor-windows.ts)
  {
    id: 'windows.last-window-base', file: 'src/kernels/factor-windows.ts', kind: 'off-by-one',
    find: "out.push(`{ ${body(names[fw.count - 1], `i - ${(fw.count - 1) * per}u`)} }`);", replace: "out.push(`{ ${body(names[fw.count - 1], `i - ${(fw.count - 1) * per - 1}u`)} }`);",
    why: 'rows of the last window are read (and written) one element off', cases: ['factor windows'],
  },
  {
    id: 'windows.binding-offset', file: 'src/kernels/factor-windows.ts', kind: 'index',
    find: 'return { buffer, offset: row0 * fw.stride * 4, size: Math.max(1, rows) * fw.stride * 4 };', replace: 'return { buffer, offset: 0, size: Math.max(1, rows) * fw.stride * 4 };',
    why: 'every window binds the first rows of the matrix', cases: ['factor windows'],
  },
  {
    id: 'windows.batch-x-row0', file: 'src/kernels/normal-eq.ts', kind: 'index',
    find: 'xWindow: xw, xRow0: xw * this.xWin.rowsPer });', replace: 'xWindow: xw, xRow0: 0 });',
    why: 'a batch in the second window writes its rows at their global position inside the window (out of range: dropped)', cases: ['factor windows: a 20,000'],
  },
  {
    id: 'windows.batch-within-window', file: 'src/kernels/normal-eq.ts', kind: 'off-by-one',
    find: 'const end = Math.min(csr.chunks[ck].row1, (xw + 1) * this.xWin.rowsPer);', replace: 'const end = Math.min(csr.chunks[ck].row1, csr.nRows);',
    why: 'a solve batch spans two windows of X, binding only the first for rows of both', cases: ['factor windows: a 20,000'],
  },
  {
    id: 'windows.gram-part-base', file: 'src/kernels/gram.ts', kind: 'index',
    find: 'const prm = this.params(rows, wParts, slot, 0, row0, parts);', replace: 'const prm = this.params(rows, wParts, slot, 0, row0, 0);',
    why: "every window's Gram partials overwrite the first window's: the regularization and the convergence quantity lose rows", cases: ['factor windows: a 20,000'],
  },
  {
    id: 'windows.gram-weight-row', file: 'shaders/gram.wgsl', kind: 'index',
    find: 'if (WEIGHTED) { v *= f32(w[P.rowBase + r]); }', replace: 'if (WEIGHTED) { v *= f32(w[r]); }',
    why: "the second window's rows are weighted by the first window's rating counts (ALS-WR's penalty)", cases: ['factor windows: a 20,000'],
  },
  {
    id: 'windows.chol-tiled-x-row0', file: 'shaders/cholesky.wgsl', kind: 'index',
    find: 'X[(row - P.xRow0) * P.stride + col(t)] = v[t];', replace: 'X[row * P.stride + col(t)] = v[t];',
    why: "the tiled Cholesky writes a row of the second window at its matrix row, past the window's binding",
    cases: ['factor windows:'],
  },
  {
    id: 'windows.chol-blocked-x-row0', file: 'shaders/cholesky_blocked.wgsl', kind: 'index',
    find: 'let xo = (row - P.xRow0) * P.stride;', replace: 'let xo = row * P.stride;',
    why: "the blocked Cholesky writes a row of the second window at its matrix row, past the window's binding",
    cases: ['factor windows:'],
  },
  {
    id: 'windows.cg-warm-start-row0', file: 'shaders/cg.wgsl', kind: 'index',
    find: 'x[c] = X[(row - P.xRow0) * P.stride + col(c)];', replace: 'x[c] = X[row * P.stride + col(c)];',
    why: "tiled CG warm-starts a row of the second window from the wrong row (or past the binding)",
    cases: ['factor windows:'],
  },
  {
    id: 'windows.cg-gather', file: 'shaders/cg.wgsl', kind: 'index',
    find: 'ty[e] = Y_at(idx[t0 + n] * P.stride + col(c));', replace: 'ty[e] = Y[idx[t0 + n] * P.stride + col(c)];',
    why: "tiled CG gathers the other side's factor rows from the first window only",
    cases: ['factor windows:'],
  },
  {
    id: 'windows.cg-x-window', file: 'src/kernels/cg.ts', kind: 'index',
    find: 'X: windowBinding(X, this.xWin, pc.window),', replace: 'X: windowBinding(X, this.xWin, 0),',
    why: 'CG solves the second window\'s rows into the first window', cases: ['factor windows: ALS with the CG'],
  },
  {
    id: 'windows.sgd-item-windows', file: 'src/kernels/sgd.ts', kind: 'index',
    find: "...gatherBindings('H', H, opts.windows.H) }", replace: "...gatherBindings('H', W, opts.windows.H) }",
    why: 'SGD updates the item rows in the user matrix', cases: ['factor windows: SGD'],
  },
  {
    id: 'host.batch-within-chunk', file: 'src/kernels/normal-eq.ts', kind: 'off-by-one',
    find: 'const end = Math.min(csr.chunks[ck].row1, (xw + 1) * this.xWin.rowsPer);', replace: 'const end = Math.min(csr.nRows, (xw + 1) * this.xWin.rowsPer);',
    why: 'a solve batch runs past its chunk, binding one chunk for rows stored in the next', cases: ['chunking: ALS-WR'],
  },
  {
    id: 'host.sgd-lambdas-swapped', file: 'src/kernels/sgd.ts', kind: 'index', sample: true,
    cases: ['sgd: stratified GPU equals the f32 CPU replay for 5 epochs (biased, constant, default'],
    find: 'lambda: s.lambda, lambdaBias: s.lambdaBias,\n', replace: 'lambda: s.lambdaBias, lambdaBias: s.lambda,\n',
    why: 'lambda and lambdaBias are swapped in the SGD uniform',
  },
  {
    id: 'host.sgd-dispatch-floor', file: 'src/kernels/sgd.ts', kind: 'off-by-one',
    find: 'Math.ceil(this.chunkGroups[c] / (wg / this.lanes))', replace: 'Math.floor(this.chunkGroups[c] / (wg / this.lanes))',
    why: 'the last partial workgroup of Hogwild groups is never dispatched: their ratings are skipped',
  },
  {
    id: 'host.sgd-chunk-order-first-only', file: 'src/kernels/sgd.ts', kind: 'index',
    find: 'const c = order ? order[k] : k;', replace: 'const c = order ? order[0] : k;',
    cases: ['chunking: Hogwild SGD on 100k ratings sharing no row'],
    why: 'a chunked Hogwild epoch runs its first chunk C times and never the others',
  },
  {
    id: 'host.sgd-chunk-bstart-clamp', file: 'src/kernels/sgd.ts', kind: 'off-by-one',
    find: 'Math.min(end, Math.max(start, plan.blockStart[j])) - start', replace: 'Math.min(end - 1, Math.max(start, plan.blockStart[j])) - start',
    cases: ['chunking: stratified SGD with its rating list in 1 MiB chunks'],
    why: "the last rating of each stratified chunk is never visited (the block cut at the chunk's end stops one short)",
  },
  {
    id: 'host.shuffle-n', file: 'src/kernels/sgd.ts', kind: 'off-by-one',
    find: '{ n: f.n, half: f.half, mask: f.mask, keys: f.keys }', replace: '{ n: f.n - 1, half: f.half, mask: f.mask, keys: f.keys }',
    why: 'the permutation covers one rating too few',
  },
  {
    id: 'host.gd-params', file: 'src/kernels/gd.ts', kind: 'index',
    find: 'lambda: s.lambda, lambdaBias: s.lambdaBias });', replace: 'lambda: s.lambdaBias, lambdaBias: s.lambda });',
    why: 'lambda and lambdaBias are swapped in the GD uniform',
  },
  {
    id: 'host.score-mode', file: 'src/kernels/score.ts', kind: 'dropped',
    find: "mode: spec.mode === 'cosine' ? 1 : 0, tilesC", replace: 'mode: 0, tilesC',
    why: 'similar items are ranked by dot product instead of cosine',
  },
  {
    id: 'host.rank-pairs', file: 'src/kernels/ranks.ts', kind: 'off-by-one',
    find: '{ nPairs: np, n }', replace: '{ nPairs: np - 1, n }',
    why: 'the last (user, item) pair gets no AUC rank counts',
  },
  // The hyperparameter search (src/tune/tune.ts): host logic, checked by test/tune.test.ts (CPU
  // searches against direct fits, the GPU search against the CPU one).
  {
    id: 'tune.halving-keeps-worst', file: 'src/tune/tune.ts', kind: 'operator', tests: TUNE, testPattern: TUNE_CPU,
    find: 'const ranked = [...live].sort((a, b) => orderOf(a.trial.score, b.trial.score, better));',
    replace: 'const ranked = [...live].sort((a, b) => orderOf(b.trial.score, a.trial.score, better));',
    why: 'successive halving keeps the worse half of the trials and drops the better',
  },
  {
    id: 'tune.rung-budget', file: 'src/tune/tune.ts', kind: 'off-by-one', tests: TUNE, testPattern: TUNE_CPU,
    find: 'const more = rungs[g] - done;', replace: 'const more = rungs[g] - done + 1;',
    why: 'each rung runs one iteration more than its budget: survivors end past the asked count',
  },
  {
    id: 'tune.rung-count', file: 'src/tune/tune.ts', kind: 'off-by-one', tests: TUNE, testPattern: TUNE_CPU,
    find: 'k < Math.ceil(Math.log2(Math.max(2, trials)))', replace: 'k <= Math.ceil(Math.log2(Math.max(2, trials)))',
    why: 'one halving more than the trials need: a first rung of a fraction of an iteration budget',
  },
  {
    id: 'tune.validation-leak', file: 'src/tune/tune.ts', kind: 'index', tests: TUNE, testPattern: TUNE_CPU,
    find: 'fitData: ds ? { ...ds, ratings: s.train } : s.train', replace: 'fitData: ds ? { ...ds, ratings: r } : r',
    why: 'the trials train on the validation ratings they are scored on: the search chooses by training error',
  },
  {
    id: 'tune.seed-ignored', file: 'src/tune/tune.ts', kind: 'dropped', tests: TUNE, testPattern: TUNE_CPU,
    find: 'const rng = new Rng(o.seed ?? 42);', replace: 'const rng = new Rng(42);',
    why: 'random search draws the same trials whatever the seed',
  },
  {
    id: 'tune.split-seed-ignored', file: 'src/tune/tune.ts', kind: 'dropped', tests: TUNE, testPattern: TUNE_CPU,
    find: 'splits = [splitRandom(r, { testFraction: vf, seed })];', replace: 'splits = [splitRandom(r, { testFraction: vf, seed: 42 })];',
    why: 'the validation split is the same whatever the seed',
  },
  {
    id: 'tune.divergence-ends-search', file: 'src/tune/tune.ts', kind: 'skipped', tests: TUNE, testPattern: TUNE_CPU,
    find: 'if (!(e instanceof DivergenceError)) throw e;', replace: 'throw e;',
    why: 'one trial with a learning rate too high ends the whole search instead of only itself',
  },
  {
    id: 'tune.als-reupload', file: 'src/tune/tune.ts', kind: 'dropped', tests: TUNE, testPattern: TUNE_GPU,
    find: 'uploads: f.uploads, hostCopies', replace: 'uploads: undefined, hostCopies',
    why: 'every ALS trial uploads its own copy of the ratings instead of sharing the fold\'s',
  },
  {
    id: 'tune.sgd-reupload', file: 'src/tune/tune.ts', kind: 'dropped', tests: TUNE, testPattern: TUNE_GPU,
    find: 'uploads: f.sgdUploads, hostCopies', replace: 'uploads: undefined, hostCopies',
    why: 'every SGD trial uploads its own copy of the ratings instead of sharing the fold\'s',
  },
  {
    id: 'tune.device-warm-start', file: 'src/tune/tune.ts', kind: 'dropped', tests: TUNE, testPattern: TUNE_GPU,
    find: "...(prev?.device ? { deviceInit: { users: prev.device.users, items: prev.device.items } } : {})", replace: '',
    why: 'a rung on the device starts its survivors from fresh random factors instead of their own',
  },
  {
    id: 'tune.incumbent-order', file: 'src/tune/tune.ts', kind: 'operator', tests: TUNE, testPattern: TUNE_GPU,
    find: 'if (!incumbent || beats(d.trial, incumbent)) {', replace: 'if (!incumbent || beats(incumbent, d.trial)) {',
    why: 'on the device the worse dropped trial keeps its factors and the better one loses them: a dropped trial that is the best is not returned',
  },
  {
    id: 'tune.budget-ignores-fit', file: 'src/tune/tune.ts', kind: 'dropped', tests: TUNE, testPattern: TUNE_GPU,
    find: 'if (budget === undefined || kept + fit <= budget) {', replace: 'if (budget === undefined || kept <= budget) {',
    why: 'the trials\' factors stay on the device though they and a fit exceed the device-memory budget',
  },
  {
    id: 'tune.ials-stale-factors', file: 'src/tune/tune.ts', kind: 'index', tests: TUNE, testPattern: TUNE_GPU,
    find: 'users: fit.device.users, items: fit.device.items, nUsers', replace: 'users: (prev?.device ?? fit.device).users, items: (prev?.device ?? fit.device).items, nUsers',
    why: 'an implicit trial is scored on the device by its previous rung\'s factors, not the ones it just fitted: halving and the choice use stale scores',
  },
  {
    id: 'loop.read-back-anyway', file: 'src/train/loop.ts', kind: 'dropped', tests: TUNE, testPattern: TUNE_GPU,
    find: "(readBack ? backend.readFactors() : { W: new Float32Array(0), H: new Float32Array(0) })", replace: '(backend.readFactors())',
    why: 'a fit asked to leave its factors on the device reads them back anyway (a readback per trial per rung)',
  },
  // The f32 CPU engine's own list (test/mutants/cpu-engine.ts), run against its shared cases.
  ...cpuEngineMutants.map((m) => ({ ...m, cases: m.cases ?? CPU_ENGINE_CASES })),
];

/*
 * Considered and dropped as equivalent (no result can change):
 * - normal_eq.wgsl: writing tgt into the unused lanes of the rhs block (vec4(tgt, tgt, 0, 0)): only
 *   column KP of the rhs block is ever read by the finish kernel.
 * - normal_eq_finish.wgsl: base[j * K + i] for base[i * K + j]: the base Gram Y^T Y is symmetric.
 * - sgd_lanes.wgsl: `p = g * P.run + j` (contiguous runs) for `p = g + j * P.groups`: every position
 *   is still visited once per epoch, only in another race-dependent order; Hogwild's result is
 *   defined only up to that order. (shaders/sgd.wgsl walks contiguous runs.)
 * - sgd.ts: STRAT_WG (blocks per workgroup of the one-lane stratified entry) ceil -> floor in the
 *   dispatch count: the suite's plans have b = 4 = STRAT_WG blocks, where both agree.
 * - gd.wgsl: writing Old[at] instead of 1.0 in the constant column: Old is 1 there already.
 * - cholesky.wgsl: dropping only workgroupBarrier() from sync() (keeping storageBarrier()): every
 *   WGSL barrier is a workgroup control barrier, and the adapters we run on make workgroup memory
 *   visible at any of them, so no result changed. Dropping both barriers is listed instead.
 * - cholesky*.wgsl: `&&` for `||` in the pivot test: a zero or negative pivot turns into NaN one
 *   step later, which the same test flags, so every singular case was still caught. The mutant
 *   that drops the relative pivot rule (a tiny positive pivot) is listed instead.
 * - topk.ts: chunk size CH - 1 for CH in the direct top-k: the host sizes the chunk count from CH,
 *   and ceil(n / CH) chunks of CH - 1 still cover n for every n the suite uses (and for most n);
 *   CH / 2 is listed instead.
 */
