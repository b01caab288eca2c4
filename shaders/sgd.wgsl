// SGD over observed ratings, one invocation per rating, updating the factors W (users) and H
// (items) in place (the source's rule plus biases):
//   e = a - (mu + w_u . h_i)
//   w <- w + lrU (e h - lambda w),  h <- h + lrI (e w_old - lambda h)                  (c < RANK)
//   b_u <- b_u + lrU (e - lambdaBias b_u),  b_i <- b_i + lrI (e - lambdaBias b_i)        (BIAS)
// Factor layout (src/core/layout.ts): rows of STRIDE floats; with BIAS user = [w, b_u, 1],
// item = [h, 1, b_i]. The constant-1 columns are never written.
// ADAGRAD (LIBMF's per-row rule): a row's columns form two groups, the lead [0, LEAD) with the
// biases, and the rest [LEAD, RANK), each with its own accumulator (GU[u] = (lead, rest); the same
// for GI). A group's rate is lr / sqrt(G); after the update G += |group gradient|^2 / K (K = LEAD,
// + 1 with BIAS; RANK - LEAD). P.leadOnly (LIBMF's first epoch) updates only the lead group; the
// dot product always spans every column. Without ADAGRAD, LEAD = RANK and P.leadOnly = 0.
//
// The row accessors are prepended by the host (src/kernels/sgd.ts rowPrelude): W and H are bound as
// arrays of vec4 (STRIDE % 4 == 0), vec2 (STRIDE even) or f32, and loadW/storeW (loadH/storeH) move
// slot j = columns [4j, 4j + 4) of a row as one vec4 (columns >= STRIDE read as 0, never written).
// A row is NV = ceil(STRIDE / 4) slots, held in private arrays between the dot product and the
// update, so each factor element is loaded once and stored once per rating.
// Arithmetic order (src/reference/sgd-reference.ts sgdUpdateF32Fused replays it in f32): the dot
// product is one fma chain over the columns in order (the bias columns multiply the other side's
// constant 1, so they add b_u then b_i exactly); per column gw = fma(e, h, -(lambda w)),
// w' = fma(rate, gw, w); the squared-gradient sums add gw * gw column by column.
//
// Entry `hogwild` (WG invocations per workgroup): invocation t walks the positions
//   [r * P.run, min(n, (r + 1) * P.run)) of the packed rating list `rt` (user, item, bitcast value),
//   which shaders/shuffle.wgsl permuted once for the fit, four ratings (three vec4 loads) at a time;
//   r = runOf(t), a seeded permutation of the runs that changes every epoch (LIBMF likewise shuffles
//   once and draws its blocks in a new random order each iteration);
//   P.run is a multiple of 4 and rt holds at least ceil(3n / 4) vec4. P.groups = ceil(n / P.run)
//   invocations. Dispatch: ceil(P.groups / WG) workgroups (2-D folded).
//   RACES. Invocations update the same rows concurrently with plain f32 loads and stores (WGSL has
//   no float atomics). What a race CAN do: lose an update (two invocations read the same w, both
//   write, one write wins); tear a vector (a row ends up with some slots from one update and some
//   from another); use a stale value (a dot product or an ADAGRAD accumulator read while another
//   invocation is mid-update). Each of these only perturbs a step by an amount bounded by the step
//   itself (staleness is bounded by the number of concurrently running invocations touching the
//   row). What a race CANNOT do: produce a NaN or Inf by itself, or a value no invocation computed:
//   every aligned 32-bit word of a store is written whole, so every load returns, per float, a value
//   some invocation wrote from finite inputs; nothing is written outside the row being updated, and
//   the constant-1 bias columns are stored back unchanged (select keeps the loaded 1).
//   Divergence, if any, comes from the learning rate, and the host's loss check catches it.
// Entry `stratified` (WG invocations per workgroup): invocation r runs block (r, (r + S.shift) mod
//   S.b) of the b x b grid, walking its ratings (rt words 3p.., p in [bstart[blk], bstart[blk + 1]))
//   in their fixed order. The b blocks of a sub-epoch share no user and no item, so there are no
//   races and the result is deterministic. Dispatch: ceil(S.b / WG) workgroups per sub-epoch, b
//   sub-epochs per epoch.
// Bindings: 0 params, 1 rt (as vec4<u32>), 2 W (users), 3 H (items), 4 GU, 5 GI (vec2 per row),
//   6 bstart, 7 sub-epoch params.

// struct Params, struct Sub, their bindings P and S, and runOf: shaders/sgd_params.wgsl (prepended).

override RANK: u32 = 8u;
override WG: u32 = 64u;
override BIAS: bool = false;
override ADAGRAD: bool = false;
override LEAD: u32 = 8u;

@group(0) @binding(1) var<storage, read> rt: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> GU: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> GI: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read> bstart: array<u32>;

