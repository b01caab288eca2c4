/**
 * The model's device-factor cache: item factors uploaded once, user factors with spare capacity
 * for fold-in users (rows written in place; capacity doubles when full), and the row norms that
 * similarity needs, dropped whenever the rows they describe change.
 */
import type { GpuContext } from '../gpu/context.ts';

export class DeviceFactors {
  private dY: GPUBuffer | null = null;
  private dX: GPUBuffer | null = null;
  private dXRows = 0;
  private dXCap = 0;
  private readonly dirtyUsers = new Set<number>();
  private dYn: GPUBuffer | null = null;
  private dXn: GPUBuffer | null = null;

  constructor(
    private readonly gpu: GpuContext,
    private readonly stride: number,
  ) {}

  /**
   * Takes over factor buffers a fit left on this device (no upload): users holds nUsers rows,
   * items all item rows, both in the model's layout. The cache owns and destroys them from now on.
   */
  adopt(users: GPUBuffer, nUsers: number, items: GPUBuffer): void {
    this.destroy();
    this.dY = items;
    this.dX = users;
    this.dXCap = this.dXRows = nUsers;
  }

  /** Item factors on the device (uploaded once). */
  items(H: Float32Array): GPUBuffer {
    if (!this.dY) this.dY = this.gpu.factorStorage('model.itemFactors', H);
    return this.dY;
  }

  /** User factors on the device: rows [0, nUsers) of W, with changed rows (markDirty) rewritten. */
  users(W: Float32Array, nUsers: number): GPUBuffer {
    const { gpu, stride: s } = this;
    if (!this.dX || nUsers > this.dXCap) {
      this.dX?.destroy();
      this.dXCap = Math.max(nUsers, this.dX ? this.dXCap * 2 : nUsers, 1);
      this.dX = gpu.factorStorage('model.userFactors', this.dXCap * s * 4);
      gpu.write(this.dX, W.subarray(0, nUsers * s));
      this.dXRows = nUsers;
      this.dirtyUsers.clear();
      this.dropUserNorms();
    } else if (this.dirtyUsers.size || this.dXRows !== nUsers) {
      for (const u of this.dirtyUsers) gpu.write(this.dX, W.subarray(u * s, (u + 1) * s), u * s * 4);
      this.dirtyUsers.clear();
      this.dXRows = nUsers;
      this.dropUserNorms();
    }
    return this.dX;
  }

  /** User row u changed on the host (fold-in): rewritten before the next device use. */
  markDirty(u: number): void {
    this.dirtyUsers.add(u);
  }

  /** The cached row norms of one side, made by `make` when absent. */
  norms(side: 'item' | 'user', make: () => GPUBuffer): GPUBuffer {
    if (side === 'item') return (this.dYn ??= make());
    return (this.dXn ??= make());
  }

  private dropUserNorms(): void {
    this.dXn?.destroy();
    this.dXn = null;
  }

  destroy(): void {
    for (const b of [this.dX, this.dY, this.dXn, this.dYn]) b?.destroy();
    this.dX = this.dY = this.dXn = this.dYn = null;
    this.dXCap = this.dXRows = 0;
    this.dirtyUsers.clear();
  }
}
