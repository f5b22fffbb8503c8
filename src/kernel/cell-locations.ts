/**
 * Error locations in a cell's own lines. The kernel runs each cell's
 * transpiled JavaScript under the name `In[N]` (a `sourceURL` comment), so
 * stack frames and "layer created at" say `In[3]:5:7` in JavaScript lines;
 * this module maps them back to the TypeScript the user wrote (`In[3]:1:25`).
 *
 * The map aligns the two texts line by line (TypeScript keeps statements in
 * order; it drops types, rewrites imports and adds `exports.x = x` lines):
 * each JavaScript line goes to the most similar cell line, in order.
 * @module
 */

/** Maps 1-based JavaScript (line, column) of one cell to the cell's own. */
export type LineMapper = (line: number, column: number) => { line: number; column: number } | null;

const WORDS = /[A-Za-z_$][\w$]*|\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|=>|[-+*/%<>=!&|^~?:]+/g;
const NOISE = new Set(["const", "let", "var", "exports", "function", "return", "async", "await", "new", "this"]);

function tokens(line: string): string[] {
  return (line.replace(/\bexports\./g, "").match(WORDS) ?? []).filter((t) => !NOISE.has(t));
}

/** JavaScript lines that come from no cell line of their own. */
function isGenerated(line: string): boolean {
  const t = line.trim();
  return (
    t === "" ||
    /^exports\.[\w$]+ = (exports\.[\w$]+ = )*void 0;$/.test(t) ||
    /^exports\.([\w$]+) = \1;$/.test(t) ||
    /^Object\.defineProperty\(exports, "__esModule"/.test(t) ||
    /^\/\/# source(URL|MappingURL)=/.test(t)
  );
}

/** How much of the shorter token list the longer one holds (multiset), favouring lines of like length. */
function similarity(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const pool = new Map<string, number>();
  for (const t of b) pool.set(t, (pool.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of a) {
    const n = pool.get(t) ?? 0;
    if (n > 0) {
      common++;
      pool.set(t, n - 1);
    }
  }
  const lo = Math.min(a.length, b.length);
  const hi = Math.max(a.length, b.length);
  return (common / lo) * (0.5 + (0.5 * lo) / hi);
}

/** Least similarity for a JavaScript line to count as coming from a cell line. */
const MATCH = 0.45;

/**
 * Builds the line map of one cell from its source and the JavaScript that runs.
 *
 * @example
 * ```ts
 * const map = cellLineMapper("const L = tl.Dense(3);", "exports.L = void 0;\nconst L = tl.Dense(3);\nexports.L = L;");
 * map(2, 11); // { line: 1, column: 11 }
 * ```
 */
export function cellLineMapper(source: string, js: string): LineMapper {
  const src = source.split("\n");
  const out = js.split("\n");
  const srcTok = src.map(tokens);
  const outTok = out.map((l) => (isGenerated(l) ? [] : tokens(l)));
  // Monotone alignment maximising the summed similarity; several JavaScript
  // lines may come from one cell line (a line with several statements).
  const n = out.length;
  const m = src.length;
  const score: Float64Array[] = Array.from({ length: n + 1 }, () => new Float64Array(m + 1));
  const sim = (i: number, j: number) => {
    const s = similarity(outTok[i], srcTok[j]);
    return s >= MATCH ? s : 0;
  };
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const s = sim(i, j);
      score[i][j] = Math.max(score[i + 1][j], score[i][j + 1], s > 0 ? s + score[i + 1][j] : 0);
    }
  }
  const match = new Int32Array(n).fill(-1);
  for (let i = 0, j = 0; i < n && j < m; ) {
    const s = sim(i, j);
    if (s > 0 && score[i][j] === s + score[i + 1][j]) match[i++] = j;
    else if (score[i][j] === score[i + 1][j]) i++;
    else j++;
  }
  // A line without a match of its own belongs to the statement above it.
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (match[i] >= 0) last = match[i];
    else if (!isGenerated(out[i]) && last >= 0) match[i] = last;
  }
  return (line, column) => {
    const i = line - 1;
    if (i < 0 || i >= n || match[i] < 0) return null;
    const j = match[i];
    // TypeScript may join a statement's lines into one: look on until the next line with a match of its own.
    const next = match.find((k, at) => at > i && k > j) ?? m;
    for (let k = j; k < Math.max(j + 1, next); k++) {
      const col = mapColumn(out[i], src[k], column);
      if (col > 0) return { line: k + 1, column: col };
    }
    return { line: j + 1, column: 1 };
  };
}

/** The column in `to` of the word found at `column` (1-based) of `from`; 0 when `to` lacks it. */
function mapColumn(from: string, to: string, column: number): number {
  const at = Math.max(0, Math.min(from.length, column - 1));
  const found = /^[\w$.]+/.exec(from.slice(at))?.[0] ?? /^\S+/.exec(from.slice(at))?.[0];
  const word = found?.replace(/^exports\./, "");
  if (!word) return 0;
  // Whole words only ("b" is not the b of "number").
  const pattern = new RegExp(`(?<![\\w$])${word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w$])`, "g");
  const hits = [...to.matchAll(pattern)].map((m) => m.index ?? 0);
  if (hits.length === 0) return 0;
  // The occurrence with as many copies of the word before it as in `from`.
  const before = [...from.matchAll(pattern)].filter((m) => (m.index ?? 0) < at).length;
  return hits[Math.min(before, hits.length - 1)] + 1;
}

/** Cells' maps by their script name (`In[3]`), the latest few hundred. */
export class CellLocations {
  private readonly maps = new Map<string, { map: LineMapper; lineOneShift: number }>();

  constructor(private readonly keep = 500) {}

  /** Registers a cell's map; `lineOneShift` is the wrapper text before the JavaScript on line 1. */
  add(name: string, map: LineMapper, lineOneShift = 0): void {
    this.maps.delete(name);
    this.maps.set(name, { map, lineOneShift });
    while (this.maps.size > this.keep) this.maps.delete(this.maps.keys().next().value as string);
  }

  /** One location `In[N]:L:C` mapped, or null when it is not in the cell's own code. */
  map(name: string, line: number, column: number): { line: number; column: number } | null {
    const entry = this.maps.get(name);
    if (!entry) return null;
    return entry.map(line, line === 1 ? column - entry.lineOneShift : column);
  }

  /**
   * Rewrites every `In[N]:L:C` in a text to the cell's own line and column;
   * a stack frame line that points into kernel-made code is dropped.
   *
   * @example
   * ```ts
   * locations.rewrite("layer created at In[3]:4:25"); // "layer created at In[3]:1:25"
   * ```
   */
  rewrite(text: string): string {
    return text
      .split("\n")
      .map((l) => {
        let unmapped = false;
        const r = l.replace(/(In\[\d+\]):(\d+):(\d+)/g, (all, name: string, line: string, col: string) => {
          const to = this.map(name, Number(line), Number(col));
          if (!to) {
            if (this.maps.has(name)) unmapped = true;
            return all;
          }
          return `${name}:${to.line}:${to.column}`;
        });
        return unmapped && /^\s+at /.test(l) ? null : r;
      })
      .filter((l): l is string => l !== null)
      .join("\n");
  }
}
