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
    name: 'calibration: the FMA kernel computes ITERS steps of c <- m c + a on 12 lanes (3 vec4 chains) and folds them (f64 closed form)',
    async run(gpu) {
      const WG = 64;
      const ITERS = 128; // two passes of the x64-unrolled loop
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
        // start values x_0 = s + 0.1 l + 0.01 c (lane l < 4, chain c < 3).
        const mf = Math.fround(m);
        const af = Math.fround(a);
        const mI = mf ** ITERS;
        const ref = new Float64Array(count * WG);
        const scale = new Float64Array(count * WG);
        for (let gid = 0; gid < ref.length; gid++) {
          const s = Math.fround((gid & 1023) * Math.fround(1e-4));
          let sum = 0;
          for (let c = 0; c < 3; c++) for (let l = 0; l < 4; l++) sum += mI * (s + 0.1 * l + 0.01 * c) + (af * (1 - mI)) / (1 - mf);
          ref[gid] = sum;
          scale[gid] = sum;
        }
        // Each lane: its f32 start value rounds by u, each of the I fused steps adds at most u (the values stay
        // below 1) and damps the earlier errors (m < 1), so a lane is off by at most (I + 1) u absolute. The
        // reference sum over the 12 lanes is at least 2.5 (each lane >= 0.12 + 0.88 x_0 at I = 128), so the lanes
        // add at most 12 (I + 1) u / 2.5 = 620 u relative; the fold (5 additions deep) 5 u more. 640 u relative
        // (3.8e-5) covers both, and still fails for a chain folded twice in place of another (about 1% off) or a
        // step too few per lane (about 2e-3 relative).
        expectClose('folded chains per invocation', got, ref, { rtol: 640 * U32, scale });
      } finally {
        out.destroy();
        params.destroy();
      }
    },
  },
  {
    name: 'calibration: the copy kernel copies every vec4 exactly (4 per invocation, a partial last workgroup) and writes nothing past n',
    async run(gpu) {
      const nVec = 1000; // 250 blocks of 4: the last workgroup (blocks 192..255) is partly past n
      const per = 4;
      const WG = 64;
      const wgs = Math.ceil(nVec / (WG * per));
      // src holds 16 more (non-zero) vec4 past n, so a copy past n writes non-zero values the check sees
      const all = Float32Array.from({ length: (nVec + 16) * 4 }, (_, i) => i * 0.5 - 7.25);
      const data = all.subarray(0, nVec * 4);
      const src = gpu.storage('test.copy.src', all);
      const dst = gpu.storage('test.copy.dst', (nVec + 16) * 16);
      const prm = gpu.uniform('test.copy.params', new Uint32Array([nVec, 0, wgs, 0]));
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
