/** Per-batch buffers of the model-out kernels, and how many rows a batch may hold. */
import type { GpuContext } from '../gpu/context.ts';
import { LimitError } from '../core/errors.ts';

/** Buffers made for one batch, destroyed together. */
export class Scratch {
  private readonly bufs: GPUBuffer[] = [];
  constructor(private readonly gpu: GpuContext, readonly label: string) {}
  storage(role: string, sizeOrData: number | ArrayBufferView): GPUBuffer {
    const b = this.gpu.storage(`${this.label}.${role}`, sizeOrData);
    this.bufs.push(b);
    return b;
  }
  uniform(role: string, data: ArrayBufferView): GPUBuffer {
    const b = this.gpu.uniform(`${this.label}.${role}`, data);
    this.bufs.push(b);
    return b;
  }
  destroy(): void {
    for (const b of this.bufs) b.destroy();
    this.bufs.length = 0;
  }
}

/** Largest batch of rows whose score matrix (rows x nCols floats) fits the budget and the binding limit. */
export function batchRows(gpu: GpuContext, nCols: number, wanted: number, budgetBytes = 64 * 1024 * 1024): number {
  const rowBytes = nCols * 4;
  const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  if (rowBytes > limit) throw new LimitError(`one row of ${nCols} scores`, 'maxStorageBufferBindingSize', rowBytes, limit);
  return Math.max(1, Math.min(wanted, Math.floor(Math.min(budgetBytes, limit) / rowBytes)));
}
