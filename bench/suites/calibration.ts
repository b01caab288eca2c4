/**
 * Calibration: the adapter's peak FMA throughput (shaders/calib_fma.wgsl) and copy bandwidth
 * (shaders/calib_copy.wgsl), measured on the same adapter as the kernels, so every kernel's
 * achieved rate can be put as a percentage of what this device can do.
 * Work is sized to the device: a small probe run, then a run scaled to take about `targetMs`.
 *
 * Both microkernels are shaped to find the ceiling, not a flattering or a pessimistic figure (the shader files say
 * what was measured): the FMA kernel runs 3 independent vec4 chains unrolled x64 for thousands of rounds per
 * invocation, the copy kernel moves 4 consecutive vec4 per invocation without a loop. Their predecessors (8 chains
 * unrolled x8, 256 rounds; a grid-strided copy loop) reached about half of these ceilings per CPU-second on the
 * software adapter, which made every kernel's "% of peak" about twice too flattering.
 */
import { calibCopyWgsl, calibFmaWgsl } from '../lib/calib-shaders.ts';
import { mapStats, timeGpu } from '../lib/timing.ts';
import { peakGbps, peakGflops, type BenchCtx, type CalibrationResult } from '../lib/types.ts';

const WG = 256;
const ITERS = 4096;
const CHAINS = 3;
/** vec4 elements per invocation of the copy kernel (shaders/calib_copy.wgsl). */
const COPY_PER = 4;

export async function runCalibration(ctx: BenchCtx): Promise<CalibrationResult> {
  const { gpu, quick } = ctx;
  const targetMs = quick ? 120 : 400;
  const runs = quick ? 3 : 7;

  // ---- FMA peak
  const fmaPipe = gpu.pipeline('bench.calib.fma', calibFmaWgsl, { WG, ITERS });
  const maxWg = Math.min(65536, Math.floor(gpu.limits.maxStorageBufferBindingSize / (WG * 4)));
  const out = gpu.storage('bench.calib.fma.out', maxWg * WG * 4);
  const params = gpu.buffer('bench.calib.fma.params', 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  // m slightly below 1 and a small: the values converge to a/(1-m) and stay finite
  const setFma = (count: number) => {
    const b = new ArrayBuffer(16);
    new Float32Array(b, 0, 2).set([0.999, 0.001]);
    new Uint32Array(b, 8, 1)[0] = count;
    gpu.write(params, new Uint8Array(b));
  };
  const bg = gpu.bindGroup('bench.calib.fma', fmaPipe, [params, out]);
  const fmaRun = async (count: number, n: number, warm: number) => {
    setFma(count);
    return timeGpu(gpu, (enc) => {
      const pass = enc.beginComputePass({ label: 'bench.calib.fma' });
      gpu.dispatch(pass, fmaPipe, bg, count);
      pass.end();
    }, { warmup: warm, runs: n, label: 'bench.calib.fma' });
  };
  let count = 16;
  const probe = await fmaRun(count, 1, 1);
  count = Math.max(16, Math.min(maxWg, Math.round((count * targetMs) / Math.max(probe.ms.median, 0.01))));
  const fma = await fmaRun(count, runs, 1);
  const flopsPerRun = count * WG * ITERS * CHAINS * 8;
  const check = await gpu.readF32(out, 0, 4);
  for (const v of check) if (!Number.isFinite(v)) throw new Error(`FMA microkernel produced ${v}`);
  out.destroy();
  params.destroy();

  // ---- copy bandwidth
  const copyPipe = gpu.pipeline('bench.calib.copy', calibCopyWgsl, { WG });
  const maxBytes = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize, 256 * 1024 * 1024);
  const copyRun = async (bytes: number, n: number, warm: number) => {
    const nVec = Math.floor(bytes / 64) * 4; // whole blocks of 4 vec4 (shaders/calib_copy.wgsl)
    const src = gpu.storage('bench.calib.copy.src', nVec * 16);
    const dst = gpu.storage('bench.calib.copy.dst', nVec * 16);
    const wgs = Math.max(1, Math.ceil(nVec / (WG * COPY_PER)));
    const prm = gpu.uniform('bench.calib.copy.params', new Uint32Array([nVec, 0, wgs, 0]));
    try {
      const g = gpu.bindGroup('bench.calib.copy', copyPipe, [prm, src, dst]);
      const t = await timeGpu(gpu, (enc) => {
        const pass = enc.beginComputePass({ label: 'bench.calib.copy' });
        gpu.dispatch(pass, copyPipe, g, wgs);
        pass.end();
      }, { warmup: warm, runs: n, label: 'bench.calib.copy' });
      return { t, moved: 2 * nVec * 16 };
    } finally {
      src.destroy();
      dst.destroy();
      prm.destroy();
    }
  };
  let bytes = 4 * 1024 * 1024;
  const cp = await copyRun(bytes, 1, 1);
  bytes = Math.max(bytes, Math.min(maxBytes, Math.round((bytes * targetMs) / Math.max(cp.t.ms.median, 0.01))));
  const copy = await copyRun(bytes, runs, 1);

  const res: CalibrationResult = {
    fma: { gflops: mapStats(fma.ms, (ms) => flopsPerRun / (ms * 1e6)), flopsPerRun, source: fma.source, workgroups: count },
    copy: { gbps: mapStats(copy.t.ms, (ms) => copy.moved / (ms * 1e6)), bytesPerRun: copy.moved, source: copy.t.source },
  };
  ctx.log(`calibration: FMA peak ${peakGflops(res).toFixed(2)} GFLOP/s (median ${res.fma.gflops.median.toFixed(2)}), copy ${peakGbps(res).toFixed(2)} GB/s (median ${res.copy.gbps.median.toFixed(2)}) (${fma.source})`);
  return res;
}
