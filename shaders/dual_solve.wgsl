// Dual solve of the short rows of an ALS half-step (the direct variant, explicit feedback, every
// unknown regularized). A row with n ratings has the K x K system (Y^T Y + D) x = Y^T t, where Y is
// its n x K block of the other side's factor rows, D = diag(lambda s, ..., lambdaBias s) (s = n for
// ALS-WR, else 1) and t its targets. For n < K the same x comes from the n x n system
//   M z = t,  M = Y D^-1 Y^T + I,  x = D^-1 Y^T z
// ((Y^T Y + D) D^-1 Y^T = Y^T M), at n^2 K / 2 + n^3 / 6 multiply-adds instead of the Gram's
// n K^2 / 2 plus the Cholesky's K^3 / 6; most items of a rating matrix have far fewer ratings than
// K. M is the identity plus a positive semidefinite matrix, so its pivots are >= 1 in exact
// arithmetic; the pivot rule of cholesky_blocked.wgsl still guards against non-finite input.
// The blocked Cholesky skips rows with 0 < n < P.dualMax (this kernel solves them); rows without
// ratings stay the Cholesky kernel's (zero factors).
// One invocation per row of the batch's `order` in [P.dual0, P.dual1) (rows are longest first there,
// so the short rows are its tail; the shortest, from P.dual1 on, take dual_solve_regs.wgsl). M (n x n, row-major, upper triangle) and then z live in the row's
// slot of A (n^2 + n <= K^2 floats). src/kernels/dual-solve.ts writes the straight-line parts per
// layout into the /*@...*/ markers: a factor row's rank columns in named vectors, the dot product
// of two rows, and the accumulation of x.
// Bindings: 0 params, 1 idx, 2 val, 3 Y, 4 order, 5 A, 6 X, 7 status. Dispatch:
// ceil((dual1 - dual0) / WG) workgroups (folded to 2-D).

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
@group(0) @binding(5) var<storage, read_write> A: array<f32>;
@group(0) @binding(6) var<storage, read_write> X: array<f32>;
@group(0) @binding(7) var<storage, read_write> status: array<atomic<u32>, 2>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = P.dual0 + wgLinear(wid, nwg) * WG + lid;
  if (i >= P.dual1) { return; }
  let o = order[P.rowBase + i];
  let row = o.x;
  let n = o.z;
  if (n == 0u || n >= P.dualMax) { return; }
  let p0 = o.y;
  let mo = (row - P.rowBase) * K * K;
  let zo = mo + n * n;
  let scale = select(1.0, f32(n), P.weighted != 0u);
  let inv = 1.0 / (P.lambda * scale);
  let invB = /*@INV_BIAS*/;
  // t, and the upper triangle of M, with row a's factors in registers
  for (var a = 0u; a < n; a++) {
    let q = p0 + a;
    /*@LOAD(a, q)*/
    A[zo + a] = ratingWeights(val[q], yba).y;
    for (var b = a; b < n; b++) {
      /*@LOAD(b, p0 + b)*/
      var s = 0.0;
      /*@DOT*/
      A[mo + a * n + b] = fma(s, inv, xba * xbb * invB) + select(0.0, 1.0, a == b);
    }
  }
  // M = U^T U, U upper in place, row by row: U_kj = (M_kj - sum_{i<k} U_ik U_ij) / U_kk
  var failed = false;
  for (var k = 0u; k < n; k++) {
    let dk = mo + k * n + k;
    let m = A[dk];
    var d = m;
    for (var i2 = 0u; i2 < k; i2++) { let u = A[mo + i2 * n + k]; d = fma(-u, u, d); }
    let bad = !(d > PIV_TOL * m) || !(d <= 3.0e38);
    failed = failed || bad;
    let piv = select(sqrt(d), 1.0, bad);
    A[dk] = piv;
    let rinv = 1.0 / piv;
    for (var j = k + 1u; j < n; j++) {
      var s = A[mo + k * n + j];
      for (var i2 = 0u; i2 < k; i2++) { s = fma(-A[mo + i2 * n + k], A[mo + i2 * n + j], s); }
      A[mo + k * n + j] = s * rinv;
    }
  }
  // U^T y = t, then U z = y, in place over t
  for (var k = 0u; k < n; k++) {
    var s = A[zo + k];
    for (var i2 = 0u; i2 < k; i2++) { s = fma(-A[mo + i2 * n + k], A[zo + i2], s); }
    A[zo + k] = s / A[mo + k * n + k];
  }
  for (var kk = 0u; kk < n; kk++) {
    let k = n - 1u - kk;
    var s = A[zo + k];
    for (var j = k + 1u; j < n; j++) { s = fma(-A[mo + k * n + j], A[zo + j], s); }
    A[zo + k] = s / A[mo + k * n + k];
  }
  let xo = (row - P.xRow0) * P.stride;
  if (failed) {
    /*@ZERO_X*/
    atomicAdd(&status[0], 1u);
    atomicMin(&status[1], row);
    return;
  }
  // x = D^-1 Y^T z
  /*@DECLARE_X*/
  for (var a = 0u; a < n; a++) {
    /*@LOAD(a, p0 + a)*/
    let z = A[zo + a];
    /*@ACCUMULATE_X*/
  }
  /*@STORE_X*/
}
