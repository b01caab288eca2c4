// Ranking counts for AUC: for each (batch row, column) pair p, over the unmasked entries of row
// scores[row] (masked entries, score <= -1e38, are seen/excluded items):
//   greater[p] = #{c : scores[row, c] > s_p},  equal[p] = #{c != col : scores[row, c] == s_p},  score[p] = s_p.
// One workgroup per pair; 256 threads stride through the row (coalesced) and reduce in workgroup memory.
// Bindings: 0 params, 1 scores (rows x n), 2 pairRow, 3 pairCol, 4 out (3 words per pair: greater, equal, score bits).
// Dispatch: nPairs workgroups (linearized, folded 2-D by the host).
// Entry `direct` (software adapters: no barriers): one thread per pair scans its row.
// Dispatch: ceil(nPairs / 64) workgroups of 64.

struct Params { nPairs: u32, n: u32, pad0: u32, pad1: u32 }

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> pairRow: array<u32>;
@group(0) @binding(3) var<storage, read> pairCol: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

override MASKED: f32; // MASKED_BELOW in src/kernels/constants.ts

var<workgroup> red: array<vec2<u32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let p = wgLinear(wid, nwg);
  if (p >= P.nPairs) { return; }
  let base = pairRow[p] * P.n;
  let col = pairCol[p];
  let sp = scores[base + col];
  var acc = vec2<u32>(0u);
  for (var c = tid; c < P.n; c += WG) {
    let s = scores[base + c];
    if (s > MASKED && c != col) {
      if (s > sp) { acc.x += 1u; } else if (s == sp) { acc.y += 1u; }
    }
  }
  red[tid] = acc;
  workgroupBarrier();
  for (var st = WG / 2u; st > 0u; st >>= 1u) {
    if (tid < st) { red[tid] += red[tid + st]; }
    workgroupBarrier();
  }
  if (tid == 0u) {
    out[p * 3u] = red[0].x;
    out[p * 3u + 1u] = red[0].y;
    out[p * 3u + 2u] = bitcast<u32>(sp);
  }
}

@compute @workgroup_size(64)
fn direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) tid: u32) {
  let p = wgLinear(wid, nwg) * 64u + tid;
  if (p >= P.nPairs) { return; }
  let base = pairRow[p] * P.n;
  let col = pairCol[p];
  let sp = scores[base + col];
  var g = 0u;
  var e = 0u;
  for (var c = 0u; c < P.n; c++) {
    let s = scores[base + c];
    if (s > MASKED && c != col) {
      if (s > sp) { g += 1u; } else if (s == sp) { e += 1u; }
    }
  }
  out[p * 3u] = g;
  out[p * 3u + 1u] = e;
  out[p * 3u + 2u] = bitcast<u32>(sp);
}
