// Seeded permutation of the rating list, made on the GPU once per fit (Hogwild SGD's shuffle).
// perm(p) is shaders/feistel.wgsl's bijection of [0, n) (prepended by the host) under this pass's keys,
// which come from the seed, so the order is reproducible; src/core/sgd-plan.ts computes it in JS.
// Entry `gather`: out[p] = src[perm(p)] for packed ratings (3 words each: user, item, bitcast value).
// Entry `indices`: idx[p] = perm(p) (for tests).
// Bindings: 0 params, 1 src (packed ratings), 2 out (packed ratings), 3 idx.
// Dispatch: ceil(n / WG) workgroups (folded to 2-D by the host; ids >= n return).

struct Params { n: u32, half: u32, mask: u32, _pad: u32, keys: vec4<u32> }

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@group(0) @binding(3) var<storage, read_write> idx: array<u32>;

fn perm(p: u32) -> u32 {
  return feistelPerm(p, P.n, P.half, P.mask, P.keys);
}

fn linear(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return wgLinear(wid, nwg) * WG + lid;
}

@compute @workgroup_size(WG)
fn gather(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let p = linear(wid, nwg, lid);
  if (p >= P.n) { return; }
  let k = perm(p);
  dst[3u * p] = src[3u * k];
  dst[3u * p + 1u] = src[3u * k + 1u];
  dst[3u * p + 2u] = src[3u * k + 2u];
}

@compute @workgroup_size(WG)
fn indices(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let p = linear(wid, nwg, lid);
  if (p >= P.n) { return; }
  idx[p] = perm(p);
}
