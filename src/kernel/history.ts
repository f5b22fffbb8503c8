/**
 * The kernel's input history, for `history_request` (the up-arrow in
 * consoles, `%history`-like tools): every executed cell of this session.
 * @module
 */

/** The fields of a `history_request` the kernel reads. */
export interface HistoryRequest {
  hist_access_type?: "tail" | "range" | "search";
  output?: boolean;
  raw?: boolean;
  session?: number;
  start?: number;
  stop?: number;
  n?: number;
  pattern?: string;
  unique?: boolean;
}

/** One history entry: `[session, line, input]`, or `[session, line, [input, output]]` when outputs are asked for. */
export type HistoryEntry = [number, number, string | [string, string | null]];

/** This kernel's session number in history replies (one session per kernel process). */
export const SESSION = 1;

/** Glob (`*`, `?`) to a regular expression, as IPython's history search reads patterns. */
function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}

/**
 * The cells executed in this kernel, by execution count.
 *
 * @example
 * ```ts
 * const h = new CellHistory();
 * h.add(1, "1 + 2");
 * h.reply({ hist_access_type: "tail", n: 1 }); // { status: "ok", history: [[1, 1, "1 + 2"]] }
 * ```
 */
export class CellHistory {
  private readonly cells: { line: number; input: string }[] = [];

  /** Records a cell (the same execution count twice keeps the last input). */
  add(line: number, input: string): void {
    const last = this.cells[this.cells.length - 1];
    if (last && last.line === line) last.input = input;
    else this.cells.push({ line, input });
  }

  /** The `history_reply` content for a request. */
  reply(req: HistoryRequest): { status: "ok"; history: HistoryEntry[] } {
    let found = this.cells;
    const type = req.hist_access_type ?? "tail";
    if (type === "range") {
      // Session 0 or negative counts back from the current one; there is only this one.
      const session = req.session ?? 0;
      if (session !== 0 && session !== SESSION) return { status: "ok", history: [] };
      const start = req.start ?? 0;
      const stop = req.stop ?? Infinity;
      found = found.filter((c) => c.line >= start && c.line < stop);
    } else if (type === "search") {
      const re = globToRegExp(req.pattern ?? "*");
      found = found.filter((c) => re.test(c.input));
      if (req.unique) {
        const seen = new Set<string>();
        found = [...found].reverse().filter((c) => !seen.has(c.input) && seen.add(c.input) !== undefined).reverse();
      }
      if (req.n !== undefined && req.n > 0) found = found.slice(-req.n);
    } else {
      const n = req.n ?? 10;
      found = n > 0 ? found.slice(-n) : [];
    }
    return {
      status: "ok",
      history: found.map((c) => [SESSION, c.line, req.output ? [c.input, null] : c.input] as HistoryEntry),
    };
  }
}
