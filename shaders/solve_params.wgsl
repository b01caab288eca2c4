// The per-batch uniform shared by the ALS row-solve kernels (normal_eq*.wgsl, cholesky*.wgsl,
// cg.wgsl). src/kernels/shaders.ts prepends this file to each of them; the host packs it in one
// place (packSolveParams in src/kernels/normal-eq.ts).
struct Params {
  segBase: u32, segCount: u32, rowBase: u32, rowCount: u32,
  stride: u32, xBias: u32, yBias: u32, implicit: u32,
  mu: f32, alpha: f32, lambda: f32, lambdaBias: f32,
  weighted: u32, useBase: u32, _p0: u32, _p1: u32,
}
