import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatNumpy } from "../../src/display/numpy-format";
import { NUMPY_CASES, NUMPY_LITERALS } from "../fixtures/display_numpy";

/** Rebuilds the values of test/fixtures/display_numpy.py's formulas (float64 math, then the dtype). */
function formula(name: string, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    switch (name) {
      case "mix": out.push((((i * 7) % 13) - 6) * 0.123 + i * 0.001); break;
      case "ramp": out.push(i * 0.37 - 5); break;
      case "int": out.push(((i * 37) % 101) - 50); break;
      case "tiny": out.push((i + 1) * 1e-5); break;
      case "huge": out.push((i + 1) * 123456789.0); break;
      case "wide": out.push((i + 1) ** 3 * 0.5); break;
      case "frac": out.push((i + 1) / 3); break;
      case "zeros": out.push(i * 0); break;
      case "half": out.push(i * 0.5 - 1); break;
      case "bool": out.push(i % 3 === 0 ? 1 : 0); break;
      default: throw new Error(name);
    }
  }
  return out;
}

function typed(values: number[], dtype: string): Float32Array | Int32Array | boolean[] {
  if (dtype === "float32") return Float32Array.from(values);
  if (dtype === "int32") return Int32Array.from(values);
  return values.map((v) => v !== 0);
}

for (const c of NUMPY_CASES) {
  test(`${c.dtype} ${c.formula} [${c.shape}] prints as numpy does`, () => {
    const n = (c.shape as readonly number[]).reduce((a, b) => a * b, 1);
    const v = typed(formula(c.formula, n), c.dtype);
    assert.fixture(formatNumpy(v, c.shape, c.dtype), c.str);
  });
}

for (const c of NUMPY_LITERALS) {
  test(`literal ${c.raw.join(", ")} prints as numpy does`, () => {
    const v = Float32Array.from(c.raw.map((r: string) => (r === "nan" ? NaN : r === "inf" ? Infinity : r === "-inf" ? -Infinity : Number(r))));
    assert.fixture(formatNumpy(v, [v.length], c.dtype), c.str);
  });
}

test("strings print with quotes", () => {
  assert.is(formatNumpy(["a", "it's"], [2], "string"), `['a' "it's"]`);
});

test("a wrong number of values is an error", () => {
  assert.throws(() => formatNumpy(new Float32Array(3), [2, 2], "float32"), /3 values do not fill shape \[2,2\]/);
});

test.run();
