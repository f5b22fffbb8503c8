/**
 * A restricted unpickler: reads Python pickles (protocols 2 to 5) into plain
 * JavaScript values (see `values.ts` for what each Python type becomes),
 * calling nothing but the TypeScript stand-ins of the globals on the
 * allow-list (`globals.ts`). It is a security boundary: a pickle naming any
 * other global (`os.system`, `builtins.eval`, ...) is refused when the name
 * is read, before anything else happens; every length in the stream is
 * checked against the bytes present; the memo, the stack and the nesting of
 * marks have caps; each opcode consumes at least one byte, so a pickle of
 * `n` bytes runs at most `n` steps.
 * @module
 */
import { allowedGlobal, describe, setArrayState, setDtypeState, setShapeDtypeState } from "./globals";
import { PickledArray, PickledDtype, PickledShapeDtype, PyGlobal, UnpicklingError, isPyTuple, pyTuple } from "./values";

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** Named in every error message (usually the file). Default `"pickle"`. */
  what?: string;
  /** Out-of-band buffers of protocol 5 (`NEXT_BUFFER`), in order. Default none. */
  buffers?: readonly Uint8Array[];
  /** Cap on memo entries. Default 1,000,000. */
  maxMemo?: number;
  /** Cap on the items on the stack (all marks together). Default 1,000,000. */
  maxStack?: number;
  /** Cap on nested marks. Default 10,000. */
  maxMarks?: number;
}

const defaultFactories = new WeakSet<object>();

