// Subgroup normal-equation build (the 'subgroups' device feature): four lanes of one subgroup sum
// one row's system A = sum w y y^T (+ base + lambda) and b = sum t y, for systems too large for one
// invocation's registers (src/kernels/normal-eq-subgroup.ts writes the straight-line code per K
// into the /*@...*/ markers, and puts `enable subgroups;` in front). Lane l of a row's quad owns the
// unknowns t = 4c + l (c = 0 .. ceil(K/4) - 1): per rating it loads its own y_t (one scalar load
// per column group, so the quad reads each factor entry once), the quad shares every y_a with a
// subgroup broadcast (a shuffle within the quad where subgroups are wider than 4), and lane l
// accumulates A[a][4c + l] for every row a <= 4c + 3 in named scalars, and b[4c + l]. Entries
// below the diagonal that a lane computes at the triangle's edge are never stored.
// Rows are taken in `order` (longest first), a quad per row: invocations 4s .. 4s + 3 of the
// workgroup, which every implementation we know puts in one subgroup, in lane order. Where that
// does not hold (the quad's lanes disagree on s), the quad stores NaN instead of a wrong system,
// so the solve fails loudly.
// Bindings: 0 params, 1 idx, 2 val, 3 Y, 4 order, 5 base, 6 A, 7 B.
// Dispatch: ceil(rowCount / (WG / 4)) workgroups (folded to 2-D).

// struct Params: shaders/solve_params.wgsl (prepended when loaded)

override WG: u32 = 64u;
override K: u32;
override RANK: u32;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read> val: array<f32>;
@group(0) @binding(3) var<storage, read> Y: array<f32>;
@group(0) @binding(4) var<storage, read> order: array<vec4<u32>>;
@group(0) @binding(5) var<storage, read> base: array<f32>;
@group(0) @binding(6) var<storage, read_write> A: array<f32>;
@group(0) @binding(7) var<storage, read_write> B: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) sg: u32) {
  let lane = sg & 3u;
  let first = sg - lane;
  let slot = lid >> 2u;
  // 0.0, or a quiet NaN (0x7fc00000) when the quad is not four lanes of one subgroup
  let poison = bitcast<f32>(select(0u, 0x7fc00000u, /*@SHARE(slot, 0)*/ != slot || (lid & 3u) != lane));
  let i = wgLinear(wid, nwg) * (WG / 4u) + slot;
  if (i >= P.rowCount) { return; }
  let o = order[P.rowBase + i];
  let r = o.x - P.rowBase;
  let n = o.z;
  // this lane's unknowns 4c + lane (clamped to K - 1 past the end: loaded, never stored)
  /*@COLUMNS*/
  var p = o.y;
  let e = p + n;
  /*@DECLARE*/
  for (; p < e; p++) {
    /*@RATING*/
  }
  let scale = select(1.0, f32(n), P.weighted != 0u);
  if (P.useBase != 0u) {
    /*@ADD_BASE*/
  }
  /*@ADD_LAMBDA*/
  /*@STORE*/
}
