/**
 * Streams and stream functions, as in Trax's `trax.data`: a stream is any
 * JavaScript iterable (an array, a generator); a stream function takes a
 * stream and returns a new one; `Serial` chains them into a pipeline.
 *
 * Memory rule: examples are plain JavaScript and hold no tensors. The batching
 * functions ({@link batch}, {@link padBatch}, {@link bucketByLength}) create
 * new tensors for every batch they yield, and **the consumer owns them**: a
 * training loop (`TrainTask`, `Loop`) or your own code disposes each batch
 * once done with it (`tf.dispose(batch)`). Functions that transform batches
 * ({@link addLossWeights}) dispose the tensors they replace.
 * @module
 */
import { tf } from "../backend/tf";
import { foldIn, getPrng, uniformArray, type PRNGKey } from "../fastmath/random";
import { stackExamples, stackItems, type Example, type StackOptions } from "./examples";

/** A stream: any iterable of items (examples or batches). */
export type Stream<T = unknown> = Iterable<T>;

/**
 * A stream function: a step of a data pipeline. Sources ignore their input.
 *
 * @example
 * ```ts
 * const double: trax.data.StreamFn = function* (s) { for (const x of s!) yield [x, x]; };
 * ```
 */
export type StreamFn = (stream?: Stream<any>) => Stream<any>;

/** A batch: one tensor per position, `[inputs, targets]` or `[inputs, targets, weights]`. */
export type Batch = tf.Tensor[];

type FnTree = StreamFn | readonly FnTree[];

function flattenFns(fns: readonly FnTree[], out: StreamFn[] = []): StreamFn[] {
  for (const f of fns) {
    if (Array.isArray(f)) flattenFns(f as readonly FnTree[], out);
    else if (typeof f === "function") out.push(f as StreamFn);
    else throw new TypeError(`trax-ts data: Serial takes stream functions, got ${typeof f}`);
  }
  return out;
}

/**
 * Chains stream functions into one, as `trax.data.Serial`: the output of each
 * is the input of the next. Nested arrays of functions are flattened. The
 * first function is usually a source (it ignores its input).
 *
 * @example
 * ```ts
 * const { data } = trax;
 * const pipeline = data.Serial(
 *   () => data.digits().examples(),
 *   data.Shuffle({ seed: 0 }),
 *   data.Batch(32),
 * );
 * const [x, y] = pipeline()[Symbol.iterator]().next().value; // x: [32, 8, 8], y: [32]
 * ```
 */
export function Serial(...fns: FnTree[]): StreamFn {
  const flat = flattenFns(fns);
  return (stream?: Stream<any>) => {
    let s = stream as Stream<any>;
    for (const f of flat) s = f(s);
    return s;
  };
}

