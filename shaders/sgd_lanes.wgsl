// SGD over observed ratings, several lanes (invocations) per rating, updating the factors W (users)
// and H (items) in place (the source's rule plus biases). The one-invocation-per-rating kernel is
// shaders/sgd.wgsl; this one is used with `lanes` > 1 (the default on hardware GPUs):
//   e = a - (mu + w_u . h_i)
//   w <- w + lrU (e h - lambda w),  h <- h + lrI (e w_old - lambda h)          (k < RANK)
//   b_u <- b_u + lrU (e - lambdaBias b_u),  b_i <- b_i + lrI (e - lambdaBias b_i)   (BIAS)
// Factor layout (src/core/layout.ts): rows of STRIDE floats; with BIAS user = [w, b_u, 1],
// item = [h, 1, b_i]. The constant-1 columns are never written.
// ADAGRAD (LIBMF's per-row rule): a row's columns form two groups, the lead [0, LEAD) with the
// biases, and the rest [LEAD, RANK), each with its own accumulator (GU[2u], GU[2u + 1]; the same
// for GI). A group's rate is lr / sqrt(G); after the update G += |group gradient|^2 / K (K = LEAD,
// + 1 with BIAS; RANK - LEAD). P.leadOnly (LIBMF's first epoch) updates only the lead group; the
// dot product always spans every column. Without ADAGRAD, LEAD = RANK and P.leadOnly = 0.
//
// A group of LANES invocations handles one rating: lane l owns columns k = l, l + LANES, ... for
// both the read and the write, so no two lanes ever touch the same factor element. The dot product
// is reduced through workgroup memory in a fixed order: lane sums in column order, then
// ((0 + s_0) + s_1) + ... + s_{LANES-1}; lane 0 adds b_u then b_i to s_0. Lane 0 alone owns the
// biases and the ADAGRAD accumulators. src/reference/sgd-reference.ts sgdUpdateF32 replays exactly this order in f32.
//
// Entry `hogwild` (WG = GROUPS * LANES): group g (of P.groups) walks shuffled positions
//   p = r, r + groups, r + 2 groups, ... (P.run steps) of the packed rating list `rt`
//   (user, item, bitcast value), which shaders/shuffle.wgsl permuted once for the fit; r = runOf(g),
//   a seeded permutation of the groups that changes every epoch.
//   Dispatch: ceil(groups / GROUPS) workgroups.
//   RACES. Groups in different workgroups update the same rows concurrently with plain f32 loads and
//   stores (WGSL has no float atomics). What a race CAN do: lose an update (two groups read the same
//   w, both write, one write wins); tear a vector (a row ends up with some columns from one update
//   and some from another, since lanes store columns independently); use a stale value (a dot product
//   or an ADAGRAD accumulator read while another group is mid-update). Each of these only perturbs a
//   step by an amount bounded by the step itself (staleness is bounded by the number of concurrently
//   running groups touching the row). What a race CANNOT do: produce a NaN or Inf by itself, or a
//   value no invocation computed: every 32-bit aligned store is a single transaction on GPU hardware,
//   so every load returns a whole f32 that some invocation wrote from finite inputs; nothing is
//   written outside the row being updated, and the constant-1 bias columns are never written.
//   Divergence, if any, comes from the learning rate, and the host's loss check catches it.
// Entry `stratified` (WG = LANES, one group): workgroup p runs block (p, (p + S.shift) mod S.b) of the
//   b x b grid, walking its ratings (rt[bstart[blk] .. bstart[blk + 1]]) in their fixed order. The
//   b blocks of a sub-epoch share no user and no item, so there are no races and the result is
//   deterministic. Dispatch: S.b workgroups per sub-epoch, b sub-epochs per epoch.
// Bindings: 0 params, 1 rt, 2 W (users), 3 H (items), 4 GU, 5 GI, 6 bstart, 7 sub-epoch params.

// struct Params, struct Sub, their bindings P and S, and runOf: shaders/sgd_params.wgsl (prepended).

override RANK: u32 = 8u;
override STRIDE: u32 = 8u;
override LANES: u32 = 8u;
override WG: u32 = 64u;
override BIAS: bool = false;
override ADAGRAD: bool = false;
override LEAD: u32 = 8u;

@group(0) @binding(1) var<storage, read> rt: array<u32>;
@group(0) @binding(2) var<storage, read_write> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> H: array<f32>;
@group(0) @binding(4) var<storage, read_write> GU: array<f32>;
@group(0) @binding(5) var<storage, read_write> GI: array<f32>;
@group(0) @binding(6) var<storage, read> bstart: array<u32>;

var<workgroup> dotp: array<f32, WG>;
var<workgroup> sq: array<vec4<f32>, WG>;
var<workgroup> glr: array<vec4<f32>, WG>;
var<workgroup> blkRange: vec2<u32>;

