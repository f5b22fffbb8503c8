/**
 * `is_complete_request`: "complete", "incomplete" (with the indent for the
 * next line) or "invalid" (a syntax error no more lines can fix).
 * @module
 */
import * as ts from "typescript";

/** The content of an `is_complete_reply`. */
export interface IsCompleteReply {
  status: "complete" | "incomplete" | "invalid";
  indent?: string;
}

/**
 * Judges a console's input: tslab's verdict when it says "incomplete" (an
 * open block, a trailing operator), else "invalid" when the code does not
 * parse, else "complete".
 *
 * @example
 * ```ts
 * isCompleteReply("const = ;", tslabVerdict); // { status: "invalid" }
 * ```
 */
export function isCompleteReply(code: string, tslab: (code: string) => Record<string, unknown>): IsCompleteReply {
  const verdict = tslab(code) as unknown as IsCompleteReply;
  if (verdict.status === "incomplete") return verdict;
  const file = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const errors = (file as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? [];
  return errors.length > 0 ? { status: "invalid" } : { status: "complete" };
}
