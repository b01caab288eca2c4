// Finishes the normal equations of a batch of rows: sums each row's segment partials (written by
// normal_eq.wgsl `build`), adds the base Gram (implicit ALS: Y^T Y) and the regularization
// lambda (lambdaBias for the bias unknown; times the row count with weighted lambda), and writes
// the upper triangle of A (K x K, row-major) and b (K) for the row.
// Bindings: 0 params, 1 partial, 2 rowSeg (first global segment per row,
// nRows+1), 3 counts (per global
// row), 4 base (K x K), 5 A, 6 B. Dispatch: rowCount workgroups (folded to 2-D).

// struct Params: shaders/solve_params.wgsl (prepended when loaded)

override WG: u32 = 128u;
override K: u32 = 8u;
override RANK: u32 = 8u;

override KP: u32 = ((K + 3u) / 4u) * 4u;
override PW: u32 = KP + 4u;   // partial row width in floats

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read> rowSeg: array<u32>;
@group(0) @binding(3) var<storage, read> counts: array<u32>;
@group(0) @binding(4) var<storage, read> base: array<f32>;
@group(0) @binding(5) var<storage, read_write> A: array<f32>;
@group(0) @binding(6) var<storage, read_write> B: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let r = wgLinear(wid, nwg);
  if (r >= P.rowCount) { return; }
  let row = P.rowBase + r;
  let s0 = rowSeg[row] - P.segBase;
  let s1 = rowSeg[row + 1u] - P.segBase;
  let n = f32(counts[row]);
  let scale = select(1.0, n, P.weighted != 0u);
  for (var e = tid; e < K * (K + 1u); e += WG) {
    let i = e / (K + 1u);
    let j = e % (K + 1u);      // j == K: right-hand side
    if (j < i) { continue; }
    let pj = select(j, KP, j == K);
    var sum = 0.0;
    for (var s = s0; s < s1; s++) {
      sum += partial[(s * KP + i) * PW + pj];
    }
    if (j == K) {
      B[r * K + i] = sum;
    } else {
      if (P.useBase != 0u) { sum += base[i * K + j]; }
      if (i == j) { sum += select(P.lambdaBias, P.lambda, i < RANK) * scale; }
      A[(r * K + i) * K + j] = sum;
    }
  }
}
