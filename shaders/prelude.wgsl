// Helpers every compute shader may use. GpuContext.pipeline (src/gpu/context.ts) prepends this file
// to each shader it compiles, so they are written once.

// The linear index of this workgroup in a dispatch spread over x and y (GpuContext.dispatch splits
// a long 1-D grid into rows of at most maxComputeWorkgroupsPerDimension workgroups).
fn wgLinear(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

