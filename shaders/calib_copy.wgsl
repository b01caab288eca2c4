// Copy-bandwidth microkernel (benchmark calibration, not part of the engine).
// dst[i] = src[i] over n vec4<f32>: each element is read once and written once, consecutive
// invocations touch consecutive 16-byte elements (fully coalesced), PER elements per invocation
// strided by the grid size, handled four at a time. Bytes moved per dispatch = 2 x 16 x n.
// Bindings: 0 params (n, per), 1 src, 2 dst.
// Dispatch: count workgroups of WG invocations (folded to 2-D by the host).

struct Params { n: u32, per: u32, count: u32, _p: u32 }

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= P.count) { return; }
  let threads = P.count * WG;
  // Four independent vec4 loads issued before their four stores per pass (PER is a multiple of 4
  // in practice; a tail is bounds-checked per element), so each invocation keeps 64 bytes in flight.
  var i = w * WG + tid;
  for (var k = 0u; k < P.per; k += 4u) {
    let i1 = i + threads; let i2 = i1 + threads; let i3 = i2 + threads;
    if (i3 < P.n) {
      let a = src[i]; let b = src[i1]; let c = src[i2]; let d = src[i3];
      dst[i] = a; dst[i1] = b; dst[i2] = c; dst[i3] = d;
    } else {
      if (i < P.n) { dst[i] = src[i]; }
      if (i1 < P.n) { dst[i1] = src[i1]; }
      if (i2 < P.n) { dst[i2] = src[i2]; }
    }
    i = i3 + threads;
  }
}
