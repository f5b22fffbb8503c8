/**
 * The nesting an evaluation stopped from outside must put back. The REPL's
 * Ctrl-C ends a script through V8's `breakOnSigint`, which runs no `catch`
 * and no `finally`: a `tf.tidy` it stopped never ends its scope (every later
 * tensor is then tracked by a scope nobody closes, and what the stopped
 * scopes made is never freed), a stopped `tf.grad` leaves the gradient tape
 * recording (and keeping a copy of every later op's inputs), and trax-ts's
 * own depth counters (a layer's forward, a trusted weights write) stay up.
 * {@link captureNesting} notes all of it before the evaluation;
 * {@link restoreNesting} puts it back after an interrupt.
 * @module
 */
import { tf } from "./tf";

/** One scope of tfjs's engine (`tf.tidy` opens one). */
interface EngineScope {
  track: tf.Tensor[];
  name: string;
  id: number;
}

/** One node of tfjs's gradient tape: `saved` are kept copies of tensors. */
interface TapeNode {
  saved?: tf.Tensor[];
}

/** The parts of tfjs's engine state that nest. */
interface EngineNesting {
  scopeStack: EngineScope[];
  activeScope: EngineScope | null;
  gradientDepth: number;
  kernelDepth: number;
  activeTape: TapeNode[] | null;
  numDataMovesStack: number[];
  profiling: boolean;
}

interface EngineInternals {
  state: EngineNesting;
  endScope(result?: unknown): void;
}

/** A counter a module raises around nested work (read and written through these). */
interface NestingCounter {
  read(): number;
  write(value: number): void;
}

const counters = new Map<string, NestingCounter>();

/**
 * Registers a module's nesting counter (raised on entry, lowered in a
 * `finally`), so that {@link restoreNesting} puts it back. @internal
 *
 * @example
 * ```ts
 * let depth = 0;
 * registerNestingCounter("abstract evaluation", () => depth, (v) => { depth = v; });
 * ```
 */
export function registerNestingCounter(name: string, read: () => number, write: (value: number) => void): void {
  counters.set(name, { read, write });
}

const keepers: ((t: tf.Tensor) => boolean)[] = [];

/**
 * Registers a test for tensors that must outlive the scopes
 * {@link restoreNesting} ends (the layers' weights and state: a stopped call
 * may already have stored what its scope made). @internal
 *
 * @example
 * ```ts
 * registerNestingKeeper(isHeldByLayer);
 * ```
 */
export function registerNestingKeeper(keep: (t: tf.Tensor) => boolean): void {
  keepers.push(keep);
}

/** What {@link captureNesting} noted. */
export interface NestingSnapshot {
  scopes: number;
  gradientDepth: number;
  kernelDepth: number;
  dataMoves: number;
  profiling: boolean;
  counters: Map<string, number>;
}

function engineState(): EngineNesting {
  return (tf.engine() as unknown as EngineInternals).state;
}

/**
 * Notes the engine's nesting (scopes, gradient tape, kernel depth) and every
 * registered counter, before an evaluation that may be stopped from outside.
 *
 * @example
 * ```ts
 * const before = captureNesting();
 * try { runWithBreakOnSigint(); } catch { restoreNesting(before); }
 * ```
 */
export function captureNesting(): NestingSnapshot {
  const s = engineState();
  const values = new Map<string, number>();
  for (const [name, c] of counters) values.set(name, c.read());
  return {
    scopes: s.scopeStack.length,
    gradientDepth: s.gradientDepth,
    kernelDepth: s.kernelDepth,
    dataMoves: s.numDataMovesStack.length,
    profiling: s.profiling,
    counters: values,
  };
}

/**
 * After an evaluation was stopped from outside: ends the scopes it left
 * open (freeing the tensors they made, as a `tf.tidy` that threw would; a
 * tensor `tf.keep` kept, or one a layer now holds as weights or state, stays), stops the gradient tape it left recording
 * (freeing the tape's saved copies), and puts the kernel depth and every
 * registered counter back. Tensors made outside any scope (a REPL's
 * top-level `const x = tf.ones(...)`) stay. Returns how many tensors it freed.
 *
 * @example
 * ```ts
 * const before = captureNesting();
 * try { runWithBreakOnSigint(); } catch { restoreNesting(before); } // e.g. 450
 * ```
 */
export function restoreNesting(snapshot: NestingSnapshot): number {
  const engine = tf.engine() as unknown as EngineInternals;
  const s = engine.state;
  const before = tf.memory().numTensors;
  // Kernels and the tape first: disposing runs no kernels, but keep the order a normal unwind has.
  s.kernelDepth = snapshot.kernelDepth;
  if (s.numDataMovesStack.length > snapshot.dataMoves) s.numDataMovesStack.length = snapshot.dataMoves;
  s.profiling = snapshot.profiling;
  while (s.scopeStack.length > snapshot.scopes) {
    try {
      // What a layer now holds moves to the enclosing scope (none at the top: it stays alive).
      const held = s.activeScope ? s.activeScope.track.filter((t) => !t.isDisposed && keepers.some((k) => k(t))) : [];
      engine.endScope(held);
    } catch {
      // A scope that cannot end cleanly still leaves the stack.
      s.scopeStack.pop();
      s.activeScope = s.scopeStack.length > 0 ? s.scopeStack[s.scopeStack.length - 1] : null;
    }
  }
  if (s.gradientDepth > snapshot.gradientDepth) {
    s.gradientDepth = snapshot.gradientDepth;
    if (snapshot.gradientDepth === 0 && s.activeTape) {
      for (const node of s.activeTape) for (const t of node.saved ?? []) t.dispose();
      s.activeTape = null;
    }
  }
  for (const [name, value] of snapshot.counters) counters.get(name)?.write(value);
  return before - tf.memory().numTensors;
}
