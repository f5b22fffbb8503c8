/**
 * The layer view: a model summary as a tree of sublayers with names,
 * nIn/nOut, output shapes (when known) and parameter counts, collapsible in
 * HTML.
 * @module
 */
import { inspect } from "util";
import { isTensor } from "../fastmath/tree";
import { Layer } from "../layers/base";
import { ShapeDtype, signature } from "../shapes";
import { DISPLAY, type MimeBundle } from "./bundle";
import { escapeHtml } from "./escape";

/** One row of the summary. */
export interface LayerRow {
  layer: Layer;
  name: string;
  depth: number;
  nIn: number;
  nOut: number;
  /** Output shapes, e.g. `(2, 4)` or `(2, 4), (2,) int32`; null when unknown. */
  output: string | null;
  /** Parameters in this layer and its sublayers (null when unknown). */
  params: number | null;
  /** Weight shapes of a leaf layer, e.g. `(5, 3), (3,)`. */
  weightShapes: string | null;
  /** True when this layer instance appeared earlier in the tree (weights shared). */
  shared: boolean;
  children: LayerRow[];
}

/** Options of {@link layerView}. */
export interface LayerViewOptions {
  /** Levels shown open in HTML (default 2). */
  openDepth?: number;
}

/** Input signatures layers were initialized with (recorded by the display module's `init` hook). */
const initSignatures = new WeakMap<Layer, unknown>();

/** Inputs larger than this (elements) are not traced automatically for a view. */
const AUTO_TRACE_MAX_ELEMENTS = 4_000_000;

/**
 * Remembers the input signature `layer` was initialized with, so that its
 * view shows output shapes without being given one.
 *
 * @example
 * ```ts
 * rememberInitSignature(layer, new trax.shapes.ShapeDtype([2, 3]));
 * ```
 */
export function rememberInitSignature(layer: Layer, inputSignature: unknown): void {
  try {
    initSignatures.set(layer, signature(inputSignature as never));
  } catch {
    // Not a signature (nothing to remember).
  }
}

/** What tracing a forward pass on zeros tells about each layer. */
interface Trace {
  output: unknown;
  weights: unknown;
}

function formatShapes(sig: unknown): string {
  if (sig instanceof ShapeDtype) {
    const dims = sig.shape.length === 1 ? `${sig.shape[0]},` : sig.shape.join(", ");
    return `(${dims})${sig.dtype === "float32" ? "" : " " + sig.dtype}`;
  }
  if (Array.isArray(sig)) return sig.length === 0 ? "()" : sig.map(formatShapes).join(", ");
  return "?";
}

function sigOf(x: unknown): unknown {
  if (isTensor(x)) return new ShapeDtype(x.shape, x.dtype);
  if (x instanceof ShapeDtype) return x;
  if (Array.isArray(x)) return x.map(sigOf);
  return null;
}

/** Leaves of a weights tree that are tensors or signatures, each counted once. */
function weightLeaves(w: unknown, out: { shape: readonly number[] }[] = [], seen = new Set<unknown>()): { shape: readonly number[] }[] {
  if (isTensor(w) || w instanceof ShapeDtype) {
    if (!seen.has(w)) {
      seen.add(w);
      out.push(w);
    }
  } else if (Array.isArray(w)) {
    for (const v of w) weightLeaves(v, out, seen);
  }
  return out;
}

function countParams(w: unknown): number {
  return weightLeaves(w).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
}

function allLayers(root: Layer, out = new Set<Layer>()): Set<Layer> {
  if (out.has(root)) return out;
  out.add(root);
  for (const s of root.sublayers) allLayers(s, out);
  return out;
}

/**
 * Runs `root.outputSignature(sig)` (zeros, temporary weights if needed) and
 * records what every layer saw: its output signature and its weights.
 */
function trace(root: Layer, sig: unknown): Map<Layer, Trace> {
  const seen = new Map<Layer, Trace>();
  const hooked: Layer[] = [];
  for (const l of allLayers(root)) {
    const orig = l.pureFn;
    const hook = function (this: Layer, ...args: Parameters<Layer["pureFn"]>) {
      const w = args[1];
      const weights = Array.isArray(w) || isTensor(w) ? w : l.weights;
      const r = orig.apply(this, args);
      if (!seen.has(l)) seen.set(l, { output: sigOf(r[0]), weights: sigOf(weightsToSigs(weights)) });
      return r;
    };
    Object.defineProperty(l, "pureFn", { value: hook, configurable: true, writable: true });
    hooked.push(l);
  }
  try {
    root.outputSignature(sig);
  } finally {
    for (const l of hooked) delete (l as unknown as Record<string, unknown>).pureFn;
  }
  return seen;
}

function weightsToSigs(w: unknown): unknown {
  if (isTensor(w)) return new ShapeDtype(w.shape, w.dtype);
  if (Array.isArray(w)) return w.map(weightsToSigs);
  return null;
}

function leafWeightShapes(w: unknown): string | null {
  const leaves = weightLeaves(w);
  if (leaves.length === 0) return null;
  return leaves.map((t) => `(${t.shape.length === 1 ? `${t.shape[0]},` : t.shape.join(", ")})`).join(", ");
}

