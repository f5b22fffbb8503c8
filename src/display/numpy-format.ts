/**
 * Array values printed the way numpy's `str(array)` prints them (numpy's
 * default print options: precision 8, threshold 1000, edgeitems 3,
 * linewidth 75, `floatmode="maxprec"`), for float32, int32, bool and string
 * data.
 * @module
 */

/** Print options (numpy's names, camelCased). */
export interface NumpyPrintOptions {
  /** Digits after the decimal point at most (default 8). */
  precision?: number;
  /** Arrays with more elements than this are summarized with `...` (default 1000). */
  threshold?: number;
  /** Items kept at each end of a summarized axis (default 3). */
  edgeitems?: number;
  /** Characters per line before wrapping (default 75). */
  linewidth?: number;
}

/** The values a formatter sees: numbers (float or int), booleans or strings. */
export type PrintableValues = ArrayLike<number> | ArrayLike<boolean> | ArrayLike<string>;

/**
 * Formats flat row-major `values` of `shape` as numpy prints `str(array)`.
 *
 * @example
 * ```ts
 * formatNumpy(new Float32Array([1.5, 2.25, -3]), [3], "float32"); // "[ 1.5   2.25 -3.  ]"
 * ```
 */
export function formatNumpy(values: PrintableValues, shape: readonly number[], dtype: string, options: NumpyPrintOptions = {}): string {
  const precision = options.precision ?? 8;
  const threshold = options.threshold ?? 1000;
  const edge = options.edgeitems ?? 3;
  const linewidth = options.linewidth ?? 75;
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) throw new Error(`formatNumpy: ${values.length} values do not fill shape [${shape}]`);
  if (size === 0 && shape.length > 0) return "[]";
  const summarize = size > threshold;
  const strides = stridesOf(shape);
  // The formatter is fitted to the values that will be printed (the edges when summarized).
  const shown = summarize ? edgeIndices(shape, strides, edge) : null;
  const pick = (f: (i: number) => void) => {
    if (shown) for (const i of shown) f(i);
    else for (let i = 0; i < size; i++) f(i);
  };
  const fmt = makeFormatter(values, dtype, precision, pick, shape.length === 0);
  if (shape.length === 0) return fmt(0);
  return formatArray(shape, strides, fmt, linewidth, " ", " ", edge, summarize ? "..." : "");
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Flat indices of the elements shown when summarizing (each long axis cut to its edges). */
function edgeIndices(shape: readonly number[], strides: number[], edge: number): number[] {
  const axes = shape.map((n) => {
    if (n > 2 * edge) return [...Array(edge).keys(), ...Array.from({ length: edge }, (_, i) => n - edge + i)];
    return [...Array(n).keys()];
  });
  let out = [0];
  axes.forEach((idx, a) => {
    const next: number[] = [];
    for (const base of out) for (const i of idx) next.push(base + i * strides[a]);
    out = next;
  });
  return out;
}

type Formatter = (flatIndex: number) => string;

function makeFormatter(
  values: PrintableValues,
  dtype: string,
  precision: number,
  pick: (f: (i: number) => void) => void,
  scalar: boolean
): Formatter {
  if (dtype === "bool") {
    const t = scalar ? "True" : " True";
    return (i) => (values[i] ? t : "False");
  }
  if (dtype === "string") {
    return (i) => pyRepr(String(values[i]));
  }
  if (dtype === "int32" || dtype === "int64" || dtype === "uint8") {
    let width = 0;
    pick((i) => {
      width = Math.max(width, String(values[i]).length);
    });
    return (i) => String(values[i]).padStart(width);
  }
  return floatFormatter(values as ArrayLike<number>, precision, pick);
}

function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\t/g, "\\t");
  return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
}

// ---------------------------------------------------------------- floats

/** The shortest decimal digits that read back as the same float32: `[digits, exponent10]`. */
function shortestFloat32(v: number): [string, number] {
  // v > 0 and finite. toPrecision(p) rounds the exact value correctly, so the
  // first p whose result reads back is numpy's (dragon4's) unique output.
  for (let p = 1; p <= 9; p++) {
    const s = v.toExponential(p - 1);
    if (Math.fround(Number(s)) === v) return splitExp(s);
  }
  return splitExp(v.toExponential(8));
}

function splitExp(s: string): [string, number] {
  const [mant, exp] = s.split("e");
  return [mant.replace(".", ""), Number(exp)];
}

/** Positional digits of |v| (numpy `dragon4_positional`, unique, at most `precision` fraction digits, trailing zeros trimmed). */
function positional(v: number, precision: number): [string, string] {
  const a = Math.abs(v);
  if (a === 0) return ["0", ""];
  const [digits, e] = shortestFloat32(a);
  let intPart: string;
  let frac: string;
  if (e >= 0) {
    const d = digits.padEnd(e + 1, "0");
    intPart = d.slice(0, e + 1);
    frac = d.slice(e + 1);
  } else {
    intPart = "0";
    frac = "0".repeat(-e - 1) + digits;
  }
  if (frac.length > precision) {
    // Cut at `precision` fraction digits, rounding the exact value.
    const fixed = a.toFixed(precision);
    [intPart, frac] = fixed.split(".");
  }
  frac = frac.replace(/0+$/, "");
  return [intPart, frac];
}

/** Scientific digits of |v|: `[int digit, fraction digits, exponent]`. */
function scientific(v: number, precision: number): [string, string, number] {
  const a = Math.abs(v);
  if (a === 0) return ["0", "", 0];
  let [digits, e] = shortestFloat32(a);
  if (digits.length - 1 > precision) {
    [digits, e] = splitExp(a.toExponential(precision));
  }
  return [digits[0], digits.slice(1).replace(/0+$/, ""), e];
}

