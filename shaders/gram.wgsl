// Gram matrices of tall factor matrices: G = A^T B (COLS x COLS, full), where A = a1 - a2 (if SUB_A) and
// B = b1 - b2 (if SUB_B), rows optionally weighted by w[r] (if WEIGHTED). Used for implicit ALS's
// Y^T Y, for the regularization terms, and for the exact convergence quantity ||W H - W'H'||_F.
// Entry `partials`: the rows [g*CH, (g+1)*CH) of partial g are cut into SUBS runs of CH/SUBS rows;
//   invocation (g, sub, block) sums the 4x4 block (bi, bj) of A^T B over its run, reading its rows
//   straight from global memory (no workgroup memory, no barriers: a software adapter runs
//   invocations that wait at barriers as coroutines), and writes it to part[g*SUBS + sub]
//   (SP x SP floats). With SYM (A = B) only the blocks bi <= bj are summed and `reduce` reads the
//   transposed entry below them. Dispatch: ceil(parts * SUBS * blocks / WG) workgroups.
// Entry `reduce`: one thread per entry of G sums the parts * SUBS partials into G[slot] (COLS x COLS slots of the
//   `G` buffer). Dispatch: ceil(COLS*COLS / WG) workgroups.
// Entry `traces`: one workgroup computes out[outSlot] = sum_ij G0[i][j] G1[j][i]
//   (+ 2 G2[i][j] G3[j][i] + G4[i][j] G5[j][i] when TERMS == 3) over the Grams packed in `grams`
//   (the convergence identity; with TERMS == 1, tr(X^T X Y^T Y) for the implicit loss).
// Entry `diag`: out[outSlot + i] = grams[slot][i][i]. Dispatch: 1 workgroup.
// Entry `diagPartials` (the regularization terms, which read only the diagonal): invocation
//   (g, c) sums A[r][4c..4c+3] * B[r][4c..4c+3] over the rows of partial g, in the row order of
//   `partials`, into the diagonal entries of part[g]; no workgroup memory, no barriers (a small WG
//   spreads the few invocations over a software adapter's threads). Dispatch: ceil(parts COLS4 / WG),
//   with SUBS = 1 (here and in its `reduce`).
//   `reduce` with DIAG_ONLY then writes only G's diagonal.
// Bindings: 0 params, 1 a1, 2 a2, 3 b1, 4 b2, 5 w, 6 part (partials); 0 params, 6 part, 7 G
//           (reduce); 0 params, 8 grams, 9 out (traces, diag).

// A factor matrix over one storage binding is bound in windows of whole rows (src/kernels/factor-windows.ts),
// one `partials` dispatch per window: rows r of the window are rows rowBase + r of the matrix (the
// weights w are indexed by those), and its partial g is partial partBase + g of the matrix. Windows hold a
// multiple of CH rows, so the partials are the ones a single dispatch would write.
struct Params { n: u32, stride: u32, parts: u32, slot: u32, outSlot: u32, rowBase: u32, partBase: u32, _p2: u32 }

override WG: u32 = 128u;
override COLS: u32 = 8u;          // columns (the factor stride)
override CH: u32 = 1024u;      // rows per partial
override SUBS: u32 = 1u;       // runs per partial, each summed into a slot of part of its own (a power of two dividing CH)
override SUB_A: bool = false;
override SUB_B: bool = false;
override WEIGHTED: bool = false;
override SYM: bool = false;       // A and B are the same operand: G is symmetric, only its upper blocks are summed
override DIAG_ONLY: bool = false;
override TERMS: u32 = 3u;
override COLS4: u32 = (COLS + 3u) / 4u;
override SP: u32 = COLS4 * 4u;
override NBLK: u32 = COLS4 * COLS4;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a1: array<f32>;
@group(0) @binding(2) var<storage, read> a2: array<f32>;
@group(0) @binding(3) var<storage, read> b1: array<f32>;
@group(0) @binding(4) var<storage, read> b2: array<f32>;
@group(0) @binding(5) var<storage, read> w: array<u32>;
@group(0) @binding(6) var<storage, read_write> part: array<f32>;
@group(0) @binding(7) var<storage, read_write> G: array<f32>;
@group(0) @binding(8) var<storage, read> grams: array<f32>;
@group(0) @binding(9) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, WG>;

fn loadA(r: u32, c: u32) -> f32 {
  if (c >= COLS) { return 0.0; }
  var v = a1[r * P.stride + c];
  if (SUB_A) { v -= a2[r * P.stride + c]; }
  if (WEIGHTED) { v *= f32(w[P.rowBase + r]); }
  return v;
}
fn loadB(r: u32, c: u32) -> f32 {
  if (c >= COLS) { return 0.0; }
  var v = b1[r * P.stride + c];
  if (SUB_B) { v -= b2[r * P.stride + c]; }
  return v;
}

