// Residual reduction over the observed ratings: e = a - (mu + x_u . y_i) with full factor rows
// (biases included through the augmented columns). Accumulates (sum e^2, sum |e|).
// Implicit mode (P.implicit = 1): with s = x_u . y_i, c = 1 + alpha f and p = [f > 0], accumulates
// (sum c (p - s)^2 - s^2, sum alpha f): the observed part of the full-matrix implicit loss. A stored
// f = 0 (c = 1, p = 0) adds 0, exactly like an unobserved entry, as in the solver.
// Entry `partials`: each workgroup reduces WG*PER ratings (consecutive threads read consecutive
//   ratings) to (sum e^2, sum |e|), written to part[wg]. Dispatch: ceil(n / (WG*PER)) workgroups.
// Entry `total`: one workgroup sums part[0..parts) into out[0..1]. Dispatch: 1 workgroup.
// Bindings: 0 params, 1 users, 2 items, 3 values, 4 W, 5 H, 6 part, 7 out.

struct Params { n: u32, stride: u32, mu: f32, parts: u32, alpha: f32, implicit: u32, _p0: u32, _p1: u32 }

override WG: u32 = 256u;
override PER: u32 = 16u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> users: array<u32>;
@group(0) @binding(2) var<storage, read> items: array<u32>;
@group(0) @binding(3) var<storage, read> values: array<f32>;
@group(0) @binding(4) var<storage, read> W: array<f32>;
@group(0) @binding(5) var<storage, read> H: array<f32>;
@group(0) @binding(6) var<storage, read_write> part: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<vec2<f32>, WG>;

fn reduce(tid: u32, x: vec2<f32>) -> vec2<f32> {
  red[tid] = x;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (tid < s) { red[tid] += red[tid + s]; }
    workgroupBarrier();
  }
  return red[0];
}

@compute @workgroup_size(WG)
fn partials(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) tid: u32) {
  let w = wgLinear(wid, nwg);
  var acc = vec2<f32>(0.0);
  let base = w * WG * PER;
  for (var q = 0u; q < PER; q++) {
    let k = base + q * WG + tid;
    if (k < P.n) {
      let u = users[k];
      let i = items[k];
      var p = P.mu;
      for (var c = 0u; c < P.stride; c++) { p += W_at(u * P.stride + c) * H_at(i * P.stride + c); }
      if (P.implicit != 0u) {
        let af = P.alpha * values[k];
        let d = select(0.0, 1.0, values[k] > 0.0) - p;   // preference p = [f > 0], as the solver uses
        acc += vec2<f32>((1.0 + af) * d * d - p * p, af);
      } else {
        let e = values[k] - p;
        acc += vec2<f32>(e * e, abs(e));
      }
    }
  }
  let s = reduce(tid, acc);
  if (tid == 0u && w < P.parts) { part[w] = s; }
}

@compute @workgroup_size(WG)
fn total(@builtin(local_invocation_index) tid: u32) {
  var acc = vec2<f32>(0.0);
  for (var k = tid; k < P.parts; k += WG) { acc += part[k]; }
  let s = reduce(tid, acc);
  if (tid == 0u) { out[0] = s.x; out[1] = s.y; }
}
