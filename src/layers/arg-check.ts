/**
 * Argument checking shared by every layer constructor: each constructor
 * declares its positional parameters and its option keys once
 * ({@link ArgSpec}); a call with an unknown option key or a surplus
 * positional argument is refused with a `TypeError` naming the constructor,
 * the key and the closest valid key, as Python refuses an unexpected keyword.
 * @module
 */

/** What a constructor accepts: positional parameters, then one options object. */
export interface ArgSpec {
  /**
   * Names of the positional parameters, in order. A name ending in `?` is
   * optional (it may be left out, and the options object moves up); a plain
   * object given after the required ones is the options object.
   */
  positional?: readonly string[];
  /** True when the positional parameters are a variable list (layers), as for `Serial`. */
  rest?: boolean;
  /** Valid keys of the trailing options object (empty: it takes none). */
  options: readonly string[];
}

/**
 * The keys of an options interface, checked by the compiler to be complete
 * and exact: every key of `O` must be listed, and nothing else.
 *
 * @example
 * ```ts
 * const keys = optionKeys<{ useBias?: boolean }>({ useBias: true }); // ["useBias"]
 * ```
 */
export function optionKeys<O>(keys: { [K in keyof Required<O>]: true }): readonly string[] {
  return Object.freeze(Object.keys(keys));
}

/** True for a plain `{ ... }` object (what an options argument is). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

const specs = new WeakMap<object, { name: string; spec: ArgSpec }>();

/**
 * The declared arguments of a constructor (for tests and tools), or
 * `undefined` when it declares none.
 *
 * @example
 * ```ts
 * argSpecOf(tl.Dense)?.spec.options; // ["kernelInitializer", "biasInitializer", "useBias", "useBfloat16"]
 * ```
 */
export function argSpecOf(f: unknown): { name: string; spec: ArgSpec } | undefined {
  return typeof f === "function" ? specs.get(f) : undefined;
}

/** Records `spec` as the declaration of `f` (done by {@link withArgs} and `callable`). */
export function registerArgSpec(f: object, name: string, spec: ArgSpec): void {
  specs.set(f, { name, spec });
}

/** camelCase of a snake_case key: `n_heads` -> `nHeads`. */
function camelCase(key: string): string {
  return key.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Edit distance of two short strings (insert, delete, substitute, swap). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The valid key closest to `key`: its camelCase form, a match ignoring case
 * and underscores, the nearest by edit distance (if near enough), or an
 * abbreviation of it (or the reverse).
 *
 * @example
 * ```ts
 * closestKey("n_heads", ["nHeads", "dropout"]); // "nHeads"
 * closestKey("usebias", ["useBias"]); // "useBias"
 * closestKey("message", ["nIn", "msg"]); // "msg"
 * ```
 */
export function closestKey(key: string, valid: readonly string[]): string | null {
  const camel = camelCase(key);
  if (valid.includes(camel)) return camel;
  const fold = (s: string) => s.replace(/_/g, "").toLowerCase();
  const folded = valid.find((v) => fold(v) === fold(key));
  if (folded !== undefined) return folded;
  let best: string | null = null;
  let bestD = Infinity;
  for (const v of valid) {
    const dist = editDistance(fold(camel), fold(v));
    if (dist < bestD) [best, bestD] = [v, dist];
  }
  if (best !== null && bestD <= Math.max(2, Math.floor(best.length / 3))) return best;
  // An abbreviation (`msg` for `message`): one is a subsequence of the other, same first letter.
  const isSubsequence = (short: string, long: string) => {
    let i = 0;
    for (const ch of long) if (ch === short[i]) i++;
    return i === short.length;
  };
  const k = fold(camel);
  return valid.find((v) => {
    const f = fold(v);
    return f[0] === k[0] && Math.min(f.length, k.length) >= 2 && (isSubsequence(f, k) || isSubsequence(k, f));
  }) ?? null;
}

function show(x: unknown): string {
  if (typeof x === "function") return `a function${(x as { name?: string }).name ? ` (${(x as { name: string }).name})` : ""}`;
  if (typeof x === "string") return JSON.stringify(x);
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (x !== null && typeof x === "object") return `an object (${(x as object).constructor?.name ?? "Object"})`;
  return String(x);
}

function listKeys(keys: readonly string[]): string {
  return keys.length === 0 ? "it takes no options" : `valid options: ${keys.join(", ")}`;
}

/**
 * Throws when an options object holds a key the constructor `name` does not
 * declare. A key whose value is `undefined` passes (it sets nothing, as
 * `{ ...opts, key: undefined }` is how JavaScript leaves a key out).
 */
export function checkOptionKeys(name: string, options: Record<string, unknown>, valid: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (valid.includes(key) || options[key] === undefined) continue;
    const near = closestKey(key, valid);
    const hint = near !== null ? `; did you mean '${near}'?` : "";
    throw new TypeError(`${name}() got an unexpected option '${key}'${hint} (${listKeys(valid)})`);
  }
}

