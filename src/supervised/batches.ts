/**
 * Labeled data for the training loop: a stream of batches (`[x, y]` or
 * `[x, y, weights]`, tensors or nested arrays) that can be read, peeked,
 * skipped and restarted at a position (for resuming from a checkpoint).
 * @module
 */
import { tf } from "../backend/tf";
import { isTensor } from "../fastmath/tree";

/** One batch: the arrays the model and the loss (or metric) take, in order. */
export type BatchLike = readonly (tf.Tensor | tf.TensorLike)[];

/**
 * Where batches come from: an iterable or iterator of batches, or a
 * function returning a fresh one. A function lets the loop restart the
 * stream (resuming from a checkpoint skips the batches already used); make
 * it a function of a seed so that every call yields the same batches.
 */
export type LabeledData = Iterable<BatchLike> | Iterator<BatchLike> | (() => Iterable<BatchLike> | Iterator<BatchLike>);

function iteratorOf(x: unknown, what: string): Iterator<BatchLike> {
  if (x && typeof (x as Iterable<BatchLike>)[Symbol.iterator] === "function") return (x as Iterable<BatchLike>)[Symbol.iterator]();
  if (x && typeof (x as Iterator<BatchLike>).next === "function") return x as Iterator<BatchLike>;
  throw new TypeError(`${what}: labeled data must be an iterable or iterator of batches, or a function returning one; got ${typeof x}`);
}

/** Disposes the tensors of a raw batch. */
export function disposeBatch(batch: unknown): void {
  if (Array.isArray(batch)) for (const t of batch) if (isTensor(t) && !t.isDisposed) t.dispose();
}

/**
 * A batch stream with a position (the number of batches taken so far).
 * @internal
 */
export class BatchStream {
  /** Batches taken by `next` or `skipTo` so far. */
  position = 0;
  private it: Iterator<BatchLike> | null = null;
  private peeked: BatchLike | null = null;

  constructor(private readonly source: LabeledData, private readonly what: string, private readonly disposeBatches: boolean) {
    if (typeof source !== "function") this.it = iteratorOf(source, what);
    else if (source.length > 0) throw new TypeError(`${what}: a labeled-data function takes no arguments (it returns a fresh stream); it takes ${source.length}`);
  }

  private iterator(): Iterator<BatchLike> {
    if (this.it === null) this.it = iteratorOf((this.source as () => unknown)(), this.what);
    return this.it;
  }

  private pull(): BatchLike {
    const r = this.iterator().next();
    if (r.done) throw new Error(`${this.what}: the data stream ended after ${this.position} batches (use an endless stream, e.g. trax.data.repeat)`);
    const b = r.value;
    if (!Array.isArray(b)) {
      disposeBatch([b]);
      throw new Error(`${this.what}: batch ${this.position} is not an array of arrays ([x, y] or [x, y, weights]); got ${isTensor(b) ? "one tensor" : typeof b}`);
    }
    return b;
  }

  /** The next batch without taking it. */
  peek(): BatchLike {
    if (this.peeked === null) this.peeked = this.pull();
    return this.peeked;
  }

  /** Takes the next batch. */
  next(): BatchLike {
    const b = this.peeked ?? this.pull();
    this.peeked = null;
    this.position++;
    return b;
  }

  /** Whether `skipTo(position)` can work (going back needs a function source). */
  canMoveTo(position: number): boolean {
    return position >= this.position || typeof this.source === "function";
  }

  /**
   * Moves to `position`: forward by reading and dropping batches; backward
   * by restarting the stream (only a function source can restart).
   */
  skipTo(position: number): void {
    if (position < this.position) {
      if (typeof this.source !== "function") {
        throw new Error(`${this.what}: cannot go back to batch ${position} of a stream at batch ${this.position}; pass the labeled data as a function returning a fresh stream`);
      }
      if (this.peeked && this.disposeBatches) disposeBatch(this.peeked);
      this.peeked = null;
      this.it = null;
      this.position = 0;
    }
    while (this.position < position) {
      const b = this.next();
      if (this.disposeBatches) disposeBatch(b);
    }
  }

  /** Drops a peeked batch (disposing it if the loop owns batches). */
  dispose(): void {
    if (this.peeked && this.disposeBatches) disposeBatch(this.peeked);
    this.peeked = null;
  }
}

/**
 * Turns a raw batch into tensors for a layer taking `nIn` inputs: checks
 * the count, appends all-ones weights when the loss or metric wants one
 * more array than given (`[x, y]` for a weighted loss), converts arrays.
 * Returns the batch and the tensors made here (the caller disposes them).
 * @internal
 */
export function prepareBatch(raw: BatchLike, nIn: number, what: string, index: number): [tf.Tensor[], tf.Tensor[]] {
  const made: tf.Tensor[] = [];
  try {
    const out: tf.Tensor[] = raw.map((item, i) => {
      if (isTensor(item)) {
        if (item.isDisposed) {
          throw new Error(`${what}: array ${i} of batch ${index} is a disposed tensor (the loop disposes each batch after use: yield new tensors for every batch, or pass { disposeBatches: false })`);
        }
        return item;
      }
      try {
        const t = tf.tensor(item as tf.TensorLike);
        made.push(t);
        return t;
      } catch (e) {
        throw new Error(`${what}: array ${i} of batch ${index} is not a tensor or numeric array (${(e as Error).message})`);
      }
    });
    if (out.length === nIn - 1 && nIn >= 3) {
      const target = out[out.length - 1];
      const w = tf.ones(target.shape, "float32");
      made.push(w);
      out.push(w);
    } else if (out.length !== nIn) {
      throw new Error(
        `${what}: the data stream yielded a batch of ${out.length} array${out.length === 1 ? "" : "s"}; the model with its ${
          nIn >= 3 ? "loss/metrics" : "loss"
        } takes ${nIn}${nIn >= 3 ? ` (or ${nIn - 1} without weights)` : ""}`
      );
    }
    return [out, made];
  } catch (e) {
    tf.dispose(made);
    throw e;
  }
}
