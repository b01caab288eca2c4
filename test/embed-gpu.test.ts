/**
 * Embedding in Node: the library finds its own adapter without leaving a trace in process.env, and a
 * caller's own GPUDevice, also used for rendering on the same queue, survives a fit untouched.
 */
import { describe, expect, it } from 'vitest';
import { GpuContext, adapterName } from '../src/gpu/context.ts';
import { firstAdapter, nodeGpuWithPlan } from '../src/gpu/node.ts';
import { planNodeGpu, softwareGpuEnv, softwarePlan } from '../src/gpu/discover.ts';
import { fitAls } from '../src/train/als/index.ts';
import { generateSynthetic } from '../src/data/synthetic.ts';

describe('Node GPU discovery (src/gpu/discover.ts)', () => {
  it('the plan follows the environment: an explicit VK_ICD_FILENAMES wins, other platforms need nothing', () => {
    expect(planNodeGpu({ VK_ICD_FILENAMES: '/x.json' }, 'linux').kind).toBe('system');
    expect(planNodeGpu({ VK_DRIVER_FILES: '/x.json' }, 'linux').kind).toBe('system');
    expect(planNodeGpu({}, 'darwin').kind).toBe('not-linux');
    expect(planNodeGpu({ WEBMF_NO_SWIFTSHADER: '1' }, 'linux').kind).not.toBe('swiftshader');
    // A child process gets exactly the variables of a SwiftShader plan, and nothing otherwise.
    const plan = planNodeGpu({ ...process.env, VK_ICD_FILENAMES: undefined }, 'linux');
    const env = softwareGpuEnv({ ...process.env, VK_ICD_FILENAMES: undefined });
    if (plan.kind === 'swiftshader') expect(env.VK_ICD_FILENAMES).toBe(plan.icd);
    else expect(env).toEqual({});
  });

  it('creating a context finds an adapter, names its source, and leaves process.env exactly as it was', async () => {
    const before = JSON.stringify(process.env);
    const gpu = await GpuContext.create();
    try {
      expect(JSON.stringify(process.env)).toBe(before);
      const { plan } = await nodeGpuWithPlan();
      expect(gpu.adapter.source).toBe(plan.note);
      expect(gpu.adapter.source ?? '').not.toBe('');
      console.log(`[node] adapter ${adapterName(gpu.adapter)} via ${gpu.adapter.source}`);
    } finally {
      gpu.destroy();
    }
  });
});

describe('Node GPU fallback', () => {
  it('a Dawn instance whose drivers gave no adapter does not stop a fresh instance from finding SwiftShader', async (ctx) => {
    const soft = softwarePlan();
    if (planNodeGpu().kind !== 'swiftshader' || !soft) return ctx.skip(); // needs a machine whose only driver is SwiftShader
    const mod = (await import('webgpu')) as unknown as Parameters<typeof firstAdapter>[0];
    // No variables set: the loader sees no registered driver here, as behind a broken hardware install.
    const none = await firstAdapter(mod, { kind: 'none', note: 'test' });
    expect(none.adapter).toBeNull();
    const again = await firstAdapter(mod, soft);
    expect(again.adapter?.info.description ?? again.adapter?.info.vendor).toMatch(/swiftshader|google/i);
  });
});