// One rating (user u, item i, value a), slot by slot in a loop: the form for long rows. Rows of up
// to UNROLL_SLOTS slots run `rate` from the prelude instead, the same steps unrolled with the
// column masks resolved on the host (src/kernels/sgd.ts unrolledRate).
fn rateLoop(u: u32, i: u32, a: f32) {
  var s = 0.0;
  for (var j = 0u; j < NV; j++) {
    let wj = loadW(u, j);
    let hj = loadH(i, j);
    s = fma(wj.x, hj.x, s);
    s = fma(wj.y, hj.y, s);
    s = fma(wj.z, hj.z, s);
    s = fma(wj.w, hj.w, s);
  }
  let e = a - (P.mu + s);
  let ev = vec4<f32>(e);
  // (lead, rest) rates of the user row and of the item row
  var ru = vec2<f32>(P.lr);
  var ri = vec2<f32>(P.lr);
  var gu = vec2<f32>(0.0);
  var gi = vec2<f32>(0.0);
  if (ADAGRAD) {
    gu = GU[u];
    gi = GI[i];
    ru = vec2<f32>(P.lr / sqrt(gu.x), P.lr / sqrt(gu.y));
    ri = vec2<f32>(P.lr / sqrt(gi.x), P.lr / sqrt(gi.y));
  }
  let leadOnly = P.leadOnly != 0u;
  // squared-gradient sums (lead, rest) of the user row and of the item row
  var tu = vec2<f32>(0.0);
  var ti = vec2<f32>(0.0);
  for (var j = 0u; j < NV; j++) {
    let c = vec4<u32>(4u * j) + vec4<u32>(0u, 1u, 2u, 3u);
    let fac = c < vec4<u32>(RANK);
    // lead group: the first LEAD columns and the bias columns
    let lead = (c < vec4<u32>(LEAD)) | !fac;
    let on = lead | vec4<bool>(!leadOnly);
    let inRow = c < vec4<u32>(STRIDE);
    let updU = (fac | (c == vec4<u32>(RANK))) & on & inRow;
    let updI = (fac | (c == vec4<u32>(RANK + 1u))) & on & inRow;
    let lam = select(vec4<f32>(P.lambdaBias), vec4<f32>(P.lambda), fac);
    let wj = loadW(u, j);
    let hj = loadH(i, j);
    let gw = fma(ev, hj, -(lam * wj));
    let gh = fma(ev, wj, -(lam * hj));
    let rw = select(vec4<f32>(ru.y), vec4<f32>(ru.x), lead);
    let rh = select(vec4<f32>(ri.y), vec4<f32>(ri.x), lead);
    storeW(u, j, select(wj, fma(rw, gw, wj), updU));
    storeH(i, j, select(hj, fma(rh, gh, hj), updI));
    if (ADAGRAD) {
      let qw = select(vec4<f32>(0.0), gw * gw, updU);
      let qh = select(vec4<f32>(0.0), gh * gh, updI);
      // column by column, into the lead or the rest sum (adding 0 elsewhere is exact)
      tu = tu + select(vec2<f32>(0.0, qw.x), vec2<f32>(qw.x, 0.0), lead.x);
      tu = tu + select(vec2<f32>(0.0, qw.y), vec2<f32>(qw.y, 0.0), lead.y);
      tu = tu + select(vec2<f32>(0.0, qw.z), vec2<f32>(qw.z, 0.0), lead.z);
      tu = tu + select(vec2<f32>(0.0, qw.w), vec2<f32>(qw.w, 0.0), lead.w);
      ti = ti + select(vec2<f32>(0.0, qh.x), vec2<f32>(qh.x, 0.0), lead.x);
      ti = ti + select(vec2<f32>(0.0, qh.y), vec2<f32>(qh.y, 0.0), lead.y);
      ti = ti + select(vec2<f32>(0.0, qh.z), vec2<f32>(qh.z, 0.0), lead.z);
      ti = ti + select(vec2<f32>(0.0, qh.w), vec2<f32>(qh.w, 0.0), lead.w);
    }
  }
  if (ADAGRAD) {
    let K0 = f32(select(LEAD, LEAD + 1u, BIAS));
    let rest = LEAD < RANK && !leadOnly;
    let K1 = f32(max(RANK - LEAD, 1u));
    GU[u] = vec2<f32>(gu.x + tu.x / K0, select(gu.y, gu.y + tu.y / K1, rest));
    GI[i] = vec2<f32>(gi.x + ti.x / K0, select(gi.y, gi.y + ti.y / K1, rest));
  }
}

@compute @workgroup_size(WG)
fn hogwild(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let t = wgLinear(wid, nwg) * WG + lid;
  if (t >= P.groups) { return; }
  let p0 = runOf(t) * P.run;
  let p1 = min(P.n, p0 + P.run);
  for (var q = p0; q < p1; q += 4u) {
    // ratings q .. q + 3 are words 3q .. 3q + 11: three vec4 from word 3q (q % 4 == 0)
    let b = (q / 4u) * 3u;
    let v0 = rt[b];
    let v1 = rt[b + 1u];
    let v2 = rt[b + 2u];
    rate(v0.x, v0.y, bitcast<f32>(v0.z));
    if (q + 1u < p1) { rate(v0.w, v1.x, bitcast<f32>(v1.y)); }
    if (q + 2u < p1) { rate(v1.z, v1.w, bitcast<f32>(v2.x)); }
    if (q + 3u < p1) { rate(v2.y, v2.z, bitcast<f32>(v2.w)); }
  }
}

fn word(k: u32) -> u32 {
  return rt[k / 4u][k % 4u];
}

@compute @workgroup_size(WG)
fn stratified(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let r = wgLinear(wid, nwg) * WG + lid;
  if (r >= S.b) { return; }
  let blk = r * S.b + (r + S.shift) % S.b;
  let end = bstart[blk + 1u];
  for (var p = bstart[blk]; p < end; p++) {
    rate(word(3u * p), word(3u * p + 1u), bitcast<f32>(word(3u * p + 2u)));
  }
}

// Entry `runs` (tests): column 0 of row t of W = runOf(t), the run invocation t walks this epoch
// (exact in f32 below 2^24 runs).
@compute @workgroup_size(WG)
fn runs(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = wgLinear(wid, nwg) * WG + lid;
  if (t >= P.groups) { return; }
  storeW(t, 0u, vec4<f32>(f32(runOf(t))));
}
