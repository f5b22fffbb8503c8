/**
 * `LayerError`: the error every failure inside a layer surfaces as, naming the
 * path of layers, the method, the input signature and the cause.
 * @module
 */
import { isEngineFailure, noteEngineFailure } from "../backend/engine-health";
import { inspect } from "util";
import { formatSignature } from "../shapes";

/** What the error path needs to know of a layer (avoids a cycle with base). */
export interface LayerLike {
  readonly name: string;
  readonly sublayers: readonly LayerLike[];
  readonly sublayersToPrint: readonly LayerLike[] | null;
  readonly createdAt: string | null;
}

/**
 * Exception raised in the layer stack.
 *
 * `path` names the layers from the outermost one called down to the one that
 * failed, with each combinator's index of the child on the way, for example
 * `Serial[1].Branch[0].Dense_4`. `cause` holds the original error.
 *
 * @example
 * ```ts
 * try { tl.Serial(tl.Dense(4), tl.Add())(x); }
 * catch (e) { if (e instanceof tl.LayerError) console.log(e.path, e.method); }
 * ```
 */
export class LayerError extends Error {
  /** Name of the layer that failed (the innermost one). */
  readonly layerName: string;
  /** The method that failed in that layer: `init` or `forward` (or another). */
  readonly method: string;
  /** The input signature the failing layer received. */
  readonly inputSignature: unknown;
  /** The original error. */
  readonly cause: unknown;
  /** Layers the error passed through, innermost first. */
  readonly chain: LayerLike[] = [];
  /** The method of the outermost layer (for example `init` while the leaf failed in `forward`). */
  outerMethod: string;

  constructor(layerName: string, method: string, inputSignature: unknown, cause: unknown, layer?: LayerLike) {
    super("");
    this.name = "LayerError";
    this.layerName = layerName;
    this.method = method;
    this.outerMethod = method;
    this.inputSignature = inputSignature;
    this.cause = cause;
    if (layer) this.chain.push(layer);
    this.refresh();
  }

  /**
   * Wraps an error thrown while `layer` ran `method`; a LayerError from a
   * sublayer gets this layer added to its path.
   */
  static wrap(error: unknown, layer: LayerLike, method: string, inputSignature: () => unknown): LayerError {
    if (error instanceof LayerError) {
      if (error.chain[error.chain.length - 1] !== layer) error.chain.push(layer);
      error.outerMethod = method;
      error.refresh();
      return error;
    }
    // A broken engine (wasm out of memory) is said in words: restart the kernel.
    const lost = noteEngineFailure(error);
    if (lost !== null && isEngineFailure(error)) error = lost;
    let sig: unknown;
    try {
      sig = inputSignature();
    } catch {
      sig = "(unknown)";
    }
    return new LayerError(layer.name, method, sig, error, layer);
  }

  /** The path from the outermost layer to the failing one, e.g. `Serial[1].Branch[0].Dense_4`. */
  get path(): string {
    const chain = this.chain;
    if (chain.length === 0) return this.layerName;
    const segments: string[] = [];
    let i = chain.length - 1;
    while (i > 0) {
      const parent = chain[i];
      const printed = parent.sublayersToPrint ?? parent.sublayers;
      let j = i - 1;
      let idx = -1;
      for (; j >= 0; j--) {
        idx = printed.indexOf(chain[j]);
        if (idx >= 0) break;
      }
      if (idx < 0) {
        j = i - 1;
        idx = parent.sublayers.indexOf(chain[j]);
      }
      segments.push(`${parent.name}[${idx}]`);
      i = j;
    }
    segments.push(chain[0].name);
    return segments.join(".");
  }

  /** Rebuilds the message after the path grew. */
  refresh(): void {
    const during = this.outerMethod !== this.method ? `, during ${this.outerMethod}` : "";
    const created = this.chain[0]?.createdAt;
    const cause = this.cause instanceof Error ? `${this.cause.name}: ${this.cause.message}` : inspect(this.cause);
    this.message =
      `Exception passing through layer ${this.path} (in ${this.method}${during}):\n` +
      (created ? `  layer created at ${created}\n` : "") +
      `  layer input shapes: ${formatSignature(this.inputSignature)}\n\n` +
      `  ${cause.split("\n").join("\n  ")}`;
    // The readable message is the whole story; an engine stack dump is not.
    this.stack = `${this.name}: ${this.message}`;
  }
}
