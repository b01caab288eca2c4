// Barrier-free variant of the batched Cholesky solve (cholesky.wgsl), for software adapters where
// barriers dominate: one invocation factors one K x K system in place in global memory
// (A = U^T U, right-looking, upper triangle) and solves U^T y = b, U x = y in place in B.
// Same pivot rule (pivot <= PIV_TOL * original diagonal, or non-finite: zero factors + status),
// same zero factors for rows without ratings, U left in A. The original diagonal is kept in the
// row's own factor slots of X until the solution overwrites them.
// Bindings: 0 params, 1 A, 2 B, 3 X, 4 counts, 5 status. Dispatch: ceil(rowCount / WG) workgroups
// (folded to 2-D).

// struct Params: shaders/solve_params.wgsl (prepended when loaded)

override WG: u32 = 64u;
override K: u32 = 8u;
override RANK: u32 = 8u;
const PIV_TOL: f32 = 1e-5;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> X: array<f32>;
@group(0) @binding(4) var<storage, read> counts: array<u32>;
@group(0) @binding(5) var<storage, read_write> status: array<atomic<u32>, 2>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let r = wgLinear(wid, nwg) * WG + lid;
  if (r >= P.rowCount) { return; }
  let row = P.rowBase + r;
  let xo = (row - P.xRow0) * P.stride;
  if (counts[row] == 0u) {
    for (var t = 0u; t < K; t++) { X[xo + col(t)] = 0.0; }
    return;
  }
  let a = r * K * K;
  let bo = r * K;
  for (var t = 0u; t < K; t++) { X[xo + col(t)] = A[a + t * K + t]; }
  var failed = false;
  for (var k = 0u; k < K; k++) {
    let d = A[a + k * K + k];
    let bad = !(d > PIV_TOL * X[xo + col(k)]) || !(d <= 3.0e38);
    failed = failed || bad;
    let piv = select(sqrt(d), 1.0, bad);
    A[a + k * K + k] = piv;
    for (var j = k + 1u; j < K; j++) { A[a + k * K + j] /= piv; }
    for (var i = k + 1u; i < K; i++) {
      let uki = A[a + k * K + i];
      for (var j = i; j < K; j++) { A[a + i * K + j] -= uki * A[a + k * K + j]; }
    }
  }
  for (var k = 0u; k < K; k++) {
    var s = B[bo + k];
    for (var i = 0u; i < k; i++) { s -= A[a + i * K + k] * B[bo + i]; }
    B[bo + k] = s / A[a + k * K + k];
  }
  for (var kk = 0u; kk < K; kk++) {
    let k = K - 1u - kk;
    var s = B[bo + k];
    for (var j = k + 1u; j < K; j++) { s -= A[a + k * K + j] * B[bo + j]; }
    B[bo + k] = s / A[a + k * K + k];
  }
  if (failed) {
    for (var t = 0u; t < K; t++) { X[xo + col(t)] = 0.0; }
    atomicAdd(&status[0], 1u);
    atomicMin(&status[1], row);
    return;
  }
  for (var t = 0u; t < K; t++) { X[xo + col(t)] = B[bo + t]; }
}
