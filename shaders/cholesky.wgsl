// Batched Cholesky factor-and-solve of the K x K systems A x = b written by normal_eq_finish.wgsl.
// One workgroup per system. A = U^T U is factored in place (right-looking, upper triangle only),
// then U^T y = b and U x = y are solved; U is left in A's upper triangle. When K*K fits in workgroup memory (MS floats) the matrix
// is staged there; otherwise it is factored in global memory (A is per-batch scratch), so ranks of
// 256 and more work with the default 16 KiB of workgroup memory.
// A pivot <= PIV_TOL * (its original diagonal), or non-finite, marks the system singular: the row
// gets zero factors and status[0] counts it, status[1] keeps the smallest such row, so the host
// raises a clear error instead of writing NaN. Rows with no ratings get zero factors.
// Bindings: 0 params, 1 A, 2 B, 3 X (factors, written at col(t)), 4 counts, 5 status.
// Dispatch: rowCount workgroups (folded to 2-D).

// struct Params: shaders/solve_params.wgsl (prepended when loaded)

override WG: u32 = 64u;
override K: u32 = 8u;
override RANK: u32 = 8u;
override MS: u32 = 64u;        // workgroup floats for the matrix; shared path when K*K <= MS
const PIV_TOL: f32 = 1e-5;
override SHARED: bool = K * K <= MS;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> X: array<f32>;
@group(0) @binding(4) var<storage, read> counts: array<u32>;
@group(0) @binding(5) var<storage, read_write> status: array<atomic<u32>, 2>;

var<workgroup> M: array<f32, MS>;
var<workgroup> v: array<f32, K>;     // b, then x
var<workgroup> y: array<f32, K>;
var<workgroup> d0: array<f32, K>;    // original diagonal
var<workgroup> du: array<f32, K>;    // diagonal of U
var<workgroup> fail: u32;

var<private> abase: u32;

fn ld(i: u32, j: u32) -> f32 {
  if (SHARED) { return M[i * K + j]; }
  return A[abase + i * K + j];
}
fn st(i: u32, j: u32, x: f32) {
  if (SHARED) { M[i * K + j] = x; } else { A[abase + i * K + j] = x; }
}
fn sync() {
  storageBarrier();
  workgroupBarrier();
}
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let r = wgLinear(wid, nwg);
  if (r >= P.rowCount) { return; }
  let row = P.rowBase + r;
  if (counts[row] == 0u) {
    for (var t = tid; t < K; t += WG) { X[(row - P.xRow0) * P.stride + col(t)] = 0.0; }
    return;
  }
  abase = r * K * K;
  if (SHARED) {
    for (var e = tid; e < K * K; e += WG) { M[e] = A[abase + e]; }
  }
  for (var t = tid; t < K; t += WG) {
    v[t] = B[r * K + t];
    d0[t] = A[abase + t * K + t];
  }
  if (tid == 0u) { fail = 0u; }
  sync();

  // factor: A = U^T U, U in the upper triangle (diagonal kept in du)
  for (var k = 0u; k < K; k++) {
    let d = ld(k, k);
    let bad = !(d > PIV_TOL * d0[k]) || !(d <= 3.0e38);
    let piv = select(sqrt(d), 1.0, bad);
    if (tid == 0u) {
      du[k] = piv;
      if (bad) { fail = 1u; }
    }
    for (var j = k + 1u + tid; j < K; j += WG) { st(k, j, ld(k, j) / piv); }
    sync();
    for (var j = k + 1u + tid; j < K; j += WG) {
      let ukj = ld(k, j);
      for (var i = k + 1u; i <= j; i++) { st(i, j, ld(i, j) - ld(k, i) * ukj); }
    }
    sync();
  }
  // forward: U^T y = b
  for (var k = 0u; k < K; k++) {
    let yk = v[k] / du[k];
    if (tid == 0u) { y[k] = yk; }
    for (var j = k + 1u + tid; j < K; j += WG) { v[j] -= ld(k, j) * yk; }
    sync();
  }
  // back: U x = y
  for (var kk = 0u; kk < K; kk++) {
    let k = K - 1u - kk;
    let xk = y[k] / du[k];
    if (tid == 0u) { v[k] = xk; }
    for (var i = tid; i < k; i += WG) { y[i] -= ld(i, k) * xk; }
    sync();
  }
  let failed = workgroupUniformLoad(&fail);
  if (failed != 0u) {
    for (var t = tid; t < K; t += WG) { X[(row - P.xRow0) * P.stride + col(t)] = 0.0; }
    if (tid == 0u) {
      atomicAdd(&status[0], 1u);
      atomicMin(&status[1], row);
    }
    return;
  }
  for (var t = tid; t < K; t += WG) {
    X[(row - P.xRow0) * P.stride + col(t)] = v[t];
    A[abase + t * K + t] = du[t];
  }
  // leave U in A (upper triangle) so callers can check the factor: ||U^T U - A|| / ||A||
  if (SHARED) {
    for (var e = tid; e < K * K; e += WG) {
      let i = e / K;
      let j = e % K;
      if (j > i) { A[abase + e] = M[e]; }
    }
  }
}
