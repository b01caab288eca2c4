// Seeded bijections of [0, n) (prepended by the host to shaders/shuffle.wgsl and to the SGD kernels,
// src/kernels/shaders.ts): a 4-round Feistel network on [0, 2^(2*half)) (every round is invertible),
// restricted to [0, n) by cycle walking (apply again while the result is >= n; the cycle through p
// returns to [0, n), and 2^(2*half) < 4n keeps the expected walk under 4 steps). src/core/sgd-plan.ts
// (feistelPermutation) computes the same map in JS; the host derives the keys from a seed and an epoch.

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

fn feistel(x: u32, half: u32, mask: u32, keys: vec4<u32>) -> u32 {
  var l = x >> half;
  var r = x & mask;
  for (var rd = 0u; rd < 4u; rd++) {
    let nl = r;
    r = l ^ (hashMix(r, keys[rd]) & mask);
    l = nl;
  }
  return (l << half) | r;
}

// p must be below n (<= 2^(2*half)): from outside the domain the walk need not come back.
fn feistelPerm(p: u32, n: u32, half: u32, mask: u32, keys: vec4<u32>) -> u32 {
  var x = feistel(p, half, mask, keys);
  loop {
    if (x < n) { break; }
    x = feistel(x, half, mask, keys);
  }
  return x;
}
