/**
 * bfloat16 emulation: tfjs has no bfloat16 dtype, so `useBfloat16` options
 * round values to bfloat16 precision (8 bits of mantissa, round to nearest
 * even) and keep float32 storage.
 * @module
 */
import { tf } from "../backend/tf";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * One number rounded to the nearest bfloat16 value.
 *
 * @example
 * ```ts
 * roundScalarToBfloat16(1.00390625); // 1 (halfway: rounds to even)
 * roundScalarToBfloat16(3.14159); // 3.140625
 * ```
 */
export function roundScalarToBfloat16(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000) return f32[0]; // inf / nan unchanged
  const lsb = (bits >>> 16) & 1;
  u32[0] = ((bits + 0x7fff + lsb) & 0xffff0000) >>> 0;
  return f32[0];
}

/**
 * A float32 tensor whose values are rounded to bfloat16 precision; a new
 * tensor of `t`'s shape (`t` is left as it is).
 *
 * @example
 * ```ts
 * roundToBfloat16(tf.tensor([1.00390625])).dataSync(); // [1] (bf16 has 8 mantissa bits)
 * ```
 */
export function roundToBfloat16(t: tf.Tensor): tf.Tensor {
  const values = Float32Array.from(t.dataSync() as Float32Array);
  for (let i = 0; i < values.length; i++) values[i] = roundScalarToBfloat16(values[i]);
  return tf.tensor(values, t.shape, "float32");
}

/**
 * With `on`, `t` rounded to bfloat16 precision as a new tensor, and `t`
 * disposed; otherwise `t` itself. This is what a layer's `useBfloat16`
 * option does to weights it has just made.
 *
 * @example
 * ```ts
 * let w = tf.tensor([1.00390625]);
 * w = roundToBfloat16If(true, w); // [1]; the unrounded tensor is disposed
 * ```
 */
export function roundToBfloat16If(on: boolean, t: tf.Tensor): tf.Tensor {
  if (!on) return t;
  const rounded = roundToBfloat16(t);
  t.dispose();
  return rounded;
}
