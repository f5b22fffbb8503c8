/**
 * Layer classes that can be called without `new`, as Trax's constructors are:
 * `tl.Dense(10)` and `new tl.Dense(10)` both work, and `instanceof` and
 * `extends` keep working.
 * Each call records its constructor name and arguments (see
 * ./constructor-call.ts) for `layer.toPython()`.
 * @module
 */
import { markRecording, recordConstructorCall } from "./constructor-call";

/** A class that can also be called as a plain function returning an instance. */
export type CallableClass<C extends abstract new (...args: any[]) => any> = C &
  ((...args: ConstructorParameters<C>) => InstanceType<C>);

/**
 * Wraps a class so that calling it without `new` constructs an instance.
 * `name` becomes the class's name (a layer's default name).
 *
 * @example
 * ```ts
 * class DenseLayer extends Layer { ... }
 * export const Dense = callable(DenseLayer, "Dense");
 * export type Dense = DenseLayer;
 * ```
 */
export function callable<C extends new (...args: any[]) => any>(cls: C, name: string): CallableClass<C> {
  Object.defineProperty(cls, "name", { value: name, configurable: true });
  const proxy: CallableClass<C> = new Proxy(cls, {
    apply(target, _thisArg, args) {
      const made = Reflect.construct(target, args);
      recordConstructorCall(made, { name, args, namespace: "tl" });
      return made;
    },
    construct(target, args, newTarget) {
      const made = Reflect.construct(target, args, newTarget);
      // A subclass (`class MyLayer extends tl.Dense`) is not this constructor: it records nothing.
      if (newTarget === proxy) recordConstructorCall(made, { name, args, namespace: "tl" });
      return made;
    },
  }) as CallableClass<C>;
  markRecording(proxy);
  markRecording(cls); // its instances are the library's own (not a user's subclass)
  return proxy;
}
