/**
 * A small WebAssembly binary encoder for trax-ts's own SIMD kernels: enough
 * of the format (types, one imported memory, functions, exports, the
 * integer, float and 128-bit SIMD instructions the kernels use) to write a
 * module from TypeScript at run time, so no compiler toolchain or
 * prebuilt binary is needed.
 * @module
 */

/** A WebAssembly value type. */
export type ValType = "i32" | "f32" | "v128";

const VALTYPE_BYTE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

/** Unsigned LEB128 of `n` (a non-negative integer below 2^32). */
export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer `n`. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function utf8(s: string): number[] {
  return [...new TextEncoder().encode(s)];
}

function name(s: string): number[] {
  const b = utf8(s);
  return [...uleb(b.length), ...b];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** A local variable (or parameter) of a function being written: its index. */
export type Local = number;

/**
 * Writes one function's body. Every method appends one instruction (or a
 * structured group) and returns the builder, so code reads as a sequence.
 * Memory offsets are static byte offsets added to the address on the stack.
 *
 * @example
 * ```ts
 * const f = new FunctionBuilder(["i32", "i32"]);
 * f.get(0).get(1).op("i32.add");   // params 0 and 1, their sum returned
 * ```
 */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];

  constructor(readonly params: ValType[], readonly results: ValType[] = []) {}

  /** A new local of type `t`. */
  local(t: ValType): Local {
    this.localTypes.push(t);
    return this.params.length + this.localTypes.length - 1;
  }

  /** `n` new locals of type `t`. */
  locals(t: ValType, n: number): Local[] {
    return Array.from({ length: n }, () => this.local(t));
  }

  /** `local.get`. */
  get(l: Local): this {
    this.code.push(0x20, ...uleb(l));
    return this;
  }

  /** `local.set`. */
  set(l: Local): this {
    this.code.push(0x21, ...uleb(l));
    return this;
  }

  /** `local.tee`. */
  tee(l: Local): this {
    this.code.push(0x22, ...uleb(l));
    return this;
  }

  /** `i32.const`. */
  i32(n: number): this {
    this.code.push(0x41, ...sleb(n));
    return this;
  }

  /** `f32.const`. */
  f32(x: number): this {
    const b = new Uint8Array(new Float32Array([x]).buffer);
    this.code.push(0x43, ...b);
    return this;
  }

  /** `v128.const` of four equal float32 lanes. */
  f32x4(x: number): this {
    const lane = new Uint8Array(new Float32Array([x]).buffer);
    this.code.push(0xfd, ...uleb(0x0c), ...lane, ...lane, ...lane, ...lane);
    return this;
  }

  /** A plain instruction with no immediates, by name. */
  op(name: PlainOp): this {
    const code = PLAIN_OPS[name];
    if (code < 0x100) this.code.push(code);
    else this.code.push(0xfd, ...uleb(code - 0x100));
    return this;
  }

  /** A load or store by name, at `address + offset` (alignment: natural). */
  mem(name: MemOp, offset = 0): this {
    const [code, align] = MEM_OPS[name];
    if (code < 0x100) this.code.push(code);
    else this.code.push(0xfd, ...uleb(code - 0x100));
    this.code.push(...uleb(align), ...uleb(offset));
    return this;
  }

  /** `f32x4.extract_lane lane`. */
  extractLane(lane: number): this {
    this.code.push(0xfd, ...uleb(0x1f), lane);
    return this;
  }

  /**
   * `i8x16.shuffle lanes`: byte `i` of the result is byte `lanes[i]` of the
   * two vectors on the stack (0-15 the first, 16-31 the second).
   */
  shuffle(lanes: number[]): this {
    if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) throw new Error(`i8x16.shuffle takes 16 byte lanes in 0-31; got [${lanes}]`);
    this.code.push(0xfd, ...uleb(0x0d), ...lanes);
    return this;
  }

  /** Local `l` += `n` (an i32 local). */
  addTo(l: Local, n: number | Local, isLocal = false): this {
    this.get(l);
    if (isLocal) this.get(n);
    else this.i32(n);
    return this.op("i32.add").set(l);
  }

  /** `block ... end` around what `body` writes; `body` gets the branch depth helper. */
  block(body: () => void): this {
    this.code.push(0x02, 0x40);
    body();
    this.code.push(0x0b);
    return this;
  }

  /** `loop ... end` around what `body` writes. */
  loop(body: () => void): this {
    this.code.push(0x03, 0x40);
    body();
    this.code.push(0x0b);
    return this;
  }

  /** `if ... end` (the condition is on the stack). */
  if(body: () => void, orElse?: () => void): this {
    this.code.push(0x04, 0x40);
    body();
    if (orElse) {
      this.code.push(0x05);
      orElse();
    }
    this.code.push(0x0b);
    return this;
  }

  /** `br depth`. */
  br(depth: number): this {
    this.code.push(0x0c, ...uleb(depth));
    return this;
  }

  /** `br_if depth`. */
  brIf(depth: number): this {
    this.code.push(0x0d, ...uleb(depth));
    return this;
  }

  /**
   * `while (counter < limit) { body; counter += step }` on i32 locals, as
   * `block loop (exit if counter + step > limit) body step br end end`
   * when `whole` (only whole steps run), else while `counter < limit`.
   */
  forLoop(counter: Local, limit: Local, step: number, body: () => void, whole = false): this {
    return this.block(() =>
      this.loop(() => {
        this.get(counter);
        if (whole) this.i32(step).op("i32.add").get(limit).op("i32.gt_s");
        else this.get(limit).op("i32.ge_s");
        this.brIf(1);
        body();
        this.addTo(counter, step).br(0);
      })
    );
  }

  /** The encoded body (locals and code). */
  encode(): number[] {
    const groups: number[][] = [];
    for (let i = 0; i < this.localTypes.length; ) {
      let j = i;
      while (j < this.localTypes.length && this.localTypes[j] === this.localTypes[i]) j++;
      groups.push([...uleb(j - i), VALTYPE_BYTE[this.localTypes[i]]]);
      i = j;
    }
    const body = [...vec(groups), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

const PLAIN_OPS = {
  drop: 0x1a,
  select: 0x1b,
  "i32.eqz": 0x45,
  "i32.eq": 0x46,
  "i32.ne": 0x47,
  "i32.lt_s": 0x48,
  "i32.gt_s": 0x4a,
  "i32.le_s": 0x4c,
  "i32.ge_s": 0x4e,
  "i32.add": 0x6a,
  "i32.sub": 0x6b,
  "i32.mul": 0x6c,
  "i32.and": 0x71,
  "i32.or": 0x72,
  "i32.shl": 0x74,
  "i32.shr_s": 0x75,
  "f32.ne": 0x5c,
  "f32.gt": 0x5e,
  "f32.abs": 0x8b,
  "f32.neg": 0x8c,
  "f32.sqrt": 0x91,
  "f32.add": 0x92,
  "f32.sub": 0x93,
  "f32.mul": 0x94,
  "f32.div": 0x95,
  "f32.min": 0x96,
  "f32.max": 0x97,
  "f32.convert_i32_s": 0xb2,
  // SIMD (0xfd prefix): code 0x100 + the SIMD opcode.
  "f32x4.splat": 0x100 + 0x13,
  "v128.and": 0x100 + 0x4e,
  "v128.andnot": 0x100 + 0x4f,
  "v128.or": 0x100 + 0x50,
  "v128.bitselect": 0x100 + 0x52,
  "f32x4.eq": 0x100 + 0x41,
  "f32x4.ne": 0x100 + 0x42,
  "f32x4.lt": 0x100 + 0x43,
  "f32x4.gt": 0x100 + 0x44,
  "f32x4.abs": 0x100 + 0xe0,
  "f32x4.neg": 0x100 + 0xe1,
  "f32x4.sqrt": 0x100 + 0xe3,
  "f32x4.add": 0x100 + 0xe4,
  "f32x4.sub": 0x100 + 0xe5,
  "f32x4.mul": 0x100 + 0xe6,
  "f32x4.div": 0x100 + 0xe7,
  "f32x4.min": 0x100 + 0xe8,
  "f32x4.max": 0x100 + 0xe9,
  "f32x4.relaxed_madd": 0x100 + 0x105,
  "f32x4.nearest": 0x100 + 0x6a,
  "f32x4.pmin": 0x100 + 0xea,
  "f32x4.pmax": 0x100 + 0xeb,
  "i32x4.splat": 0x100 + 0x11,
  "i32x4.shl": 0x100 + 0xab,
  "i32x4.shr_s": 0x100 + 0xac,
  "i32x4.add": 0x100 + 0xae,
  "i32x4.sub": 0x100 + 0xb1,
  "i32x4.trunc_sat_f32x4_s": 0x100 + 0xf8,
} as const;

/** The names {@link FunctionBuilder.op} takes. */
export type PlainOp = keyof typeof PLAIN_OPS;

const MEM_OPS = {
  "i32.load": [0x28, 2],
  "f32.load": [0x2a, 2],
  "i32.store": [0x36, 2],
  "f32.store": [0x38, 2],
  "v128.load": [0x100 + 0x00, 4],
  "v128.load32_splat": [0x100 + 0x09, 2],
  "v128.store": [0x100 + 0x0b, 4],
} as const;

/** The names {@link FunctionBuilder.mem} takes. */
export type MemOp = keyof typeof MEM_OPS;

/** One exported function of a module. */
export interface ExportedFunction {
  name: string;
  fn: FunctionBuilder;
}

/**
 * A module of `functions` that imports one memory as `env.memory` (shared
 * when `sharedMemory`, as the threaded wasm builds' memory is) and exports
 * each function by name.
 *
 * @example
 * ```ts
 * const bytes = encodeModule([{ name: "add", fn }], false);
 * const mod = new WebAssembly.Module(bytes);
 * ```
 */
export function encodeModule(functions: ExportedFunction[], sharedMemory: boolean): Uint8Array {
  const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
  const types = functions.map(({ fn }) => [
    0x60,
    ...vec(fn.params.map((t) => [VALTYPE_BYTE[t]])),
    ...vec(fn.results.map((t) => [VALTYPE_BYTE[t]])),
  ]);
  // Memory import: min 0 pages; a shared memory must declare a maximum (65536 pages, 4 GiB).
  const memoryType = sharedMemory ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const imports = [[...name("env"), ...name("memory"), 0x02, ...memoryType]];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map(({ fn }) => fn.encode()))),
  ];
  return new Uint8Array(bytes);
}
