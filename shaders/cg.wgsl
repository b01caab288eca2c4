// Matrix-free conjugate-gradient row solve for ALS (explicit and implicit), warm-started from the
// current factors with a fixed number of steps, as implicit's `cg_steps`:
//   A x = b,  A = base + sum_j w_j y_j y_j^T + diag(lambda),  b = sum_j t_j y_j
// (w, t as in normal_eq.wgsl). A is never formed: each product A p stages TILE factor vectors in
// workgroup memory, one thread per vector forms w_j (y_j . p), then threads over columns
// accumulate; base p is a K x K product (implicit: Y^T Y, shared by all rows).
// One workgroup per row (rows are not split: a CG step costs O(n K), not O(n K^2)).
// Rows with no ratings get zero factors. Non-positive curvature (p.Ap <= 0) stops the updates.
// Bindings: 0 params, 1 idx, 2 val, 3 Y, 4 counts, 5 indptr, 6 base, 7 X.
// Dispatch: rowCount workgroups (folded to 2-D).

// struct Params: shaders/solve_params.wgsl (prepended when loaded)

override WG: u32 = 64u;
override K: u32 = 8u;
override RANK: u32 = 8u;
override TILE: u32 = 16u;
override STEPS: u32 = 3u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read> val: array<f32>;
@group(0) @binding(3) var<storage, read> Y: array<f32>;
@group(0) @binding(4) var<storage, read> counts: array<u32>;
@group(0) @binding(5) var<storage, read> indptr: array<u32>;
@group(0) @binding(6) var<storage, read> base: array<f32>;
@group(0) @binding(7) var<storage, read_write> X: array<f32>;

var<workgroup> x: array<f32, K>;
var<workgroup> r: array<f32, K>;
var<workgroup> p: array<f32, K>;
var<workgroup> ap: array<f32, K>;
var<workgroup> bv: array<f32, K>;
var<workgroup> ty: array<f32, TILE * K>;
var<workgroup> tw: array<f32, TILE>;
var<workgroup> tt: array<f32, TILE>;
var<workgroup> red: array<f32, WG>;

// ap = A v  (v is x or p); with rhs, also bv = b.
fn matvec(tid: u32, row: u32, useX: bool, rhs: bool) {
  let start = indptr[row];
  let end = indptr[row + 1u];
  let scale = select(1.0, f32(end - start), P.weighted != 0u);
  let hasBias = K > RANK;
  for (var c = tid; c < K; c += WG) {
    let vc = select(p[c], x[c], useX);
    var s = select(P.lambdaBias, P.lambda, c < RANK) * scale * vc;
    if (P.useBase != 0u) {
      for (var d = 0u; d < K; d++) { s += base[c * K + d] * select(p[d], x[d], useX); }
    }
    ap[c] = s;
    if (rhs) { bv[c] = 0.0; }
  }
  for (var t0 = start; t0 < end; t0 += TILE) {
    let cnt = min(TILE, end - t0);
    for (var e = tid; e < cnt * K; e += WG) {
      let n = e / K;
      let c = e % K;
      ty[e] = Y_at(idx[t0 + n] * P.stride + col(c));
    }
    for (var n = tid; n < cnt; n += WG) {
      let j = idx[t0 + n];
      let v = val[t0 + n];
      var yb = 0.0;
      if (hasBias) { yb = Y_at(j * P.stride + P.yBias); }
      let wt = ratingWeights(v, yb);
      let w = wt.x;
      let tg = wt.y;
      tw[n] = w;
      tt[n] = tg;
    }
    workgroupBarrier();
    for (var n = tid; n < cnt; n += WG) {
      var d = 0.0;
      for (var c = 0u; c < K; c++) { d += ty[n * K + c] * select(p[c], x[c], useX); }
      tw[n] *= d;
    }
    workgroupBarrier();
    for (var c = tid; c < K; c += WG) {
      var s = 0.0;
      var sb = 0.0;
      for (var n = 0u; n < cnt; n++) {
        s += tw[n] * ty[n * K + c];
        sb += tt[n] * ty[n * K + c];
      }
      ap[c] += s;
      if (rhs) { bv[c] += sb; }
    }
    workgroupBarrier();
  }
  workgroupBarrier();
}

// sum_c a[c] b[c] over (r,r) or (p,ap), via the workgroup tree.
fn dotRR(tid: u32) -> f32 {
  var s = 0.0;
  for (var c = tid; c < K; c += WG) { s += r[c] * r[c]; }
  return total(tid, s);
}
fn dotPAp(tid: u32) -> f32 {
  var s = 0.0;
  for (var c = tid; c < K; c += WG) { s += p[c] * ap[c]; }
  return total(tid, s);
}
fn total(tid: u32, v: f32) -> f32 {
  red[tid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (tid < s) { red[tid] += red[tid + s]; }
    workgroupBarrier();
  }
  let t = red[0];
  workgroupBarrier();
  return t;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let rl = wgLinear(wid, nwg);
  if (rl >= P.rowCount) { return; }
  let row = P.rowBase + rl;
  if (counts[row] == 0u) {
    for (var t = tid; t < K; t += WG) { X[(row - P.xRow0) * P.stride + col(t)] = 0.0; }
    return;
  }
  for (var c = tid; c < K; c += WG) { x[c] = X[(row - P.xRow0) * P.stride + col(c)]; }
  workgroupBarrier();
  matvec(tid, row, true, true);
  for (var c = tid; c < K; c += WG) {
    r[c] = bv[c] - ap[c];
    p[c] = r[c];
  }
  workgroupBarrier();
  var rs = dotRR(tid);
  for (var s = 0u; s < STEPS; s++) {
    matvec(tid, row, false, false);
    let pap = dotPAp(tid);
    let a = select(0.0, rs / pap, pap > 0.0 && rs > 0.0);
    for (var c = tid; c < K; c += WG) {
      x[c] += a * p[c];
      r[c] -= a * ap[c];
    }
    workgroupBarrier();
    let rsn = dotRR(tid);
    let beta = select(0.0, rsn / rs, rs > 0.0);
    for (var c = tid; c < K; c += WG) { p[c] = r[c] + beta * p[c]; }
    workgroupBarrier();
    rs = rsn;
  }
  for (var c = tid; c < K; c += WG) { X[(row - P.xRow0) * P.stride + col(c)] = x[c]; }
}
