// Top-k selection per row of a score matrix, best first, ties broken by the lower index
// (deterministic). One pass: each workgroup takes one chunk of CH = 1024 entries of one row,
// sorts it in workgroup memory with a bitonic network (order: score descending, then index
// ascending; padding sorts last) and writes its first K entries. The host repeats passes on the
// (rows x chunks*K) output until one chunk per row remains, so k <= CH / 2 always makes progress.
// Scores <= -1e38 are masked entries (seen/excluded); the host drops them from the result.
// Entry `direct` (no workgroup memory, no barriers; for software adapters): one thread per
// (row, chunk of `csize` entries) keeps its chunk's best K by insertion straight into its output
// slots (same order and tie rule). Dispatch: ceil(rows * chunks / 64) workgroups of 64.
// Bindings: 0 params, 1 inS (rows x n), 2 inI (rows x n; unused when hasIdx = 0: index = position),
//   3 outS (rows x chunks*K), 4 outI.
// Dispatch: rows * chunks workgroups (linearized, folded 2-D by the host). Workgroup: 256 threads.

struct Params { rows: u32, n: u32, K: u32, chunks: u32, hasIdx: u32, csize: u32, pad1: u32, pad2: u32 }

// CH and PAD_S come from src/kernels/constants.ts (TOPK_CHUNK, PAD_SCORE).
override CH: u32;
const WG: u32 = 256u;
override PAD_S: f32;
const PAD_I: u32 = 0xffffffffu;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> inS: array<f32>;
@group(0) @binding(2) var<storage, read> inI: array<u32>;
@group(0) @binding(3) var<storage, read_write> outS: array<f32>;
@group(0) @binding(4) var<storage, read_write> outI: array<u32>;

var<workgroup> ks: array<f32, CH>;
var<workgroup> ki: array<u32, CH>;

// a comes before b
fn before(as_: f32, ai: u32, bs: f32, bi: u32) -> bool {
  return as_ > bs || (as_ == bs && ai < bi);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let w = wgLinear(wid, nwg);
  if (w >= P.rows * P.chunks) { return; }
  let row = w / P.chunks;
  let c = w % P.chunks;
  let base = row * P.n;
  for (var q = 0u; q < CH / WG; q++) {
    let e = tid + q * WG;
    let pos = c * CH + e;
    if (pos < P.n) {
      ks[e] = inS[base + pos];
      var idx = pos;
      if (P.hasIdx != 0u) { idx = inI[base + pos]; }
      ki[e] = idx;
    } else {
      ks[e] = PAD_S;
      ki[e] = PAD_I;
    }
  }
  workgroupBarrier();
  for (var size = 2u; size <= CH; size <<= 1u) {
    for (var st = size >> 1u; st > 0u; st >>= 1u) {
      for (var q = 0u; q < CH / 2u / WG; q++) {
        let t = tid + q * WG;
        let i = 2u * st * (t / st) + (t % st);
        let j = i + st;
        let up = (i & size) == 0u;
        let si = ks[i]; let ii = ki[i];
        let sj = ks[j]; let ij = ki[j];
        // in an `up` block, i must come before j
        if (before(sj, ij, si, ii) == up) {
          ks[i] = sj; ki[i] = ij;
          ks[j] = si; ki[j] = ii;
        }
      }
      workgroupBarrier();
    }
  }
  let ob = row * P.chunks * P.K + c * P.K;
  for (var e = tid; e < P.K; e += WG) {
    outS[ob + e] = ks[e];
    outI[ob + e] = ki[e];
  }
}

@compute @workgroup_size(64)
fn direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) tid: u32) {
  let g = wgLinear(wid, nwg) * 64u + tid;
  if (g >= P.rows * P.chunks) { return; }
  let row = g / P.chunks;
  let c = g % P.chunks;
  let ob = row * P.chunks * P.K + c * P.K;
  let start = c * P.csize;
  let end = min(start + P.csize, P.n);
  var cnt = 0u;
  for (var pos = start; pos < end; pos++) {
    let s = inS[row * P.n + pos];
    var i = pos;
    if (P.hasIdx != 0u) { i = inI[row * P.n + pos]; }
    if (i == PAD_I) { continue; }
    if (cnt == P.K) {
      if (!before(s, i, outS[ob + cnt - 1u], outI[ob + cnt - 1u])) { continue; }
      cnt -= 1u;
    }
    var j = cnt;
    while (j > 0u && before(s, i, outS[ob + j - 1u], outI[ob + j - 1u])) {
      outS[ob + j] = outS[ob + j - 1u];
      outI[ob + j] = outI[ob + j - 1u];
      j -= 1u;
    }
    outS[ob + j] = s;
    outI[ob + j] = i;
    cnt += 1u;
  }
  for (var e = cnt; e < P.K; e++) {
    outS[ob + e] = PAD_S;
    outI[ob + e] = PAD_I;
  }
}
