// The uniforms of the SGD kernels (prepended by the host to shaders/sgd.wgsl and
// shaders/sgd_lanes.wgsl, src/kernels/shaders.ts, after shaders/feistel.wgsl), and the Hogwild run
// order they share.

struct Params {
  n: u32, run: u32, groups: u32, leadOnly: u32,
  mu: f32, lr: f32, lambda: f32, lambdaBias: f32,
  // this epoch's order of the runs (Hogwild): shaders/feistel.wgsl's map of [0, groups) under
  // these keys; runHalf = 0 keeps the identity
  runHalf: u32, runMask: u32, _p0: u32, _p1: u32, runKeys: vec4<u32>,
}
struct Sub { shift: u32, b: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(7) var<uniform> S: Sub;

// The run (Hogwild) that invocation or group t (< P.groups) walks this epoch.
fn runOf(t: u32) -> u32 {
  if (P.runHalf == 0u) { return t; }
  return feistelPerm(t, P.groups, P.runHalf, P.runMask, P.runKeys);
}