function formatCount(n: number | null): string {
  if (n === null) return "?";
  return n.toLocaleString("en-US");
}

/**
 * A model summary of a layer: a tree of rows with names, nIn/nOut, output
 * shapes and parameter counts. Output shapes need an input signature (or
 * are omitted); parameter counts need weights (an initialized layer) or an
 * input signature.
 *
 * @example
 * ```ts
 * const model = tl.Serial(tl.Dense(4), tl.Relu());
 * console.log(String(trax.display.layerView(model, new trax.shapes.ShapeDtype([2, 3]))));
 * ```
 */
export class LayerView {
  readonly layer: Layer;
  readonly inputSignature: unknown;
  readonly options: LayerViewOptions;
  /** Why output shapes are missing, when tracing failed. */
  shapeError: string | null = null;
  private root_: LayerRow | null = null;
  private total_: number | null = null;

  constructor(layer: Layer, inputSignature?: unknown, options: LayerViewOptions = {}) {
    if (!(layer instanceof Layer)) throw new TypeError(`layerView: a layer expected; got ${typeof layer}`);
    this.layer = layer;
    this.inputSignature = inputSignature;
    this.options = options;
  }

  /** The tree of rows (computed once). */
  get root(): LayerRow {
    if (!this.root_) this.build();
    return this.root_ as LayerRow;
  }

  /** Parameters of the whole layer, shared weights counted once (null when unknown). */
  get totalParams(): number | null {
    if (!this.root_) this.build();
    return this.total_;
  }

  /** The signature traced: the one given, else the one the layer was initialized with (when small enough to run). */
  private signatureToTrace(): unknown {
    if (this.inputSignature !== undefined) return this.inputSignature;
    if (!this.layer.initialized) return undefined;
    const sig = initSignatures.get(this.layer);
    if (sig === undefined) return undefined;
    const size = (s: unknown): number =>
      s instanceof ShapeDtype ? s.shape.reduce((a, b) => a * b, 1) : Array.isArray(s) ? s.reduce((n: number, x) => n + size(x), 0) : 0;
    return size(sig) <= AUTO_TRACE_MAX_ELEMENTS ? sig : undefined;
  }

  private build(): void {
    let traced: Map<Layer, Trace> | null = null;
    const sig = this.signatureToTrace();
    if (sig !== undefined) {
      try {
        traced = trace(this.layer, sig);
      } catch (e) {
        const lines = (e instanceof Error ? e.message : String(e)).split("\n").map((l) => l.trim()).filter(Boolean);
        this.shapeError = lines.length > 1 ? `${lines[0]} ${lines[lines.length - 1]}` : lines[0] ?? "unknown error";
      }
    }
    const initialized = this.layer.initialized;
    const seen = new Set<Layer>();
    const visit = (l: Layer, depth: number): LayerRow => {
      const shared = seen.has(l);
      seen.add(l);
      const t = traced?.get(l);
      const weights = initialized ? l.weights : t ? t.weights : null;
      const row: LayerRow = {
        layer: l,
        name: l.name,
        depth,
        nIn: l.nIn,
        nOut: l.nOut,
        output: t ? formatShapes(t.output) : null,
        params: weights === null ? null : countParams(weights),
        weightShapes: l.sublayers.length === 0 && weights !== null ? leafWeightShapes(weights) : null,
        shared,
        children: shared ? [] : l.sublayers.map((s) => visit(s, depth + 1)),
      };
      return row;
    };
    this.root_ = visit(this.layer, 0);
    const rootT = traced?.get(this.layer);
    const w = initialized ? this.layer.weights : rootT ? rootT.weights : null;
    this.total_ = w === null ? null : countParams(w);
  }

  /** The text view, Trax's bracket layout with columns. */
  toString(): string {
    const lines: [string, string, string, string][] = [];
    const walk = (r: LayerRow, indent: string) => {
      const io = `${r.nIn} -> ${r.nOut}`;
      const label = indent + r.name + (r.shared ? " (shared)" : "") + (r.children.length ? "[" : "");
      lines.push([label, io, r.output ?? "", r.params === null ? "" : formatCount(r.params)]);
      if (r.children.length) {
        for (const c of r.children) walk(c, indent + "  ");
        lines.push([indent + "]", "", "", ""]);
      }
    };
    walk(this.root, "");
    const head: [string, string, string, string] = ["Layer", "In -> Out", "Output", "Params"];
    const all = [head, ...lines];
    const width = [0, 1, 2, 3].map((i) => Math.max(...all.map((l) => l[i].length)));
    const fmt = (l: string[]) => [l[0].padEnd(width[0]), l[1].padEnd(width[1]), l[2].padEnd(width[2]), l[3].padStart(width[3])].join("  ").trimEnd();
    const out = [fmt(head), ...lines.map(fmt)];
    const total = this.totalParams;
    out.push(total === null ? "Total params: unknown (not initialized; pass an input signature)" : `Total params: ${formatCount(total)}`);
    if (this.shapeError) out.push(`Output shapes unavailable: ${this.shapeError}`);
    return out.join("\n");
  }

