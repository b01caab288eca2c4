// Barrier-free variant of the residual reduction (loss.wgsl), for software adapters where a
// workgroup barrier costs more than the arithmetic it guards. Same sums: (sum e^2, sum |e|) with
// e = a - (mu + x_u . y_i), or in implicit mode (sum c (p - s)^2 - s^2, sum alpha f).
// Factor rows are read as FV vectors: the host (src/kernels/loss.ts) prepends `alias FV` (vec4, vec2
// or f32, the widest the stride is a multiple of: an override cannot choose a type) and
// rowDot(xu, yi), the dot product of two rows written out as NV = stride / width vector products.
// Entry `partials`: one invocation sums CH consecutive ratings into part[id].
// Entry `sums`: one invocation sums CH consecutive entries of part into part2[id].
// Entry `total`: one invocation sums part2[0..parts2) into out[0..1].
// Bindings: 0 params, 1 users, 2 items, 3 values, 4 W, 5 H, 6 part, 7 part2, 8 out.
// Dispatch: partials ceil(n / (CH WG)), sums ceil(parts / (CH WG)) workgroups, total 1.

struct Params { n: u32, parts: u32, parts2: u32, implicit: u32, mu: f32, alpha: f32, _p0: u32, _p1: u32 }

override WG: u32 = 64u;
override CH: u32 = 64u;
override NV: u32;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> users: array<u32>;
@group(0) @binding(2) var<storage, read> items: array<u32>;
@group(0) @binding(3) var<storage, read> values: array<f32>;
@group(0) @binding(4) var<storage, read> W: array<FV>;
@group(0) @binding(5) var<storage, read> H: array<FV>;
@group(0) @binding(6) var<storage, read_write> part: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> part2: array<vec2<f32>>;
@group(0) @binding(8) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn partials(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) tid: u32) {
  let id = wgLinear(wid, nwg) * WG + tid;
  if (id >= P.parts) { return; }
  let k0 = id * CH;
  let k1 = min(k0 + CH, P.n);
  var acc = vec2<f32>(0.0);
  for (var k = k0; k < k1; k++) {
    let xu = users[k] * NV;
    let yi = items[k] * NV;
    let p = P.mu + rowDot(xu, yi);
    let v = values[k];
    if (P.implicit != 0u) {
      let af = P.alpha * v;
      let d = select(0.0, 1.0, v > 0.0) - p;   // preference p = [f > 0], as the solver uses
      acc += vec2<f32>((1.0 + af) * d * d - p * p, af);
    } else {
      let e = v - p;
      acc += vec2<f32>(e * e, abs(e));
    }
  }
  part[id] = acc;
}

@compute @workgroup_size(WG)
fn sums(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let id = wgLinear(wid, nwg) * WG + tid;
  if (id >= P.parts2) { return; }
  var acc = vec2<f32>(0.0);
  for (var k = id * CH; k < min(id * CH + CH, P.parts); k++) { acc += part[k]; }
  part2[id] = acc;
}

@compute @workgroup_size(1)
fn total() {
  var acc = vec2<f32>(0.0);
  for (var k = 0u; k < P.parts2; k++) { acc += part2[k]; }
  out[0] = acc.x;
  out[1] = acc.y;
}
