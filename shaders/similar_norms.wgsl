// Row norms for cosine similarity: norms[r] = sqrt(sum_{c < cols} F[r * stride + c]^2) over the
// latent columns only (bias columns excluded). One thread per row.
// Bindings: 0 params, 1 F (rows x stride), 2 norms (rows). Dispatch: ceil(rows / 64) workgroups.

struct Params { rows: u32, stride: u32, cols: u32, pad: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> F: array<f32>;
@group(0) @binding(2) var<storage, read_write> norms: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let r = wgLinear(wid, nwg) * 64u + tid;
  if (r >= P.rows) { return; }
  var s = 0.0;
  for (var c = 0u; c < P.cols; c++) {
    let v = F_at(r * P.stride + c);
    s += v * v;
  }
  norms[r] = sqrt(s);
}