  /** The MIME bundle: text and a collapsible HTML tree (columns aligned in monospace). */
  [DISPLAY](): MimeBundle {
    const open = this.options.openDepth ?? 2;
    const rows: LayerRow[] = [];
    const collect = (r: LayerRow) => {
      rows.push(r);
      r.children.forEach(collect);
    };
    collect(this.root);
    const nameLabel = (r: LayerRow) => r.name + (r.shared ? " (shared)" : "");
    const wName = Math.max(8, ...rows.map((r) => 2 * r.depth + 2 + nameLabel(r).length)) + 2;
    const wOut = Math.max(8, ...rows.map((r) => (r.output ?? "").length)) + 2;
    const wParams = Math.max(8, ...rows.map((r) => formatCount(r.params).length)) + 2;
    // Each row is a one-row table with column widths as HTML attributes and indents as
    // text: an untrusted notebook's sanitizer drops <style> and every inline style.
    const px = (chars: number) => Math.ceil(chars * CHAR_PX);
    const cells = (parts: [string, number, string][]) =>
      `<table class="t" cellpadding="0" cellspacing="0" border="0"><tr>${parts
        .map(([cls, w, s]) => `<td class="${cls}" width="${px(w)}" nowrap="" align="${cls.includes("p") ? "right" : "left"}">${s}</td>`)
        .join("")}</tr></table>`;
    const line = (r: LayerRow | null) => {
      if (r === null) {
        return cells([["n", wName, "layer"], ["c", 8, "in\u2192out"], ["c", wOut, "output"], ["c p", wParams, "params"], ["c w", 10, "weights"]]);
      }
      const mark = r.children.length ? '<span class="mk"></span>' : '<span class="sp"></span>';
      const indent = "\u00a0".repeat(2 * r.depth);
      const name = `${indent}${mark}${escapeHtml(r.name)}${r.shared ? ' <i style="color:#888">(shared)</i>' : ""}`;
      return cells([
        [r.children.length ? "n g" : "n", wName, name],
        ["c", 8, `${r.nIn}\u2192${r.nOut}`],
        ["c", wOut, escapeHtml(r.output ?? "")],
        ["c p", wParams, r.params === null ? "" : escapeHtml(formatCount(r.params)) + "\u00a0\u00a0"],
        ["c w", 10, r.weightShapes ? escapeHtml(r.weightShapes) : ""],
      ]);
    };
    const node = (r: LayerRow): string => {
      if (!r.children.length) return `<div class="r">${line(r)}</div>`;
      return `<details${r.depth < open ? ` open=""` : ""}><summary class="r">${line(r)}</summary>${r.children.map(node).join("")}</details>`;
    };
    const css =
      ".trax-layer{font-family:monospace;font-size:12px;line-height:1.5}" +
      ".trax-layer .r{display:block;white-space:nowrap;list-style:none;cursor:default}" +
      ".trax-layer summary.r{cursor:pointer}" +
      ".trax-layer summary::-webkit-details-marker{display:none}" +
      ".trax-layer table.t{display:inline-table;border-collapse:collapse;margin:0;border:none;font-size:12px;vertical-align:top}" +
      ".trax-layer table.t td{padding:0;border:none;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;text-align:left}" +
      ".trax-layer table.t td.p{text-align:right}" +
      ".trax-layer table.t tr{background:none}" +
      ".trax-layer td.g{font-weight:bold}" +
      ".trax-layer td.c{color:#444}" +
      ".trax-layer td.w{color:#888}" +
      ".trax-layer .h{color:#888;border-bottom:1px solid #ddd}" +
      ".trax-layer .mk,.trax-layer .sp{display:inline-block;width:2ch}" +
      '.trax-layer details>summary .mk::before{content:"\\25B8"}' +
      '.trax-layer details[open]>summary .mk::before{content:"\\25BE"}';
    const total = this.totalParams;
    const footer =
      `<div style="margin-top:4px;border-top:1px solid #ddd"><b>Total params:</b> ${total === null ? "unknown (not initialized; pass an input signature)" : escapeHtml(formatCount(total))}` +
      (this.shapeError ? `<br/><span style="color:#a00">Output shapes unavailable: ${escapeHtml(this.shapeError)}</span>` : "") +
      `</div>`;
    const html = `<div class="trax-layer" style="font-family:monospace;font-size:12px;line-height:1.5"><style>${css}</style><div class="r h">${line(null)}</div>${node(this.root)}${footer}</div>`;
    return { "text/plain": this.toString(), "text/html": html };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Width of one character of the tree's 12px monospace font, in px. */
const CHAR_PX = 7.3;

/**
 * The summary view of `layer` (see {@link LayerView}); with `inputSignature`
 * (a `ShapeDtype`, a tensor, or an array of them) it shows output shapes.
 *
 * @example
 * ```ts
 * trax.display.layerView(tl.Serial(tl.Dense(4), tl.Relu()), new trax.shapes.ShapeDtype([2, 3]));
 * ```
 */
export function layerView(layer: Layer, inputSignature?: unknown, options: LayerViewOptions = {}): LayerView {
  return new LayerView(layer, inputSignature, options);
}