function needStream(stream: unknown, who: string): Iterable<unknown> {
  if (stream === null || stream === undefined || typeof (stream as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError(`trax-ts data: ${who} needs a stream (an iterable: an array or a generator), got ${String(stream)}`);
  }
  return stream as Iterable<unknown>;
}

/** Options of {@link shuffle}. */
export interface ShuffleOptions {
  /** Seed of the random key; default 0. The same seed gives the same order. */
  seed?: number;
  /** Size of the shuffle buffer (Trax's `queue_size`); default 1024. */
  bufferSize?: number;
}

/** Yields uniform integers in [0, n) from a key, drawn in blocks of random words. */
class IndexSource {
  private block: Float32Array = new Float32Array(0);
  private pos = 0;
  private blockIndex = 0;
  constructor(private readonly key: PRNGKey) {}
  next(n: number): number {
    if (this.pos >= this.block.length) {
      this.block = uniformArray(foldIn(this.key, this.blockIndex++), 1024);
      this.pos = 0;
    }
    return Math.min(n - 1, Math.floor(this.block[this.pos++] * n));
  }
}

/**
 * Shuffles a stream with a random-out next-in buffer, as Trax's `shuffle`:
 * fill a buffer of `bufferSize` items, then for every new item yield one at a
 * random place in the buffer and put the new item there; at the end, yield
 * the rest in random order. Randomness comes from `trax.fastmath.random`
 * keys (threefry), so a seed gives the same order on every machine.
 * Works on infinite streams.
 *
 * @example
 * ```ts
 * [...trax.data.shuffle([1, 2, 3, 4, 5], { seed: 0 })]; // the same permutation of 1..5 every time
 * ```
 */
export function* shuffle<T>(stream: Stream<T>, options: ShuffleOptions = {}): Generator<T> {
  const src = needStream(stream, "shuffle") as Iterable<T>;
  const bufferSize = options.bufferSize ?? 1024;
  if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new Error(`trax-ts data: shuffle bufferSize must be a positive integer, got ${bufferSize}`);
  const rand = new IndexSource(getPrng(options.seed ?? 0));
  const buffer: T[] = [];
  for (const item of src) {
    if (buffer.length < bufferSize) {
      buffer.push(item);
      continue;
    }
    const i = rand.next(bufferSize);
    const out = buffer[i];
    buffer[i] = item;
    yield out;
  }
  // Drain: a Fisher-Yates shuffle of what is left.
  for (let i = buffer.length - 1; i > 0; i--) {
    const j = rand.next(i + 1);
    const t = buffer[i];
    buffer[i] = buffer[j];
    buffer[j] = t;
  }
  for (const item of buffer) yield item;
}

/**
 * {@link shuffle} as a stream function, for {@link Serial}.
 *
 * @example
 * ```ts
 * trax.data.Serial(() => [1, 2, 3], trax.data.Shuffle({ seed: 1 }));
 * ```
 */
export function Shuffle(options: ShuffleOptions = {}): StreamFn {
  return (s) => shuffle(needStream(s, "Shuffle"), options);
}

/** Options of {@link batch}. */
export interface BatchOptions extends StackOptions {
  /** Drop a last, smaller batch (as Trax's `batch`); default true. */
  dropRemainder?: boolean;
}

function checkBatchSize(batchSize: number, who: string): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`trax-ts data: ${who} batch size must be a positive integer, got ${batchSize}`);
}

/**
 * Groups a stream of examples into batches of `batchSize`: one tensor per
 * position of shape `[batchSize, ...]`. Items whose sizes differ are padded
 * with `padValue` to the largest (Trax's `pad_to_max_dims`), the first axis
 * up to a multiple of `padToMultiple`. The consumer disposes each batch.
 *
 * @example
 * ```ts
 * const examples = [[[1, 2], 0], [[3], 1]];
 * const [[x, y]] = [...trax.data.batch(examples, 2)];
 * // x: [[1, 2], [3, 0]]  (shape [2, 2]), y: [0, 1]
 * ```
 */
export function* batch(stream: Stream<Example>, batchSize: number, options: BatchOptions = {}): Generator<Batch> {
  checkBatchSize(batchSize, "batch");
  const src = needStream(stream, "batch") as Iterable<Example>;
  let buf: Example[] = [];
  for (const ex of src) {
    buf.push(ex);
    if (buf.length === batchSize) {
      const b = stackExamples(buf, options);
      buf = [];
      yield b;
    }
  }
  if (buf.length > 0 && options.dropRemainder === false) yield stackExamples(buf, options);
}

/**
 * {@link batch} as a stream function, for {@link Serial}.
 *
 * @example
 * ```ts
 * trax.data.Serial(() => trax.data.iris().examples(), trax.data.Batch(10));
 * ```
 */
export function Batch(batchSize: number, options: BatchOptions = {}): StreamFn {
  checkBatchSize(batchSize, "Batch");
  return (s) => batch(needStream(s, "Batch") as Stream<Example>, batchSize, options);
}

/** Options of {@link padBatch}. */
export interface PadBatchOptions extends BatchOptions {
  /** Position of the item whose real length makes the mask; default 1 (targets). */
  maskPosition?: number;
}

/**
 * Batches variable-length sequences with a loss mask: like {@link batch}, and
 * appends a float32 `weights` tensor shaped like the padded item at
 * `maskPosition` (the targets), 1 on real positions and 0 on padding (by
 * length, so a padding id that is also a real token is still counted). An
 * example that already has weights (three items) keeps them, padded with 0.
 *
 * @example
 * ```ts
 * const ex = [[Int32Array.of(5, 6, 7), Int32Array.of(5, 6, 7)], [Int32Array.of(8), Int32Array.of(8)]];
 * const [[x, y, w]] = [...trax.data.padBatch(ex, 2, { padToMultiple: 4 })];
 * // x, y: int32 [[5, 6, 7, 0], [8, 0, 0, 0]]; w: [[1, 1, 1, 0], [1, 0, 0, 0]]
 * ```
 */
