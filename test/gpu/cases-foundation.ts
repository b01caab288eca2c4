/**
 * Foundation GPU-vs-CPU cases: normal-equation build, batched Cholesky, loss reduction, and the
 * source's worked numbers. Shared by the Node (Dawn) and the headless-Chrome runs.
 */
import { adapterName, type GpuContext } from '../../src/gpu/context.ts';
import {
  cholesky,
  choleskySolve,
  gramOfColumns,
  layoutOf,
  normalEquations,
  residuals,
  type SolveSpec,
} from '../../src/reference/reference.ts';
import { uploadCsr, destroyCsr } from '../../src/kernels/device-csr.ts';
import { NormalEqSolver, type DirectBuild, type KernelVariant } from '../../src/kernels/normal-eq.ts';
import { subgroupShare } from '../../src/kernels/normal-eq-subgroup.ts';
import { LossKernel } from '../../src/kernels/loss.ts';
import { buildCsr, type Csr } from '../../src/data/ratings.ts';
import { expect, expectBelow, expectClose, factorResidual, solveResidual } from './check.ts';
import { csrOf, randomFactors, setConstColumn, sparseRatings } from './fixtures.ts';
import type { GpuCase } from './types.ts';
import { toyAls, toyStep0 } from '../../src/demo/lessons.ts';
import { TOY_H, TOY_TABLE, toyRatings } from '../../src/demo/toy.ts';
import { fitAls } from '../../src/train/als/index.ts';

/** ‖A‖_F ‖A⁻¹‖_F for a 3 x 3 (or 2 x 2) matrix: an upper bound on its 2-norm condition number. */
function condF(A: number[][]): number {
  const n = A.length;
  const M = A.map((r) => [...r]);
  const I = A.map((_, i) => A.map((__, j) => (i === j ? 1 : 0)));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    [I[c], I[p]] = [I[p], I[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = 0; k < n; k++) {
        M[r][k] -= f * M[c][k];
        I[r][k] -= f * I[c][k];
      }
    }
  }
  const inv = I.map((row, r) => row.map((x) => x / M[r][r]));
  const fro = (X: number[][]) => Math.hypot(...X.flat());
  return fro(A) * fro(inv);
}

/** Reads back the systems of the solver's last batch (A rows x K x K, b rows x K). */
async function readSystems(gpu: GpuContext, solver: NormalEqSolver): Promise<{ A: Float32Array; b: Float32Array }> {
  const last = solver.batches[solver.batches.length - 1];
  const K = solver.L.K;
  const { A, B } = solver.systems;
  return { A: await gpu.readF32(A, 0, last.rowCount * K * K), b: await gpu.readF32(B, 0, last.rowCount * K) };
}

const U32 = 2 ** -24; // unit roundoff of f32

/** The source's movie features H (features x movies): Sholay, Swades, Batman, Interstellar, Shawshank. */
export const TABLE_H = TOY_H;

interface NeShape {
  rows: number;
  cols: number;
  rank: number;
  bias?: boolean;
  implicit?: boolean;
  weighted?: boolean;
  lambda?: number;
  lambdaBias?: number;
  /** Row lengths, cycled (0, 1 and many). */
  lengths: number[];
  chunk?: number;
}

/** The direct variant's Cholesky: the blocked kernel (the engine's, from 8 unknowns) or the scalar cholesky_direct.wgsl. */
type Solve = 'blocked' | 'scalar';

/**
 * A nearly singular system must come back as a SingularSystemError, not as f32 noise: one row with
 * K = 20 ratings, lambda 0, where items 0 and 1 have factors (1, 1) and (1, 1.004) on the first two
 * dimensions and items 2..19 are unit vectors on the others. The leading 2 x 2 block of A is
 * [[2, 2.004], [2.004, 2.008016]]: its second pivot is 8e-6, 4e-6 of its diagonal, below the
 * relative pivot tolerance (1e-5) yet well above f32 rounding of the elimination (~2.4e-7 · 2), so
 * only the relative rule, not a sign test, rejects it. At K = 20 the direct variant builds with
 * the register build and solves with the kernel asked for (no fused solve above 17 unknowns).
 */
