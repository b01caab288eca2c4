/**
 * The content map (content.ts) on the GPU, through ALS's own normal-equation and Cholesky kernels
 * (src/kernels/normal-eq.ts) rather than a solver of its own.
 *
 * Ridge regression W = (FᵀF + λI)⁻¹ FᵀY is, one output column c at a time, an ALS row solve: with
 * the feature rows F as the fixed factor matrix (rank d, no biases) and column c of the target rows
 * as that "row's ratings" (one per fitted item or user), ALS's system for the row is
 *   (Σ_i f_i f_iᵀ + λI) w_c = Σ_i f_i y_ic
 * (plain λ: no ALS-WR count scaling, μ = 0). So the targets go up as a CSR with one row per output
 * column (stride rows, each holding every fitted row's value), the features as a d-column factor
 * matrix, and one solve of `stride` rows gives Wᵀ. Only the two-word singular status and Wᵀ (d x
 * stride floats) come back. f32 on the device; the f64 CPU fit is the reference.
 */
import type { GpuContext } from '../gpu/context.ts';
import type { Csr } from '../data/ratings.ts';
import type { SolveSpec } from '../core/layout.ts';
import { destroyCsr, uploadCsr, type DeviceCsr } from '../kernels/device-csr.ts';
import { NormalEqSolver } from '../kernels/normal-eq.ts';
import { contentInputs, type ContentMap, type ContentMapOptions, type ContentModel, type FeatureMatrix } from './content.ts';

/** fitContentMap's map, solved on `gpu` (same options and checks; f32 arithmetic). */
export async function fitContentMapGpu(gpu: GpuContext, model: ContentModel, features: FeatureMatrix, opts: ContentMapOptions = {}): Promise<ContentMap> {
  const { side, Y, lambda, use } = contentInputs(model, features, opts);
  const { d } = features;
  const s = model.stride;
  const m = use.length;
  // targets by output column: row c holds y_ic for every fitted row i (the columns of the CSR are the feature rows)
  const indptr = new Uint32Array(s + 1);
  const indices = new Uint32Array(s * m);
  const values = new Float32Array(s * m);
  for (let c = 0; c < s; c++) {
    indptr[c + 1] = (c + 1) * m;
    for (let q = 0; q < m; q++) {
      indices[c * m + q] = use[q];
      values[c * m + q] = Y[use[q] * s + c];
    }
  }
  const targets: Csr = { nRows: s, nCols: features.n, indptr, indices, values };
  const spec: SolveSpec = { rank: d, bias: false, side: 'user', mu: 0, lambda, lambdaBias: 0, weighted: false };
  gpu.requireLimit(`content map with ${d} features: Cholesky vectors in workgroup memory`, 'maxComputeWorkgroupStorageSize', 16 * d + 20);
  const made: { destroy(): void }[] = [];
  try {
    const csr: DeviceCsr = uploadCsr(gpu, 'content.targets', targets);
    made.push({ destroy: () => destroyCsr(csr) });
    const F = gpu.storage('content.features', Float32Array.from(features.rows));
    made.push(F);
    const Wt = gpu.storage('content.map', s * d * 4);
    made.push(Wt);
    const solver = new NormalEqSolver(gpu, csr, spec, 'content.ridge');
    made.push(solver);
    solver.setParams({ mu: 0, lambda, lambdaBias: 0, weighted: false, alpha: 0 }, false);
    const enc = gpu.device.createCommandEncoder({ label: 'content.ridge' });
    solver.encode(enc, Wt, F);
    gpu.submit(enc);
    await solver.checkStatus(spec);
    const wt = await gpu.readF32(Wt, 0, s * d);
    const W = new Float64Array(d * s);
    for (let c = 0; c < s; c++) for (let a = 0; a < d; a++) W[a * s + c] = wt[c * d + a];
    return { side, W, d, stride: s, names: features.names };
  } finally {
    for (const o of made.reverse()) o.destroy();
  }
}