export function* padBatch(stream: Stream<Example>, batchSize: number, options: PadBatchOptions = {}): Generator<Batch> {
  checkBatchSize(batchSize, "padBatch");
  const src = needStream(stream, "padBatch") as Iterable<Example>;
  const maskPosition = options.maskPosition ?? 1;
  const make = (buf: Example[]): Batch => {
    if (buf[0].length >= 3) return stackExamples(buf, { ...options, padValue: options.padValue });
    const out = stackExamples(buf, options);
    if (maskPosition < 0 || maskPosition >= out.length) {
      tf.dispose(out);
      throw new Error(`trax-ts data: padBatch maskPosition ${maskPosition} is outside examples of ${buf[0].length} items`);
    }
    const ref = out[maskPosition];
    const { lengths } = maskLengths(buf, maskPosition, options);
    const inner = ref.shape.slice(1);
    const perRow = inner.reduce((a, b) => a * b, 1);
    const rowLen = inner.length > 0 ? inner[0] : 1;
    const rest = perRow / Math.max(rowLen, 1);
    const w = new Float32Array(ref.size);
    lengths.forEach((len, i) => w.fill(1, i * perRow, i * perRow + Math.min(len, rowLen) * rest));
    out.push(tf.tensor(w, ref.shape, "float32"));
    return out;
  };
  let buf: Example[] = [];
  for (const ex of src) {
    buf.push(ex);
    if (buf.length === batchSize) {
      const b = make(buf);
      buf = [];
      yield b;
    }
  }
  if (buf.length > 0 && options.dropRemainder === false) yield make(buf);
}

function maskLengths(buf: Example[], position: number, options: StackOptions): { lengths: number[] } {
  // The first-axis length of each example's item (scalars count as 1).
  const lengths = buf.map((ex) => {
    const item = ex[position];
    if (typeof item === "number") return 1;
    if (ArrayBuffer.isView(item)) return (item as unknown as ArrayLike<number>).length;
    if (Array.isArray(item)) return item.length;
    const nd = item as { shape: readonly number[] };
    return nd.shape.length > 0 ? nd.shape[0] : 1;
  });
  void options;
  return { lengths };
}

/**
 * {@link padBatch} as a stream function, for {@link Serial}.
 *
 * @example
 * ```ts
 * trax.data.Serial(() => trax.data.copyTask({ vocabSize: 10, maxLength: 6 }), trax.data.PadBatch(16, { padToMultiple: 8 }));
 * ```
 */
export function PadBatch(batchSize: number, options: PadBatchOptions = {}): StreamFn {
  checkBatchSize(batchSize, "PadBatch");
  return (s) => padBatch(needStream(s, "PadBatch") as Stream<Example>, batchSize, options);
}

/** Options of {@link bucketByLength}. */
export interface BucketOptions {
  /** Length of an example; default: the first-axis length of item 0. */
  lengthFn?: (example: Example) => number;
  /** Value written into padded positions; default 0. */
  padValue?: number;
}

/**
 * Buckets examples by length, as Trax's `BucketByLength`: an example of
 * length `l` goes to the first bucket whose boundary is `>= l` (a last bucket
 * takes the rest); when a bucket holds its batch size it is yielded as a batch,
 * every sequence padded to the bucket's boundary (the last bucket: to its
 * longest), so each bucket has one shape. `batchSizes` has one more entry than
 * `boundaries`. The consumer disposes each batch.
 *
 * @example
 * ```ts
 * const s = trax.data.bucketByLength(trax.data.copyTask({ vocabSize: 8, maxLength: 12 }), [10, 20], [32, 16, 8]);
 * ```
 */