async function checkNearSingular(gpu: GpuContext, variant: KernelVariant, solve: Solve): Promise<void> {
  const K = 20;
  const spec: SolveSpec = { rank: K, bias: false, side: 'user', mu: 0, lambda: 0, lambdaBias: 0, weighted: false, implicit: undefined };
  const L = layoutOf(spec);
  const Y = new Float32Array(K * L.stride);
  Y.set([1, 1], 0);
  Y.set([1, 1.004], L.stride);
  for (let i = 2; i < K; i++) Y[i * L.stride + i] = 1;
  const csr = buildCsr(new Int32Array(K), Int32Array.from({ length: K }, (_, i) => i), new Float32Array(K).fill(3), 1, K);
  const dcsr = uploadCsr(gpu, 'test.csr', csr);
  const solver = new NormalEqSolver(gpu, dcsr, spec, 'test.ne', variant, undefined, 'auto', solve);
  const Yb = gpu.storage('test.Y', Y);
  const X = gpu.storage('test.X', L.stride * 4);
  try {
    solver.setParams({ mu: 0, lambda: 0, lambdaBias: 0, weighted: false, alpha: 0 }, false);
    const enc = gpu.device.createCommandEncoder();
    solver.encode(enc, X, Yb);
    gpu.submit(enc);
    let err: unknown = null;
    try {
      await solver.checkStatus(spec);
    } catch (e) {
      err = e;
    }
    expect(err instanceof Error && err.name === 'SingularSystemError' && /user 0/.test(err.message), `${variant}/${solve}: a pivot of 4e-6 of its diagonal is reported singular (got ${err instanceof Error ? err.message : 'no error'})`);
    const x = await gpu.readF32(X);
    expect(x.every((v) => v === 0), `${variant}/${solve}: the singular row's factors are zero, not noise`);
  } finally {
    solver.destroy();
    destroyCsr(dcsr);
    Yb.destroy();
    X.destroy();
  }
}

/** Solver + inputs for one shape; f64 references computed from the same f32 inputs. */
function setup(gpu: GpuContext, s: NeShape, seed: number, variant: KernelVariant, build: DirectBuild = 'auto', solve: Solve = 'blocked', dual = true) {
  const spec: SolveSpec = {
    rank: s.rank,
    bias: !!s.bias,
    side: 'user',
    mu: s.bias ? 3 : 0,
    lambda: s.lambda ?? 0.1,
    lambdaBias: s.lambdaBias ?? 0.05,
    weighted: !!s.weighted,
    implicit: s.implicit ? { alpha: 2 } : undefined,
  };
  const L = layoutOf(spec);
  const ratings = sparseRatings(seed, s.rows, s.cols, s.lengths);
  const csr = csrOf(ratings);
  const Y = randomFactors(seed + 1, s.cols, L.stride);
  if (s.bias) setConstColumn(Y, s.cols, s.rank, 'item');
  const base = s.implicit ? gramOfColumns(Y, s.cols, spec) : undefined;
  const dcsr = uploadCsr(gpu, 'test.csr', csr, s.chunk ?? 1024);
  const solver = new NormalEqSolver(gpu, dcsr, spec, 'test.ne', variant, undefined, build, solve, dual);
  solver.setParams({ mu: spec.mu, lambda: spec.lambda, lambdaBias: spec.lambdaBias, weighted: spec.weighted, alpha: spec.implicit?.alpha ?? 0 }, !!base);
  const Yb = gpu.storage('test.Y', Y);
  // (not zeros: a row whose factors no kernel writes, e.g. one without ratings, must not pass as zero)
  const X = gpu.storage('test.X', new Float32Array(s.rows * L.stride).fill(7));
  const baseBuf = base ? gpu.storage('test.base', Float32Array.from(base)) : undefined;
  const cleanup = () => {
    solver.destroy();
    destroyCsr(dcsr);
    Yb.destroy();
    X.destroy();
    baseBuf?.destroy();
  };
  return { spec, L, csr, Y, base, solver, Yb, X, baseBuf, cleanup };
}

/** Sum over entries of |w y_a y_b| (and |t y_a|): the magnitude an f32 sum is accurate relative to. */
function absScale(csr: Csr, row: number, Y: Float32Array, spec: SolveSpec, base?: Float64Array) {
  const abs = { ...spec, mu: 0, lambda: 0, lambdaBias: 0 };
  const absY = Float32Array.from(Y, Math.abs);
  const absCsr: Csr = { ...csr, values: Float32Array.from(csr.values, (v) => Math.abs(v - spec.mu) + (spec.bias ? 10 : 0)) };
  const sc = normalEquations(absCsr, row, absY, { ...abs, implicit: spec.implicit ? { alpha: spec.implicit.alpha } : undefined }, base?.map(Math.abs));
  return sc;
}

