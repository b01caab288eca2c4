/**
 * A/B of the software adapters' batched Cholesky solves, interleaved in one run (the machine may be
 * shared, so only ratios measured side by side mean much): the blocked kernel
 * (shaders/cholesky_blocked.wgsl, the 'direct' variant's solve) against the scalar one
 * (shaders/cholesky_direct.wgsl), and the workgroup kernel (shaders/cholesky.wgsl, 'tiled'), on the
 * same systems built by NormalEqSolver (A restored from a pristine copy before each run, inside
 * the submission but outside the timed pass). Reports GFLOP/s (bench/lib/roofline.ts choleskyWork)
 * and the share of the FMA peak calibrated in the same run.
 *
 * `node scripts/run.mjs bench/cholesky-ab.ts [--ranks 32,64,128] [--rounds 3] [--out DIR]`
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { GpuContext, adapterName } from '../src/gpu/context.ts';
import { uploadCsr, destroyCsr } from '../src/kernels/device-csr.ts';
import { NormalEqSolver, type KernelVariant, type SolveParams } from '../src/kernels/normal-eq.ts';
import { choleskyWork } from './lib/roofline.ts';
import { stats, timeGpu } from './lib/timing.ts';
import { runCalibration } from './suites/calibration.ts';
import { fixedCsr } from './suites/kernels.ts';
import type { BenchCtx } from './lib/types.ts';

const argv = process.argv.slice(2);
const argOf = (n: string) => {
  const i = argv.indexOf(n);
  return i >= 0 ? argv[i + 1] : undefined;
};
const ranks = (argOf('--ranks') ?? '32,64,128').split(',').map(Number);
const rounds = Number(argOf('--rounds') ?? 3);
const PARAMS: SolveParams = { mu: 0, lambda: 0.1, lambdaBias: 0.1, weighted: false, alpha: 0 };
const N_COLS = 4096;

type Arm = { name: string; variant: KernelVariant; solve: 'blocked' | 'scalar' };
const ALL_ARMS: Arm[] = [
  { name: 'blocked (direct)', variant: 'direct', solve: 'blocked' },
  { name: 'scalar (direct, before)', variant: 'direct', solve: 'scalar' },
  { name: 'workgroup (tiled)', variant: 'tiled', solve: 'blocked' },
];
// the workgroup kernel is 10-100x slower on software adapters (barriers); --tiled adds it
const ARMS = argv.includes('--tiled') ? ALL_ARMS : ALL_ARMS.slice(0, 2);

async function main() {
  const gpu = await GpuContext.create();
  const log = (s: string) => console.log(s);
  const ctx = { gpu, quick: false, log, memory: () => null, env: {} } as unknown as BenchCtx;
  const load0 = loadavg()[0];
  const cal = await runCalibration(ctx);
  const peak = cal.fma.gflops.median;
  log(`adapter ${adapterName(gpu.adapter)}; FMA peak ${peak.toFixed(1)} GFLOP/s, copy ${cal.copy.gbps.median.toFixed(2)} GB/s; load ${load0.toFixed(2)}`);
  const out: Record<string, unknown>[] = [];
  for (const K of ranks) {
    const rows = Math.max(128, Math.round((2048 * 32 * 32 * 32) / (K * K * K)));
    const csr = fixedCsr(rows, 4, N_COLS, 21 + K);
    const d = uploadCsr(gpu, 'ab.csr', csr);
    const Y = gpu.storage('ab.Y', Float32Array.from({ length: N_COLS * K }, (_, i) => Math.sin(i * 0.37 + K) / Math.sqrt(K)));
    const X = gpu.storage('ab.X', rows * K * 4);
    const solvers = ARMS.map((a) => new NormalEqSolver(gpu, d, { rank: K, bias: false, side: 'user' }, `ab.${a.solve}.${a.variant}`, a.variant, undefined, 'segments', a.solve, false));
    const pristine = gpu.storage('ab.A0', rows * K * K * 4);
    const pristineB = gpu.storage('ab.b0', rows * K * 4);
    const ms: number[][] = ARMS.map(() => []);
    try {
      for (const s of solvers) s.setParams(PARAMS);
      const enc = gpu.device.createCommandEncoder();
      solvers[0].encodeBuild(enc, X, Y);
      enc.copyBufferToBuffer(solvers[0].systems.A, 0, pristine, 0, rows * K * K * 4);
      enc.copyBufferToBuffer(solvers[0].systems.B, 0, pristineB, 0, rows * K * 4);
      gpu.submit(enc);
      for (let round = 0; round < rounds; round++) {
        for (let a = 0; a < ARMS.length; a++) {
          const s = solvers[a];
          const t = await timeGpu(gpu, (e) => {
            e.copyBufferToBuffer(pristine, 0, s.systems.A, 0, rows * K * K * 4);
            e.copyBufferToBuffer(pristineB, 0, s.systems.B, 0, rows * K * 4);
            s.encodeCholesky(e, X, Y);
          }, { warmup: round === 0 ? 1 : 0, runs: 2 });
          if (!argv.includes('--no-check')) await s.checkStatus({ rank: K, bias: false, side: 'user', ...PARAMS });
          ms[a].push(...(t.source === 'timestamp' ? [t.ms.min, t.ms.max] : [t.ms.median]));
        }
      }
    } finally {
      for (const s of solvers) s.destroy();
      destroyCsr(d);
      for (const b of [X, Y, pristine, pristineB]) b.destroy();
    }
    const w = choleskyWork(rows, K);
    const med = ms.map((m) => stats(m).median);
    ARMS.forEach((a, i) => {
      const gflops = w.flops / (med[i] * 1e6);
      const r = { rank: K, systems: rows, arm: a.name, ms: stats(ms[i]), gflops, pctPeak: (100 * gflops) / peak, speedupVsScalar: med[1] / med[i] };
      out.push(r);
      log(`K=${K} ${rows} systems  ${a.name.padEnd(24)} ${med[i].toFixed(2)} ms  ${gflops.toFixed(3)} GFLOP/s  ${r.pctPeak.toFixed(2)}% of peak  ${r.speedupVsScalar.toFixed(1)}x vs scalar`);
    });
  }
  const env = { adapter: adapterName(gpu.adapter), cpu: cpus()[0]?.model, cores: cpus().length, date: new Date().toISOString(), loadBefore: load0, loadAfter: loadavg()[0], timestamps: gpu.hasTimestamps };
  const dir = argOf('--out');
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ env, calibration: cal, rows: out }, null, 2));
  }
  log(`load after ${env.loadAfter.toFixed(2)}`);
  gpu.destroy();
}

await main();
