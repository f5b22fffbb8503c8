/**
 * The header of a `.npy` file, read as numpy reads it: a Python literal
 * dictionary (`ast.literal_eval`), then numpy's checks (exactly the keys
 * `descr`, `fortran_order`, `shape`; `shape` a tuple of ints; `fortran_order`
 * a bool). A small strict parser of the Python literal syntax a header can
 * hold: strings (with prefixes, escapes and implicit concatenation),
 * numbers, `True`/`False`/`None`, tuples, lists, dicts and sets, comments
 * and line continuations. Whatever it cannot read, or numpy would refuse,
 * is an error; duplicate keys resolve as in Python (the last one wins).
 * @module
 */

/** The header's fields, checked. */
export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** numpy refuses longer headers unless the file is trusted (`max_header_size`). */
export const MAX_HEADER_SIZE = 10000;
/** numpy 1.x's `NPY_MAXDIMS` (numpy 2 allows 64): files beyond it do not load everywhere. */
export const MAX_DIMS = 32;

/** A parsed Python literal. */
type PyValue =
  | { t: "str"; v: string }
  | { t: "bytes"; v: string }
  | { t: "int"; v: bigint; signed?: boolean }
  | { t: "bool"; v: boolean }
  | { t: "float" | "complex" | "none" }
  | { t: "tuple" | "list" | "set"; v: PyValue[] }
  | { t: "dict"; v: Map<string, PyValue> };

class HeaderSyntaxError extends Error {}

/**
 * Parses and checks a `.npy` header (its text, decoded as the format
 * version says); `version` is the major format version (1, 2 or 3). Throws
 * an Error saying what is wrong.
 *
 * @example
 * ```ts
 * parseNpyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 1);
 * // { descr: "<f4", fortranOrder: false, shape: [2, 3] }
 * ```
 */
export function parseNpyHeader(text: string, version: number): NpyHeader {
  if (text.length > MAX_HEADER_SIZE) {
    throw new Error(`bad .npy header: ${text.length} characters (numpy refuses headers over ${MAX_HEADER_SIZE})`);
  }
  if (text.includes("\0")) throw new Error("bad .npy header: it contains a NUL character");
  let value: PyValue;
  try {
    value = new LiteralParser(text, version < 3).parseDocument();
  } catch (e) {
    if (e instanceof HeaderSyntaxError) throw new Error(`bad .npy header: ${e.message} in ${JSON.stringify(text.slice(0, 200))}`);
    throw e;
  }
  if (value.t !== "dict") throw new Error(`bad .npy header: not a dictionary literal: ${JSON.stringify(text.slice(0, 120))}`);
  const d = value.v;
  const keys = [...d.keys()].sort();
  if (keys.length !== 3 || keys[0] !== "s:descr" || keys[1] !== "s:fortran_order" || keys[2] !== "s:shape") {
    throw new Error(`bad .npy header: its keys must be exactly 'descr', 'fortran_order' and 'shape'; got ${keys.map((k) => k.slice(2)).join(", ") || "none"}`);
  }
  const shapeV = d.get("s:shape")!;
  // numpy's check lets True/False through (bools are ints in Python), then refuses them building the array.
  if (shapeV.t !== "tuple" || !shapeV.v.every((x) => x.t === "int")) {
    throw new Error("bad .npy header: shape is not a tuple of integers");
  }
  if (shapeV.v.length > MAX_DIMS) throw new Error(`bad .npy header: shape has ${shapeV.v.length} dimensions (at most ${MAX_DIMS})`);
  const shape = shapeV.v.map((x) => {
    const n = (x as { v: bigint }).v;
    if (n < 0n) throw new Error(`bad .npy header: shape entry ${n} is negative`);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`bad .npy header: shape entry ${n} is too large (above 2^53 - 1)`);
    return Number(n);
  });
  const fortran = d.get("s:fortran_order")!;
  if (fortran.t !== "bool") throw new Error("bad .npy header: fortran_order is not True or False");
  const descr = d.get("s:descr")!;
  if (descr.t === "list") throw new Error("unsupported dtype: structured (record) arrays are not supported");
  if (descr.t !== "str") throw new Error(`bad .npy header: descr is not a dtype string (a ${descr.t})`);
  return { descr: descr.v, fortranOrder: fortran.v, shape };
}