async function checkBuild(gpu: GpuContext, s: NeShape, seed: number, variant: KernelVariant, build: DirectBuild = 'auto'): Promise<void> {
  const t = setup(gpu, s, seed, variant, build);
  try {
    expect(t.solver.batches.length === 1, 'test shape must fit one batch');
    if (variant === 'direct' && build !== 'auto') expect(t.solver.build === build, `direct build ${t.solver.build}, asked for ${build}`);
    const enc = gpu.device.createCommandEncoder();
    t.solver.encodeBuild(enc, t.X, t.Yb, { base: t.baseBuf });
    gpu.submit(enc);
    const { A, b } = await readSystems(gpu, t.solver);
    const K = t.L.K;
    for (let row = 0; row < s.rows; row++) {
      const ref = normalEquations(t.csr, row, t.Y, t.spec, t.base);
      const sc = absScale(t.csr, row, t.Y, t.spec, t.base);
      const n = t.csr.indptr[row + 1] - t.csr.indptr[row];
      // the segment build sums at most `chunk` ratings in sequence and then the segments' partials;
      // the rows and subgroup builds (normal_eq_rows.wgsl, normal_eq_subgroup.wgsl) sum all n of a
      // row in sequence, each entry in one accumulator
      const chunk = t.solver.build === 'rows' || t.solver.build === 'subgroups' ? Math.max(1, n) : s.chunk ?? 1024;
      // f32 summation bound: (terms per sequential sum + number of partials + product roundings) * u
      const rtol = (Math.min(n, chunk) + Math.ceil(n / chunk) + 8) * U32 * 2;
      const gotU: number[] = [];
      const refU: number[] = [];
      const scU: number[] = [];
      for (let i = 0; i < K; i++) {
        for (let j = i; j < K; j++) {
          gotU.push(A[(row * K + i) * K + j]);
          refU.push(ref.A[i * K + j]);
          scU.push(sc.A[i * K + j] + Math.abs(ref.A[i * K + j]));
        }
      }
      expectClose(`A upper, row ${row} (n=${n})`, gotU, refU, { rtol, scale: scU });
      expectClose(`b, row ${row} (n=${n})`, b.subarray(row * K, row * K + K), ref.b, { rtol, scale: sc.b, atol: 0 });
    }
  } finally {
    t.cleanup();
  }
}

async function checkSolve(gpu: GpuContext, s: NeShape, seed: number, variant: KernelVariant, build: DirectBuild = 'auto', solve: Solve = 'blocked'): Promise<void> {
  await solveChecked(gpu, s, seed, variant, build, solve);
}

/** Checks every row's solve; returns how many rows the dual solve took. */
async function solveChecked(gpu: GpuContext, s: NeShape, seed: number, variant: KernelVariant, build: DirectBuild = 'auto', solve: Solve = 'blocked', dual = true): Promise<number> {
  const t = setup(gpu, s, seed, variant, build, solve, dual);
  try {
    const K = t.L.K;
    let enc = gpu.device.createCommandEncoder();
    t.solver.encodeBuild(enc, t.X, t.Yb, { base: t.baseBuf });
    gpu.submit(enc);
    const built = await readSystems(gpu, t.solver);
    enc = gpu.device.createCommandEncoder();
    t.solver.encode(enc, t.X, t.Yb, { base: t.baseBuf });
    gpu.submit(enc);
    await t.solver.checkStatus(t.spec);
    const U = await readSystems(gpu, t.solver);
    const X = await gpu.readF32(t.X);
    const tol = 20 * K * U32;
    let dualRows = 0;
    for (let row = 0; row < s.rows; row++) {
      const n = t.csr.indptr[row + 1] - t.csr.indptr[row];
      const x = new Float64Array(K);
      for (let a = 0; a < K; a++) x[a] = X[row * t.L.stride + (a < s.rank ? a : t.L.xBias)];
      if (n === 0) {
        expectClose(`row ${row} without ratings is zero`, x, new Float64Array(K), { rtol: 0, atol: 0 });
        continue;
      }
      // the GPU's own f32 system, symmetrized, in f64
      const A = new Float64Array(K * K);
      for (let i = 0; i < K; i++) for (let j = i; j < K; j++) A[i * K + j] = A[j * K + i] = built.A[(row * K + i) * K + j];
      const b = Float64Array.from(built.b.subarray(row * K, row * K + K));
      // a row the dual solve took (shaders/dual_solve.wgsl) leaves its n x n factor in A's slot, not U
      const viaDual = n < t.solver.dualMax;
      if (viaDual) dualRows++;
      const Uf = U.A.subarray(row * K * K, (row + 1) * K * K);
      if (!viaDual) expectBelow(`row ${row}: ||U^T U - A||/||A||`, factorResidual(Uf, A, K), tol);
      // normwise backward error of the solve
      let an = 0;
      for (const v of A) an += v * v;
      let xn = 0;
      for (const v of x) xn += v * v;
      const be = (solveResidual(A, x, b, K) * Math.hypot(...b)) / (Math.sqrt(an) * Math.sqrt(xn) + Math.hypot(...b));
      expectBelow(`row ${row}: backward error of A x = b`, be, tol);
      // and the solution agrees with the f64 reference solve of the f64-built system
      const ref = normalEquations(t.csr, row, t.Y, t.spec, t.base);
      const xr = choleskySolve(cholesky(ref.A, K)!, ref.b, K);
      const xScale = Math.max(...xr.map(Math.abs));
      // forward error <= cond(A) x backward error (<= 20 K u, checked above); these lambda > 0
      // systems have cond(A) of at most a few hundred, so 1e-3 of the solution's size
      expectClose(`row ${row}: x vs f64`, x, xr, { rtol: 1e-3, scale: new Float64Array(K).fill(xScale) });
    }
    return dualRows;
  } finally {
    t.cleanup();
  }
}

