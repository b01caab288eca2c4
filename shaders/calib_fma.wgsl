// Peak FMA throughput microkernel (benchmark calibration, not part of the engine).
// Every invocation runs ITERS rounds (ITERS a multiple of 8) of CHAINS independent vec4 fused multiply-adds
//   acc_c = fma(acc_c, m, a)          (4 lanes x 2 FLOPs = 8 FLOPs per vec4 FMA)
// so the arithmetic units are never waiting on one dependency chain. The accumulators are folded
// into one store per invocation (a result the compiler cannot drop).
// FLOPs per dispatch = invocations x ITERS x CHAINS x 8.
// Bindings: 0 params (m, a: coefficients chosen by the host so values stay bounded), 1 out (one f32 per invocation).
// Dispatch: count workgroups of WG invocations (folded to 2-D by the host; ids >= count skip).

struct Params { m: f32, a: f32, count: u32, _p: u32 }

override WG: u32 = 256u;
override ITERS: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let w = wgLinear(wid, nwg);
  if (w >= P.count) { return; }
  let gid = w * WG + tid;
  let s = f32(gid & 1023u) * 1e-4;
  let m = vec4<f32>(P.m);
  let a = vec4<f32>(P.a);
  var c0 = vec4<f32>(s, s + 0.1, s + 0.2, s + 0.3);
  var c1 = c0 + 0.01; var c2 = c0 + 0.02; var c3 = c0 + 0.03;
  var c4 = c0 + 0.04; var c5 = c0 + 0.05; var c6 = c0 + 0.06; var c7 = c0 + 0.07;
  // Loop body unrolled x8 (ITERS is a multiple of 8): the loop's own counter and branch are then
  // 1/64 of the shader operations, so the count measures the FMA units, not the loop.
  for (var i = 0u; i < ITERS; i += 8u) {
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a); c3 = fma(c3, m, a);
    c4 = fma(c4, m, a); c5 = fma(c5, m, a); c6 = fma(c6, m, a); c7 = fma(c7, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a); c3 = fma(c3, m, a);
    c4 = fma(c4, m, a); c5 = fma(c5, m, a); c6 = fma(c6, m, a); c7 = fma(c7, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a); c3 = fma(c3, m, a);
    c4 = fma(c4, m, a); c5 = fma(c5, m, a); c6 = fma(c6, m, a); c7 = fma(c7, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a); c3 = fma(c3, m, a);
    c4 = fma(c4, m, a); c5 = fma(c5, m, a); c6 = fma(c6, m, a); c7 = fma(c7, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a); c3 = fma(c3, m, a);
    c4 = fma(c4, m, a); c5 = fma(c5, m, a); c6 = fma(c6, m, a); c7 = fma(c7, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a); c3 = fma(c3, m, a);
    c4 = fma(c4, m, a); c5 = fma(c5, m, a); c6 = fma(c6, m, a); c7 = fma(c7, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a); c3 = fma(c3, m, a);
    c4 = fma(c4, m, a); c5 = fma(c5, m, a); c6 = fma(c6, m, a); c7 = fma(c7, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a); c3 = fma(c3, m, a);
    c4 = fma(c4, m, a); c5 = fma(c5, m, a); c6 = fma(c6, m, a); c7 = fma(c7, m, a);
  }
  let t = (c0 + c1) + (c2 + c3) + (c4 + c5) + (c6 + c7);
  out[gid] = t.x + t.y + t.z + t.w;
}
