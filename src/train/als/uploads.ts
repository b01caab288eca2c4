/**
 * Ratings uploaded once for many ALS fits on one device (a hyperparameter search): the CSR by user,
 * the CSC by item and the loss kernels' COO copies of the training and validation ratings. Each fit
 * given `uploads` (AlsOptions) uses these buffers instead of uploading its own, and leaves them
 * alive; whoever made the AlsUploads destroys it.
 */
import type { GpuContext } from '../../gpu/context.ts';
import { buildViews, type Csr, type Ratings } from '../../data/ratings.ts';
import { destroyCsr, uploadCsr, type DeviceCsr } from '../../kernels/device-csr.ts';
import { LossKernel } from '../../kernels/loss.ts';
import type { KernelVariant } from '../../kernels/variant.ts';

export class AlsUploads {
  readonly byUser: Csr;
  readonly byItem: Csr;
  readonly users: DeviceCsr;
  readonly items: DeviceCsr;
  readonly loss: LossKernel;
  readonly valLoss: LossKernel | null;
  private readonly made: { destroy(): void }[] = [];

  /** `train` and `validation` are the very objects later fits receive (checked by identity). */
  constructor(
    readonly gpu: GpuContext,
    readonly train: Ratings,
    readonly validation?: Ratings,
    label = 'als.shared',
    /** The fits' `kernels` option: the loss reduction's variant (a fit with other kernels refuses these uploads). */
    kernels: KernelVariant = 'auto',
  ) {
    const views = buildViews(train);
    this.byUser = views.byUser;
    this.byItem = views.byItem;
    try {
      this.users = uploadCsr(gpu, `${label}.byUser`, this.byUser);
      this.made.push({ destroy: () => destroyCsr(this.users) });
      this.items = uploadCsr(gpu, `${label}.byItem`, this.byItem);
      this.made.push({ destroy: () => destroyCsr(this.items) });
      this.loss = new LossKernel(gpu, `${label}.trainLoss`, train.users, train.items, train.values, kernels);
      this.made.push(this.loss);
      this.valLoss = validation ? new LossKernel(gpu, `${label}.validationLoss`, validation.users, validation.items, validation.values, kernels) : null;
      if (this.valLoss) this.made.push(this.valLoss);
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  destroy(): void {
    for (const o of this.made.splice(0)) o.destroy();
  }
}