export function* bucketByLength(stream: Stream<Example>, boundaries: readonly number[], batchSizes: readonly number[], options: BucketOptions = {}): Generator<Batch> {
  const src = needStream(stream, "bucketByLength") as Iterable<Example>;
  if (batchSizes.length !== boundaries.length + 1) {
    throw new Error(`trax-ts data: bucketByLength needs one more batch size than boundaries, got ${batchSizes.length} batch sizes for ${boundaries.length} boundaries`);
  }
  batchSizes.forEach((b) => checkBatchSize(b, "bucketByLength"));
  for (let i = 1; i < boundaries.length; i++) {
    if (!(boundaries[i] > boundaries[i - 1])) throw new Error(`trax-ts data: bucketByLength boundaries must increase, got [${boundaries}]`);
  }
  const lengthFn = options.lengthFn ?? ((ex: Example) => firstAxisLength(ex[0]));
  const buckets: Example[][] = batchSizes.map(() => []);
  for (const ex of src) {
    const len = lengthFn(ex);
    let b = boundaries.findIndex((bound) => len <= bound);
    if (b < 0) b = boundaries.length;
    buckets[b].push(ex);
    if (buckets[b].length === batchSizes[b]) {
      const items = buckets[b];
      buckets[b] = [];
      const bound = b < boundaries.length ? boundaries[b] : 1;
      const out: tf.Tensor[] = [];
      try {
        for (let p = 0; p < items[0].length; p++) {
          const col = items.map((e) => e[p]);
          // Pad the first axis to the boundary (lengths are <= it, so the multiple is it).
          out.push(stackItems(col, { padValue: options.padValue, padToMultiple: bound, where: `item ${p}` }).tensor);
        }
      } catch (e) {
        tf.dispose(out);
        throw e;
      }
      yield out;
    }
  }
}

function firstAxisLength(item: unknown): number {
  if (typeof item === "number") return 1;
  if (ArrayBuffer.isView(item)) return (item as unknown as ArrayLike<number>).length;
  if (Array.isArray(item)) return item.length;
  const nd = item as { shape?: readonly number[] };
  return nd?.shape && nd.shape.length > 0 ? nd.shape[0] : 1;
}

/**
 * {@link bucketByLength} as a stream function, for {@link Serial}.
 *
 * @example
 * ```ts
 * trax.data.BucketByLength([8, 16], [32, 16, 8]);
 * ```
 */
export function BucketByLength(boundaries: readonly number[], batchSizes: readonly number[], options: BucketOptions = {}): StreamFn {
  return (s) => bucketByLength(needStream(s, "BucketByLength") as Stream<Example>, boundaries, batchSizes, options);
}

/** Options of {@link addLossWeights}. */
export interface AddLossWeightsOptions {
  /** A target id that marks padding: its positions get weight 0; default `null` (none). */
  idToMask?: number | null;
}

/**
 * Adds loss weights to a stream of batches, as Trax's `AddLossWeights`:
 * `[inputs, targets]` gets `weights` of ones shaped like the targets;
 * with `idToMask`, weights are 0 wherever the targets equal it. Replaced
 * weights tensors are disposed; the consumer disposes the rest, as always.
 *
 * @example
 * ```ts
 * const s = trax.data.addLossWeights(trax.data.batch([[[1, 0], Int32Array.of(1, 0)]], 1), { idToMask: 0 });
 * // yields [x, y, w] with w = [[1, 0]]
 * ```
 */
export function* addLossWeights(stream: Stream<Batch>, options: AddLossWeightsOptions = {}): Generator<Batch> {
  const src = needStream(stream, "addLossWeights") as Iterable<Batch>;
  const id = options.idToMask ?? null;
  for (const b of src) {
    if (b.length < 2 || b.length > 3) {
      if (id !== null) throw new Error(`trax-ts data: addLossWeights can mask only [inputs, targets] or [inputs, targets, weights] batches, got ${b.length} items`);
      yield b;
      continue;
    }
    const [x, y] = b;
    const weights = tf.tidy(() => {
      let w = b.length === 3 ? tf.cast(b[2], "float32") : tf.onesLike(y).asType("float32");
      if (id !== null) w = tf.mul(w, tf.cast(tf.notEqual(y, tf.scalar(id, y.dtype)), "float32"));
      return w;
    });
    if (b.length === 3) b[2].dispose();
    yield [x, y, weights];
  }
}

/**
 * {@link addLossWeights} as a stream function, for {@link Serial}.
 *
 * @example
 * ```ts
 * trax.data.Serial(trax.data.Batch(8), trax.data.AddLossWeights({ idToMask: 0 }));
 * ```
 */
export function AddLossWeights(options: AddLossWeightsOptions = {}): StreamFn {
  return (s) => addLossWeights(needStream(s, "AddLossWeights") as Stream<Batch>, options);
}

/**
 * Repeats a re-iterable stream (an array, a dataset) `epochs` times (default:
 * forever), as training streams in Trax do.
 *
 * @example
 * ```ts
 * [...trax.data.take(trax.data.repeat([1, 2]), 5)]; // [1, 2, 1, 2, 1]
 * ```
 */