/**
 * The dual solve of short rows (shaders/dual_solve.wgsl): every row with 0 < n < K ratings must be
 * solved by it (counted), and each is held to checkSolve's bounds on the primal system the GPU
 * built: backward error of A x = b within 20 K u (the dual solves M = I + Y D^-1 Y^T, whose pivots
 * are >= 1, so its rounding error is that of the n-term dot products and of the short Cholesky, far
 * below the bound: measured 2e-8 .. 1e-7 against 2.5e-5 .. 7.6e-5) and x within 1e-3 of its size of
 * the f64 solve. Row lengths cover 1, a few, both sides of each register bucket's bound (4, 8, 16:
 * shaders/dual_solve_regs.wgsl up to 16, the storage kernel above), K - 1 (the last dual row), K
 * and K + 1 (the Cholesky's first). Layouts: W = 4 loads with the bias columns masked off the last rank vector (rank 30
 * biased, stride 32), W = 2 (rank 32 biased, the MovieLens bench's), W = 1 without biases and
 * without ALS-WR weights, and K = 64 (above the register build's 48), whose systems the segment build sums.
 */
const DUAL_SHAPES: [string, NeShape][] = [
  ['rank 30 biased ALS-WR (K = 31, vec4 loads, masked lanes)', { rows: 28, cols: 200, rank: 30, bias: true, weighted: true, lengths: [0, 1, 2, 4, 5, 8, 9, 13, 16, 17, 30, 31, 32, 40] }],
  ['rank 32 biased ALS-WR (K = 33, vec2 loads)', { rows: 16, cols: 200, rank: 32, bias: true, weighted: true, lengths: [3, 1, 32, 33, 34, 20, 0, 9] }],
  // (more than one workgroup of rows longer than K, so the build's dispatch ends before the rows with K ratings)
  ['rank 21 unbiased, unweighted (K = 21, scalar loads), 79 rows longer than K', { rows: 144, cols: 120, rank: 21, lambda: 0.3, lengths: [21, 20, 22, 1, 0, 11, 4, 6, 30, 30, 30, 30, 30, 30, 30, 30] }],
  ['rank 64 (K = 64, segment build)', { rows: 8, cols: 300, rank: 64, lengths: [63, 64, 65, 1, 30, 0, 200, 7], chunk: 128 }],
];

const dualRowsOf = (s: NeShape, K: number): number => Array.from({ length: s.rows }, (_, r) => s.lengths[r % s.lengths.length]).filter((n) => n > 0 && n < K).length;

const dualCases: GpuCase[] = [
  ...DUAL_SHAPES.map(([name, s], i): GpuCase => ({
    name: `dual solve of rows with fewer ratings than unknowns: every such row takes it, backward error within 20·K·u and x vs f64, direct kernels: ${name}`,
    run: async (gpu) => {
      const K = layoutOf({ rank: s.rank, bias: !!s.bias, side: 'user' }).K;
      const got = await solveChecked(gpu, s, 400 + i, 'direct');
      expect(got === dualRowsOf(s, K) && got > 0, `${got} rows solved by the dual, expected ${dualRowsOf(s, K)}`);
    },
  })),
  {
    name: 'dual solve: off where an unknown is unregularized (lambdaBias 0) or when asked (dual = false); those short rows take the Cholesky and still match f64',
    run: async (gpu) => {
      const s = DUAL_SHAPES[0][1];
      expect((await solveChecked(gpu, { ...s, lambdaBias: 0 }, 410, 'direct')) === 0, 'lambdaBias 0: no row through the dual');
      expect((await solveChecked(gpu, s, 411, 'direct', 'auto', 'blocked', false)) === 0, 'dual = false: no row through the dual');
    },
  },
];

const VARIANTS: KernelVariant[] = ['tiled', 'direct'];

const SHAPES: [string, NeShape][] = [
  ['rank 4, rows of 0/1/many', { rows: 40, cols: 60, rank: 4, lengths: [0, 1, 2, 7, 30, 60] }],
  ['rank 16, long row split into segments', { rows: 12, cols: 700, rank: 16, lengths: [0, 1, 5, 650], chunk: 64 }],
  ['rank 33 (not a multiple of 4), biased', { rows: 20, cols: 120, rank: 33, bias: true, lengths: [1, 40, 120, 0] }],
  ['rank 12, implicit with base Gram, weighted lambda', { rows: 24, cols: 80, rank: 12, implicit: true, weighted: true, lengths: [0, 3, 17, 80] }],
  ['rank 64 (Cholesky from global memory)', { rows: 6, cols: 300, rank: 64, lengths: [100, 250, 1, 0, 64, 300], chunk: 128 }],
];

