/**
 * Layer classes that can be called without `new`, as Trax's constructors are:
 * `tl.Dense(10)` and `new tl.Dense(10)` both work, and `instanceof` and
 * `extends` keep working.
 * @module
 */
import { checkArgs, registerArgSpec } from "./arg-check";
import type { ArgSpec } from "./arg-check";
import type { Returns } from "./typed-output";

/**
 * A class that can also be called as a plain function returning an instance;
 * with `Out`, the instance a plain call returns is typed to return `Out`
 * when called (`tl.Dense(4)(x)` is a `tf.Tensor`).
 */
export type CallableClass<C extends abstract new (...args: any[]) => any, Out = never> = C &
  ((...args: ConstructorParameters<C>) => [Out] extends [never] ? InstanceType<C> : Returns<Out> & InstanceType<C>);

/**
 * Wraps a class so that calling it without `new` constructs an instance.
 * `name` becomes the class's name (a layer's default name). With `spec`,
 * every call (with or without `new`, not a subclass's `super`) is checked
 * against the declared arguments (see `arg-check.ts`).
 *
 * @example
 * ```ts
 * class DenseLayer extends Layer { ... }
 * export const Dense = callable(DenseLayer, "Dense", { positional: ["nUnits"], options: DENSE_OPTIONS });
 * export type Dense = DenseLayer;
 * ```
 */
export function callable<C extends new (...args: any[]) => any, Out = never>(
  cls: C,
  name: string,
  spec?: ArgSpec
): CallableClass<C, Out> {
  Object.defineProperty(cls, "name", { value: name, configurable: true });
  const proxy: CallableClass<C, Out> = new Proxy(cls, {
    apply(target, _thisArg, args) {
      if (spec) checkArgs(name, args, spec);
      return Reflect.construct(target, args);
    },
    construct(target, args, newTarget) {
      if (spec && newTarget === proxy) checkArgs(name, args, spec);
      return Reflect.construct(target, args, newTarget);
    },
  }) as CallableClass<C, Out>;
  if (spec) registerArgSpec(proxy, name, spec);
  return proxy;
}
