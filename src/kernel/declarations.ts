/**
 * What a notebook cell that threw leaves behind, as in Python: the
 * declarations that ran before the throw survive (their values and their
 * types), the ones after it do not, and a name the cell redeclared but never
 * reached keeps its earlier value and type.
 * @module
 */
import * as ts from "typescript";

/** A top-level statement of a declarations file and the value names it declares. */
interface DeclStatement {
  text: string;
  /** Names with a runtime value (empty for interfaces and type aliases: those are kept). */
  names: string[];
}

function bindingNames(name: ts.BindingName, out: string[]): void {
  if (ts.isIdentifier(name)) out.push(name.text);
  else for (const e of name.elements) if (!ts.isOmittedExpression(e)) bindingNames(e.name, out);
}

/** The statements of a `.d.ts` text (as tslab emits for the cells so far) with their value names. */
function statements(decl: string): DeclStatement[] {
  const file = ts.createSourceFile("__prev__.d.ts", decl, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  return file.statements.map((s) => {
    const names: string[] = [];
    if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) bindingNames(d.name, names);
    else if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isEnumDeclaration(s)) && s.name) names.push(s.name.text);
    else if (ts.isModuleDeclaration(s) && ts.isIdentifier(s.name)) names.push(s.name.text);
    else if (ts.isImportEqualsDeclaration(s)) names.push(s.name.text);
    else if (ts.isImportDeclaration(s) && s.importClause) {
      const c = s.importClause;
      if (c.name) names.push(c.name.text);
      const b = c.namedBindings;
      if (b && ts.isNamespaceImport(b)) names.push(b.name.text);
      else if (b) for (const e of b.elements) names.push(e.name.text);
    }
    return { text: s.getFullText(file).replace(/^\s*\n/, ""), names };
  });
}

/**
 * The declarations to keep after a cell threw at run time, and the cell's
 * variables (`locals`, tslab's exports object) put right: names the cell
 * declared but never reached are removed, or given back their earlier value.
 *
 * @param previous the declarations before the cell
 * @param cell the declarations the cell would have left had it finished (tslab's `declOutput`)
 * @param before the values of the variables before the cell ran
 * @example
 * ```ts
 * // cell: `const d3 = (x: number) => x; throw new Error(); const later = 1;`
 * survivingDeclarations(prev, declOutput, exports, before); // keeps d3, drops later
 * ```
 */
export function survivingDeclarations(
  previous: string,
  cell: string,
  locals: Record<string, unknown>,
  before: ReadonlyMap<string, unknown>
): string {
  const old = statements(previous);
  const oldByName = new Map<string, DeclStatement>();
  for (const s of old) for (const n of s.names) oldByName.set(n, s);
  const kept: string[] = [];
  const seen = new Set<string>();
  const keep = (s: DeclStatement) => {
    if (!seen.has(s.text)) kept.push(s.text);
    seen.add(s.text);
  };
  for (const s of statements(cell)) {
    const reached = s.names.every((n) => Object.prototype.hasOwnProperty.call(locals, n) && locals[n] !== undefined);
    if (reached) {
      keep(s);
      continue;
    }
    for (const n of s.names) {
      const earlier = oldByName.get(n);
      if (earlier && before.has(n)) {
        locals[n] = before.get(n);
        keep(earlier);
      } else if (locals[n] === undefined) {
        delete locals[n];
      }
    }
  }
  return kept.join("\n");
}
