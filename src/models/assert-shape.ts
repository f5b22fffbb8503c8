/**
 * Trax's `@assert_shape` wrapper on model helper functions
 * (`trax/layers/assert_shape.py`): `Serial(AssertShape, layer, AssertShape)`.
 * The two asserts have no weights; they are kept so that the layer tree
 * (and so a checkpoint's weight tree) is Trax's. Internal.
 * @module
 */
import { tf } from "../backend/tf";
import * as tl from "../layers";
import type { Layer } from "../layers/base";

/**
 * Wraps `layer` as Trax's `AssertFunction(spec, layer)` does, for the two
 * specifications the models use: `"...d->...d"` (leading axes and the last
 * axis kept) and `"...a->...b"` (leading axes kept). A mismatch is an error
 * naming the specification.
 *
 * @example
 * ```ts
 * assertFunction("...d->...d", tl.PositionalEncoding()); // Serial[AssertShape, PositionalEncoding, AssertShape]
 * ```
 */
export function assertFunction(spec: "...d->...d" | "...a->...b", layer: Layer): Layer {
  let seen: number[] | null = null;
  const keepLast = spec === "...d->...d";
  const before = tl.Fn("AssertShape", (x: tf.Tensor) => {
    seen = x.shape.slice();
    return x;
  });
  const after = tl.Fn("AssertShape", (y: tf.Tensor) => {
    if (seen !== null) {
      const lead = seen.slice(0, -1);
      const ok = y.rank === seen.length && lead.every((d, i) => y.shape[i] === d) && (!keepLast || y.shape[y.rank - 1] === seen[seen.length - 1]);
      if (!ok) throw new Error(`AssertShape ${spec}: input shape [${seen}] and output shape [${y.shape}] do not match`);
    }
    return y;
  });
  return tl.Serial(before, layer, after);
}