/**
 * Checks the arguments of one call of the constructor `name` against its
 * declaration: no more positional arguments than declared, at most one
 * trailing options object, and only declared option keys.
 *
 * @example
 * ```ts
 * checkArgs("Dense", [3, { usebias: false }], { positional: ["nUnits"], options: ["useBias"] });
 * // TypeError: Dense() got an unexpected option 'usebias'; did you mean 'useBias'? ...
 * ```
 */
export function checkArgs(name: string, args: ArrayLike<unknown>, spec: ArgSpec): void {
  const n = args.length;
  if (spec.rest) {
    if (n > 0 && isPlainObject(args[n - 1])) checkOptionKeys(name, args[n - 1] as Record<string, unknown>, spec.options);
    return;
  }
  const names = spec.positional ?? [];
  const required = names.filter((p) => !p.endsWith("?")).length;
  const bare = names.map((p) => p.replace(/[?]$/, ""));
  const signature = `${name}(${[...bare, ...(spec.options.length > 0 ? ["{ options }"] : [])].join(", ")})`;
  // The options object is the first plain object after the required positional arguments.
  let optionsAt = -1;
  for (let i = required; i < n; i++) {
    if (isPlainObject(args[i])) {
      optionsAt = i;
      break;
    }
  }
  const positionalGiven = optionsAt === -1 ? n : optionsAt;
  // Trailing `undefined`s are what a default parameter receives: not surplus.
  let last = n;
  while (last > positionalGiven && args[last - 1] === undefined) last--;
  if (optionsAt !== -1 && last > optionsAt + 1) {
    throw new TypeError(`${signature}: too many arguments; got ${show(args[optionsAt + 1])} after the options object`);
  }
  let positionalEnd = positionalGiven;
  while (positionalEnd > names.length && args[positionalEnd - 1] === undefined) positionalEnd--;
  if (positionalEnd > names.length) {
    const what = names.length === 0 ? "no positional arguments" : `${names.length} positional argument${names.length > 1 ? "s" : ""} (${bare.join(", ")})`;
    const hint = spec.options.length > 0 ? `; pass the rest in an options object (${listKeys(spec.options)})` : "";
    throw new TypeError(`${signature} takes ${what}; got ${show(args[names.length])} as argument ${names.length + 1}${hint}`);
  }
  if (optionsAt !== -1) checkOptionKeys(name, args[optionsAt] as Record<string, unknown>, spec.options);
}

/**
 * Declares the arguments of a constructor function: the returned function
 * checks each call with {@link checkArgs}, then calls `f`.
 *
 * @example
 * ```ts
 * export const Relu = withArgs("Relu", { options: [] }, function Relu(): PureLayer { ... });
 * ```
 */
export function withArgs<F extends (...args: any[]) => any>(name: string, spec: ArgSpec, f: F): F {
  const checked = function (this: unknown, ...args: unknown[]) {
    checkArgs(name, args, spec);
    return f.apply(this, args);
  } as unknown as F;
  Object.defineProperty(checked, "name", { value: name, configurable: true });
  Object.defineProperty(checked, "length", { value: f.length, configurable: true });
  registerArgSpec(checked, name, spec);
  return checked;
}
