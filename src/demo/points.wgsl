// Point sprites for the demo's PCA map of item factors.
// Computes: one screen-facing disc per item (instanced quad, 6 vertices per instance), placed by
// the camera's view-projection matrix (built with wgpu-matrix on the host), size in pixels.
// Bindings: group 0 binding 0 = uniform Params.
// Vertex buffers: slot 0 (per instance) = position vec3f, colour rgb + size scale vec4f.
// Draw: draw(6, nPoints); blending premultiplied alpha, no depth test.
struct Params {
  viewProj: mat4x4f,
  // pixels -> clip units (2 / width, 2 / height)
  pixel: vec2f,
  // base point radius in pixels
  radius: f32,
  // instance to highlight (hover), or 0xffffffff
  hover: u32,
};
@group(0) @binding(0) var<uniform> P: Params;

struct VOut {
  @builtin(position) pos: vec4f,
  @location(0) color: vec3f,
  @location(1) uv: vec2f,
  @location(2) @interpolate(flat) hot: u32,
};

@vertex fn vs(@builtin(vertex_index) vi: u32, @builtin(instance_index) ii: u32, @location(0) p: vec3f, @location(1) c: vec4f) -> VOut {
  var corners = array<vec2f, 6>(vec2f(-1, -1), vec2f(1, -1), vec2f(-1, 1), vec2f(-1, 1), vec2f(1, -1), vec2f(1, 1));
  let q = corners[vi];
  let hot = select(0u, 1u, ii == P.hover);
  let r = P.radius * c.w * select(1.0, 2.2, hot == 1u);
  var clip = P.viewProj * vec4f(p, 1.0);
  clip = vec4f(clip.xy + q * r * P.pixel * clip.w, clip.zw);
  var o: VOut;
  o.pos = clip;
  o.color = select(c.rgb, vec3f(1.0, 1.0, 1.0), hot == 1u);
  o.uv = q;
  o.hot = hot;
  return o;
}

@fragment fn fs(v: VOut) -> @location(0) vec4f {
  let d = dot(v.uv, v.uv);
  if (d > 1.0) {
    discard;
  }
  let a = select(0.82, 1.0, v.hot == 1u) * (1.0 - smoothstep(0.7, 1.0, d));
  return vec4f(v.color * a, a);
}
