/**
 * The benchmark's calibration microkernels (shaders/calib_fma.wgsl, shaders/calib_copy.wgsl)
 * against closed forms in f64. Shared by Node (Dawn) and headless Chrome, like every GPU case, so
 * the numbers the benchmark divides by come from kernels checked on both.
 */
import { calibCopyWgsl, calibFmaWgsl } from '../../bench/lib/calib-shaders.ts';
import { CheckError, expectClose } from './check.ts';
import type { GpuCase } from './types.ts';

const U32 = 2 ** -24;

export const calibCases: GpuCase[] = [
  {
    name: 'calibration: the FMA kernel computes ITERS steps of c <- m c + a on 32 lanes and folds them (f64 closed form)',
    async run(gpu) {
      const WG = 64;
      const ITERS = 32;
      const count = 3;
      const m = 0.999;
      const a = 0.001;
      const pipe = gpu.pipeline('test.calib.fma', calibFmaWgsl, { WG, ITERS });
      const out = gpu.storage('test.calib.fma.out', count * WG * 4);
      const prm = new ArrayBuffer(16);
      new Float32Array(prm, 0, 2).set([m, a]);
      new Uint32Array(prm, 8, 1)[0] = count;
      const params = gpu.uniform('test.calib.fma.params', new Uint8Array(prm));
      try {
        const enc = gpu.device.createCommandEncoder();
        const pass = enc.beginComputePass();
        gpu.dispatch(pass, pipe, gpu.bindGroup('test.calib.fma', pipe, [params, out]), count);
        pass.end();
        gpu.submit(enc);
        const got = await gpu.readF32(out);
        // f64: after I steps x_I = m^I x_0 + a (1 - m^I) / (1 - m), with the f32 inputs m, a and
        // start values x_0 = s + 0.1 l + 0.01 c (lane l < 4, chain c < 8).
        const mf = Math.fround(m);
        const af = Math.fround(a);
        const mI = mf ** ITERS;
        const ref = new Float64Array(count * WG);
        const scale = new Float64Array(count * WG);
        for (let gid = 0; gid < ref.length; gid++) {
          const s = Math.fround((gid & 1023) * Math.fround(1e-4));
          let sum = 0;
          for (let c = 0; c < 8; c++) for (let l = 0; l < 4; l++) sum += mI * (s + 0.1 * l + 0.01 * c) + (af * (1 - mI)) / (1 - mf);
          ref[gid] = sum;
          scale[gid] = sum;
        }
        // Each lane: the f32 start values round by u, each of the 32 fused steps by u of a value
        // below 1 (the errors are damped by m < 1, never amplified), so <= 34 u of the lane; the
        // fold adds 32 positive terms in a tree (5 levels): <= 5 u of the sum. 64 u relative covers
        // both; a dropped chain or a step too few is >= 1% off.
        expectClose('folded chains per invocation', got, ref, { rtol: 64 * U32, scale });
      } finally {
        out.destroy();
        params.destroy();
      }
    },
  },
  {
    name: 'calibration: the copy kernel copies every vec4 exactly (grid-strided, ragged tail) and writes nothing past n',
    async run(gpu) {
      const nVec = 1000;
      const per = 4;
      const WG = 64;
      const wgs = Math.ceil(nVec / (WG * per));
      const data = Float32Array.from({ length: nVec * 4 }, (_, i) => i * 0.5 - 7);
      const src = gpu.storage('test.copy.src', data);
      const dst = gpu.storage('test.copy.dst', (nVec + 16) * 16);
      const prm = gpu.uniform('test.copy.params', new Uint32Array([nVec, per, wgs, 0]));
      try {
        const pipe = gpu.pipeline('test.calib.copy', calibCopyWgsl, { WG });
        const enc = gpu.device.createCommandEncoder();
        const pass = enc.beginComputePass();
        gpu.dispatch(pass, pipe, gpu.bindGroup('test.copy', pipe, [prm, src, dst]), wgs);
        pass.end();
        gpu.submit(enc);
        const got = await gpu.readF32(dst);
        // a copy is exact: tolerance 0
        expectClose('copied floats', got.subarray(0, data.length), data, { rtol: 0 });
        for (let i = data.length; i < got.length; i++) if (got[i] !== 0) throw new CheckError(`wrote past n at float ${i}: ${got[i]}`);
      } finally {
        src.destroy();
        dst.destroy();
        prm.destroy();
      }
    },
  },
];