export function* repeat<T>(iterable: Iterable<T>, options: { epochs?: number } = {}): Generator<T> {
  const src = needStream(iterable, "repeat") as Iterable<T>;
  const epochs = options.epochs ?? Infinity;
  for (let e = 0; e < epochs; e++) {
    let any = false;
    for (const x of src) {
      any = true;
      yield x;
    }
    if (!any) return; // an empty (or exhausted, one-shot) stream would loop forever
  }
}

/**
 * {@link repeat} as a stream function, for {@link Serial}.
 *
 * @example
 * ```ts
 * trax.data.Serial(() => trax.data.iris().examples(), trax.data.Repeat());
 * ```
 */
export function Repeat(options: { epochs?: number } = {}): StreamFn {
  return (s) => repeat(needStream(s, "Repeat"), options);
}

/**
 * The first `n` items of a stream.
 *
 * @example
 * ```ts
 * [...trax.data.take([1, 2, 3], 2)]; // [1, 2]
 * ```
 */
export function* take<T>(stream: Stream<T>, n: number): Generator<T> {
  const src = needStream(stream, "take") as Iterable<T>;
  if (n <= 0) return;
  let i = 0;
  for (const x of src) {
    yield x;
    if (++i >= n) return;
  }
}

/**
 * {@link take} as a stream function, for {@link Serial}.
 *
 * @example
 * ```ts
 * trax.data.Serial(() => [1, 2, 3], trax.data.Take(2));
 * ```
 */
export function Take(n: number): StreamFn {
  return (s) => take(needStream(s, "Take"), n);
}

/**
 * Applies `fn` to every item of a stream.
 *
 * @example
 * ```ts
 * [...trax.data.map([1, 2], (x) => x * 10)]; // [10, 20]
 * ```
 */
export function* map<T, U>(stream: Stream<T>, fn: (item: T, index: number) => U): Generator<U> {
  const src = needStream(stream, "map") as Iterable<T>;
  let i = 0;
  for (const x of src) yield fn(x, i++);
}

/**
 * {@link map} as a stream function, for {@link Serial}.
 *
 * @example
 * ```ts
 * trax.data.Serial(() => [1, 2], trax.data.Map((x: number) => [x, x]));
 * ```
 */
export function Map<T, U>(fn: (item: T, index: number) => U): StreamFn {
  return (s) => map(needStream(s, "Map") as Stream<T>, fn);
}

/**
 * A seeded random permutation of `0 .. n-1` (Fisher-Yates with threefry keys).
 *
 * @example
 * ```ts
 * trax.data.permutation(5, 0); // Int32Array, the same for seed 0 every time
 * ```
 */
export function permutation(n: number, seed = 0): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new Error(`trax-ts data: permutation needs a non-negative integer size, got ${n}`);
  return permutationFromKey(n, getPrng(seed));
}

/** Options of {@link trainEvalSplit}. */
export interface SplitOptions {
  /** Fraction of the examples held out for evaluation; default 0.1. */
  evalFraction?: number;
  /** Seed of the shuffle before splitting; default 0. `null` keeps the order. */
  seed?: number | null;
}

/**
 * Splits examples into a training part and a held-out evaluation part after
 * a seeded shuffle: `round(n * evalFraction)` examples go to eval.
 *
 * @example
 * ```ts
 * const [train, evalSet] = trax.data.trainEvalSplit(trax.data.digits().examples(), { evalFraction: 0.2, seed: 0 });
 * // train.length === 1438, evalSet.length === 359
 * ```
 */
export function trainEvalSplit<T>(examples: Iterable<T>, options: SplitOptions = {}): [T[], T[]] {
  const all = [...(needStream(examples, "trainEvalSplit") as Iterable<T>)];
  const frac = options.evalFraction ?? 0.1;
  if (!(frac >= 0 && frac <= 1)) throw new Error(`trax-ts data: evalFraction must be in [0, 1], got ${frac}`);
  const seed = options.seed === undefined ? 0 : options.seed;
  const order = seed === null ? Int32Array.from(all.keys()) : permutation(all.length, seed);
  const nEval = Math.round(all.length * frac);
  const evalPart: T[] = [];
  const trainPart: T[] = [];
  order.forEach((idx, k) => (k < nEval ? evalPart : trainPart).push(all[idx]));
  return [trainPart, evalPart];
}

