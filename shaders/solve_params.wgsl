// The per-batch uniform shared by the ALS row-solve kernels (normal_eq*.wgsl, cholesky*.wgsl,
// cg.wgsl), the solve-column map col() and the per-rating weights the build and CG kernels share. src/kernels/shaders.ts
// prepends this file to each of them (every one declares `P`); the host packs Params in one place
// (packSolveParams in src/kernels/normal-eq.ts).
struct Params {
  segBase: u32, segCount: u32, rowBase: u32, rowCount: u32,
  stride: u32, xBias: u32, yBias: u32, implicit: u32,
  mu: f32, alpha: f32, lambda: f32, lambdaBias: f32,
  weighted: u32, useBase: u32, xRow0: u32,
  // rows with 0 < n < dualMax ratings are solved by their dual (0: none): in the batch's row
  // order, dual_solve.wgsl takes [dual0, dual1), dual_solve_regs.wgsl's buckets [dual1, dual2),
  // [dual2, dual3) and [dual3, rowCount)
  dualMax: u32, dual0: u32, dual1: u32, dual2: u32, dual3: u32,
}

// Factor column of unknown t: the rank columns, then this side's bias column (every solve
// kernel declares `override RANK`).
fn col(t: u32) -> u32 {
  return select(P.xBias, t, t < RANK);
}

// Gram weight w (x) and right-hand-side weight t (y) of one rating v; yb is the other side's bias
// (0 without biases). Explicit: w = 1, t = v - mu - yb. Implicit: w = alpha v (= c - 1),
// t = c p = (v > 0) (1 + alpha v).
fn ratingWeights(v: f32, yb: f32) -> vec2<f32> {
  if (P.implicit != 0u) {
    return vec2<f32>(P.alpha * v, select(0.0, 1.0 + P.alpha * v, v > 0.0));
  }
  return vec2<f32>(1.0, v - P.mu - yb);
}