const WS = new Set([" ", "\t", "\f", "\r", "\n"]);

class LiteralParser {
  private i = 0;
  /** Open brackets: newlines inside them are whitespace, as in Python. */
  private depth = 0;

  constructor(private readonly s: string, private readonly longSuffix: boolean) {}

  parseDocument(): PyValue {
    // literal_eval strips leading spaces and tabs; then one expression, then only blanks and comments.
    while (this.s[this.i] === " " || this.s[this.i] === "\t") this.i++;
    const v = this.value();
    this.skip(true);
    if (this.i < this.s.length) throw new HeaderSyntaxError(`unexpected '${this.s[this.i]}' at ${this.i}`);
    return v;
  }

  /** Skips blanks, comments and line continuations; newlines only inside brackets (or at the end). */
  private skip(atEnd = false): void {
    const s = this.s;
    for (;;) {
      const c = s[this.i];
      if (c === " " || c === "\t" || c === "\f") this.i++;
      else if ((c === "\n" || c === "\r") && (this.depth > 0 || atEnd)) this.i++;
      else if (c === "\\" && (s[this.i + 1] === "\n" || s[this.i + 1] === "\r")) this.i += s.startsWith("\r\n", this.i + 1) ? 3 : 2;
      else if (c === "#") {
        while (this.i < s.length && s[this.i] !== "\n" && s[this.i] !== "\r") this.i++;
      } else return;
    }
  }

  private expect(ch: string): void {
    this.skip();
    if (this.s[this.i] !== ch) throw new HeaderSyntaxError(`expected '${ch}' at ${this.i}`);
    this.i++;
  }

