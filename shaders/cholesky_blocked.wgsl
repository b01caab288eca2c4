// Blocked, barrier-free batched Cholesky solve for software adapters (the 'direct' variant's
// solve above the sizes normal_eq_rows.wgsl solves in registers): one invocation factors one
// K x K system A = U^T U and solves U^T y = b, U x = y.
// The system is cut into 4 x 4 blocks (NB = ceil(K / 4) per side; the padding acts as identity).
// Left-looking by block column j: for each block row i <= j,
//   S = A_ij - sum_{k < i} U_ki^T U_kj        (16 vec4 fma per k, 8 vec4 loads)
// then U_ij = U_ii^-T S (i < j), or S = U_jj^T U_jj factored in registers (i = j). The forward
// solve rides along: c_j = b_j - sum_{k < j} U_kj^T y_k while U_kj is still in registers.
// U's blocks live in the scratch `blocks` (per system: the upper block triangle as rows of 4 floats,
// then NB vec4 of y / x), so every inner access is an aligned vec4; the original A is read once
// per entry and U is written back to A's upper triangle (callers check ||U^T U - A||).
// Same pivot rule as cholesky.wgsl (pivot <= PIV_TOL * its original diagonal, or non-finite:
// zero factors and status), same zero factors for rows without ratings. Rows with 0 < n < P.dualMax
// ratings are left to shaders/dual_solve.wgsl.
// Bindings: 0 params, 1 A, 2 B, 3 X, 4 counts, 5 status, 6 blocks, 7 order. Dispatch:
// ceil(rowCount / WG) workgroups (folded to 2-D), ceil(dual0 / WG) with the dual solve on.

// struct Params: shaders/solve_params.wgsl (prepended when loaded)

override WG: u32 = 64u;
override K: u32 = 8u;
override RANK: u32 = 8u;
override NB: u32 = 2u;         // ceil(K / 4)
const PIV_TOL: f32 = 1e-5;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> X: array<f32>;
@group(0) @binding(4) var<storage, read> counts: array<u32>;
@group(0) @binding(5) var<storage, read_write> status: array<atomic<u32>, 2>;
@group(0) @binding(6) var<storage, read_write> blocks: array<vec4<f32>>;
// the batch's rows longest first (normal-eq.ts rowOrder): with the dual solve on, only the rows
// before its first are dispatched, so none of the invocations is spent on a row it skips
@group(0) @binding(7) var<storage, read> order: array<vec4<u32>>;

var<private> abase: u32;
var<private> sbase: u32;
var<private> bbase: u32;

// vec4 slots per system in blocks: the upper block triangle (4 rows each), then y / x
fn slots() -> u32 { return NB * (NB + 1u) / 2u * 4u + NB; }
// first slot of block (k, j), k <= j
fn blk(k: u32, j: u32) -> u32 { return sbase + (j * (j + 1u) / 2u + k) * 4u; }
fn vslot(j: u32) -> u32 { return sbase + NB * (NB + 1u) / 2u * 4u + j; }

