/**
 * Ratings uploaded once for many SGD fits on one device (a hyperparameter search): the packed
 * rating list (Hogwild: the list and its per-epoch shuffled copy, with the shuffle kernel that
 * writes it; stratified: the list in block order, with its plan) and the loss kernels' COO copies of
 * the training and validation ratings. Each fit given `uploads` (SgdOptions) uses these buffers
 * instead of uploading its own, and leaves them alive; whoever made the SgdUploads destroys it.
 *
 * Fits share the buffers one after another, never at once: the shuffled copy is scratch that each
 * Hogwild epoch rewrites before its sweep, so a fit sees only its own epoch's order.
 */
import type { GpuContext } from '../../gpu/context.ts';
import type { Ratings } from '../../data/ratings.ts';
import { LossKernel } from '../../kernels/loss.ts';
import { ShuffleKernel, ratingBytes, ratingsBuffer } from '../../kernels/sgd.ts';
import { packRatings, stratifiedPlan, type StratifiedPlan } from '../../core/sgd-plan.ts';

export class SgdUploads {
  readonly loss: LossKernel;
  readonly valLoss: LossKernel | null;
  /** Hogwild: the shuffled copy each epoch's sweep reads, and the kernel that writes it. */
  readonly shuffled?: GPUBuffer;
  readonly shuffle?: ShuffleKernel;
  /** Stratified: the ratings in block order and their plan (blocks and seed as given here). */
  readonly blocked?: GPUBuffer;
  readonly plan?: StratifiedPlan;
  private readonly made: { destroy(): void }[] = [];

  /**
   * `train` and `validation` are the very objects later fits receive (checked by identity); `mode`,
   * and for 'stratified' `blocks` and `seed`, must be the fits' own (checked by the GPU backend).
   */
  constructor(
    readonly gpu: GpuContext,
    readonly train: Ratings,
    readonly validation: Ratings | undefined,
    readonly mode: 'hogwild' | 'stratified',
    readonly layout: { blocks: number; seed: number },
    label = 'sgd.shared',
  ) {
    const own = <T extends { destroy(): void }>(o: T): T => {
      this.made.push(o);
      return o;
    };
    try {
      const n = train.values.length;
      this.loss = own(new LossKernel(gpu, `${label}.trainLoss`, train.users, train.items, train.values));
      this.valLoss = validation ? own(new LossKernel(gpu, `${label}.validationLoss`, validation.users, validation.items, validation.values)) : null;
      if (mode === 'hogwild') {
        const src = own(gpu.storage(`${label}.ratings`, packRatings(train)));
        this.shuffled = own(gpu.storage(`${label}.ratings.shuffled`, ratingBytes(n)));
        this.shuffle = own(new ShuffleKernel(gpu, `${label}.shuffle`, n, src, this.shuffled));
      } else {
        this.plan = stratifiedPlan(train, layout.blocks, layout.seed);
        this.blocked = own(ratingsBuffer(gpu, `${label}.ratings.blocked`, packRatings(train, this.plan.order)));
      }
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  destroy(): void {
    for (const o of this.made.splice(0)) o.destroy();
  }
}
