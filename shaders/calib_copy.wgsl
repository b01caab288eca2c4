// Copy-bandwidth microkernel (benchmark calibration, not part of the engine).
// dst[i] = src[i] over n vec4<f32>: each element is read once and written once. Every invocation copies a block
// of 4 consecutive vec4 (64 bytes): its 4 loads are issued before its 4 stores, and there is no loop. n is a
// multiple of 4 (the host's job). Bytes moved per dispatch = 2 x 16 x n.
// Why this shape (measured on SwiftShader, the software adapter; bench/suites/calibration.ts): a loop over the
// elements (the previous kernel: 4 per invocation, grid-strided, bound checked each pass) cost a third of the time
// in loop control, and so did a per-element guard for a ragged last block; more vec4 per invocation, f32 or mat4x4
// elements, a smaller workgroup or smaller buffers were no faster.
// Bindings: 0 params (n, count), 1 src, 2 dst.
// Dispatch: count = ceil(n / (4 WG)) workgroups of WG invocations (folded to 2-D by the host); blocks at or past n
// (the last workgroup's) copy nothing.

struct Params { n: u32, _per: u32, count: u32, _p: u32 }

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let w = wgLinear(wid, nwg);
  if (w >= P.count) { return; }
  let i = (w * WG + tid) * 4u;
  if (i >= P.n) { return; }
  let v0 = src[i];
  let v1 = src[i + 1u];
  let v2 = src[i + 2u];
  let v3 = src[i + 3u];
  dst[i] = v0;
  dst[i + 1u] = v1;
  dst[i + 2u] = v2;
  dst[i + 3u] = v3;
}
