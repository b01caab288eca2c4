// Register-resident normal-equation build for software adapters (SwiftShader, WARP, llvmpipe), with
// the Cholesky solve fused in when the whole system fits one invocation. One invocation per row
// (rows taken in `order`, longest first, so the lanes of one SIMD group finish together) owns a
// band of rows [A0, A1) of the upper triangle of A = sum w y y^T (+ base + lambda) and of b, held in
// named scalars: src/kernels/normal-eq-rows.ts writes the straight-line code per (K, band, mode)
// into the /*@...*/ markers (WGSL has no way to unroll a loop into named variables; an array
// indexed at run time becomes memory traffic on these adapters). Per rating: one load per column
// the band touches, then one fma() per accumulator; two ratings per loop pass when the system fits
// one invocation, one in the bands.
// Modes: 'build' writes the band's rows of A (upper triangle, row-major K x K) and b; 'solve'
// (one band, A0 = 0, A1 = K) factors A = U^T U in registers with the pivot rule of
// cholesky_direct.wgsl, solves, writes U to A, x to B and to the row's factor slots (zero factors
// and the status words for a failed pivot; zero factors for a row without ratings).
// Bindings: 0 params, 1 idx, 2 val, 3 Y, 4 order, 5 base, 6 A, 7 B ('solve' adds 8 X, 9 status). Dispatch: ceil(rowCount / WG) workgroups (folded to 2-D).

// struct Params: shaders/solve_params.wgsl (prepended when loaded)

override WG: u32 = 64u;
override K: u32;
override RANK: u32;
const PIV_TOL: f32 = 1e-5;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read> val: array<f32>;
@group(0) @binding(3) var<storage, read> Y: array</*@Y_TYPE*/>;
// (row, first rating, rating count, 0) per row of the batch, longest first: one binding instead of
// three, so the fused kernel stays within the 10 storage buffers a default device allows
@group(0) @binding(4) var<storage, read> order: array<vec4<u32>>;
@group(0) @binding(5) var<storage, read> base: array<f32>;
@group(0) @binding(6) var<storage, read_write> A: array<f32>;
@group(0) @binding(7) var<storage, read_write> B: array<f32>;
/*@SOLVE_BINDINGS*/

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = wgLinear(wid, nwg) * WG + lid;
  if (i >= P.rowCount) { return; }
  let o = order[P.rowBase + i];
  let row = o.x;
  let r = row - P.rowBase;
  let n = o.z;
  /*@EMPTY_ROW*/
  var p = o.y;
  let e = p + n;
  /*@DECLARE*/
  for (; p + /*@STEP*/ - 1u < e; p += /*@STEP*/) {
    /*@RATING(p)*/
    /*@RATING(p + 1u)*/
  }
  if (p < e) {
    /*@RATING(p)*/
  }
  let scale = select(1.0, f32(n), P.weighted != 0u);
  if (P.useBase != 0u) {
    /*@ADD_BASE*/
  }
  /*@ADD_LAMBDA*/
  /*@FINISH*/
}
