// Scores a batch of query rows against candidate rows as one tiled matrix product:
//   S[b, c] = mu + Q[rowIdx[b]] . Y[col(c)]                   (mode 0, dot: predictions)
//   S[b, c] = Q[rowIdx[b]] . Y[col(c)] / (qn[rowIdx[b]] yn[col(c)])   (mode 1, cosine; 0 when a norm is 0)
// over the first `cols` columns of rows of `stride` floats, where col(c) = cand[c] when useCand, else c.
// Entry `score`: workgroup (16, 16) computes a 64 x 64 tile of S (4 x 4 per thread), staging
//   64 x 16 slices of both operands in workgroup memory (consecutive threads read consecutive floats).
//   Dispatch: ceil(B / 64) * ceil(nCols / 64) workgroups (linearized, folded 2-D by the host).
// Entry `direct`: the same scores, one thread per four consecutive entries of a row of S (each
//   query element loaded once for four candidates), no workgroup memory and no barriers (for
//   software adapters, where barriers cost more than the staging saves, and for a batch of a few
//   rows, where a 64-row tile would be mostly empty). Consecutive threads take consecutive quads.
//   Dispatch: ceil(B * ceil(nCols / 4) / 64) workgroups of 64.
// Entry `mask`: one workgroup per batch row b sets S[b, col] = MASK for every item in
//   maskIdx[maskPtr[b] .. maskPtr[b+1]) (seen / excluded items; with candidates, found by binary
//   search in the ascending `cand`). Dispatch: B workgroups.
// Bindings: 0 params, 1 Q, 2 Y, 3 rowIdx, 4 cand, 5 qn, 6 yn, 7 S, 8 maskPtr, 9 maskIdx.
// Both score entries accumulate over columns in the same order with fma, so they give bit-identical scores.

struct Params {
  rows: u32, nCols: u32, stride: u32, cols: u32,
  mu: f32, useCand: u32, mode: u32, tilesC: u32,
}

override MASK: f32; // MASK_SCORE in src/kernels/constants.ts
const TILE: u32 = 64u;
const KT: u32 = 16u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> rowIdx: array<u32>;
@group(0) @binding(4) var<storage, read> cand: array<u32>;
@group(0) @binding(5) var<storage, read> qn: array<f32>;
@group(0) @binding(6) var<storage, read> yn: array<f32>;
@group(0) @binding(7) var<storage, read_write> S: array<f32>;
@group(0) @binding(8) var<storage, read> maskPtr: array<u32>;
@group(0) @binding(9) var<storage, read> maskIdx: array<u32>;

// +1 padding: threads of a row read Ys[tx + 16 j][kk] without bank conflicts.
var<workgroup> Qs: array<array<f32, 17>, 64>;
var<workgroup> Ys: array<array<f32, 17>, 64>;

fn colItem(c: u32) -> u32 {
  if (P.useCand != 0u) { return cand[c]; }
  return c;
}

@compute @workgroup_size(16, 16)
fn score(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let w = wgLinear(wid, nwg);
  let tilesR = (P.rows + TILE - 1u) / TILE;
  if (w >= tilesR * P.tilesC) { return; }
  let r0 = (w / P.tilesC) * TILE;
  let c0 = (w % P.tilesC) * TILE;
  // accumulators: acc[i] holds users lid.y + 16 i against items lid.x + 16 j in lane j
  // (vec4 registers, no dynamically indexed private arrays)
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < P.cols; k0 += KT) {
    for (var q = 0u; q < 4u; q++) {
      let e = tid + q * 256u;
      let r = e / KT;
      let c = e % KT;
      var qv = 0.0;
      var yv = 0.0;
      if (k0 + c < P.cols) {
        if (r0 + r < P.rows) { qv = Q_at(rowIdx[r0 + r] * P.stride + k0 + c); }
        if (c0 + r < P.nCols) { yv = Y_at(colItem(c0 + r) * P.stride + k0 + c); }
      }
      Qs[r][c] = qv;
      Ys[r][c] = yv;
    }
    workgroupBarrier();
    let kn = min(KT, P.cols - k0);
    for (var kk = 0u; kk < kn; kk++) {
      let yk = vec4<f32>(Ys[lid.x][kk], Ys[lid.x + 16u][kk], Ys[lid.x + 32u][kk], Ys[lid.x + 48u][kk]);
      acc0 = fma(vec4<f32>(Qs[lid.y][kk]), yk, acc0);
      acc1 = fma(vec4<f32>(Qs[lid.y + 16u][kk]), yk, acc1);
      acc2 = fma(vec4<f32>(Qs[lid.y + 32u][kk]), yk, acc2);
      acc3 = fma(vec4<f32>(Qs[lid.y + 48u][kk]), yk, acc3);
    }
    workgroupBarrier();
  }
  let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let r = r0 + lid.y + 16u * i;
    if (r >= P.rows) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = c0 + lid.x + 16u * j;
      if (c >= P.nCols) { continue; }
      S[r * P.nCols + c] = finish(r, c, accs[i][j]);
    }
  }
}

fn finish(r: u32, c: u32, acc: f32) -> f32 {
  if (P.mode == 1u) {
    let d = qn[rowIdx[r]] * yn[colItem(c)];
    return select(0.0, acc / d, d > 0.0);
  }
  return acc + P.mu;
}

@compute @workgroup_size(64)
fn direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) tid: u32) {
  let g = wgLinear(wid, nwg) * 64u + tid;
  let quads = (P.nCols + 3u) / 4u;
  if (g >= P.rows * quads) { return; }
  let r = g / quads;
  let c = (g % quads) * 4u;
  let qb = rowIdx[r] * P.stride;
  // four consecutive columns share each load of the query row; past the last column the last
  // candidate is scored again (its score is not stored)
  let last = P.nCols - 1u;
  let yb = colItem(c) * P.stride;
  let yb1 = colItem(min(c + 1u, last)) * P.stride;
  let yb2 = colItem(min(c + 2u, last)) * P.stride;
  let yb3 = colItem(min(c + 3u, last)) * P.stride;
  var acc = vec4<f32>(0.0);
  for (var k = 0u; k < P.cols; k++) {
    acc = fma(vec4<f32>(Q_at(qb + k)), vec4<f32>(Y_at(yb + k), Y_at(yb1 + k), Y_at(yb2 + k), Y_at(yb3 + k)), acc);
  }
  let o = r * P.nCols + c;
  S[o] = finish(r, c, acc.x);
  if (c + 1u < P.nCols) { S[o + 1u] = finish(r, c + 1u, acc.y); }
  if (c + 2u < P.nCols) { S[o + 2u] = finish(r, c + 2u, acc.z); }
  if (c + 3u < P.nCols) { S[o + 3u] = finish(r, c + 3u, acc.w); }
}

// Position of `item` in the ascending candidate list, or nCols when absent.
fn candPos(item: u32) -> u32 {
  if (P.useCand == 0u) { return select(P.nCols, item, item < P.nCols); }
  var lo = 0u;
  var hi = P.nCols;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (cand[mid] < item) { lo = mid + 1u; } else { hi = mid; }
  }
  if (lo < P.nCols && cand[lo] == item) { return lo; }
  return P.nCols;
}

@compute @workgroup_size(64)
fn mask(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
  let b = wgLinear(wid, nwg);
  if (b >= P.rows) { return; }
  for (var p = maskPtr[b] + tid; p < maskPtr[b + 1u]; p += 64u) {
    let c = candPos(maskIdx[p]);
    if (c < P.nCols) { S[b * P.nCols + c] = MASK; }
  }
}