  private value(): PyValue {
    this.skip();
    const s = this.s;
    const c = s[this.i];
    if (c === undefined) throw new HeaderSyntaxError("unexpected end");
    if (c === "{") return this.braced();
    if (c === "[") return { t: "list", v: this.sequence("[", "]").items };
    if (c === "(") {
      const { items, trailingComma } = this.sequence("(", ")");
      if (items.length === 1 && !trailingComma) return items[0]; // a parenthesized value
      return { t: "tuple", v: items };
    }
    if (c === "+" || c === "-") {
      // literal_eval: a sign applies to a number literal only (not to True, a string, or another sign).
      this.i++;
      const v = this.value();
      if (v.t === "int" && !v.signed) return { t: "int", v: c === "-" ? -v.v : v.v, signed: true };
      if ((v.t === "float" || v.t === "complex") && !(v as { signed?: boolean }).signed) return { ...v, signed: true } as PyValue;
      throw new HeaderSyntaxError(`'${c}' before ${v.t === "int" ? "a signed number" : `a ${v.t}`}`);
    }
    if (/[0-9.]/.test(c)) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(this.i, this.i + 64));
    if (word) {
      const w = word[0];
      const q = s[this.i + w.length];
      if ((q === "'" || q === '"') && /^(r|u|b|br|rb)$/i.test(w)) return this.strings();
      this.i += w.length;
      if (w === "True" || w === "False") return { t: "bool", v: w === "True" };
      if (w === "None") return { t: "none" };
      throw new HeaderSyntaxError(`name '${w}' is not a literal`);
    }
    if (c === "'" || c === '"') return this.strings();
    throw new HeaderSyntaxError(`unexpected '${c}' at ${this.i}`);
  }

  /** Items between brackets, separated by commas, an optional trailing comma. */
  private sequence(open: string, close: string): { items: PyValue[]; trailingComma: boolean } {
    this.expect(open);
    this.depth++;
    const items: PyValue[] = [];
    let trailingComma = false;
    for (;;) {
      this.skip();
      if (this.s[this.i] === close) break;
      items.push(this.value());
      this.skip();
      trailingComma = false;
      if (this.s[this.i] === ",") {
        this.i++;
        trailingComma = true;
        continue;
      }
      if (this.s[this.i] !== close) throw new HeaderSyntaxError(`expected ',' or '${close}' at ${this.i}`);
    }
    if (items.length === 0 && trailingComma) throw new HeaderSyntaxError("a lone ',' in brackets");
    this.i++;
    this.depth--;
    return { items, trailingComma };
  }

  /** A dict (`{k: v, ...}`, keys hashable literals, the last of equal keys wins) or a set. */
  private braced(): PyValue {
    this.expect("{");
    this.depth++;
    const dict = new Map<string, PyValue>();
    const set: PyValue[] = [];
    let kind: "dict" | "set" | null = null;
    for (;;) {
      this.skip();
      if (this.s[this.i] === "}") break;
      const k = this.value();
      this.skip();
      if (this.s[this.i] === ":") {
        if (kind === "set") throw new HeaderSyntaxError(`':' in a set at ${this.i}`);
        kind = "dict";
        this.i++;
        const v = this.value();
        const key = hashKey(k);
        dict.delete(key); // Python keeps the first key's position but the last value; order is irrelevant here.
        dict.set(key, v);
      } else {
        if (kind === "dict") throw new HeaderSyntaxError(`expected ':' at ${this.i}`);
        kind = "set";
        hashKey(k);
        set.push(k);
      }
      this.skip();
      if (this.s[this.i] === ",") {
        this.i++;
        continue;
      }
      if (this.s[this.i] !== "}") throw new HeaderSyntaxError(`expected ',' or '}' at ${this.i}`);
    }
    this.i++;
    this.depth--;
    if (kind === "set") return { t: "set", v: set };
    return { t: "dict", v: dict };
  }

  /** One number literal (ints exactly; floats and complex only as kinds). */
  private number(): PyValue {
    const rest = this.s.slice(this.i, this.i + 4096);
    const digits = "[0-9](?:_?[0-9])*";
    const forms: [RegExp, "int" | "float"][] = [
      [/^0[xX](?:_?[0-9a-fA-F])+/, "int"],
      [/^0[oO](?:_?[0-7])+/, "int"],
      [/^0[bB](?:_?[01])+/, "int"],
      [new RegExp(`^(?:${digits}\\.(?:${digits})?|\\.${digits})(?:[eE][+-]?${digits})?`), "float"],
      [new RegExp(`^${digits}[eE][+-]?${digits}`), "float"],
      [/^(?:[1-9](?:_?[0-9])*|0(?:_?0)*)/, "int"],
    ];
    for (const [re, kind] of forms) {
      const m = re.exec(rest);
      if (!m) continue;
      let text = m[0];
      this.i += text.length;
      const next = this.s[this.i];
      if (next === "j" || next === "J") {
        this.i++;
        return this.afterNumber({ t: "complex" });
      }
      if (kind === "float") return this.afterNumber({ t: "float" });
      text = text.replace(/_/g, "");
      const v = /^0[oO]/.test(text) ? BigInt("0o" + text.slice(2)) : BigInt(text);
      // Python 2's long suffix, which numpy filters out of version 1 and 2 headers.
      if (this.longSuffix && this.s[this.i] === "L") this.i++;
      return this.afterNumber({ t: "int", v });
    }
    throw new HeaderSyntaxError(`bad number at ${this.i}`);
  }

  /** A number may not run into a name or another number (`12ab`, `0777`). */
  private afterNumber(v: PyValue): PyValue {
    const next = this.s[this.i];
    if (next !== undefined && /[A-Za-z0-9_.]/.test(next)) throw new HeaderSyntaxError(`bad number at ${this.i}`);
    return v;
  }

  /** One or more adjacent string literals, concatenated (str and bytes do not mix). */
  private strings(): PyValue {
    let out: PyValue | null = null;
    for (;;) {
      this.skip();
      const m = /^([A-Za-z]{0,2})(['"])/.exec(this.s.slice(this.i, this.i + 3));
      if (!m || !/^(|r|u|b|br|rb)$/i.test(m[1])) break;
      const one = this.string();
      if (out === null) out = one;
      else if (out.t !== one.t) throw new HeaderSyntaxError("str and bytes literals cannot be concatenated");
      else out = { t: one.t, v: (out as { v: string }).v + (one as { v: string }).v } as PyValue;
    }
    if (out === null) throw new HeaderSyntaxError(`expected a string at ${this.i}`);
    return out;
  }

  private string(): PyValue {
    const s = this.s;
    const prefix = /^[A-Za-z]*/.exec(s.slice(this.i, this.i + 2))![0].toLowerCase();
    this.i += prefix.length;
    const raw = prefix.includes("r");
    const bytes = prefix.includes("b");
    const q = s[this.i];
    const triple = s.startsWith(q.repeat(3), this.i);
    const end = triple ? q.repeat(3) : q;
    this.i += end.length;
    let v = "";
    for (;;) {
      if (this.i >= s.length) throw new HeaderSyntaxError("unterminated string");
      if (s.startsWith(end, this.i)) {
        this.i += end.length;
        break;
      }
      const c = s[this.i];
      if (!triple && (c === "\n" || c === "\r")) throw new HeaderSyntaxError("unterminated string");
      if (bytes && c.charCodeAt(0) > 127) throw new HeaderSyntaxError("bytes can only contain ASCII characters");
      if (c !== "\\") {
        v += c;
        this.i++;
        continue;
      }
      const n = s[this.i + 1];
      if (n === undefined) throw new HeaderSyntaxError("unterminated string");
      if (raw) {
        v += c + n;
        this.i += 2;
        continue;
      }
      this.i += 2;
      const simple: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\n": "" };
      if (n in simple) v += simple[n];
      else if (n === "\r") {
        if (s[this.i] === "\n") this.i++;
      } else if (/[0-7]/.test(n)) {
        const m = /^[0-7]{0,2}/.exec(s.slice(this.i, this.i + 2))![0];
        this.i += m.length;
        v += String.fromCharCode(parseInt(n + m, 8));
      } else if (n === "x") {
        v += this.hexEscape(2);
      } else if (!bytes && (n === "u" || n === "U")) {
        v += this.hexEscape(n === "u" ? 4 : 8);
      } else if (!bytes && n === "N") {
        throw new HeaderSyntaxError("\\N{...} escapes are not supported in a header");
      } else {
        v += "\\" + n; // unknown escapes stay as written (Python warns)
      }
    }
    return { t: bytes ? "bytes" : "str", v };
  }

  private hexEscape(len: number): string {
    const h = this.s.slice(this.i, this.i + len);
    if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) throw new HeaderSyntaxError(`truncated \\x/\\u escape at ${this.i}`);
    this.i += len;
    const code = parseInt(h, 16);
    if (code > 0x10ffff) throw new HeaderSyntaxError("escape out of range");
    return String.fromCodePoint(code);
  }
}

let otherKeys = 0;

/** A dict/set key as Python would compare it (lists, dicts and sets are unhashable). */
function hashKey(k: PyValue): string {
  switch (k.t) {
    case "str":
      return "s:" + k.v;
    case "bytes":
      return "b:" + k.v;
    case "int":
      return "n:" + k.v.toString();
    case "bool":
      return "n:" + (k.v ? "1" : "0"); // True == 1 in Python
    case "tuple":
      return "t:(" + k.v.map(hashKey).join(",") + ")";
    case "list":
    case "dict":
    case "set":
      throw new HeaderSyntaxError(`unhashable ${k.t} as a key`);
    default:
      return `o:${k.t}:${otherKeys++}`; // floats, complex, None: never equal to the keys that matter
  }
}
