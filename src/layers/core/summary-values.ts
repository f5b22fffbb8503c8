/**
 * What {@link collectSummaries} returns: the summaries of a model by Trax's
 * state keys, as a plain record of tensors that also shows as a view (a
 * table of scalars and the images; the display module installs the view).
 * @module
 */
import type { tf } from "../../backend/tf";

/** Marks the image groups of a {@link Summaries} (which keys came from which `SummaryImage` layer). */
export const IMAGE_GROUPS: unique symbol = Symbol("trax.summaries.imageGroups") as never;

/**
 * The summaries of a model: `summary_<name>` for each `SummaryScalar`,
 * `summary_<name><s>` for image `s` of each `SummaryImage`. Read them like an
 * object of tensors (`s.summary_act`); in a notebook or the REPL it shows as
 * a table of the scalars and the images. The tensors are the layers' own
 * state: read them, don't dispose them.
 *
 * @example
 * ```ts
 * const s = tl.collectSummaries(model);
 * s.summary_act.arraySync(); // the last mean activation
 * Object.keys(s); // ["summary_act", "summary_pic0", "summary_pic1"]
 * ```
 */
export class Summaries {
  [key: string]: tf.Tensor;

  /** The image groups: `[summaryName, images]` of each `SummaryImage` layer (not an enumerable key). */
  declare [IMAGE_GROUPS]: [string, tf.Tensor[]][];

  constructor() {
    Object.defineProperty(this, IMAGE_GROUPS, { value: [], enumerable: false, writable: false });
  }
}