/** Scientific digits of |v| rounded to exactly `digits` fraction digits. */
function scientificExact(v: number, digits: number): [string, string, number] {
  const [d, e] = splitExp(Math.abs(v).toExponential(digits));
  return [d[0], d.slice(1), e];
}

function isNeg(v: number): boolean {
  return v < 0 || Object.is(v, -0);
}

function floatFormatter(values: ArrayLike<number>, precision: number, pick: (f: (i: number) => void) => void): Formatter {
  const finite: number[] = [];
  let hasNonFinite = false;
  let negInf = false;
  pick((i) => {
    const v = values[i];
    if (Number.isFinite(v)) finite.push(v);
    else {
      hasNonFinite = true;
      if (v === -Infinity) negInf = true;
    }
  });
  let expFormat = false;
  let maxVal = 0;
  let minVal = Infinity;
  for (const v of finite) {
    if (v === 0) continue;
    const a = Math.abs(v);
    if (a > maxVal) maxVal = a;
    if (a < minVal) minVal = a;
  }
  if (maxVal > 0) {
    if (maxVal >= 1e8 || minVal < 0.0001 || Math.fround(maxVal / minVal) > 1000) expFormat = true;
  }

  let padLeft = 0;
  let padRight = 0;
  let fmtFinite: (v: number) => string;
  if (finite.length === 0) {
    fmtFinite = (v) => String(v);
  } else if (expFormat) {
    let prec = 0;
    let expSize = 2;
    for (const v of finite) {
      const [i, f, e] = scientific(v, precision);
      prec = Math.max(prec, f.length);
      expSize = Math.max(expSize, String(Math.abs(e)).length);
      padLeft = Math.max(padLeft, i.length + (isNeg(v) ? 1 : 0));
    }
    padRight = expSize + 2 + prec;
    const es = expSize;
    fmtFinite = (v) => {
      let [i, f, e] = scientific(v, precision);
      // Like dragon4's min_digits: digits past the unique ones come from the exact value.
      if (f.length < prec && v !== 0) [i, f, e] = scientificExact(v, prec);
      const head = ((isNeg(v) ? "-" : "") + i).padStart(padLeft);
      return `${head}.${f.padEnd(prec, "0")}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(es, "0")}`;
    };
  } else {
    for (const v of finite) {
      const [i, f] = positional(v, precision);
      padLeft = Math.max(padLeft, i.length + (isNeg(v) ? 1 : 0));
      padRight = Math.max(padRight, f.length);
    }
    fmtFinite = (v) => {
      const [i, f] = positional(v, precision);
      // padLeft is read at call time: non-finite values may widen it below.
      return `${((isNeg(v) ? "-" : "") + i).padStart(padLeft)}.${f.padEnd(padRight)}`;
    };
  }
  if (hasNonFinite) {
    const offset = padRight + 1;
    padLeft = Math.max(padLeft, 3 - offset, 3 + (negInf ? 1 : 0) - offset);
  }
  const width = padLeft + padRight + 1;
  return (idx) => {
    const v = values[idx];
    if (Number.isFinite(v)) return fmtFinite(v);
    const s = Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
    return finite.length === 0 && !hasNonFinite ? s : s.padStart(width);
  };
}

// ------------------------------------------------------------ the layout

function formatArray(
  shape: readonly number[],
  strides: number[],
  fmt: Formatter,
  lineWidth: number,
  nextLinePrefix: string,
  separator: string,
  edge: number,
  summaryInsert: string
): string {
  const ndim = shape.length;
  const recurse = (axis: number, offset: number, hangingIndent: string, currWidth: number): string => {
    const axesLeft = ndim - axis;
    if (axesLeft === 0) return fmt(offset);
    const nextHanging = hangingIndent + " ";
    const nextWidth = currWidth - 1;
    const n = shape[axis];
    const showSummary = summaryInsert !== "" && 2 * edge < n;
    const leading = showSummary ? edge : 0;
    const trailing = showSummary ? edge : n;
    const at = (i: number) => offset + (i < 0 ? n + i : i) * strides[axis];
    let s = "";
    if (axesLeft === 1) {
      const elemWidth = currWidth - Math.max(separator.trimEnd().length, 1);
      let line = hangingIndent;
      const extend = (word: string, width: number) => {
        let needsWrap = line.length + word.length > width;
        if (line.length <= hangingIndent.length) needsWrap = false;
        if (needsWrap) {
          s += line.trimEnd() + "\n";
          line = hangingIndent;
        }
        line += word;
      };
      for (let i = 0; i < leading; i++) {
        extend(recurse(axis + 1, at(i), nextHanging, nextWidth), elemWidth);
        line += separator;
      }
      if (showSummary) {
        extend(summaryInsert, elemWidth);
        line += separator;
      }
      for (let i = trailing; i > 1; i--) {
        extend(recurse(axis + 1, at(-i), nextHanging, nextWidth), elemWidth);
        line += separator;
      }
      extend(recurse(axis + 1, at(-1), nextHanging, nextWidth), elemWidth);
      s += line;
    } else {
      const lineSep = separator.trimEnd() + "\n".repeat(axesLeft - 1);
      for (let i = 0; i < leading; i++) s += hangingIndent + recurse(axis + 1, at(i), nextHanging, nextWidth) + lineSep;
      if (showSummary) s += hangingIndent + summaryInsert + lineSep;
      for (let i = trailing; i > 1; i--) s += hangingIndent + recurse(axis + 1, at(-i), nextHanging, nextWidth) + lineSep;
      s += hangingIndent + recurse(axis + 1, at(-1), nextHanging, nextWidth);
    }
    return "[" + s.slice(hangingIndent.length) + "]";
  };
  return recurse(0, 0, nextLinePrefix, lineWidth);
}
