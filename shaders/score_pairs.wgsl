// Batched prediction for (user, item) pairs: out[k] = clamp(mu + W[users[k]] . H[items[k]], lo, hi)
// over full factor rows (biases through the augmented columns); no clamp when clip = 0.
// One thread per pair. Bindings: 0 params, 1 W, 2 H, 3 users, 4 items, 5 out.
// Dispatch: ceil(n / 64) workgroups (linearized, folded 2-D by the host).

struct Params { n: u32, stride: u32, clip: u32, pad: u32, mu: f32, lo: f32, hi: f32, pad2: f32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> H: array<f32>;
@group(0) @binding(3) var<storage, read> users: array<u32>;
@group(0) @binding(4) var<storage, read> items: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let k = wgLinear(wid, nwg) * 64u + tid;
  if (k >= P.n) { return; }
  let u = users[k] * P.stride;
  let i = items[k] * P.stride;
  var s = P.mu;
  for (var c = 0u; c < P.stride; c++) { s += W_at(u + c) * H_at(i + c); }
  if (P.clip != 0u) { s = clamp(s, P.lo, P.hi); }
  out[k] = s;
}