@compute @workgroup_size(WG)
fn partials(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) tid: u32) {
  let e = wgLinear(wid, nwg) * WG + tid;
  let nb = select(NBLK, COLS4 * (COLS4 + 1u) / 2u, SYM);
  let blk = e % nb;
  let q = e / nb;
  let sub = q % SUBS;
  let g = q / SUBS;
  if (g >= P.parts) { return; }
  var bi = blk / COLS4;
  var bj = blk % COLS4;
  if (SYM) {
    // the upper triangle of blocks, row by row (block row bi holds COLS4 - bi blocks)
    bi = 0u;
    bj = blk;
    loop {
      if (bj < COLS4 - bi) { break; }
      bj -= COLS4 - bi;
      bi++;
    }
    bj += bi;
  }
  let ca = bi * 4u;
  let cb = bj * 4u;
  let len = CH / SUBS;
  let r0 = g * CH + sub * len;
  let r1 = min(r0 + len, P.n);
  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var r = r0; r < r1; r++) {
    let a = vec4<f32>(loadA(r, ca), loadA(r, ca + 1u), loadA(r, ca + 2u), loadA(r, ca + 3u));
    let b = vec4<f32>(loadB(r, cb), loadB(r, cb + 1u), loadB(r, cb + 2u), loadB(r, cb + 3u));
    c0 = fma(vec4<f32>(a.x), b, c0);
    c1 = fma(vec4<f32>(a.y), b, c1);
    c2 = fma(vec4<f32>(a.z), b, c2);
    c3 = fma(vec4<f32>(a.w), b, c3);
  }
  let o = ((P.partBase + g) * SUBS + sub) * SP * SP + ca * SP + cb;
  part[o] = c0.x; part[o + 1u] = c0.y; part[o + 2u] = c0.z; part[o + 3u] = c0.w;
  part[o + SP] = c1.x; part[o + SP + 1u] = c1.y; part[o + SP + 2u] = c1.z; part[o + SP + 3u] = c1.w;
  part[o + 2u * SP] = c2.x; part[o + 2u * SP + 1u] = c2.y; part[o + 2u * SP + 2u] = c2.z; part[o + 2u * SP + 3u] = c2.w;
  part[o + 3u * SP] = c3.x; part[o + 3u * SP + 1u] = c3.y; part[o + 3u * SP + 2u] = c3.z; part[o + 3u * SP + 3u] = c3.w;
}

@compute @workgroup_size(WG)
fn diagPartials(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) tid: u32) {
  let e = wgLinear(wid, nwg) * WG + tid;
  let g = e / COLS4;
  if (g >= P.parts) { return; }
  let q = (e % COLS4) * 4u;
  let r0 = g * CH;
  let r1 = min(r0 + CH, P.n);
  var acc = vec4<f32>(0.0);
  for (var r = r0; r < r1; r++) {
    let a = vec4<f32>(loadA(r, q), loadA(r, q + 1u), loadA(r, q + 2u), loadA(r, q + 3u));
    let b = vec4<f32>(loadB(r, q), loadB(r, q + 1u), loadB(r, q + 2u), loadB(r, q + 3u));
    acc += a * b;
  }
  let o = (P.partBase + g) * SUBS * SP * SP + q * SP + q;
  part[o] = acc.x;
  part[o + SP + 1u] = acc.y;
  part[o + 2u * SP + 2u] = acc.z;
  part[o + 3u * SP + 3u] = acc.w;
}

@compute @workgroup_size(WG)
fn reduce(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x;
  if (e >= COLS * COLS) { return; }
  let i = e / COLS;
  let j = e % COLS;
  if (DIAG_ONLY && i != j) { return; }
  // (SYM: only blocks on or above the diagonal were written; G is symmetric)
  let low = SYM && i / 4u > j / 4u;
  let at = select(i * SP + j, j * SP + i, low);
  var s = 0.0;
  for (var g = 0u; g < P.parts * SUBS; g++) { s += part[g * SP * SP + at]; }
  G[P.slot * COLS * COLS + e] = s;
}

@compute @workgroup_size(WG)
fn traces(@builtin(local_invocation_index) tid: u32) {
  let CC = COLS * COLS;
  var acc = 0.0;
  for (var e = tid; e < CC; e += WG) {
    let i = e / COLS;
    let j = e % COLS;
    let t = j * COLS + i;
    acc += grams[e] * grams[CC + t];
    if (TERMS == 3u) {
      acc += 2.0 * grams[2u * CC + e] * grams[3u * CC + t] + grams[4u * CC + e] * grams[5u * CC + t];
    }
  }
  red[tid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (tid < s) { red[tid] += red[tid + s]; }
    workgroupBarrier();
  }
  if (tid == 0u) { out[P.outSlot] = red[0]; }
}

@compute @workgroup_size(WG)
fn diag(@builtin(local_invocation_index) tid: u32) {
  for (var i = tid; i < COLS; i += WG) { out[P.outSlot + i] = grams[P.slot * COLS * COLS + i * COLS + i]; }
}
