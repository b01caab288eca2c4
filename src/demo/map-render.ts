/**
 * The WebGPU side of the PCA map, run by the engine worker with the worker's device. The page sends
 * the camera (a view-projection matrix from wgpu-matrix) and the hovered point; this draws instanced
 * point sprites (src/demo/points.wgsl) into a texture, reads the frame back and puts it on the
 * (offscreen, 2-D) canvas the page handed over.
 *
 * Why not a WebGPU canvas context: in headless Chrome on SwiftShader, presenting a WebGPU canvas
 * destroys the device (device.lost, reason 'destroyed', on the next task) — and with it the
 * training's device. Rendering to a texture works on every adapter; a frame is drawn only when the
 * camera moves, and one read-back of the frame is a small cost beside the draw.
 */
import pointsWgsl from './points.wgsl?raw';

export interface MapFrame {
  viewProj: Float32Array;
  width: number;
  height: number;
  radius: number;
  hover: number;
}

/** Per-instance layout: x, y, z, r, g, b, size scale. */
export const INSTANCE_FLOATS = 7;

const FORMAT: GPUTextureFormat = 'rgba8unorm';

export class MapRenderer {
  private readonly ctx: OffscreenCanvasRenderingContext2D;
  private readonly pipeline: GPURenderPipeline;
  private readonly uniform: GPUBuffer;
  private readonly bind: GPUBindGroup;
  private instances: GPUBuffer | null = null;
  private n = 0;
  private target: GPUTexture | null = null;
  private readback: GPUBuffer | null = null;
  private bytesPerRow = 0;
  private next: MapFrame | null = null;
  private drawing = false;
  /** Frames drawn (for tests). */
  frames = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly canvas: OffscreenCanvas,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2-D context for the map canvas');
    this.ctx = ctx;
    const module = device.createShaderModule({ label: 'demo.map.points', code: pointsWgsl });
    this.pipeline = device.createRenderPipeline({
      label: 'demo.map.pipeline',
      layout: 'auto',
      vertex: {
        module,
        entryPoint: 'vs',
        buffers: [
          {
            arrayStride: INSTANCE_FLOATS * 4,
            stepMode: 'instance',
            attributes: [
              { shaderLocation: 0, offset: 0, format: 'float32x3' },
              { shaderLocation: 1, offset: 12, format: 'float32x4' },
            ],
          },
        ],
      },
      fragment: {
        module,
        entryPoint: 'fs',
        targets: [{ format: FORMAT, blend: { color: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha' }, alpha: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha' } } }],
      },
      primitive: { topology: 'triangle-list' },
    });
    this.uniform = device.createBuffer({ label: 'demo.map.params', size: 80, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.bind = device.createBindGroup({ label: 'demo.map.bind', layout: this.pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: this.uniform } }] });
  }

  setPoints(inst: Float32Array): void {
    this.instances?.destroy();
    this.n = inst.length / INSTANCE_FLOATS;
    this.instances = this.device.createBuffer({ label: 'demo.map.instances', size: Math.max(INSTANCE_FLOATS * 4, inst.byteLength), usage: GPUBufferUsage.VERTEX | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(this.instances, 0, inst as Float32Array<ArrayBuffer>);
  }

  /** Draws `f`, or, while a frame is in flight, keeps only the latest request. */
  draw(f: MapFrame): Promise<void> {
    this.next = f;
    if (this.drawing) return Promise.resolve();
    return this.pump();
  }

  private async pump(): Promise<void> {
    this.drawing = true;
    try {
      while (this.next) {
        const f = this.next;
        this.next = null;
        await this.render(f);
      }
    } finally {
      this.drawing = false;
    }
  }

  private async render(f: MapFrame): Promise<void> {
    const { width: w, height: h } = f;
    if (!this.target || this.target.width !== w || this.target.height !== h) {
      this.target?.destroy();
      this.readback?.destroy();
      this.target = this.device.createTexture({ label: 'demo.map.target', size: [w, h], format: FORMAT, usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC });
      this.bytesPerRow = Math.ceil((w * 4) / 256) * 256;
      this.readback = this.device.createBuffer({ label: 'demo.map.readback', size: this.bytesPerRow * h, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    }
    const params = new Float32Array(20);
    params.set(f.viewProj, 0);
    params[16] = 2 / w;
    params[17] = 2 / h;
    params[18] = f.radius;
    new Uint32Array(params.buffer)[19] = f.hover >= 0 ? f.hover : 0xffffffff;
    this.device.queue.writeBuffer(this.uniform, 0, params);
    const enc = this.device.createCommandEncoder({ label: 'demo.map.encoder' });
    const pass = enc.beginRenderPass({
      label: 'demo.map.pass',
      colorAttachments: [{ view: this.target.createView(), loadOp: 'clear', clearValue: { r: 0.051, g: 0.063, b: 0.125, a: 1 }, storeOp: 'store' }],
    });
    if (this.n && this.instances) {
      pass.setPipeline(this.pipeline);
      pass.setBindGroup(0, this.bind);
      pass.setVertexBuffer(0, this.instances);
      pass.draw(6, this.n);
    }
    pass.end();
    enc.copyTextureToBuffer({ texture: this.target }, { buffer: this.readback!, bytesPerRow: this.bytesPerRow }, [w, h]);
    this.device.queue.submit([enc.finish()]);
    const rb = this.readback!;
    await rb.mapAsync(GPUMapMode.READ);
    const src = new Uint8Array(rb.getMappedRange());
    const img = new ImageData(w, h);
    for (let y = 0; y < h; y++) img.data.set(src.subarray(y * this.bytesPerRow, y * this.bytesPerRow + w * 4), y * w * 4);
    rb.unmap();
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.ctx.putImageData(img, 0, 0);
    this.frames++;
  }
}
