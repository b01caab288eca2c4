/** Host side of shaders/score_pairs.wgsl: batched predictions for (user, item) pairs. */
import type { GpuContext } from '../gpu/context.ts';
import { bindGroupByName, packUniform } from '../gpu/wgsl.ts';
import { scorePairsWgsl } from './model-shaders.ts';
import { Scratch } from './scratch.ts';
import { windowedKernel } from './factor-windows.ts';

/** Batched predictions for (user, item) pairs on the device. */
export async function predictPairs(
  gpu: GpuContext,
  W: GPUBuffer,
  H: GPUBuffer,
  stride: number,
  mu: number,
  users: Uint32Array,
  items: Uint32Array,
  clip?: [number, number],
): Promise<Float32Array> {
  const n = users.length;
  const res = new Float32Array(n);
  if (n === 0) return res;
  const k = windowedKernel(gpu, 'batched predict', scorePairsWgsl, stride, { W, H });
  const pipe = gpu.pipeline('model.pairs', k.code, {}, 'main');
  const batch = Math.max(1, Math.floor(Math.min(gpu.limits.maxStorageBufferBindingSize, 32 * 1024 * 1024) / 4));
  for (let b0 = 0; b0 < n; b0 += batch) {
    const b1 = Math.min(n, b0 + batch);
    const s = new Scratch(gpu, 'model.pairs');
    try {
      const P = s.uniform('params', packUniform(scorePairsWgsl, 'P', { n: b1 - b0, stride, clip: !!clip, mu, lo: clip ? clip[0] : 0, hi: clip ? clip[1] : 0 }));
      const out = s.storage('out', (b1 - b0) * 4);
      const g = bindGroupByName(gpu, 'model.pairs', pipe, k.code, { P, ...k.bindings, users: s.storage('users', users.subarray(b0, b1)), items: s.storage('items', items.subarray(b0, b1)), out });
      const enc = gpu.device.createCommandEncoder({ label: 'model.pairs.encoder' });
      const pass = enc.beginComputePass({ label: 'model.pairs.pass' });
      gpu.dispatch(pass, pipe, g, Math.ceil((b1 - b0) / 64));
      pass.end();
      gpu.submit(enc);
      res.set(await gpu.readF32(out, 0, b1 - b0), b0);
    } finally {
      s.destroy();
    }
  }
  return res;
}
