/**
 * The declarations the kernel's compiler sees between cells. tslab keeps a
 * cell's declarations only when it finishes; here the ones that ran before
 * a throw are kept too (see `declarations.ts`), and each cell runs under its
 * own script name (`In[N]`) with a line map for its error locations.
 * @module
 */
import { cellLineMapper, CellLocations } from "./cell-locations";
import { survivingDeclarations } from "./declarations";

/** tslab's conversion of one cell (converter.js, 1.0.22). */
interface Conversion {
  output?: string;
  declOutput?: string;
  diagnostics: unknown[];
  hasToplevelAwait?: boolean;
}

/** The converter methods that take the previous declarations. */
interface ConverterLike {
  convert(prevDecl: string, src: string): Conversion;
  inspect(prevDecl: string, src: string, position: number): unknown;
  complete(prevDecl: string, src: string, position: number): unknown;
}

/** The executor methods used here. */
interface ExecutorLike {
  execute(src: string): Promise<boolean>;
  locals: Record<string, unknown>;
}

/** What tslab's executor puts before a cell's code on its first line. */
const WRAPPER = { sync: "(function(exports, require) { ", async: "(async function(exports, require) { " };

/**
 * Owns the declarations between cells for one kernel.
 *
 * @example
 * ```ts
 * const cells = new CellDeclarations(locations);
 * const executor = cells.wrapExecutor(createExecutor(dir, { node: cells.wrap(converter) }, console));
 * ```
 */
export class CellDeclarations {
  /** The script name of the cell about to run (the kernel sets it to `In[<count>]`). */
  cellName: () => string = () => "trax-ts-prelude";
  private declarations = "";
  private locals: Record<string, unknown> = {};
  private last: { conversion: Conversion; before: Map<string, unknown> | null } | null = null;

  constructor(private readonly locations: CellLocations) {}

  /** The declarations the next cell is compiled against. */
  get current(): string {
    return this.declarations;
  }

  /** A converter that compiles against these declarations and names and maps each cell. */
  wrap<C extends ConverterLike>(converter: C): C {
    const convert = converter.convert.bind(converter);
    const inspect = converter.inspect.bind(converter);
    const complete = converter.complete.bind(converter);
    return Object.assign(Object.create(converter) as C, {
      convert: (_tslabDecl: string, src: string): Conversion => {
        const c = convert(this.declarations, src);
        this.last = { conversion: c, before: null };
        if (c.output && c.diagnostics.length === 0) {
          const name = this.cellName();
          c.output = `${c.output}\n//# sourceURL=${name}`;
          this.locations.add(name, cellLineMapper(src, c.output), (c.hasToplevelAwait ? WRAPPER.async : WRAPPER.sync).length);
          this.last.before = new Map(Object.entries(this.locals));
        }
        return c;
      },
      inspect: (_tslabDecl: string, src: string, position: number) => inspect(this.declarations, src, position),
      complete: (_tslabDecl: string, src: string, position: number) => complete(this.declarations, src, position),
    });
  }

  /** The executor, keeping declarations after each cell (those that ran, when it threw). */
  wrapExecutor<E extends ExecutorLike>(executor: E): E {
    this.locals = executor.locals;
    const execute = executor.execute.bind(executor);
    executor.execute = async (src: string) => {
      this.last = null;
      const ok = await execute(src);
      const last = this.last as { conversion: Conversion; before: Map<string, unknown> | null } | null;
      if (last && last.conversion.diagnostics.length === 0) {
        const cellDecl = last.conversion.declOutput ?? "";
        if (ok) this.declarations = cellDecl;
        else if (last.before) this.declarations = survivingDeclarations(this.declarations, cellDecl, this.locals, last.before);
      }
      return ok;
    };
    return executor;
  }
}
