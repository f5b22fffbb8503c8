/**
 * `Dropout`: zeroes a random fraction of activations in training.
 * @module
 */
import { tf } from "../../backend/tf";
import * as random from "../../fastmath/random";
import { Layer } from "../base";
import { callable } from "../callable";
import { checkMode, normalizeAxis, toInexact } from "./checks";
import { optionKeys } from "../arg-check";
import type { ModeLike } from "../mode";

/** Options of {@link Dropout}. */
export interface DropoutOptions {
  /** Probability of dropping (zeroing) each value, in `[0, 1)` (default 0). */
  rate?: number;
  /** Axes on which the mask is shared (size 1 in the mask, broadcast); default none. */
  sharedAxes?: readonly number[] | null;
  /** `"train"` (default) drops; `"eval"`, `"predict"` and `"viz"` (an attention mode) pass inputs through. */
  mode?: ModeLike<"train" | "eval" | "predict" | "viz">;
}

class DropoutLayer extends Layer {
  /** @internal */ _initialRate: number;
  /** @internal */ _sharedAxes: number[];
  /** @internal */ _mode: string;

  constructor(options: DropoutOptions = {}) {
    super({ name: "Dropout" });
    const rate = options.rate ?? 0.0;
    if (typeof rate !== "number" || !(rate >= 0 && rate < 1)) {
      throw new Error(`Dropout rate must be in [0, 1); got ${rate}`);
    }
    const mode = options.mode ?? "train";
    checkMode("Dropout", mode, ["train", "eval", "predict", "viz"]);
    const shared = options.sharedAxes ?? [];
    if (!Array.isArray(shared) || shared.some((a) => !Number.isInteger(a))) {
      throw new Error(`Dropout sharedAxes must be an array of integer axes; got ${JSON.stringify(shared)}`);
    }
    this._initialRate = rate;
    this._sharedAxes = [...shared];
    this._mode = mode;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (this._mode !== "train") return x;
    const rate = this._initialRate;
    if (rate === 0) return x;
    x = toInexact(this.name, x);
    const maskShape = [...x.shape];
    for (const a of this._sharedAxes) maskShape[normalizeAxis(`${this.name} sharedAxes`, a, x.rank)] = 1;
    const keepProb = 1 - rate;
    const keep = random.bernoulli(this.rng, keepProb, maskShape);
    const mask = tf.div(keep.cast("float32"), keepProb);
    return tf.mul(x, mask);
  }

  initWeightsAndState(inputSignature: unknown): void {
    void inputSignature;
    this.state = tf.scalar(this._initialRate, "float32");
  }
}

/**
 * Dropout: in `"train"` mode, each value is zeroed with probability `rate`
 * and the survivors are scaled by `1 / (1 - rate)`; in other modes it is the
 * identity. The mask comes from the layer's key (`this.rng`), so a fixed key
 * gives a fixed mask; `sharedAxes` use one mask value along those axes.
 *
 * Input `(...)` float32; output the same shape. State: the rate, a float32
 * scalar (as Trax keeps it).
 *
 * @example
 * ```ts
 * const drop = tl.Dropout({ rate: 0.1, mode: "train" });
 * drop(tf.ones([2, 5, 1000])); // about 10% zeros, the rest 1/0.9
 * tl.Dropout({ rate: 0.5, sharedAxes: [0] }); // one mask for the whole batch
 * ```
 */
export const Dropout = callable<typeof DropoutLayer, tf.Tensor>(DropoutLayer, "Dropout", {
  positional: [],
  options: optionKeys<DropoutOptions>({
    rate: true, sharedAxes: true, mode: true,
  }),
});
export type Dropout = DropoutLayer;
