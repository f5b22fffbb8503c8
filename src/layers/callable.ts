/**
 * Layer classes that can be called without `new`, as Trax's constructors are:
 * `tl.Dense(10)` and `new tl.Dense(10)` both work, and `instanceof` and
 * `extends` keep working.
 * @module
 */

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
  return new Proxy(cls, {
    apply(target, _thisArg, args) {
      return Reflect.construct(target, args);
    },
  }) as CallableClass<C>;
}
