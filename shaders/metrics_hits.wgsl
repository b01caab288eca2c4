// Hit masks for ranking metrics: for each row r of a top-k result (outS / outI of shaders/topk.wgsl,
// K entries per row), bit j of out[r] is set when the j-th kept entry is one of the row's relevant
// columns relIdx[relPtr[r] .. relPtr[r + 1]) (sorted ascending). Entries are kept as the host's
// readTopK keeps them: padding and masked scores (<= MASKED, or NaN) dropped, at most k (<= 32)
// kept. NDCG, precision and recall at k follow from the mask alone, so one word per row comes back
// instead of k indices.
// Bindings: 0 params, 1 topS, 2 topI, 3 relPtr (rows + 1), 4 relIdx, 5 out (one word per row).
// Dispatch: ceil(rows / 64) workgroups of 64 (linearized, folded 2-D by the host).

struct Params { rows: u32, K: u32, k: u32, pad0: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> topS: array<f32>;
@group(0) @binding(2) var<storage, read> topI: array<u32>;
@group(0) @binding(3) var<storage, read> relPtr: array<u32>;
@group(0) @binding(4) var<storage, read> relIdx: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<u32>;

override MASKED: f32; // MASKED_BELOW in src/kernels/constants.ts

const PAD_I: u32 = 0xffffffffu;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let r = wgLinear(wid, nwg) * 64u + tid;
  if (r >= P.rows) { return; }
  let lo0 = relPtr[r];
  let hi0 = relPtr[r + 1u];
  var mask = 0u;
  var kept = 0u;
  for (var e = 0u; e < P.K && kept < P.k; e++) {
    let i = topI[r * P.K + e];
    let v = topS[r * P.K + e];
    if (i == PAD_I || !(v > MASKED)) { continue; }
    var lo = lo0;
    var hi = hi0;
    while (lo < hi) {
      let mid = (lo + hi) / 2u;
      if (relIdx[mid] < i) { lo = mid + 1u; } else { hi = mid; }
    }
    if (lo < hi0 && relIdx[lo] == i) { mask |= 1u << kept; }
    kept++;
  }
  out[r] = mask;
}