/** Options of {@link shuffledEpochs}. */
export interface EpochOptions {
  /** Seed of the shuffles; default 0. Epoch `e` uses the permutation of key `foldIn(getPrng(seed), e)`. */
  seed?: number;
  /** Number of passes; default: forever. */
  epochs?: number;
  /** Shuffle at all; default true. `false` repeats the examples in order. */
  shuffle?: boolean;
}

/**
 * Repeats a list of examples epoch after epoch, each epoch in a fresh seeded
 * random order (a full permutation, unlike the buffered {@link shuffle}).
 * This is the usual training stream over an in-memory dataset.
 *
 * @example
 * ```ts
 * [...trax.data.shuffledEpochs([1, 2, 3], { seed: 0, epochs: 2 })]; // two permutations of 1, 2, 3
 * ```
 */
export function* shuffledEpochs<T>(examples: readonly T[], options: EpochOptions = {}): Generator<T> {
  if (!Array.isArray(examples)) throw new TypeError(`trax-ts data: shuffledEpochs needs an array of examples, got ${String(examples)}`);
  const epochs = options.epochs ?? Infinity;
  if (examples.length === 0) return;
  const key = getPrng(options.seed ?? 0);
  for (let e = 0; e < epochs; e++) {
    if (options.shuffle === false) {
      for (const x of examples) yield x;
      continue;
    }
    const order = permutationFromKey(examples.length, foldIn(key, e));
    for (let i = 0; i < order.length; i++) yield examples[order[i]];
  }
}

/** Options of {@link batches}. */
export interface BatchesOptions extends EpochOptions, StackOptions {
  /** Keep a last, smaller batch of each pass (only with `epochs` set); default false. */
  dropRemainder?: boolean;
  /**
   * Append loss weights (1 on real positions, 0 on padding) when examples are
   * `[inputs, targets]` of varying lengths, as {@link padBatch}; default false.
   */
  lossWeights?: boolean;
}

/**
 * The whole pipeline for an in-memory dataset in one call: examples in a
 * seeded random order, epoch after epoch (forever unless `epochs` is given),
 * grouped into batches of tensors (`[inputs, targets]` or `[inputs, targets,
 * weights]`), padded where lengths differ. Hand it to a `TrainTask` or
 * `EvalTask`; every batch is new tensors that the consumer disposes.
 *
 * @example
 * ```ts
 * const [train, evalSet] = trax.data.digits({ shape: [64] }).split({ evalFraction: 0.2 });
 * const trainBatches = trax.data.batches(train, 32, { seed: 0 });          // endless, shuffled
 * const evalBatches = trax.data.batches(evalSet, 100, { shuffle: false }); // endless, in order
 * ```
 */
export function batches(examples: readonly Example[], batchSize: number, options: BatchesOptions = {}): Generator<Batch> {
  checkBatchSize(batchSize, "batches");
  const stream = shuffledEpochs(examples, options);
  const batchOptions = { ...options, dropRemainder: options.epochs === undefined ? true : options.dropRemainder ?? true };
  return options.lossWeights ? padBatch(stream, batchSize, batchOptions) : batch(stream, batchSize, batchOptions);
}

