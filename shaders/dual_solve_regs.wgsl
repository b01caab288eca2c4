// The dual solve of shaders/dual_solve.wgsl for rows of at most NB ratings, in registers: M (NB x NB,
// upper triangle), t and z are named scalars, and the Cholesky and both triangular solves are
// straight-line code, as the register build's fused solve is (normal_eq_rows.wgsl). A row with
// n < NB ratings is padded to NB with zero factor rows and zero targets: M's padding is then the
// identity and z's padding zero, so x is the n x n dual's. Factor rows are read one vector of W
// floats at a time for all NB rows (each loaded once per pass, instead of once per pair).
// src/kernels/dual-solve.ts writes the parts per (layout, NB) into the /*@...*/ markers.
// One invocation per row of the batch's `order` in [P.dual{B}, P.dual{B+1}) (the rows longest
// first, so each bucket of lengths is a run): rows with NB/2 < n <= NB (the smallest bucket from 1).
// Bindings: 0 params, 1 idx, 2 val, 3 Y, 4 order, 6 X, 7 status (the storage kernel's numbers).

// struct Params: shaders/solve_params.wgsl (prepended when loaded)

override WG: u32 = 64u;
override K: u32;
override RANK: u32;
const PIV_TOL: f32 = 1e-5;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read> val: array<f32>;
@group(0) @binding(3) var<storage, read> Y: array</*@Y_TYPE*/>;
@group(0) @binding(4) var<storage, read> order: array<vec4<u32>>;
@group(0) @binding(6) var<storage, read_write> X: array<f32>;
@group(0) @binding(7) var<storage, read_write> status: array<atomic<u32>, 2>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = /*@FIRST*/ + wgLinear(wid, nwg) * WG + lid;
  if (i >= /*@END*/) { return; }
  let o = order[P.rowBase + i];
  let row = o.x;
  let n = o.z;
  if (n >= P.dualMax) { return; }
  let xo = (row - P.xRow0) * P.stride;
  // the rows without ratings are the order's tail, so the last bucket's: zero factors (the blocked
  // Cholesky, which zeroes them otherwise, stops before the dual's rows)
  if (n == 0u) {
    for (var t = 0u; t < K; t++) { X[xo + col(t)] = 0.0; }
    return;
  }
  let p0 = o.y;
  let scale = select(1.0, f32(n), P.weighted != 0u);
  let inv = 1.0 / (P.lambda * scale);
  let invB = /*@INV_BIAS*/;
  // the rows' first vectors (padding rows repeat the last real row, masked to zero)
  /*@ROWS*/
  /*@DECLARE*/
  for (var v = 0u; v < /*@NV*/u; v++) {
    /*@GRAM_PASS*/
  }
  /*@FINISH_M*/
  /*@SOLVE*/
  if (failed) {
    for (var t = 0u; t < K; t++) { X[xo + col(t)] = 0.0; }
    atomicAdd(&status[0], 1u);
    atomicMin(&status[1], row);
    return;
  }
  // x = D^-1 Y^T z, a vector of columns at a time
  for (var v = 0u; v < /*@NV*/u; v++) {
    /*@X_PASS*/
  }
  /*@X_BIAS*/
}