// entry (r, c) of the symmetric system (upper triangle read), identity in the padding
fn ldA(r: u32, c: u32) -> f32 {
  let lo = min(r, c);
  let hi = max(r, c);
  if (hi < K) { return A[abase + lo * K + hi]; }
  return select(0.0, 1.0, r == c);
}
fn ldARow(r: u32, c0: u32) -> vec4<f32> {
  return vec4<f32>(ldA(r, c0), ldA(r, c0 + 1u), ldA(r, c0 + 2u), ldA(r, c0 + 3u));
}
fn ldB(t: u32) -> f32 {
  if (t < K) { return B[bbase + t]; }
  return 0.0;
}
// row r of U, columns c0..c0+3, back into A's upper triangle (only r <= c < K)
fn stRow(r: u32, c0: u32, u: vec4<f32>) {
  if (r >= K) { return; }
  let o = abase + r * K + c0;
  if (c0 + 3u < K && c0 >= r) {
    A[o] = u.x; A[o + 1u] = u.y; A[o + 2u] = u.z; A[o + 3u] = u.w;
    return;
  }
  if (c0 >= r && c0 < K) { A[o] = u.x; }
  if (c0 + 1u >= r && c0 + 1u < K) { A[o + 1u] = u.y; }
  if (c0 + 2u >= r && c0 + 2u < K) { A[o + 2u] = u.z; }
  if (c0 + 3u >= r && c0 + 3u < K) { A[o + 3u] = u.w; }
}
fn stU(r0: u32, c0: u32, u0: vec4<f32>, u1: vec4<f32>, u2: vec4<f32>, u3: vec4<f32>) {
  stRow(r0, c0, u0);
  stRow(r0 + 1u, c0, u1);
  stRow(r0 + 2u, c0, u2);
  stRow(r0 + 3u, c0, u3);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = wgLinear(wid, nwg) * WG + lid;
  if (i >= P.rowCount) { return; }
  let row = order[P.rowBase + i].x;
  let r = row - P.rowBase;
  let xo = (row - P.xRow0) * P.stride;
  if (counts[row] == 0u) {
    for (var t = 0u; t < K; t++) { X[xo + col(t)] = 0.0; }
    return;
  }
  // a row with fewer ratings than P.dualMax is the dual solve's (with the dual on, only the last
  // workgroup's invocations past dual0 reach such rows; their systems may not have been built)
  if (counts[row] < P.dualMax) { return; }
  abase = r * K * K;
  sbase = r * slots();
  bbase = r * K;
  var failed = false;
  for (var j = 0u; j < NB; j++) {
    let c0 = j * 4u;
    // c = b_j - sum_{k<j} U_kj^T y_k
    var cj = vec4<f32>(ldB(c0), ldB(c0 + 1u), ldB(c0 + 2u), ldB(c0 + 3u));
    for (var i = 0u; i < j; i++) {
      let r0 = i * 4u;
      var s0 = ldARow(r0, c0);
      var s1 = ldARow(r0 + 1u, c0);
      var s2 = ldARow(r0 + 2u, c0);
      var s3 = ldARow(r0 + 3u, c0);
      for (var k = 0u; k < i; k++) {
        let pi = blk(k, i);
        let pj = blk(k, j);
        let a0 = blocks[pi]; let a1 = blocks[pi + 1u]; let a2 = blocks[pi + 2u]; let a3 = blocks[pi + 3u];
        let b0 = blocks[pj]; let b1 = blocks[pj + 1u]; let b2 = blocks[pj + 2u]; let b3 = blocks[pj + 3u];
        // s_a -= sum_r U_ki[r][a] * U_kj[r]
        s0 = fma(vec4<f32>(-a0.x), b0, s0); s0 = fma(vec4<f32>(-a1.x), b1, s0);
        s0 = fma(vec4<f32>(-a2.x), b2, s0); s0 = fma(vec4<f32>(-a3.x), b3, s0);
        s1 = fma(vec4<f32>(-a0.y), b0, s1); s1 = fma(vec4<f32>(-a1.y), b1, s1);
        s1 = fma(vec4<f32>(-a2.y), b2, s1); s1 = fma(vec4<f32>(-a3.y), b3, s1);
        s2 = fma(vec4<f32>(-a0.z), b0, s2); s2 = fma(vec4<f32>(-a1.z), b1, s2);
        s2 = fma(vec4<f32>(-a2.z), b2, s2); s2 = fma(vec4<f32>(-a3.z), b3, s2);
        s3 = fma(vec4<f32>(-a0.w), b0, s3); s3 = fma(vec4<f32>(-a1.w), b1, s3);
        s3 = fma(vec4<f32>(-a2.w), b2, s3); s3 = fma(vec4<f32>(-a3.w), b3, s3);
      }
      // U_ij = U_ii^-T S: forward substitution with the (lower) transpose of the diagonal block
      let pd = blk(i, i);
      let d0 = blocks[pd]; let d1 = blocks[pd + 1u]; let d2 = blocks[pd + 2u]; let d3 = blocks[pd + 3u];
      let u0 = s0 / d0.x;
      let u1 = (s1 - d0.y * u0) / d1.y;
      let u2 = (s2 - d0.z * u0 - d1.z * u1) / d2.z;
      let u3 = (s3 - d0.w * u0 - d1.w * u1 - d2.w * u2) / d3.w;
      let p = blk(i, j);
      blocks[p] = u0; blocks[p + 1u] = u1; blocks[p + 2u] = u2; blocks[p + 3u] = u3;
      stU(r0, c0, u0, u1, u2, u3);
      let yi = blocks[vslot(i)];
      cj = fma(vec4<f32>(-yi.x), u0, cj); cj = fma(vec4<f32>(-yi.y), u1, cj);
      cj = fma(vec4<f32>(-yi.z), u2, cj); cj = fma(vec4<f32>(-yi.w), u3, cj);
    }
    // diagonal block: S = A_jj - sum_{k<j} U_kj^T U_kj, then S = U_jj^T U_jj in registers
    var s0 = ldARow(c0, c0);
    var s1 = ldARow(c0 + 1u, c0);
    var s2 = ldARow(c0 + 2u, c0);
    var s3 = ldARow(c0 + 3u, c0);
    let dg = vec4<f32>(s0.x, s1.y, s2.z, s3.w);
    for (var k = 0u; k < j; k++) {
      let pj = blk(k, j);
      let b0 = blocks[pj]; let b1 = blocks[pj + 1u]; let b2 = blocks[pj + 2u]; let b3 = blocks[pj + 3u];
      s0 = fma(vec4<f32>(-b0.x), b0, s0); s0 = fma(vec4<f32>(-b1.x), b1, s0);
      s0 = fma(vec4<f32>(-b2.x), b2, s0); s0 = fma(vec4<f32>(-b3.x), b3, s0);
      s1 = fma(vec4<f32>(-b0.y), b0, s1); s1 = fma(vec4<f32>(-b1.y), b1, s1);
      s1 = fma(vec4<f32>(-b2.y), b2, s1); s1 = fma(vec4<f32>(-b3.y), b3, s1);
      s2 = fma(vec4<f32>(-b0.z), b0, s2); s2 = fma(vec4<f32>(-b1.z), b1, s2);
      s2 = fma(vec4<f32>(-b2.z), b2, s2); s2 = fma(vec4<f32>(-b3.z), b3, s2);
      s3 = fma(vec4<f32>(-b0.w), b0, s3); s3 = fma(vec4<f32>(-b1.w), b1, s3);
      s3 = fma(vec4<f32>(-b2.w), b2, s3); s3 = fma(vec4<f32>(-b3.w), b3, s3);
    }
    // 4 x 4 right-looking factor; a bad pivot becomes 1 (and fails the row) so nothing turns NaN
    let e0 = s0.x;
    let bad0 = !(e0 > PIV_TOL * dg.x) || !(e0 <= 3.0e38);
    let q0 = select(sqrt(e0), 1.0, bad0);
    let u0 = vec4<f32>(q0, s0.yzw / q0);
    s1 = fma(vec4<f32>(-u0.y), u0, s1);
    s2 = fma(vec4<f32>(-u0.z), u0, s2);
    s3 = fma(vec4<f32>(-u0.w), u0, s3);
    let e1 = s1.y;
    let bad1 = !(e1 > PIV_TOL * dg.y) || !(e1 <= 3.0e38);
    let q1 = select(sqrt(e1), 1.0, bad1);
    let u1 = vec4<f32>(0.0, q1, s1.zw / q1);
    s2 = fma(vec4<f32>(-u1.z), u1, s2);
    s3 = fma(vec4<f32>(-u1.w), u1, s3);
    let e2 = s2.z;
    let bad2 = !(e2 > PIV_TOL * dg.z) || !(e2 <= 3.0e38);
    let q2 = select(sqrt(e2), 1.0, bad2);
    let u2 = vec4<f32>(0.0, 0.0, q2, s2.w / q2);
    s3 = fma(vec4<f32>(-u2.w), u2, s3);
    let e3 = s3.w;
    let bad3 = !(e3 > PIV_TOL * dg.w) || !(e3 <= 3.0e38);
    let q3 = select(sqrt(e3), 1.0, bad3);
    let u3 = vec4<f32>(0.0, 0.0, 0.0, q3);
    failed = failed || bad0 || bad1 || bad2 || bad3;
    let p = blk(j, j);
    blocks[p] = u0; blocks[p + 1u] = u1; blocks[p + 2u] = u2; blocks[p + 3u] = u3;
    stU(c0, c0, u0, u1, u2, u3);
    // y_j = U_jj^-T c_j
    let y0 = cj.x / q0;
    let y1 = (cj.y - u0.y * y0) / q1;
    let y2 = (cj.z - u0.z * y0 - u1.z * y1) / q2;
    let y3 = (cj.w - u0.w * y0 - u1.w * y1 - u2.w * y2) / q3;
    blocks[vslot(j)] = vec4<f32>(y0, y1, y2, y3);
  }
  // back substitution, block row i from the last: x_i = U_ii^-1 (y_i - sum_{j>i} U_ij x_j)
  for (var ii = 0u; ii < NB; ii++) {
    let i = NB - 1u - ii;
    var c = blocks[vslot(i)];
    for (var j = i + 1u; j < NB; j++) {
      let p = blk(i, j);
      let xj = blocks[vslot(j)];
      c -= vec4<f32>(dot(blocks[p], xj), dot(blocks[p + 1u], xj), dot(blocks[p + 2u], xj), dot(blocks[p + 3u], xj));
    }
    let pd = blk(i, i);
    let d0 = blocks[pd]; let d1 = blocks[pd + 1u]; let d2 = blocks[pd + 2u]; let d3 = blocks[pd + 3u];
    let x3 = c.w / d3.w;
    let x2 = (c.z - d2.w * x3) / d2.z;
    let x1 = (c.y - d1.z * x2 - d1.w * x3) / d1.y;
    let x0 = (c.x - d0.y * x1 - d0.z * x2 - d0.w * x3) / d0.x;
    blocks[vslot(i)] = vec4<f32>(x0, x1, x2, x3);
  }
  if (failed) {
    for (var t = 0u; t < K; t++) { X[xo + col(t)] = 0.0; }
    atomicAdd(&status[0], 1u);
    atomicMin(&status[1], row);
    return;
  }
  for (var t = 0u; t < K; t++) { X[xo + col(t)] = blocks[vslot(t / 4u)][t % 4u]; }
}