/** A Fisher-Yates shuffle of `0 .. n-1` driven by `key`. */
function permutationFromKey(n: number, key: PRNGKey): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const rand = new IndexSource(key);
  for (let i = n - 1; i > 0; i--) {
    const j = rand.next(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** Options of {@link padToLength}. */
export interface PadToLengthOptions {
  /** Value written into padding, per position or one for all; default 0. */
  padValue?: number | Readonly<Record<number, number>>;
  /** Pad up to the next multiple of the length instead of to the length; default false. */
  multiple?: boolean;
}

function padItem(item: Example[number], target: number, padValue: number, where: string): Example[number] {
  if (typeof item === "number") throw new Error(`trax-ts data: padToLength cannot pad a scalar (${where})`);
  let data: ArrayLike<number>;
  let rest: number[];
  let isInt: boolean;
  if (ArrayBuffer.isView(item)) {
    data = item as unknown as ArrayLike<number>;
    rest = [];
    isInt = !(item instanceof Float32Array || item instanceof Float64Array);
  } else if (Array.isArray(item)) {
    const flat = (item as unknown[]).flat(Infinity) as number[];
    const inner = item.length > 0 && Array.isArray(item[0]) ? flat.length / item.length : 1;
    data = flat;
    rest = inner === 1 && !(item.length > 0 && Array.isArray(item[0])) ? [] : [inner];
    isInt = false;
  } else {
    const nd = item as { data: ArrayLike<number>; shape: readonly number[] };
    data = nd.data;
    rest = nd.shape.slice(1);
    isInt = !(nd.data instanceof Float32Array || nd.data instanceof Float64Array);
  }
  const inner = rest.reduce((a, b) => a * b, 1);
  const len = inner === 0 ? 0 : data.length / inner;
  if (len >= target) return item;
  const out = isInt ? new Int32Array(target * inner) : new Float32Array(target * inner);
  if (padValue !== 0) out.fill(padValue);
  for (let i = 0; i < data.length; i++) out[i] = data[i];
  return rest.length === 0 ? out : { data: out, shape: [target, ...rest] };
}

/**
 * Pads items of each example along their first axis, as Trax's `PadToLength`:
 * `lenMap` maps an item position to its length (or, with `multiple`, to the
 * multiple to round up to). Longer items are left as they are. Typed arrays
 * stay typed arrays, so int32 ids stay int32.
 *
 * @example
 * ```ts
 * const [ex] = trax.data.padToLength([[Int32Array.of(1, 2), Int32Array.of(1, 2)]], { 0: 4, 1: 4 });
 * // ex: [Int32Array [1, 2, 0, 0], Int32Array [1, 2, 0, 0]]
 * ```
 */
export function* padToLength(stream: Stream<Example>, lenMap: Readonly<Record<number, number>>, options: PadToLengthOptions = {}): Generator<Example> {
  const src = needStream(stream, "padToLength") as Iterable<Example>;
  const entries = Object.entries(lenMap).map(([k, v]) => [Number(k), v] as const);
  for (const [k, v] of entries) {
    if (!Number.isInteger(k) || k < 0) throw new Error(`trax-ts data: padToLength positions must be non-negative integers, got ${k}`);
    if (!Number.isInteger(v) || v < 1) throw new Error(`trax-ts data: padToLength length for position ${k} must be a positive integer, got ${v}`);
  }
  for (const ex of src) {
    const out = [...ex];
    for (const [k, v] of entries) {
      if (k >= out.length) throw new Error(`trax-ts data: padToLength position ${k} is outside an example of ${out.length} items`);
      const pad = typeof options.padValue === "number" ? options.padValue : options.padValue?.[k] ?? 0;
      const len = firstAxisLength(out[k]);
      const target = options.multiple ? Math.ceil(len / v) * v : v;
      out[k] = padItem(out[k], target, pad, `item ${k}`);
    }
    yield out;
  }
}

/**
 * {@link padToLength} as a stream function, for {@link Serial}.
 *
 * @example
 * ```ts
 * trax.data.PadToLength({ 0: 64, 1: 64 });
 * ```
 */
export function PadToLength(lenMap: Readonly<Record<number, number>>, options: PadToLengthOptions = {}): StreamFn {
  return (s) => padToLength(needStream(s, "PadToLength") as Stream<Example>, lenMap, options);
}

/**
 * Keeps examples whose length (first axis of item 0 by default) is in
 * `[minLength, maxLength]`, as Trax's `FilterByLength`.
 *
 * @example
 * ```ts
 * [...trax.data.filterByLength([[[1, 2, 3]], [[1]]], 2)]; // [[[1]]]
 * ```
 */
export function* filterByLength(stream: Stream<Example>, maxLength: number, options: { minLength?: number; lengthFn?: (ex: Example) => number } = {}): Generator<Example> {
  const src = needStream(stream, "filterByLength") as Iterable<Example>;
  const minLength = options.minLength ?? 0;
  const lengthFn = options.lengthFn ?? ((ex: Example) => firstAxisLength(ex[0]));
  for (const ex of src) {
    const l = lengthFn(ex);
    if (l >= minLength && l <= maxLength) yield ex;
  }
}

/**
 * {@link filterByLength} as a stream function, for {@link Serial}.
 *
 * @example
 * ```ts
 * trax.data.FilterByLength(64);
 * ```
 */
export function FilterByLength(maxLength: number, options: { minLength?: number; lengthFn?: (ex: Example) => number } = {}): StreamFn {
  return (s) => filterByLength(needStream(s, "FilterByLength") as Stream<Example>, maxLength, options);
}
