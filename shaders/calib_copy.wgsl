// Copy-bandwidth microkernel (benchmark calibration, not part of the engine).
// dst[i] = src[i] over n vec4<f32>: each element is read once and written once, consecutive
// invocations touch consecutive 16-byte elements (fully coalesced), PER elements per invocation
// strided by the grid size. Bytes moved per dispatch = 2 x 16 x n.
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
  let w = wgLinear(wid, nwg);
  if (w >= P.count) { return; }
  let threads = P.count * WG;
  var i = w * WG + tid;
  for (var k = 0u; k < P.per; k++) {
    if (i < P.n) { dst[i] = src[i]; }
    i += threads;
  }
}
