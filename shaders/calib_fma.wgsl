// Peak FMA throughput microkernel (benchmark calibration, not part of the engine).
// Every invocation runs ITERS rounds (ITERS a multiple of 64) of CHAINS = 3 independent vec4 fused multiply-adds
//   acc_c = fma(acc_c, m, a)          (4 lanes x 2 FLOPs = 8 FLOPs per vec4 FMA)
// and folds the accumulators into one store per invocation (a result the compiler cannot drop).
// FLOPs per dispatch = invocations x ITERS x 3 x 8.
// Why this shape (measured on SwiftShader, the software adapter; bench/suites/calibration.ts):
//  - 3 chains: a SIMD-on-CPU adapter keeps each vec4 component of 4 invocations in one 4-wide register, so 3 vec4
//    accumulators plus m and a take 14 of the 16 SSE registers. 8 chains (32 registers) spilled to the stack on every
//    step and measured about half the FLOPs per CPU-second. A hardware GPU hides the FMA latency with other
//    invocations, so 3 independent chains per invocation lose nothing there.
//  - loop body unrolled x64 and ITERS in the thousands: the loop's counter, branch and per-invocation set-up cost as
//    much as ~100 FMAs on that adapter; unrolled x8 (the previous kernel) they took a third of the time.
//  - m and a from a uniform, not literals: with literal constants the adapter reloaded them on every step (2-3x
//    slower).
// Bindings: 0 params (m, a: coefficients chosen by the host so values stay bounded), 1 out (one f32 per invocation).
// Dispatch: count workgroups of WG invocations (folded to 2-D by the host; ids >= count skip).

struct Params { m: f32, a: f32, count: u32, _p: u32 }

override WG: u32 = 256u;
override ITERS: u32 = 4096u;

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
  var c1 = c0 + 0.01;
  var c2 = c0 + 0.02;
  // 64 rounds per pass (ITERS is a multiple of 64)
  for (var i = 0u; i < ITERS; i += 64u) {
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
    c0 = fma(c0, m, a); c1 = fma(c1, m, a); c2 = fma(c2, m, a);
  }
  let t = (c0 + c1) + c2;
  out[gid] = t.x + t.y + t.z + t.w;
}