describe("a caller's own GPUDevice", () => {
  it('survives a fit that shares its queue with rendering: not destroyed, no error scope left open, rendering intact, same fit as on webmf\'s device', async () => {
    const { gpu: navGpu } = await nodeGpuWithPlan();
    const adapter = await navGpu.requestAdapter();
    expect(adapter).not.toBeNull();
    const device = await adapter!.requestDevice({ label: 'caller.device' });
    let lost = false;
    device.lost.then(() => (lost = true));
    try {
      // The caller's own render work: clear-and-draw a full-screen triangle into a 4x4 texture.
      const module = device.createShaderModule({
        code: `@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
                 var p = array(vec2f(-1, -1), vec2f(3, -1), vec2f(-1, 3)); return vec4f(p[i], 0, 1); }
               @fragment fn fs() -> @location(0) vec4f { return vec4f(1, 0.5, 0, 1); }`,
      });
      const pipeline = device.createRenderPipeline({
        layout: 'auto',
        vertex: { module, entryPoint: 'vs' },
        fragment: { module, entryPoint: 'fs', targets: [{ format: 'rgba8unorm' }] },
      });
      const tex = device.createTexture({ size: [4, 4], format: 'rgba8unorm', usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC });
      let frames = 0;
      const render = () => {
        const enc = device.createCommandEncoder();
        const pass = enc.beginRenderPass({ colorAttachments: [{ view: tex.createView(), loadOp: 'clear', storeOp: 'store', clearValue: [0, 0, 1, 1] }] });
        pass.setPipeline(pipeline);
        pass.draw(3);
        pass.end();
        device.queue.submit([enc.finish()]);
        frames++;
      };

      const ds = generateSynthetic({ nUsers: 60, nItems: 40, nRatings: 900, rank: 3, seed: 5 });
      const opts = { rank: 4, iterations: 4, lambda: 0.05, seed: 3, backend: 'gpu' as const };

      device.pushErrorScope('validation'); // the caller's own scope, open around webmf's work
      const ctx = await GpuContext.create({ device });
      expect(ctx.adapter.source).toBe("the caller's GPUDevice");
      const shared = await fitAls(ds, { ...opts, gpu: ctx, onIteration: render });
      ctx.destroy();
      // The innermost open scope must still be the caller's: a fresh validation error lands in it.
      device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
      const caught = await device.popErrorScope();
      expect(caught, 'the caller\'s scope caught the caller\'s error').not.toBeNull();
      // And there is nothing else open: one more pop is an error (the stack is empty).
      await expect(device.popErrorScope()).rejects.toThrow();

      expect(frames).toBe(opts.iterations);
      expect(lost).toBe(false);
      // The device still works for the caller: read the rendered pixels back.
      const out = device.createBuffer({ size: 256 * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
      const enc = device.createCommandEncoder();
      enc.copyTextureToBuffer({ texture: tex }, { buffer: out, bytesPerRow: 256 }, [4, 4]);
      device.queue.submit([enc.finish()]);
      await out.mapAsync(GPUMapMode.READ);
      const px = new Uint8Array(out.getMappedRange().slice(0));
      out.unmap();
      // row 2, column 3: the triangle covers the whole target, so every pixel is the fragment colour (255, 128, 0, 255) +-1 for rounding
      const at = 2 * 256 + 3 * 4;
      expect([px[at], px[at + 1], px[at + 2], px[at + 3]].map((v, i) => Math.abs(v - [255, 128, 0, 255][i]) <= 1)).toEqual([true, true, true, true]);

      // The fit on the shared device is the fit webmf makes on its own device (same adapter, seed and
      // kernels; f32 sums in the same order): final train RMSE equal to 1e-5 relative.
      const own = await fitAls(ds, opts);
      const a = shared.history.at(-1)!.trainRmse;
      const b = own.history.at(-1)!.trainRmse;
      expect(Number.isFinite(a) && Number.isFinite(b)).toBe(true);
      expect(Math.abs(a - b) / b).toBeLessThan(1e-5);
      expect(shared.backend).toBe('gpu');
    } finally {
      device.destroy();
    }
  });
});

describe('npm start without a GPU', () => {
  it('installs chromium only when nothing is found, on Linux, with apt-get allowed; otherwise advises or proceeds', async () => {
    const { softwareGpuAction, isDebianLike } = await import('../src/cli/chromium.ts');
    expect(softwareGpuAction('none', 'linux', true)).toBe('install');
    expect(softwareGpuAction('none', 'linux', false)).toBe('advise');
    for (const kind of ['system', 'swiftshader', 'not-linux']) expect(softwareGpuAction(kind, 'linux', true)).toBe('ready');
    expect(softwareGpuAction('none', 'darwin', true)).toBe('ready');
    expect(isDebianLike('ID=ubuntu\nID_LIKE=debian\n')).toBe(true);
    expect(isDebianLike('ID=debian\n')).toBe(true);
    expect(isDebianLike('ID=fedora\nID_LIKE="rhel centos"\n')).toBe(false);
  });
});
