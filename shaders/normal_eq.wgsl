// Batched normal-equation build for ALS, from CSR (users) or CSC (items).
//
// For every row x of the side being solved, with the other side's factors Y fixed:
//   A_x = sum_j w_j y_j y_j^T (+ base Gram) + diag(lambda)      b_x = sum_j t_j y_j
// explicit: w = 1, t = a - mu - bias_j            implicit: w = alpha f, t = (f > 0) (1 + alpha f)
//
// Entry point `build`: one workgroup per *segment* (a run of at most CHUNK entries of one row), so a
//   row with 50,000 ratings is split across many workgroups. Each workgroup stages TILE factor vectors
//   at a time in workgroup memory and accumulates 4x4 register blocks of the upper triangle of
//   [Gram | rhs]; when the blocks are fewer than the threads, thread groups split the entries and
//   are reduced through workgroup memory. Output: one partial [Kp x (Kp+4)] matrix per segment.
//   Bindings: 0 params, 1 idx, 2 val, 3 Y, 4 segs (row, start, end, -), 5 partial (slot = segment
//   index within the batch).
//   Dispatch: segCount workgroups (folded to 2-D).
// Entry point `finish`: one workgroup per row of the batch; sums the row's segment partials, adds
//   the base Gram and the regularization, and writes the upper triangle of A (K x K) and b (K).
//   Bindings: 0 params, 1 partial, 2 rowSeg, 3 counts, 4 base, 5 A, 6 B.
//
// Unknown t of a row maps to factor column col(t) = t for t < RANK and XBIAS for the bias unknown.

// struct Params: shaders/solve_params.wgsl (prepended when loaded)

override WG: u32 = 128u;
override K: u32 = 8u;          // unknowns per row (rank, +1 with biases)
override RANK: u32 = 8u;
override TILE: u32 = 16u;      // factor vectors staged per tile
override SH: u32 = 1024u;      // vec4 slots of workgroup memory

override KP4: u32 = (K + 3u) / 4u;    // vec4s per left vector
override KR4: u32 = KP4 + 1u;         // vec4s per right vector (+ rhs block)
override KP: u32 = KP4 * 4u;
override NB: u32 = KP4 * KR4 - (KP4 * (KP4 - 1u)) / 2u;   // upper-triangle 4x4 blocks incl. rhs column

@group(0) @binding(0) var<uniform> P: Params;

// ---------------------------------------------------------------- build
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read> val: array<f32>;
@group(0) @binding(3) var<storage, read> Y: array<f32>;
@group(0) @binding(4) var<storage, read> segs: array<vec4<u32>>;
@group(0) @binding(5) var<storage, read_write> partial: array<vec4<f32>>;

var<workgroup> sh: array<vec4<f32>, SH>;

@compute @workgroup_size(WG)
fn build(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) tid: u32) {
  let s = wgLinear(wid, nwg);
  if (s >= P.segCount) { return; }
  let seg = segs[P.segBase + s];
  let start = seg.y;
  let end = seg.z;
  let slot = s;
  let G = select(1u, WG / NB, NB < WG);
  let passes = select((NB + WG - 1u) / WG, 1u, NB < WG);
  let rOff = TILE * KP4;
  let hasBias = K > RANK;

  for (var ps = 0u; ps < passes; ps++) {
    var b = ps * WG + tid;
    var g = 0u;
    if (G > 1u) { b = tid % NB; g = tid / NB; }
    let live = b < NB && g < G;
    // decode block b -> (bi, bj), bj >= bi; block column KP4 is the rhs
    var bi = 0u;
    var rem = select(0u, b, live);
    loop {
      let len = KR4 - bi;
      if (rem < len || bi + 1u >= KP4) { break; }
      rem -= len;
      bi++;
    }
    let bj = bi + rem;
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);

    for (var t0 = start; t0 < end; t0 += TILE) {
      let cnt = min(TILE, end - t0);
      for (var e = tid; e < cnt * KR4; e += WG) {
        let n = e / KR4;
        let c4 = e % KR4;
        let j = idx[t0 + n];
        let v = val[t0 + n];
        var yb = 0.0;
        if (hasBias) { yb = Y_at(j * P.stride + P.yBias); }
        let wt = ratingWeights(v, yb);
        let w = wt.x;
        let tgt = wt.y;
        if (c4 < KP4) {
          var l = vec4<f32>(0.0);
          for (var q = 0u; q < 4u; q++) {
            let t = c4 * 4u + q;
            if (t < K) { l[q] = Y_at(j * P.stride + col(t)); }
          }
          sh[n * KP4 + c4] = l;
          sh[rOff + n * KR4 + c4] = l * w;
        } else {
          sh[rOff + n * KR4 + c4] = vec4<f32>(tgt, 0.0, 0.0, 0.0);
        }
      }
      workgroupBarrier();
      if (live) {
        for (var n = g; n < cnt; n += G) {
          let l = sh[n * KP4 + bi];
          let r = sh[rOff + n * KR4 + bj];
          a0 += l.x * r;
          a1 += l.y * r;
          a2 += l.z * r;
          a3 += l.w * r;
        }
      }
      workgroupBarrier();
    }

    if (G > 1u) {
      if (live) {
        let o = (g * NB + b) * 4u;
        sh[o] = a0; sh[o + 1u] = a1; sh[o + 2u] = a2; sh[o + 3u] = a3;
      }
      workgroupBarrier();
      if (live && g == 0u) {
        for (var g2 = 1u; g2 < G; g2++) {
          let o = (g2 * NB + b) * 4u;
          a0 += sh[o]; a1 += sh[o + 1u]; a2 += sh[o + 2u]; a3 += sh[o + 3u];
        }
      }
      workgroupBarrier();
    }
    if (live && g == 0u) {
      let base = (slot * KP + bi * 4u) * KR4 + bj;
      partial[base] = a0;
      partial[base + KR4] = a1;
      partial[base + 2u * KR4] = a2;
      partial[base + 3u * KR4] = a3;
    }
  }
}
