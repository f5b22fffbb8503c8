/**
 * The one TensorFlow.js instance trax-ts uses. `@tensorflow/tfjs` registers the
 * gradients and the cpu backend; the wasm backend registers itself with the same
 * `tfjs-core` instance.
 *
 * @example
 * ```ts
 * import { tf } from "trax-ts";
 * tf.tensor([1, 2, 3]).print();
 * ```
 */
// `import =` binds tfjs's exports object itself: `import * as` would wrap it
// in an object of getters (tfjs sets no __esModule), one more call on every
// `tf.op` in every layer (about 5% of an eager Dense call).
import tf = require("@tensorflow/tfjs");
import "@tensorflow/tfjs-backend-wasm";
import { installSharedIdentity } from "./wasm-shared-identity";
import { installMaxPoolGrad } from "./wasm-max-pool-grad";
import { installFastGather } from "./wasm-gather";
import { installSimdMatMul } from "./simd/wasm-matmul";
import { installSimdExp } from "./simd/wasm-exp";
import { installSimdSums } from "./simd/wasm-sums";
import { installSimdElementwise } from "./simd/wasm-elementwise";
import { installSimdSoftmax } from "./simd/wasm-softmax";
import { installReluGradient } from "./simd/wasm-relu-grad";
import { installSimdTranspose } from "./simd/wasm-transpose";
import { precompileSimdKernels } from "./simd/precompile";

installSharedIdentity(tf);
installMaxPoolGrad(tf);
installFastGather(tf);
installSimdMatMul(tf);
installSimdExp(tf);
installSimdSums(tf);
installSimdElementwise(tf);
installSimdSoftmax(tf);
installReluGradient(tf);
installSimdTranspose(tf);
precompileSimdKernels(false);

export { tf };
