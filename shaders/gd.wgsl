// Full-batch gradient descent (the source's equations 9-10): simultaneous updates from the full
// gradient over all observed entries, with the OLD factors on both sides:
//   E = A - (mu + W H^T) on observed entries
//   W' = W + lr (E H - lambda W),  H' = H + lr (E^T W - lambda H)
// With biases (layout [w, b_u, 1] / [h, 1, b_i]) the same formula gives the bias gradient sum(e),
// because the other side's column at the bias index is the constant 1; the bias columns use
// lambdaBias, and the constant-1 columns are written as 1.
// No float atomics: every output element is one invocation's sequential sum over its row's entries
// (CSR by user for W', CSC by item for H'), in storage order, so the result is deterministic.
// Entry `residual`: one invocation per rating (CSR order): E[p] = vals[p] - (mu + sum_c W[u,c] H[i,c]).
//   Bindings: 0 params, 1 rowOf, 2 colIdx, 3 vals, 4 W (old), 5 H (old), 6 E.
//   Dispatch: ceil(n / WG) workgroups.
// Entry `grad`: one invocation per (row, column), column fastest (coalesced reads of Other rows):
//   New[r,c] = Old[r,c] + lr (sum_{q in row r} E[pos(q)] Other[cols[q], c] - lam_c Old[r,c]),
//   pos(q) = q (user side, CSR) or posMap[q] (item side: CSC entry -> its CSR position).
//   Bindings: 0 params, 6 E, 7 indptr, 8 cols, 9 posMap, 10 Old, 11 Other, 12 New.
//   Dispatch: ceil(nRows * STRIDE / WG) workgroups.

struct Params {
  n: u32, nRows: u32, constCol: u32, useMap: u32,
  mu: f32, lr: f32, lambda: f32, lambdaBias: f32,
}

override RANK: u32 = 8u;
override STRIDE: u32 = 8u;
override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> rowOf: array<u32>;
@group(0) @binding(2) var<storage, read> colIdx: array<u32>;
@group(0) @binding(3) var<storage, read> vals: array<f32>;
@group(0) @binding(4) var<storage, read> W: array<f32>;
@group(0) @binding(5) var<storage, read> H: array<f32>;
@group(0) @binding(6) var<storage, read_write> E: array<f32>;
@group(0) @binding(7) var<storage, read> indptr: array<u32>;
@group(0) @binding(8) var<storage, read> cols: array<u32>;
@group(0) @binding(9) var<storage, read> posMap: array<u32>;
@group(0) @binding(10) var<storage, read> Old: array<f32>;
@group(0) @binding(11) var<storage, read> Other: array<f32>;
@group(0) @binding(12) var<storage, read_write> New: array<f32>;

fn linear(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return wgLinear(wid, nwg) * WG + lid;
}

@compute @workgroup_size(WG)
fn residual(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let p = linear(wid, nwg, lid);
  if (p >= P.n) { return; }
  let xu = rowOf[p] * STRIDE;
  let yi = colIdx[p] * STRIDE;
  var s = P.mu;
  for (var c = 0u; c < STRIDE; c++) { s = s + W[xu + c] * H[yi + c]; }
  E[p] = vals[p] - s;
}

@compute @workgroup_size(WG)
fn grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = linear(wid, nwg, lid);
  let r = t / STRIDE;
  let c = t % STRIDE;
  if (r >= P.nRows) { return; }
  let at = r * STRIDE + c;
  if (c == P.constCol) {
    New[at] = 1.0;
    return;
  }
  var g = 0.0;
  let q1 = indptr[r + 1u];
  for (var q = indptr[r]; q < q1; q++) {
    var pos = q;
    if (P.useMap != 0u) { pos = posMap[q]; }
    g = g + E[pos] * Other[cols[q] * STRIDE + c];
  }
  let x = Old[at];
  let lam = select(P.lambda, P.lambdaBias, c >= RANK);
  New[at] = x + P.lr * (g - lam * x);
}
