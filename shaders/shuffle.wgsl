// Seeded permutation of the rating list, made on the GPU each epoch (Hogwild SGD's shuffle).
// perm(p) is a 4-round Feistel network on [0, 2^(2*HALF)) (a bijection: every round is invertible),
// restricted to [0, n) by cycle walking (apply again while the result is >= n; the cycle through p
// returns to [0, n), and 2^(2*HALF) < 4n keeps the expected walk under 4 steps). Keys come from the
// seed and the epoch, so the order is reproducible; src/sgd/permutation.ts computes the same map in JS.
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

fn hashMix(x: u32, k: u32) -> u32 {
  var h = x ^ k;
  h = h * 0x9e3779b1u;
  h = h ^ (h >> 15u);
  h = h * 0x85ebca77u;
  h = h ^ (h >> 13u);
  h = h * 0xc2b2ae3du;
  h = h ^ (h >> 16u);
  return h;
}

fn feistel(x: u32) -> u32 {
  var l = x >> P.half;
  var r = x & P.mask;
  for (var rd = 0u; rd < 4u; rd++) {
    let nl = r;
    r = l ^ (hashMix(r, P.keys[rd]) & P.mask);
    l = nl;
  }
  return (l << P.half) | r;
}

fn perm(p: u32) -> u32 {
  var x = feistel(p);
  loop {
    if (x < P.n) { break; }
    x = feistel(x);
  }
  return x;
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
