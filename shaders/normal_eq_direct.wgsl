// Barrier-free variant of the normal-equation build (normal_eq.wgsl `build`), for software adapters
// (SwiftShader, WARP, llvmpipe), where a workgroup barrier costs more than the arithmetic it
// guards: one invocation per segment accumulates w y y^T (upper triangle) and t y in private
// memory, four rows at a time, and writes its partial slot once. K <= 260. Same inputs, same partial layout ([KP x (KP+4)] per slot, rhs in
// column KP), same finish kernel. Reads are not coalesced: on hardware GPUs use `build`.
// Bindings: 0 params, 1 idx, 2 val, 3 Y, 4 segs, 5 partial. Dispatch: ceil(segCount / WG)
// workgroups (folded to 2-D).

// struct Params: shaders/solve_params.wgsl (prepended when loaded)

override WG: u32 = 64u;
override K: u32 = 8u;
override RANK: u32 = 8u;
override KP: u32 = ((K + 3u) / 4u) * 4u;
override PW: u32 = KP + 4u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read> val: array<f32>;
@group(0) @binding(3) var<storage, read> Y: array<f32>;
@group(0) @binding(4) var<storage, read> segs: array<vec4<u32>>;
@group(0) @binding(5) var<storage, read_write> partial: array<f32>;

// MAXK (private accumulator columns, rank 256 + bias; larger K uses `build`) is a const the host
// prepends from src/kernels/constants.ts (a function-scope array length must be a const-expression).

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let s = wgLinear(wid, nwg) * WG + lid;
  if (s >= P.segCount) { return; }
  let seg = segs[P.segBase + s];
  let o = s * KP * PW;
  let hasBias = K > RANK;
  // Four rows of the upper triangle at a time, accumulated in private memory (acc[b] holds rows
  // a0..a0+3 of column b), so each rating costs K/4 vector FMAs per pass instead of K^2/2
  // read-modify-writes of global memory.
  var acc: array<vec4<f32>, MAXK>;
  for (var a0 = 0u; a0 < K; a0 += 4u) {
    for (var b = a0; b < K; b++) { acc[b] = vec4<f32>(0.0); }
    var rhs = vec4<f32>(0.0);
    for (var p = seg.y; p < seg.z; p++) {
      let j = idx[p];
      let v = val[p];
      var yb = 0.0;
      if (hasBias) { yb = Y_at(j * P.stride + P.yBias); }
      let wt = ratingWeights(v, yb);
      let w = wt.x;
      let tg = wt.y;
      let yr = j * P.stride;
      var ya = vec4<f32>(0.0);
      for (var q = 0u; q < 4u; q++) {
        if (a0 + q < K) { ya[q] = Y_at(yr + col(a0 + q)); }
      }
      rhs += tg * ya;
      let wa = w * ya;
      for (var b = a0; b < K; b++) { acc[b] += wa * Y_at(yr + col(b)); }
    }
    for (var q = 0u; q < 4u; q++) {
      let a = a0 + q;
      if (a >= K) { break; }
      for (var b = a; b < K; b++) { partial[o + a * PW + b] = acc[b][q]; }
      partial[o + a * PW + KP] = rhs[q];
    }
  }
}
