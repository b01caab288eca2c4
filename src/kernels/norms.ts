/** Host side of shaders/similar_norms.wgsl: row norms of a factor matrix (cosine similarity). */
import type { GpuContext } from '../gpu/context.ts';
import { bindGroupByName, packUniform } from '../gpu/wgsl.ts';
import { similarNormsWgsl } from './model-shaders.ts';
import { windowedKernel } from './factor-windows.ts';

/** Row norms of the first `cols` columns of F (rows x stride), on the device. */
export function computeNorms(gpu: GpuContext, F: GPUBuffer, rows: number, stride: number, cols: number, label: string): GPUBuffer {
  const norms = gpu.storage(label, Math.max(1, rows) * 4);
  const params = gpu.uniform(`${label}.params`, packUniform(similarNormsWgsl, 'P', { rows, stride, cols }));
  try {
    const k = windowedKernel(gpu, 'row norms', similarNormsWgsl, stride, { F });
    const pipe = gpu.pipeline('model.norms', k.code, {}, 'main');
    const enc = gpu.device.createCommandEncoder({ label: `${label}.encoder` });
    const pass = enc.beginComputePass({ label: `${label}.pass` });
    gpu.dispatch(pass, pipe, bindGroupByName(gpu, label, pipe, k.code, { P: params, ...k.bindings, norms }), Math.ceil(rows / 64));
    pass.end();
    gpu.submit(enc);
  } finally {
    params.destroy();
  }
  return norms;
}
