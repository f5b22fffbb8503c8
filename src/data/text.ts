/**
 * A character-level text corpus that ships with trax-ts: the Book of Genesis
 * in the King James Version (public domain; see `datasets/README.md`).
 * @module
 */
import { readFileSync } from "node:fs";
import type { Example } from "./examples";
import { datasetPath } from "./paths";
import { permutation } from "./streams";

/** The corpora that ship with trax-ts, by name. */
export const TEXT_CORPORA: Readonly<Record<string, string>> = { "genesis-kjv": "genesis-kjv.txt" };

/** Options of {@link TextCorpus.examples}. */
export interface TextExamplesOptions {
  /** Which part of the text: the first `1 - evalFraction` ("train", default) or the rest ("eval"). */
  part?: "train" | "eval" | "all";
  /** Fraction of the text (its tail) kept for evaluation; default 0.1. */
  evalFraction?: number;
  /** Characters between the starts of consecutive windows; default `length` (no overlap). */
  stride?: number;
  /** Shuffle the windows with this seed; default `null` (text order). */
  seed?: number | null;
}

/**
 * A character-level corpus: the text, its vocabulary and an encoder.
 * Id 0 is padding (it decodes to nothing); characters get ids 1.. in sorted
 * order, so `vocabSize` is the number of distinct characters plus one.
 *
 * @example
 * ```ts
 * const corpus = trax.data.textCorpus();
 * const ids = corpus.encode("In the beginning");  // Int32Array
 * corpus.decode(ids);                              // "In the beginning"
 * const windows = corpus.examples(64);             // [ids, ids] pairs of 64 characters
 * ```
 */
export interface TextCorpus {
  /** The corpus name (`"genesis-kjv"`). */
  readonly name: string;
  /** The whole text. */
  readonly text: string;
  /** `vocab[id]` is the character of id (`vocab[0]` is `""`, padding). */
  readonly vocab: readonly string[];
  /** Number of ids, padding included. */
  readonly vocabSize: number;
  /** The whole text, encoded. */
  readonly ids: Int32Array;
  /** Characters to ids; throws on a character outside the vocabulary. */
  encode(s: string): Int32Array;
  /** Ids to characters; 0 (padding) decodes to nothing. Throws on an unknown id. */
  decode(ids: ArrayLike<number> | Iterable<number>): string;
  /**
   * Language-model examples: windows of `length` ids as `[inputs, targets]`
   * with inputs equal to targets, as Trax's LM inputs (the model shifts its
   * inputs right itself, with `tl.ShiftRight`).
   */
  examples(length: number, options?: TextExamplesOptions): Example[];
}

function buildCorpus(name: string, text: string): TextCorpus {
  const chars = [...new Set(Array.from(text))].sort();
  const vocab = ["", ...chars];
  const index = new Map<string, number>(chars.map((c, i) => [c, i + 1]));
  const encode = (s: string): Int32Array => {
    const cs = Array.from(s);
    const out = new Int32Array(cs.length);
    cs.forEach((c, i) => {
      const id = index.get(c);
      if (id === undefined) throw new Error(`trax-ts data: character ${JSON.stringify(c)} (at ${i}) is not in the ${name} vocabulary`);
      out[i] = id;
    });
    return out;
  };
  const decode = (ids: ArrayLike<number> | Iterable<number>): string => {
    const arr = Array.from(ids as ArrayLike<number>);
    let s = "";
    for (const id of arr) {
      if (!Number.isInteger(id) || id < 0 || id >= vocab.length) throw new Error(`trax-ts data: id ${id} is outside the ${name} vocabulary of ${vocab.length} ids`);
      s += vocab[id];
    }
    return s;
  };
  const ids = encode(text);
  const examples = (length: number, options: TextExamplesOptions = {}): Example[] => {
    if (!Number.isInteger(length) || length < 1) throw new Error(`trax-ts data: window length must be a positive integer, got ${length}`);
    const stride = options.stride ?? length;
    if (!Number.isInteger(stride) || stride < 1) throw new Error(`trax-ts data: stride must be a positive integer, got ${stride}`);
    const frac = options.evalFraction ?? 0.1;
    if (!(frac >= 0 && frac < 1)) throw new Error(`trax-ts data: evalFraction must be in [0, 1), got ${frac}`);
    const cut = Math.round(ids.length * (1 - frac));
    const part = options.part ?? "train";
    const [lo, hi] = part === "train" ? [0, cut] : part === "eval" ? [cut, ids.length] : [0, ids.length];
    const out: Example[] = [];
    for (let s = lo; s + length <= hi; s += stride) {
      const w = ids.subarray(s, s + length);
      out.push([w, w]);
    }
    if (options.seed === undefined || options.seed === null) return out;
    const order = permutation(out.length, options.seed);
    return Array.from(order, (i) => out[i]);
  };
  return { name, text, vocab, vocabSize: vocab.length, ids, encode, decode, examples };
}

const corpusCache = new Map<string, TextCorpus>();

/**
 * Loads a bundled character-level text corpus (default and only one so far:
 * `"genesis-kjv"`, the Book of Genesis, about 197 000 characters, 1533 verses
 * one per line, chapters separated by an empty line).
 *
 * @example
 * ```ts
 * const corpus = trax.data.textCorpus();
 * corpus.vocabSize;                      // 61: 60 characters and padding
 * corpus.decode(corpus.ids.subarray(0, 16)); // "In the beginning"
 * ```
 */
export function textCorpus(name = "genesis-kjv"): TextCorpus {
  const file = TEXT_CORPORA[name];
  if (!file) throw new Error(`trax-ts data: unknown text corpus ${JSON.stringify(name)}; bundled: ${Object.keys(TEXT_CORPORA).join(", ")}`);
  let c = corpusCache.get(name);
  if (!c) {
    c = buildCorpus(name, readFileSync(datasetPath(file), "utf8"));
    corpusCache.set(name, c);
  }
  return c;
}

/**
 * A character-level corpus built from your own text (same vocabulary rules
 * as {@link textCorpus}).
 *
 * @example
 * ```ts
 * const c = trax.data.corpusFromText("abracadabra");
 * c.vocab; // ["", "a", "b", "c", "d", "r"]
 * ```
 */
export function corpusFromText(text: string, name = "text"): TextCorpus {
  return buildCorpus(name, text);
}