class Reader {
  pos = 0;
  private view: DataView;
  constructor(readonly bytes: Uint8Array, private readonly err: (m: string) => never) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (n < 0 || !Number.isSafeInteger(n) || this.pos + n > this.bytes.length) {
      this.err(`truncated: ${what} needs ${n} bytes at byte ${this.pos}, the data has ${this.bytes.length - this.pos} left`);
    }
  }
  u8(): number {
    this.need(1, "an opcode argument");
    return this.bytes[this.pos++];
  }
  u16(): number {
    this.need(2, "a 2-byte integer");
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4, "a 4-byte length");
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4, "a 4-byte integer");
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8, "an 8-byte length");
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    const v = hi * 2 ** 32 + lo;
    if (hi >= 2 ** 21) this.err(`a declared length of ${v} bytes is beyond anything this reader accepts`);
    return v;
  }
  f64(): number {
    this.need(8, "a float");
    const v = this.view.getFloat64(this.pos, false); // BINFLOAT is big-endian
    this.pos += 8;
    return v;
  }
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0 || end - this.pos > 4096) this.err(`truncated: ${what} has no end of line`);
    const s = latin1(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Little-endian two's complement bytes as a number (or a bigint beyond 2^53). */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  // Through one hex string: linear, where shifting a BigInt byte by byte is quadratic.
  let hex = "";
  for (let i = b.length - 1; i >= 0; i--) hex += (b[i] < 16 ? "0" : "") + b[i].toString(16);
  let v = BigInt(`0x${hex}`);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Reads one pickle into JavaScript values, constructing only what the
 * allow-list allows. Throws {@link UnpicklingError} (message starting with
 * `options.what`) for anything else: a disallowed global, a truncated or
 * malformed stream, an opcode outside protocols 2-5.
 *
 * @example
 * ```ts
 * // Python: pickle.dumps({'a': (1, 2.5, b'x')}, protocol=4)
 * const d = unpickle(bytes) as Map<string, unknown>;
 * d.get("a"); // [1, 2.5, Uint8Array [120]] (a tuple: isPyTuple(...) is true)
 * ```
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): unknown {
  const what = options.what ?? "pickle";
  const maxMemo = options.maxMemo ?? 1_000_000;
  const maxStack = options.maxStack ?? 1_000_000;
  const maxMarks = options.maxMarks ?? 10_000;
  const buffers = [...(options.buffers ?? [])];
  let at = 0;
  const err = (m: string): never => {
    throw new UnpicklingError(`${what}: ${m} (opcode at byte ${at})`);
  };
  const r = new Reader(bytes, err);
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  let depth = 0; // items on all stacks
  const memo = new Map<number, unknown>();

  const push = (v: unknown): void => {
    if (++depth > maxStack) err(`more than ${maxStack} items on the stack`);
    stack.push(v);
  };
  const pop = (): unknown => {
    if (stack.length === 0) err("the stack is empty (malformed pickle)");
    depth--;
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) err("the stack is empty (malformed pickle)");
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    if (marks.length === 0) err("no MARK before an opcode that needs one (malformed pickle)");
    stack = marks.pop()!;
    depth -= items.length;
    return items;
  };
  const memoPut = (i: number, v: unknown): void => {
    if (!memo.has(i) && memo.size >= maxMemo) err(`more than ${maxMemo} memo entries`);
    memo.set(i, v);
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) err(`memo entry ${i} does not exist`);
    return memo.get(i);
  };
  const asList = (x: unknown): unknown[] => {
    if (!Array.isArray(x) || isPyTuple(x)) err(`APPEND needs a list; the stack has ${describe(x)}`);
    return x as unknown[];
  };
  const asDict = (x: unknown): Map<unknown, unknown> => {
    if (!(x instanceof Map)) err(`SETITEM needs a dict; the stack has ${describe(x)}`);
    return x as Map<unknown, unknown>;
  };
  const setItem = (d: Map<unknown, unknown>, k: unknown, v: unknown): void => {
    if (Array.isArray(k) && !isPyTuple(k)) err("a list cannot be a dict key (unhashable)");
    if (k instanceof Map) err("a dict cannot be a dict key (unhashable)");
    d.set(k, v);
  };
  const text = (b: Uint8Array): string => {
    try {
      return utf8.decode(b);
    } catch {
      return err("a string is not valid UTF-8");
    }
  };
  const global = (module: unknown, name: unknown): PyGlobal => {
    if (typeof module !== "string" || typeof name !== "string") err("STACK_GLOBAL needs two strings");
    wrap(() => allowedGlobal(module as string, name as string)); // throws for anything not allowed
    return new PyGlobal(module as string, name as string);
  };
  const call = (f: unknown, args: unknown): unknown => {
    if (!(f instanceof PyGlobal)) err(`REDUCE can only call an allowed global; the stack has ${describe(f)}`);
    if (!Array.isArray(args)) err(`REDUCE needs a tuple of arguments; the stack has ${describe(args)}`);
    const spec = allowedGlobal((f as PyGlobal).module, (f as PyGlobal).name);
    if (!spec.call) err(`${(f as PyGlobal).qualifiedName} cannot be called from a pickle`);
    const v = wrap(() => spec.call!(args as unknown[]));
    if (v instanceof Map && (f as PyGlobal).name === "defaultdict") defaultFactories.add(v);
    return v;
  };
  const newObject = (cls: unknown, args: unknown): unknown => {
    if (!(cls instanceof PyGlobal)) err(`NEWOBJ can only create an allowed class; the stack has ${describe(cls)}`);
    if (!Array.isArray(args)) err(`NEWOBJ needs a tuple of arguments; the stack has ${describe(args)}`);
    const spec = allowedGlobal((cls as PyGlobal).module, (cls as PyGlobal).name);
    if (!spec.newObject) err(`${(cls as PyGlobal).qualifiedName} cannot be created with NEWOBJ`);
    return wrap(() => spec.newObject!(args as unknown[]));
  };
  const build = (obj: unknown, state: unknown): void => {
    wrap(() => {
      if (obj instanceof PickledArray) setArrayState(obj, state);
      else if (obj instanceof PickledDtype) setDtypeState(obj, state);
      else if (obj instanceof PickledShapeDtype) setShapeDtypeState(obj, state);
      else if (obj instanceof Map && defaultFactories.has(obj) && state === null) {
        /* defaultdict.__reduce__ gives no state */
      } else err(`BUILD (setting an object's state) is not allowed on ${describe(obj)}`);
    });
  };
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof UnpicklingError && e.message.startsWith(`${what}: `)) throw e;
      return err((e as Error).message);
    }
  };

  let started = false;
  for (;;) {
    at = r.pos;
    if (r.pos >= bytes.length) err(started ? "truncated: the pickle ends before its STOP opcode" : "empty data");
    const op = bytes[r.pos++];
    started = true;
    switch (op) {
      case 0x80: { // PROTO
        const p = r.u8();
        if (p > 5) err(`pickle protocol ${p} is newer than this reader (protocols 2 to 5)`);
        break;
      }
      case 0x95: { // FRAME
        const n = r.u64();
        r.need(n, "a frame");
        break;
      }
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) err(`STOP with ${stack.length} items on the stack and ${marks.length} open marks (malformed pickle)`);
        return stack[0];
      case 0x28: // MARK
        if (marks.length >= maxMarks) err(`more than ${maxMarks} nested marks`);
        marks.push(stack);
        stack = [];
        break;
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      // ------------------------------------------------------------ memo
      case 0x94: memoPut(memo.size, top()); break; // MEMOIZE
      case 0x71: memoPut(r.u8(), top()); break; // BINPUT
      case 0x72: memoPut(r.u32(), top()); break; // LONG_BINPUT
      case 0x68: push(memoGet(r.u8())); break; // BINGET
      case 0x6a: push(memoGet(r.u32())); break; // LONG_BINGET
      case 0x70: memoPut(intLine(r.line("PUT"), err), top()); break; // PUT
      case 0x67: push(memoGet(intLine(r.line("GET"), err))); break; // GET
      // ------------------------------------------------------------ atoms
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4b: push(r.u8()); break; // BININT1
      case 0x4d: push(r.u16()); break; // BININT2
      case 0x4a: push(r.i32()); break; // BININT
      case 0x8a: push(decodeLong(r.take(r.u8(), "LONG1"))); break; // LONG1
      case 0x8b: { // LONG4
        const n = r.i32();
        if (n < 0 || n > 65536) err(`LONG4 of ${n} bytes (at most 65536 accepted)`);
        push(decodeLong(r.take(n, "LONG4")));
        break;
      }
      case 0x47: push(r.f64()); break; // BINFLOAT
      case 0x49: { // INT (protocol 0, also how protocol 2 writes True/False in old picklers)
        const s = r.line("INT");
        push(s === "01" ? true : s === "00" ? false : intLine(s, err));
        break;
      }
      case 0x4c: push(intLine(r.line("LONG").replace(/L$/, ""), err)); break; // LONG
      case 0x46: { // FLOAT
        const v = Number(r.line("FLOAT"));
        if (Number.isNaN(v)) err("FLOAT is not a number");
        push(v);
        break;
      }
      case 0x8c: push(text(r.take(r.u8(), "SHORT_BINUNICODE"))); break;
      case 0x58: push(text(r.take(r.u32(), "BINUNICODE"))); break;
      case 0x8d: push(text(r.take(r.u64(), "BINUNICODE8"))); break;
      case 0x55: push(latin1(r.take(r.u8(), "SHORT_BINSTRING"))); break;
      case 0x54: push(latin1(r.take(r.i32(), "BINSTRING"))); break;
      case 0x43: push(r.take(r.u8(), "SHORT_BINBYTES").slice()); break;
      case 0x42: push(r.take(r.u32(), "BINBYTES").slice()); break;
      case 0x8e: push(r.take(r.u64(), "BINBYTES8").slice()); break;
      case 0x96: push(r.take(r.u64(), "BYTEARRAY8").slice()); break;
      case 0x97: { // NEXT_BUFFER
        const b = buffers.shift();
        if (!b) err("the pickle uses an out-of-band buffer (protocol 5) and none was given");
        push(b);
        break;
      }
      case 0x98: top(); break; // READONLY_BUFFER
      // ------------------------------------------------------ containers
      case 0x29: push(pyTuple([])); break; // EMPTY_TUPLE
      case 0x85: push(pyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); push(pyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push(pyTuple([a, b, c])); break; } // TUPLE3
      case 0x74: { const items = popMark(); push(pyTuple(items)); break; } // TUPLE
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x6c: { const items = popMark(); push(items); break; } // LIST
      case 0x61: { const v = pop(); asList(top()).push(v); break; } // APPEND
      case 0x65: { // APPENDS (one by one: a spread of a huge list would overflow the call stack)
        const items = popMark();
        const list = asList(top());
        for (const v of items) list.push(v);
        break;
      }
      case 0x7d: push(new Map()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = popMark();
        if (items.length % 2) err("DICT with an odd number of items");
        const d = new Map();
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        push(d);
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); setItem(asDict(top()), k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2) err("SETITEMS with an odd number of items");
        const d = asDict(top());
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        break;
      }
      case 0x8f: push(new Set()); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) err(`ADDITEMS needs a set; the stack has ${describe(s)}`);
        for (const i of items) (s as Set<unknown>).add(i);
        break;
      }
      case 0x91: push(Object.freeze(new Set(popMark()))); break; // FROZENSET
      // --------------------------------------------------------- objects
      case 0x63: { // GLOBAL
        const module = r.line("GLOBAL module");
        const name = r.line("GLOBAL name");
        push(global(module, name));
        break;
      }
      case 0x93: { const name = pop(); const module = pop(); push(global(module, name)); break; } // STACK_GLOBAL
      case 0x52: { const args = pop(); const f = pop(); push(call(f, args)); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); push(newObject(cls, args)); break; } // NEWOBJ
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(kwargs instanceof Map) || kwargs.size > 0) err("NEWOBJ_EX with keyword arguments is not allowed");
        push(newObject(cls, args));
        break;
      }
      case 0x62: { const state = pop(); build(top(), state); break; } // BUILD
      case 0x50: case 0x51: err("persistent ids (PERSID/BINPERSID) are not allowed"); break;
      case 0x82: case 0x83: case 0x84: err("the extension registry (EXT1/EXT2/EXT4) is not allowed"); break;
      case 0x69: case 0x6f: err("INST/OBJ (protocol 0/1 object creation) are not allowed"); break;
      default:
        err(`unknown or unsupported opcode 0x${op.toString(16).padStart(2, "0")} (is this a pickle?)`);
    }
  }
}

function intLine(s: string, err: (m: string) => never): number {
  if (!/^-?\d{1,15}$/.test(s)) err(`bad integer in a text opcode: ${JSON.stringify(s.slice(0, 40))}`);
  return Number(s);
}