// One rating for one group. Every lane of the workgroup calls this the same number of times
// (barriers inside); `live` is false for padding slots.
fn sgdStep(u: u32, i: u32, a: f32, lane: u32, gb: u32, live: bool) {
  let xu = u * STRIDE;
  let yi = i * STRIDE;
  var s = 0.0;
  if (live) {
    for (var k = lane; k < RANK; k += LANES) { s = s + W_at(xu + k) * H_at(yi + k); }
    if (lane == 0u) {
      if (BIAS) {
        s = s + W_at(xu + RANK);
        s = s + H_at(yi + RANK + 1u);
      }
      if (ADAGRAD) {
        glr[gb] = vec4<f32>(P.lr / sqrt(GU[2u * u]), P.lr / sqrt(GI[2u * i]),
                            P.lr / sqrt(GU[2u * u + 1u]), P.lr / sqrt(GI[2u * i + 1u]));
      }
    }
  }
  dotp[gb + lane] = s;
  workgroupBarrier();
  var tot = 0.0;
  for (var l = 0u; l < LANES; l++) { tot = tot + dotp[gb + l]; }
  var lrs = vec4<f32>(P.lr);
  if (ADAGRAD) { lrs = glr[gb]; }
  workgroupBarrier();
  // (user, item) squared-gradient sums of the lead group in .xy, of the rest in .zw.
  var g2 = vec4<f32>(0.0);
  if (live) {
    let e = a - (P.mu + tot);
    let kEnd = select(RANK, LEAD, P.leadOnly != 0u);
    for (var k = lane; k < kEnd; k += LANES) {
      let w = W_at(xu + k);
      let h = H_at(yi + k);
      let gw = e * h - P.lambda * w;
      let gh = e * w - P.lambda * h;
      if (k < LEAD) {
        W_put(xu + k, w + lrs.x * gw);
        H_put(yi + k, h + lrs.y * gh);
        g2 = vec4<f32>(g2.x + gw * gw, g2.y + gh * gh, g2.zw);
      } else {
        W_put(xu + k, w + lrs.z * gw);
        H_put(yi + k, h + lrs.w * gh);
        g2 = vec4<f32>(g2.xy, g2.z + gw * gw, g2.w + gh * gh);
      }
    }
    if (BIAS && lane == 0u) {
      let bu = W_at(xu + RANK);
      let bi = H_at(yi + RANK + 1u);
      let gbu = e - P.lambdaBias * bu;
      let gbi = e - P.lambdaBias * bi;
      W_put(xu + RANK, bu + lrs.x * gbu);
      H_put(yi + RANK + 1u, bi + lrs.y * gbi);
      g2 = vec4<f32>(g2.x + gbu * gbu, g2.y + gbi * gbi, g2.zw);
    }
  }
  if (ADAGRAD) {
    sq[gb + lane] = g2;
    workgroupBarrier();
    if (live && lane == 0u) {
      var t = vec4<f32>(0.0);
      for (var l = 0u; l < LANES; l++) { t = t + sq[gb + l]; }
      let K0 = f32(select(LEAD, LEAD + 1u, BIAS));
      GU[2u * u] = GU[2u * u] + t.x / K0;
      GI[2u * i] = GI[2u * i] + t.y / K0;
      if (LEAD < RANK && P.leadOnly == 0u) {
        let K1 = f32(RANK - LEAD);
        GU[2u * u + 1u] = GU[2u * u + 1u] + t.z / K1;
        GI[2u * i + 1u] = GI[2u * i + 1u] + t.w / K1;
      }
    }
  }
}

@compute @workgroup_size(WG)
fn hogwild(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let wg = wgLinear(wid, nwg);
  let lane = lid % LANES;
  let gb = lid - lane;
  let g = wg * (WG / LANES) + lid / LANES;
  // this epoch's position of group g among the groups (g itself past the last group: runOf's
  // cycle walk would not end there, and select() evaluates both sides)
  var r = g;
  if (g < P.groups) { r = runOf(g); }
  for (var j = 0u; j < P.run; j++) {
    let p = r + j * P.groups;
    let live = g < P.groups && p < P.n;
    var u = 0u;
    var i = 0u;
    var a = 0.0;
    if (live) {
      u = rt[3u * p];
      i = rt[3u * p + 1u];
      a = bitcast<f32>(rt[3u * p + 2u]);
    }
    sgdStep(u, i, a, lane, gb, live);
  }
}

@compute @workgroup_size(WG)
fn stratified(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let row = wgLinear(wid, nwg);
  if (lid == 0u) {
    var r = vec2<u32>(0u, 0u);
    if (row < S.b) {
      let blk = row * S.b + (row + S.shift) % S.b;
      r = vec2<u32>(bstart[blk], bstart[blk + 1u]);
    }
    blkRange = r;
  }
  let rg = workgroupUniformLoad(&blkRange);
  for (var p = rg.x; p < rg.y; p++) {
    sgdStep(rt[3u * p], rt[3u * p + 1u], bitcast<f32>(rt[3u * p + 2u]), lid, 0u, true);
  }
}

// Entry `runs` (tests): column 0 of row g of W = the first position group g walks this epoch
// (runOf(g); exact in f32 below 2^24 groups). One invocation per group.
@compute @workgroup_size(WG)
fn runs(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wgLinear(wid, nwg) * WG + lid;
  if (g >= P.groups) { return; }
  W_put(g * STRIDE, f32(runOf(g)));
}