// The subgroup build (normal_eq_subgroup.wgsl), which 'auto' picks for 18..68 unknowns where the
// adapter has subgroups (so SHAPES' rank 33 biased and rank 64 systems run it there), on a shape of
// its own: the triangle's edge (K = 26, not a multiple of 4), the implicit base Gram and weighted
// lambda; and the one-invocation register build it replaces, forced on a K = 21 biased system, so
// both stay checked on such an adapter.
const SUBGROUP_SHAPE: [string, NeShape] = ['rank 26, implicit with base Gram, weighted lambda', { rows: 9, cols: 80, rank: 26, implicit: true, weighted: true, lengths: [0, 3, 17, 80] }];
const ROWS_SHAPE: [string, NeShape] = ['rank 20 biased (K = 21, two bands), rows of 0/1/many', { rows: 20, cols: 120, rank: 20, bias: true, lengths: [1, 40, 120, 0, 7] }];

export const foundationCases: GpuCase[] = [
  ...dualCases,
  ...VARIANTS.flatMap((v) => [
    ...SHAPES.map(([name, s], i): GpuCase => ({
      name: `normal equations (Gram upper triangle + rhs) match f64, ${v} kernels: ${name}`,
      run: (gpu) => checkBuild(gpu, s, 100 + i, v),
    })),
    ...SHAPES.map(([name, s], i): GpuCase => ({
      name: `batched Cholesky: factor and solve residuals within 20·K·u, ${v} kernels: ${name}`,
      run: (gpu) => checkSolve(gpu, s, 200 + i, v),
    })),
    // the direct variant's segment build (what it uses above SHARED.ROWS_MAXK unknowns), on the
    // shapes that exercise its weights, bias column and segment partials
    ...(v === 'direct' ? SHAPES.filter((_, i) => i >= 1 && i <= 3) : []).map(([name, s], i): GpuCase => ({
      name: `normal equations (Gram upper triangle + rhs) match f64, direct kernels (segment build): ${name}`,
      run: (gpu) => checkBuild(gpu, s, 150 + i, v, 'segments'),
    })),
    ...(v === 'direct'
      ? [
          {
            name: `normal equations match f64, direct kernels (subgroup build, on adapters with subgroups): ${SUBGROUP_SHAPE[0]}`,
            run: async (gpu: GpuContext) => {
              if (!subgroupShare(gpu)) {
                // An adapter without subgroups resolves 'subgroups' to the register build, checked
                // below. SwiftShader (the adapter of this suite in Node and Chrome) has them, so there
                // this case must run the subgroup build rather than pass without checking anything.
                expect(!/swiftshader/i.test(adapterName(gpu.adapter)), `${adapterName(gpu.adapter)} offers subgroups, but the device was created without them`);
                return;
              }
              await checkBuild(gpu, SUBGROUP_SHAPE[1], 170, v, 'subgroups');
            },
          },
          {
            name: `normal equations match f64, direct kernels (register build forced): ${ROWS_SHAPE[0]}`,
            run: (gpu: GpuContext) => checkBuild(gpu, ROWS_SHAPE[1], 180, v, 'rows'),
          },
          {
            name: `batched Cholesky: factor and solve residuals within 20·K·u, direct kernels (register build forced): ${ROWS_SHAPE[0]}`,
            run: (gpu: GpuContext) => checkSolve(gpu, ROWS_SHAPE[1], 181, v, 'rows'),
          },
          // the scalar Cholesky (cholesky_direct.wgsl), which the blocked kernel replaced from 8
          // unknowns; kept as the A/B baseline and reached with directSolve 'scalar'
          {
            name: `batched Cholesky: factor and solve residuals within 20·K·u, direct kernels (scalar Cholesky): ${SHAPES[2][0]}`,
            run: (gpu: GpuContext) => checkSolve(gpu, SHAPES[2][1], 182, v, 'auto', 'scalar'),
          },
          {
            name: `batched Cholesky: factor and solve residuals within 20·K·u, direct kernels (segment build, scalar Cholesky): ${SHAPES[3][0]}`,
            run: (gpu: GpuContext) => checkSolve(gpu, SHAPES[3][1], 183, v, 'segments', 'scalar'),
          },
          ...(['blocked', 'scalar'] as const).map((solve) => ({
            name: `a nearly singular system (second pivot 4e-6 of its diagonal) is a SingularSystemError with zero factors, direct kernels (${solve} Cholesky)`,
            run: (gpu: GpuContext) => checkNearSingular(gpu, v, solve),
          })),
        ]
      : []),
    {
      name: `rank 128 biased Cholesky solve agrees with f64, ${v} kernels`,
      run: (gpu: GpuContext) => checkSolve(gpu, { rows: 3, cols: 400, rank: 128, bias: true, lengths: [400, 200, 150] }, 300, v),
    },
  ]),
  // strides 7, 10, 12: the direct kernel's f32, vec2 and vec4 row loads
  ...VARIANTS.flatMap((v) => (v === 'tiled' ? [10] : [7, 10, 12]).map((stride): GpuCase => ({
    name: `loss reduction (sum e², sum |e|) matches f64 on 50,000 ratings, ${v} kernels, stride ${stride}`,
    run: async (gpu) => {
      const r = sparseRatings(7, 500, 400, [100, 3, 0, 97]);
      const X = randomFactors(8, r.nUsers, stride);
      const Y = randomFactors(9, r.nItems, stride);
      const ref = residuals(r.users, r.items, r.values, X, Y, stride, 3.1);
      const k = new LossKernel(gpu, 'test.loss', r.users, r.items, r.values, v);
      const Xb = gpu.storage('test.X', X);
      const Yb = gpu.storage('test.Y', Y);
      try {
        expect(k.variant === v, `loss kernel variant ${k.variant}, asked for ${v}`);
        const got = await k.run(Xb, Yb, stride, 3.1);
        // per-term error ~ (stride + 4) u |e|^2 (all sse terms and sae terms are >= 0, so relative to
        // the sum); then the summation: tiled, ~16 terms per thread and two tree levels; direct, three
        // sequential sums of at most 64, 64 and ceil(n / 4096) terms
        const sums = v === 'tiled' ? 16 + 2 * Math.log2(r.values.length) : 128 + Math.ceil(r.values.length / 4096);
        const rtol = (stride + 4 + sums) * U32 * 4;
        expectClose('sse, sae', [got.sse, got.sae], [ref.sse, ref.sae], { rtol });
      } finally {
        k.destroy();
        Xb.destroy();
        Yb.destroy();
      }
    },
  }))),
  ...VARIANTS.map((v): GpuCase => ({
    name: `loss reduction, implicit (sum c (p - s)² - s², sum alpha f; stored zeros have p = 0) matches f64, ${v} kernels`,
    run: async (gpu) => {
      const r = sparseRatings(17, 300, 200, [60, 2, 0, 41]);
      const values = Float32Array.from(r.values, (x, k) => (k % 7 === 3 ? 0 : x));
      const stride = 10;
      const alpha = 2;
      const X = randomFactors(18, r.nUsers, stride);
      const Y = randomFactors(19, r.nItems, stride);
      let refA = 0;
      let refB = 0;
      let absA = 0;
      for (let k = 0; k < values.length; k++) {
        let sc = 0;
        for (let c = 0; c < stride; c++) sc += X[r.users[k] * stride + c] * Y[r.items[k] * stride + c];
        const af = alpha * values[k];
        const d = (values[k] > 0 ? 1 : 0) - sc;
        refA += (1 + af) * d * d - sc * sc;
        absA += (1 + af) * d * d + sc * sc;
        refB += af;
      }
      const k = new LossKernel(gpu, 'test.loss', r.users, r.items, values, v);
      const Xb = gpu.storage('test.X', X);
      const Yb = gpu.storage('test.Y', Y);
      try {
        const enc = gpu.device.createCommandEncoder();
        k.encode(enc, Xb, Yb, stride, 0, alpha);
        gpu.submit(enc);
        const got = await gpu.readF32(k.out, 0, 2);
        // terms of both signs: relative to the sum of their magnitudes; (stride + 6) u per term and
        // the longest sequential sum (tiled ~16 + 2 log2 n tree levels, direct 128 + n / 4096 terms)
        const sums = v === 'tiled' ? 16 + 2 * Math.log2(values.length) : 128 + Math.ceil(values.length / 4096);
        const rtol = (stride + 6 + sums) * U32 * 4;
        expectClose('implicit loss terms, sum alpha f', got, [refA, refB], { rtol, scale: [absA, refB] });
      } finally {
        k.destroy();
        Xb.destroy();
        Yb.destroy();
      }
    },
  })),
  {
    name: "the source's 3x5 table: Alice's preferences by least squares on her five ratings",
    run: async (gpu) => {
      const H = TABLE_H;
      const alice = [5, 4, 2, 3, 2];
      const Y = new Float32Array(15);
      for (let m = 0; m < 5; m++) for (let f = 0; f < 3; f++) Y[m * 3 + f] = H[f][m];
      const csr = buildCsr(new Int32Array(5), Int32Array.from([0, 1, 2, 3, 4]), Float32Array.from(alice), 1, 5);
      const w = await gpuSolveOne(gpu, csr, Y, 3, 0);
      // f64 least squares: (H H^T) w = H a
      const spec: SolveSpec = { rank: 3, bias: false, side: 'user', mu: 0, lambda: 0, lambdaBias: 0, weighted: false };
      const ref = normalEquations(csr, 0, Y, spec);
      const wr = choleskySolve(cholesky(ref.A, 3)!, ref.b, 3);
      // f32 build and solve of a 3x3 system: backward error of a few u (u = 2^-24), forward error
      // cond(A) times that; cond(A) <= ||A||_F ||A^-1||_F = 16 here. Measured 1.0e-6 relative;
      // bound 16 cond(A) u = 1.5e-5.
      const rtolA = 16 * condF([0, 1, 2].map((i) => [0, 1, 2].map((j) => ref.A[i * 3 + j]))) * U32;
      expectClose("Alice's w", w, wr, { rtol: rtolA });
      // The source's numbers: w* = [2.7756, 1.6564, 1.7466] and a Sholay prediction of 4.287, not 5
      // (the f64 solve rounded; the GPU within 1.5e-5 of it, so within one unit of the 4th decimal).
      expectClose("Alice's w* (f64) to 4 decimals", Array.from(wr, (x) => Math.round(x * 1e4) / 1e4), [2.7756, 1.6564, 1.7466], { rtol: 0, atol: 1e-9 });
      const sholay = H[0][0] * w[0] + H[1][0] * w[1] + H[2][0] * w[2];
      expect(Math.abs(sholay - 4.287) < 1e-3, `Alice's Sholay prediction ${sholay} is 4.287 (not 5)`);
      // and it is the least-squares optimum: H (a - H^T w) = 0. The gradient is H H^T (w* - w), so it
      // carries the solve's error (checked tightly above) times ||H H^T||: measured <= 5.9e-7; the bound
      // 1e-4 is 5e-6 of the size of its terms (sum |H| |a| ~ 20), and a wrong solve shows here as well.
      for (let f = 0; f < 3; f++) {
        let g = 0;
        for (let m = 0; m < 5; m++) g += H[f][m] * (alice[m] - (H[0][m] * w[0] + H[1][m] * w[1] + H[2][m] * w[2]));
        expectBelow(`normal-equation gradient ${f}`, Math.abs(g), 1e-4);
      }
    },
  },
  {
    name: 'rank 256 Cholesky solve (global scratch) agrees with f64',
    run: (gpu) => checkSolve(gpu, { rows: 2, cols: 320, rank: 256, lengths: [320, 300], chunk: 160 }, 301, 'tiled'),
  },
  {
    name: "the source's 3x5 table: Bob -> Sholay 4.86 / 4.53 and Carol -> Swades 4.03 / 4.30 (lambda 0 / 0.1, H fixed), GPU solve vs f64",
    run: async (gpu) => {
      // The source's rows (src/demo/toy.ts): Bob rated Swades 5, Batman 1, Interstellar 4; Carol
      // Sholay 4, Batman 1, Interstellar 5. Only their observed entries enter the solve.
      const Y = new Float32Array(15);
      for (let m = 0; m < 5; m++) for (let f = 0; f < 3; f++) Y[m * 3 + f] = TABLE_H[f][m];
      const cases: [string, number, number, Record<string, string>][] = [
        ['Bob', 1, 0, { '0': '4.86', '0.1': '4.53' }],
        ['Carol', 2, 1, { '0': '4.03', '0.1': '4.30' }],
      ];
      for (const lambda of [0, 0.1]) {
        // The same answers as the Learn tab shows: the library's f64 solve on the f64 source H.
        const step0 = toyStep0(lambda);
        for (const [who, u, film, source] of cases) {
          const row = TOY_TABLE[u];
          const movies = row.flatMap((v, i) => (v === null ? [] : [i]));
          const ratings = movies.map((i) => row[i] as number);
          const csr = buildCsr(new Int32Array(movies.length), Int32Array.from(movies), Float32Array.from(ratings), 1, 5);
          const w = await gpuSolveOne(gpu, csr, Y, 3, lambda);
          const spec: SolveSpec = { rank: 3, bias: false, side: 'user', mu: 0, lambda, lambdaBias: 0, weighted: false };
          const ref = normalEquations(csr, 0, Y, spec);
          const wr = choleskySolve(cholesky(ref.A, 3)!, ref.b, 3);
          // f32 build and solve of a 3x3 system: error ~ kappa(A) * (a few tens) * u relative to |w|.
          // kappa(A) is at most 113 here (lambda = 0; 25 at lambda = 0.1), so 32 * 120 * u = 2.3e-4.
          const rtol = 32 * 120 * U32;
          expectClose(`${who} (lambda ${lambda}): w vs f64`, w, wr, { rtol, atol: rtol * Math.hypot(...wr) });
          const pred = TABLE_H[0][film] * w[0] + TABLE_H[1][film] * w[1] + TABLE_H[2][film] * w[2];
          const predRef = step0.P[u][film];
          expectClose(`${who} (lambda ${lambda}): prediction vs f64`, [pred], [predRef], { rtol, atol: rtol * 10 * Math.hypot(...wr) });
          expect(predRef.toFixed(2) === source[String(lambda)], `${who} (lambda ${lambda}): f64 answer ${predRef} is the source's ${source[String(lambda)]}`);
          if (lambda === 0) {
            // three ratings, three unknowns: the known cells are reproduced. |H_m^T (w - w*)| <= |H_m| |w - w*|
            // with |H_m| <= 1.5 and |w| <= 3.5, so within 2 x 1.5 x 3.5 rtol ~ 10 rtol of ratings >= 1
            // (measured 3.8e-6 relative, the bound is the w bound's consequence, not a new slack).
            const fit = movies.map((m) => TABLE_H[0][m] * w[0] + TABLE_H[1][m] * w[1] + TABLE_H[2][m] * w[2]);
            expectClose(`${who}: observed entries reproduced`, fit, ratings, { rtol: 10 * rtol });
          }
        }
      }
    },
  },
  {
    name: "the source's 3x5 table as ALS iterates (lambda 0.1): the GPU fit, one iteration at a time, equals the Learn tab's f64 solves",
    run: async (gpu) => {
      const steps = toyAls(0.1, 3);
      // The Learn tab's iteration t re-solves the films from W(t-1), then the people from H(t).
      // fitAls solves users then items: started at (W(t-1), H(t)) one GPU iteration gives W(t) and
      // then the films of iteration t + 1, H(t+1).
      for (let t = 1; t < steps.length - 1; t++) {
        const fit = await fitAls(toyRatings(), {
          gpu, backend: 'gpu', rank: 3, lambda: 0.1, weightedLambda: false, useBias: false, iterations: 1, trackDelta: false,
          init: { users: Float32Array.from(steps[t - 1].W), items: Float32Array.from(steps[t].H) },
        });
        expect(fit.backend === 'gpu', 'ran on the GPU');
        // f32 inputs and 3x3 (and 3x3-from-3-rows) solves: the error is about kappa(A) times a few u
        // relative to the factors' size; kappa is bounded from each printed system (Frobenius norms of
        // A and its inverse), <= 244 here. H(t+1) is solved from the GPU's own W(t), so it carries that
        // error too. Measured: W 2.6e-7, H 5.3e-6 of the largest factor (0.35 kappa u); bound 4 kappa u.
        const kappa = Math.max(...[...steps[t].people, ...steps[t + 1].films!].map((r) => condF(r.A)));
        const tol = 4 * kappa * U32;
        const scale = (F: Float64Array) => Math.max(...Array.from(F, Math.abs));
        expectClose(`W(${t})`, fit.model.userFactors, steps[t].W, { rtol: tol, atol: tol * scale(steps[t].W) });
        expectClose(`H(${t + 1})`, fit.model.itemFactors, steps[t + 1].H, { rtol: tol, atol: tol * scale(steps[t + 1].H) });
      }
    },
  },
  {
    name: "the source's 3x3 ALS example: first user update from y = [5, 2] and columns 1, 3 of H0",
    run: async (gpu) => {
      // H0 (2 x 3) = [[1.0, 0.5, 0.2], [0.3, 1.2, 0.8]]; user 1 rated movies 1 and 3: 5 and 2.
      const H0 = [
        [1.0, 0.5, 0.2],
        [0.3, 1.2, 0.8],
      ];
      const Y = new Float32Array(6);
      for (let m = 0; m < 3; m++) for (let f = 0; f < 2; f++) Y[m * 2 + f] = H0[f][m];
      const csr = buildCsr(Int32Array.from([0, 0]), Int32Array.from([0, 2]), Float32Array.from([5, 2]), 1, 3);
      const w = await gpuSolveOne(gpu, csr, Y, 2, 0);
      // by hand: [1.0 0.3; 0.2 0.8] w = [5; 2]  ->  w = [3.4, 1.0] / 0.74. The GPU solves the normal
      // equations A = [[1.04, 0.46], [0.46, 0.73]] (cond <= ||A||_F ||A^-1||_F = 3.7) in f32: within
      // 16 cond(A) u = 3.5e-6 (measured 5.1e-7).
      const A = [[1.04, 0.46], [0.46, 0.73]];
      expectClose('w1', w, [3.4 / 0.74, 1.0 / 0.74], { rtol: 16 * condF(A) * U32 });
    },
  },
];

/** Solves the single row of `csr` on the GPU (explicit, no bias). */
async function gpuSolveOne(gpu: GpuContext, csr: Csr, Y: Float32Array, rank: number, lambda: number): Promise<Float32Array> {
  const spec: SolveSpec = { rank, bias: false, side: 'user', mu: 0, lambda, lambdaBias: 0, weighted: false };
  const d = uploadCsr(gpu, 'toy.csr', csr);
  const solver = new NormalEqSolver(gpu, d, spec, 'toy.ne');
  const Yb = gpu.storage('toy.Y', Y);
  const X = gpu.storage('toy.X', rank * 4);
  try {
    solver.setParams({ mu: 0, lambda, lambdaBias: 0, weighted: false, alpha: 0 });
    const enc = gpu.device.createCommandEncoder();
    solver.encode(enc, X, Yb);
    gpu.submit(enc);
    await solver.checkStatus(spec);
    return await gpu.readF32(X, 0, rank);
  } finally {
    solver.destroy();
    destroyCsr(d);
    Yb.destroy();
    X.destroy();
  }
}
