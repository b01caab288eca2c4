/** Host-layer behaviour on a real device: 2-D dispatch folding, typed device-lost and validation errors, limits. */
import { GpuContext } from '../../src/gpu/context.ts';
import { fitAls } from '../../src/train/als/index.ts';
import { expect, expectClose, expectThrows } from './check.ts';
import { sparseRatings } from './fixtures.ts';
import type { GpuCase } from './types.ts';

// A test fixture kernel: every workgroup writes its linearized id (wid.x + wid.y * nwg.x).
const IDS_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<atomic<u32>>;
@group(0) @binding(1) var<uniform> count: vec4<u32>;
@compute @workgroup_size(1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = wgLinear(wid, nwg); // shaders/prelude.wgsl, prepended by gpu.pipeline
  if (id >= count.x) { return; }
  atomicAdd(&out[id], id + 1u); // a second visit of the same id doubles it
}`;

export const hostCases: GpuCase[] = [
  {
    name: 'dispatch helper folds more than maxComputeWorkgroupsPerDimension workgroups into 2-D, each id once',
    // also the one test of shaders/prelude.wgsl's wgLinear (the only case with more than one row of workgroups)
    run: async (gpu) => {
      const n = gpu.limits.maxComputeWorkgroupsPerDimension + 4467;
      const out = gpu.storage('test.ids', n * 4);
      const cnt = gpu.uniform('test.count', new Uint32Array([n, 0, 0, 0]));
      try {
        const pipe = gpu.pipeline('test.ids', IDS_WGSL);
        expect(gpu.pipeline('test.ids', IDS_WGSL) === pipe, 'pipeline cache returns the same pipeline for the same shader and constants');
        const enc = gpu.device.createCommandEncoder();
        const pass = enc.beginComputePass();
        gpu.dispatch(pass, pipe, gpu.bindGroup('test.ids', pipe, [out, cnt]), n);
        pass.end();
        gpu.submit(enc);
        const ids = new Uint32Array(await gpu.read(out));
        for (let i = 0; i < n; i++) if (ids[i] !== i + 1) throw new Error(`workgroup ${i}: wrote ${ids[i]}`);
      } finally {
        out.destroy();
        cnt.destroy();
      }
    },
  },
  {
    name: 'a lost device surfaces as a typed DeviceLostError on the next operation',
    run: async () => {
      const g = await GpuContext.create();
      g.device.destroy();
      await g.device.lost;
      expect(g.lost, 'context knows the device is lost');
      await expectThrows('check()', () => g.check(), { name: 'DeviceLostError', message: /GPU device lost \(destroyed\)/ });
    },
  },
  {
    name: 'an uncaptured validation error surfaces as a typed GpuError naming the label',
    run: async () => {
      const g = await GpuContext.create();
      try {
        // binding a buffer that is too small for the layout is a validation error outside any scope
        const pipe = g.pipeline('test.ids', IDS_WGSL);
        const small = g.device.createBuffer({ label: 'test.tooSmall', size: 4, usage: GPUBufferUsage.UNIFORM });
        g.device.createBindGroup({ label: 'test.badGroup', layout: pipe.getBindGroupLayout(0), entries: [{ binding: 1, resource: { buffer: small } }] });
        await g.device.queue.onSubmittedWorkDone();
        await new Promise((r) => setTimeout(r, 50));
        await expectThrows('check()', () => g.check(), { name: 'GpuError', message: /validation.*test\.badGroup/s });
      } finally {
        g.destroy();
      }
    },
  },
  {
    name: 'a buffer over maxStorageBufferBindingSize is a LimitError naming the limit, not a GPU error',
    run: async (gpu) => {
      const too = gpu.limits.maxStorageBufferBindingSize + 4;
      await expectThrows('buffer', () => gpu.storage('test.huge', too), { name: 'LimitError', message: /maxStorageBufferBindingSize/ });
    },
  },
  {
    name: "backend 'auto' without a WebGPU adapter says so and runs on the f32 CPU engine",
    run: async () => {
      const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
      const warnings: string[] = [];
      const data = sparseRatings(3, 8, 6, [3]);
      const f = await fitAls(data, { rank: 2, iterations: 1, gpuSource: noAdapter, onWarning: (m) => warnings.push(m) });
      expect(f.backend === 'cpu', `backend ${f.backend}`);
      expect(warnings.length === 1 && /no WebGPU adapter.*f32 CPU engine/.test(warnings[0]) && /no WebGPU adapter/.test(f.backendReason ?? ''), `warning: ${warnings[0]}`);
      await expectThrows("backend 'gpu'", () => fitAls(data, { rank: 2, iterations: 1, gpuSource: noAdapter, backend: 'gpu' }), { name: 'NoWebGpuError' });
      // The fallback is the CPU engine itself: the same seeded fit as asking for it by name, bit for
      // bit (each row is solved by one thread in a fixed order, so no tolerance), and finite.
      const ref = await fitAls(data, { rank: 2, iterations: 1, backend: 'cpu' });
      expect(ref.backend === 'cpu', `reference backend ${ref.backend}`);
      expectClose('fallback user factors = the CPU fit', f.model.userFactors, ref.model.userFactors, { rtol: 0 });
      expectClose('fallback item factors = the CPU fit', f.model.itemFactors, ref.model.itemFactors, { rtol: 0 });
      expectClose('fallback history = the CPU fit', f.history.map((h) => h.trainRmse), ref.history.map((h) => h.trainRmse), { rtol: 0 });
      expect(f.model.userFactors.some((v) => v !== 0), 'the fallback fit learned non-zero factors');
    },
  },
];
