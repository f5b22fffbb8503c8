import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import path from "node:path";
import os from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { assertClose, leakedBy, ready, tf, tl, trax, ShapeDtype } from "../helpers";
import * as random from "../../src/fastmath/random";
import { readNpy } from "../../src/io/npy";

const test = suite("models");
test.before(ready);

const models = trax.models;
type Layer = InstanceType<typeof tl.Layer>;
type Weights = Layer["weights"];

/** The weight shapes in Trax's flattening order (depth first), as "AxB". */
function flatShapes(weights: Weights, out: string[] = []): string[] {
  const w = weights as unknown;
  if (w === null || w === undefined) return out;
  if (Array.isArray(w)) {
    for (const x of w) flatShapes(x as Weights, out);
  } else if (w instanceof tf.Tensor) {
    out.push(w.shape.join("x"));
  } else {
    out.push("shared"); // Trax's GET_WEIGHTS_FROM_CACHE marker for a shared layer
  }
  return out;
}

const names = (l: Layer) => l.sublayers.map((s) => s.name);
const tokens = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0].length], "int32");

/** Python parses `code` (ast.parse): the printed expressions are valid syntax. */
function assertPythonParses(code: string): void {
  const r = spawnSync("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: code, encoding: "utf8" });
  assert.is(r.status, 0, `python3 could not parse:\n${code}\n${r.stderr}`);
}

// ------------------------------------------------------------------ MLP
// trax/models/mlp.py: Serial([Flatten()] if flatten, [Dense(w), activation()...] minus the last activation).

test("MLP: Trax's tree (Flatten, Dense, Relu, Dense) and weights, forward", () => {
  const m = models.MLP({ layerWidths: [8, 3] });
  const y = m(tf.ones([2, 2, 3])) as tf.Tensor;
  assert.equal(names(m), ["Flatten_keep1", "Dense_8", "Relu", "Dense_3"]);
  assert.equal(flatShapes(m.weights), ["6x8", "8", "8x3", "3"]);
  assert.equal(y.shape, [2, 3]);
  const noFlat = models.MLP({ layerWidths: [4], flatten: false, outActivation: true, activationFn: tl.Tanh });
  assert.equal(names(noFlat), ["Dense_4", "Tanh"]);
  const out = noFlat(tf.ones([2, 3])) as tf.Tensor;
  assert.ok(tf.max(tf.abs(out)).dataSync()[0] <= 1, "tanh output");
  assert.equal(names(models.MLP()), ["Flatten_keep1", "Dense_128", "Relu", "Dense_64"], "Trax's defaults (128, 64)");
});

test("MLP loads a file written by Python Trax (save_to_file of the same tree) and reproduces Trax's output", () => {
  const dir = path.join(__dirname, "..", "fixtures", "trax-mlp");
  const m = models.MLP({ layerWidths: [4, 2], flatten: false });
  m.initFromFile(path.join(dir, "model.pkl.gz"));
  assert.equal(names(m), ["Dense_4", "Relu", "Dense_2"]);
  const x = readNpy(path.join(dir, "input.npy"));
  assertClose(m(x), readNpy(path.join(dir, "output.npy")), 1e-5, 1e-5, "Trax's output");
});

// --------------------------------------------------------- Transformers
// trax/models/transformer.py. Weight shapes (d_model 8, d_ff 16, vocab 20): Embedding (20, 8),
// PositionalEncoding (max_len, 8), per decoder block LayerNorm (8) (8), CausalAttention's
// four Dense (8, 8) (8), LayerNorm, Dense (8, 16) (16), Dense (16, 8) (8); final LayerNorm, Dense.

const attn = ["8x8", "8", "8x8", "8", "8x8", "8", "8x8", "8"];
const ffBlock = ["8", "8", "8x16", "16", "16x8", "8"];

test("TransformerLM: Trax's tree and weight shapes, forward in train and eval", () => {
  const m = models.TransformerLM(20, { dModel: 8, dFf: 16, nLayers: 2, nHeads: 2, maxLen: 64 });
  const y = m(tokens([[1, 2, 3, 0]])) as tf.Tensor;
  assert.equal(y.shape, [1, 4, 20]);
  assert.equal(names(m), ["ShiftRight(1)", "Embedding_20_8", "Dropout", "PositionalEncoding", "Serial", "Serial", "Serial", "Serial", "LayerNorm", "Dense_20"]);
  const block = [["8", "8", ...attn], ffBlock].flat();
  assert.equal(flatShapes(m.weights), ["20x8", "64x8", ...block, ...block, "8", "8", "8x20", "20"]);
  // Each residual: Serial(Branch(Select, Parallel(shortcut, Serial(LayerNorm, CausalAttention, Dropout))), Add), as in Trax.
  const res = m.sublayers[4];
  assert.equal(names(res), ["Branch", "Add"]);
  assert.equal(names(res.sublayers[0]), ["Select[0,0]", "Parallel"]);
  assert.equal(names(res.sublayers[0].sublayers[1].sublayers[1]), ["LayerNorm", "CausalAttention", "Dropout"]);
  const ev = models.TransformerLM(20, { dModel: 8, dFf: 16, nLayers: 1, nHeads: 2, mode: "eval" });
  const x = tokens([[3, 1, 4, 1, 5]]);
  assert.equal(ev(x).dataSync(), ev(x).dataSync(), "eval is deterministic");
  assert.equal(models.TransformerLM(20).sublayers.filter((s) => s.name === "Serial").length, 12, "Trax's default n_layers=6: two residuals each");
});

test("TransformerLM predict mode: one token a call equals eval on the whole sequence", () => {
  const cfg = { dModel: 8, dFf: 16, nLayers: 2, nHeads: 2, maxLen: 16 };
  const ev = models.TransformerLM(20, { ...cfg, mode: "eval" });
  const seq = [[5, 3, 9, 1, 7, 2]];
  ev.init(new ShapeDtype([1, 6], "int32"), { rng: random.getPrng(3) });
  const pr = models.TransformerLM(20, { ...cfg, mode: "predict" });
  pr.init(new ShapeDtype([1, 1], "int32"), { rng: random.getPrng(3) });
  pr.weights = ev.weights;
  const expected = ev(tokens(seq)) as tf.Tensor;
  // Predict mode does not shift: feed 0, x0, x1, ...
  const shifted = [0, ...seq[0].slice(0, -1)];
  const got = shifted.map((t) => pr(tokens([[t]])) as tf.Tensor);
  assertClose(tf.concat(got, 1), expected, 1e-5, 1e-5, "predict vs eval");
  assert.ok(tf.max(tf.abs(expected)).dataSync()[0] > 1e-3, "outputs are not trivial");
});

test("TransformerEncoder: Trax's tree and weights, (batch, nClasses) out, padding ignored", () => {
  const m = models.TransformerEncoder(20, { dModel: 8, dFf: 16, nLayers: 1, nHeads: 2, nClasses: 3, maxLen: 32, mode: "eval" });
  const y = m(tokens([[1, 2, 3, 0]])) as tf.Tensor;
  assert.equal(y.shape, [1, 3]);
  assert.equal(names(m), ["Branch", "Embedding_20_8", "Dropout", "PositionalEncoding", "Serial", "Serial", "Select[0]", "LayerNorm", "Mean", "Dense_3"]);
  // Attention (not causal) has the same four Dense layers as CausalAttention.
  assert.equal(flatShapes(m.weights), ["20x8", "32x8", "8", "8", ...attn, ...ffBlock, "8", "8", "8x3", "3"]);
  // The mean over positions includes padding, as in Trax; train mode (dropout) runs too.
  const tr = models.TransformerEncoder(20, { dModel: 8, dFf: 16, nLayers: 1, nHeads: 2, nClasses: 3, maxLen: 32 });
  assert.equal((tr(tokens([[1, 2, 3, 0], [4, 0, 0, 0]])) as tf.Tensor).shape, [2, 3]);
});

test("TransformerDecoder: Embedding or Dense in, (batch, length, dModel) out", () => {
  const withVocab = models.TransformerDecoder({ vocabSize: 20, dModel: 8, dFf: 16, nLayers: 1, nHeads: 2, maxLen: 32 });
  assert.equal((withVocab(tokens([[1, 2, 3]])) as tf.Tensor).shape, [1, 3, 8]);
  assert.equal(names(withVocab), ["Embedding_20_8", "Dropout", "PositionalEncoding", "Serial", "Serial", "LayerNorm"]);
  const vectors = models.TransformerDecoder({ dModel: 8, dFf: 16, nLayers: 1, nHeads: 2, maxLen: 32 });
  assert.equal((vectors(tf.ones([2, 3, 5])) as tf.Tensor).shape, [2, 3, 8]);
  assert.equal(flatShapes(vectors.weights).slice(0, 3), ["5x8", "8", "32x8"]);
});

test("Transformer (encoder-decoder): Trax's tree, a shared embedding, forward; separate vocabularies", () => {
  const m = models.Transformer(20, { dModel: 8, dFf: 16, nEncoderLayers: 1, nDecoderLayers: 1, nHeads: 2, maxLen: 32 });
  const [y, targets] = m([tokens([[1, 2, 3, 0]]), tokens([[4, 5, 6]])]) as tf.Tensor[];
  assert.equal(y.shape, [1, 3, 20]);
  assert.equal(targets.arraySync(), [[4, 5, 6]]);
  assert.equal(names(m), [
    "Select[0,1,1]", "Branch", "Serial", "Select[2,1,0]", "ShiftRight(1)", "Embedding_20_8",
    "Dropout", "PositionalEncoding", "Branch", "Serial", "Serial", "Serial",
    "LayerNorm", "Select[0]", "Dense_20",
  ]);
  assert.is(m.sublayers[5], m.sublayers[2].sublayers[0], "input and output share one Embedding (Trax: out_embedder = in_embedder)");
  const shapes = flatShapes(m.weights);
  assert.equal(shapes[0], "20x8");
  assert.ok(shapes.includes("shared"), "the second use of the embedding is Trax's cache marker");
  const sep = models.Transformer(20, { outputVocabSize: 30, dModel: 8, dFf: 16, nEncoderLayers: 1, nDecoderLayers: 1, nHeads: 2, maxLen: 32 });
  const [y2] = sep([tokens([[1, 2]]), tokens([[4, 5, 6]])]) as tf.Tensor[];
  assert.equal(y2.shape, [1, 3, 30]);
  // Encoder-decoder block: causal attention, AttentionQKV over the encoding, feed-forward.
  assert.equal(flatShapes(sep.sublayers[9].weights), ["8", "8", ...attn]);
  assert.equal(flatShapes(sep.sublayers[10].weights), ["8", "8", ...attn]);
  assert.equal(flatShapes(sep.sublayers[11].weights), ffBlock);
});

test("Transformer predict mode (encoder cached, decoder one token a call) equals eval; weights moved as Trax does, through a file", () => {
  const cfg = { dModel: 8, dFf: 16, nEncoderLayers: 1, nDecoderLayers: 2, nHeads: 2, maxLen: 16 };
  const ev = models.Transformer(20, { ...cfg, mode: "eval" });
  ev.init([new ShapeDtype([1, 4], "int32"), new ShapeDtype([1, 5], "int32")], { rng: random.getPrng(2) });
  // In predict mode the encoder sits in a tl.Cache (one more level in the weight tree, as in
  // Trax), so the weights move by their flat order: a Trax file loaded with weightsOnly.
  const pr = models.Transformer(20, { ...cfg, mode: "predict" });
  pr.init([new ShapeDtype([1, 4], "int32"), new ShapeDtype([1, 1], "int32")], { rng: random.getPrng(9) });
  assert.equal(names(pr).slice(2, 3), ["Cache"]);
  const dir = mkdtempSync(path.join(os.tmpdir(), "trax-models-"));
  const file = path.join(dir, "transformer.pkl.gz");
  ev.saveToFile(file, { format: "trax" });
  pr.initFromFile(file, { weightsOnly: true });
  rmSync(dir, { recursive: true, force: true });
  const src = tokens([[5, 6, 7, 0]]);
  const tgt = [4, 9, 2, 7, 1];
  const [expected] = ev([src, tokens([tgt])]) as tf.Tensor[];
  const got = [0, ...tgt.slice(0, -1)].map((t) => (pr([src, tokens([[t]])]) as tf.Tensor[])[0]);
  assertClose(tf.concat(got, 1), expected, 1e-5, 1e-5, "predict vs eval");
});

// ------------------------------------------------------------- Reformer
// trax/models/reformer/reformer.py: SelfAttention weights are per head: q, k, v (n_heads, d_model, d_qk),
// o (n_heads, d_v, d_model), no biases; the positional encoder and the loss Dense are wrapped in
// AssertShape layers (@assert_shape, tl.AssertFunction); the final LayerNorm sees both halves (2 * d_model).

test("ReformerLM: Trax's tree (reversible half-residuals over SelfAttention) and weights, forward", () => {
  const m = models.ReformerLM(20, { dModel: 8, dFf: 16, dAttentionKey: 4, dAttentionValue: 4, nLayers: 2, nHeads: 2, maxLen: 32 });
  const y = m(tokens([[1, 2, 3, 4]])) as tf.Tensor;
  assert.equal(y.shape, [1, 4, 20]);
  assert.equal(names(m), ["ShiftRight(1)", "Embedding_20_8", "Dropout", "Serial", "Dup", "ReversibleSerial", "Concatenate", "LayerNorm", "Dropout", "Serial"]);
  // Trax's AssertShape layers are nameless ('' unless visible_layer) and hold no weights.
  assert.equal(names(m.sublayers[3]), ["", "PositionalEncoding", ""]);
  assert.equal(names(m.sublayers[9]), ["", "Dense_20", ""]);
  assert.equal(names(m.sublayers[5]), [
    "ReversibleHalfResidualDecoderAttn", "ReversibleSwap", "ReversibleHalfResidualDecoderFF", "ReversibleSwap",
    "ReversibleHalfResidualDecoderAttn", "ReversibleSwap", "ReversibleHalfResidualDecoderFF", "ReversibleSwap",
  ]);
  assert.equal(names(m.sublayers[5].sublayers[2].sublayers[0]), ["LayerNorm", "Dense_16", "Dropout", "FastGelu", "Dense_8", "Dropout"]);
  const block = ["8", "8", "2x8x4", "2x8x4", "2x8x4", "2x4x8", ...ffBlock];
  assert.equal(flatShapes(m.weights), ["20x8", "32x8", ...block, ...block, "16", "16", "16x20", "20"]);
});

test("ReformerLM with LSHSelfAttention: forward; predict mode equals eval", () => {
  const lsh = models.ReformerLM(20, {
    dModel: 8, dFf: 16, dAttentionKey: 4, dAttentionValue: 4, nLayers: 1, nHeads: 2, maxLen: 32, mode: "eval",
    attentionType: (o) => tl.LSHSelfAttention({ ...o, chunkLen: 4, nBuckets: 2 }),
  });
  assert.equal((lsh(tokens([[1, 2, 3, 4, 5, 6, 7, 8]])) as tf.Tensor).shape, [1, 8, 20]);
  // Predict mode needs the attention's memory length (Trax sets it through gin).
  const cfg = { dModel: 8, dFf: 16, dAttentionKey: 4, dAttentionValue: 4, nLayers: 2, nHeads: 2, maxLen: 32 };
  const ev = models.ReformerLM(20, { ...cfg, mode: "eval" });
  ev.init(new ShapeDtype([1, 5], "int32"), { rng: random.getPrng(4) });
  const pr = models.ReformerLM(20, {
    ...cfg, mode: "predict",
    attentionType: (o) => tl.SelfAttention({ ...o, predictMemLen: 8, predictDropLen: 4 }),
  });
  pr.init(new ShapeDtype([1, 1], "int32"), { rng: random.getPrng(4) });
  pr.weights = ev.weights;
  const seq = [4, 9, 2, 7, 1];
  const expected = ev(tokens([seq])) as tf.Tensor;
  const got = [0, ...seq.slice(0, -1)].map((t) => pr(tokens([[t]])) as tf.Tensor);
  assertClose(tf.concat(got, 1), expected, 1e-4, 1e-4, "predict vs eval");
});

test("ReformerLM options: chunked feed-forward and attention, other positional encodings, tl.CausalAttention", () => {
  const base = { dModel: 8, dFf: 16, dAttentionKey: 4, dAttentionValue: 4, nLayers: 1, nHeads: 2, maxLen: 16, mode: "eval" as const };
  const x = tokens([[1, 2, 3, 4], [5, 6, 7, 8]]);
  const chunked = models.ReformerLM(20, { ...base, ffChunkSize: 2, attentionChunkSize: 1 });
  const plain = models.ReformerLM(20, base);
  plain.init(new ShapeDtype([2, 4], "int32"), { rng: random.getPrng(1) });
  chunked.init(new ShapeDtype([2, 4], "int32"), { rng: random.getPrng(1) });
  // Chunking nests the feed-forward deeper (as in Trax): the weights move by their flat order, through a file.
  const dir = mkdtempSync(path.join(os.tmpdir(), "trax-models-"));
  plain.saveToFile(path.join(dir, "plain.pkl.gz"), { format: "trax" });
  chunked.initFromFile(path.join(dir, "plain.pkl.gz"), { weightsOnly: true });
  rmSync(dir, { recursive: true, force: true });
  const ffHalf = chunked.sublayers[5].sublayers[2];
  assert.equal(names(ffHalf.sublayers[0]), ["BatchLeadingAxes"], "Trax: BatchLeadingAxes(Chunk(Serial(...)))");
  assertClose(chunked(x), plain(x), 1e-5, 1e-5, "chunking changes nothing");
  const expectPe: [string, string][] = [["sin-cos", "SinCosPositionalEncoding"], ["fixed-base", "FixedBasePositionalEncoding"], ["infinite", "InfinitePositionalEncoding"], ["no", "Serial"], ["axial", "AxialPositionalEncoding"]];
  for (const [posType, name] of expectPe) {
    const m = models.ReformerLM(20, { ...base, posType, posAxialShape: [2, 2], posDAxialEmbs: [4, 4] });
    assert.equal(names(m.sublayers[3])[1], name, posType);
    assert.equal((m(x) as tf.Tensor).shape, [2, 4, 20], posType);
  }
  assert.throws(() => models.ReformerLM(20, { posType: "time-bin" }), /time-bin/);
  const causal = models.ReformerLM(20, { ...base, attentionType: tl.CausalAttention as never });
  assert.equal(causal.sublayers[5].sublayers[0].sublayers[1].name, "CausalAttention");
  assert.equal((causal(x) as tf.Tensor).shape, [2, 4, 20]);
});

test("ReformerLM refuses what trax-ts lacks (sparse and SRU feed-forward, sparse loss), naming the option", () => {
  assert.throws(() => models.ReformerLM(20, { ffUseSru: 1 }), /ffUseSru/);
  assert.throws(() => models.ReformerLM(20, { lossSparsity: 4 }), /lossSparsity/);
  assert.throws(() => models.ReformerLM(20, { nLayers: 3, attentionType: [tl.SelfAttention, tl.LSHSelfAttention] }), /multiple/);
});

// ------------------------------------------------------------------ RNNs
// trax/models/rnn.py. LSTMCell(n) has one Dense over [x, h]: (d_in + n, 4n) and (4n).

test("RNNLM: Trax's tree (two LSTMCells scanned, states concatenated) and weights; predict equals eval", () => {
  const m = models.RNNLM(20, { dModel: 8 });
  assert.equal((m(tokens([[1, 2, 3]])) as tf.Tensor).shape, [1, 3, 20]);
  assert.equal(names(m), ["ShiftRight(1)", "Embedding_20_8", "Dropout", "Branch", "Scan", "Select[0]", "Dense_20"]);
  assert.equal(names(m.sublayers[4].sublayers[0]), ["Parallel", "Serial", "Parallel"]);
  assert.equal(flatShapes(m.weights), ["20x8", "16x32", "32", "16x32", "32", "8x20", "20"]);
  assert.throws(() => models.RNNLM(20, { nLayers: 3 }), /must be 2/);
  const ev = models.RNNLM(20, { dModel: 8, mode: "eval" });
  ev.init(new ShapeDtype([2, 4], "int32"), { rng: random.getPrng(5) });
  const pr = models.RNNLM(20, { dModel: 8, mode: "predict" });
  pr.init(new ShapeDtype([2, 1], "int32"), { rng: random.getPrng(5) });
  pr.weights = ev.weights;
  const seq = [[3, 1, 4, 1], [5, 9, 2, 6]];
  const expected = ev(tokens(seq)) as tf.Tensor;
  const got = [0, 1, 2, 3].map((t) => pr(tokens(seq.map((r) => [t === 0 ? 0 : r[t - 1]]))) as tf.Tensor);
  assertClose(tf.concat(got, 1), expected, 1e-5, 1e-5, "predict vs eval");
});

test("GRULM: Trax's tree and weights (GRU: gates Dense (2n, 2n), candidate Dense (2n, n)); predict equals eval", () => {
  const m = models.GRULM({ vocabSize: 20, dModel: 8, nLayers: 2 });
  assert.equal((m(tokens([[1, 2, 3]])) as tf.Tensor).shape, [1, 3, 20]);
  assert.equal(names(m), ["ShiftRight(1)", "Embedding_20_8", "GRU_8", "GRU_8", "Dense_20"]);
  assert.equal(flatShapes(m.weights), ["20x8", "16x16", "16", "16x8", "8", "16x16", "16", "16x8", "8", "8x20", "20"]);
  assert.equal(names(models.GRULM()).slice(1, 2), ["Embedding_256_512"], "Trax's defaults: vocab 256, d_model 512");
  const ev = models.GRULM({ vocabSize: 20, dModel: 8, mode: "eval" });
  ev.init(new ShapeDtype([1, 4], "int32"), { rng: random.getPrng(6) });
  const pr = models.GRULM({ vocabSize: 20, dModel: 8, mode: "predict" });
  pr.init(new ShapeDtype([1, 1], "int32"), { rng: random.getPrng(6) });
  pr.weights = ev.weights;
  const seq = [7, 3, 3, 8];
  const got = [0, ...seq.slice(0, -1)].map((t) => pr(tokens([[t]])) as tf.Tensor);
  assertClose(tf.concat(got, 1), ev(tokens([seq])), 1e-5, 1e-5, "predict vs eval");
});

test("LSTMSeq2SeqAttn: Trax's tree and weights, log-probabilities out, padding masked", () => {
  const m = models.LSTMSeq2SeqAttn({ inputVocabSize: 20, targetVocabSize: 30, dModel: 8, mode: "eval" });
  const src = tokens([[1, 2, 3, 0, 0]]);
  const tgt = tokens([[4, 5, 6]]);
  const [y, targets] = m([src, tgt]) as tf.Tensor[];
  assert.equal(y.shape, [1, 3, 30]);
  assert.equal(targets.arraySync(), [[4, 5, 6]]);
  assertClose(tf.sum(tf.exp(y), -1), [[1, 1, 1]], 1e-5, 1e-5, "log-probabilities");
  assert.equal(names(m), ["Select[0,1,0,1]", "Parallel", "PrepareAttentionInputs", "Serial", "Select[0,2]", "LSTM_8", "LSTM_8", "Dense_30", "LogSoftmax"]);
  assert.equal(flatShapes(m.weights), [
    "20x8", "16x32", "32", "16x32", "32", // input encoder: Embedding, 2 LSTMs
    "30x8", "16x32", "32", // pre-attention decoder: Embedding, LSTM
    "8x8", "8", "8x8", "8", "8x8", "8", "8x8", "8", // AttentionQKV
    "16x32", "32", "16x32", "32", "8x30", "30",
  ]);
  // The mask hides padding: the padded source gives what the unpadded one gives (the
  // encoder LSTMs run forward, so positions 0-2 do not see the padding after them).
  const [y2] = m([tokens([[1, 2, 3]]), tgt]) as tf.Tensor[];
  assertClose(y2, y, 1e-5, 1e-5);
  const [y3] = m([tokens([[1, 2, 3, 4, 0]]), tgt]) as tf.Tensor[];
  assert.ok(tf.max(tf.abs(tf.sub(y3, y))).dataSync()[0] > 1e-6, "a real token where padding was changes the output");
});

// ------------------------------------------------------ Trax-format files

test("every model round-trips through Trax's file format: a fresh model loaded from the file computes the same", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "trax-models-"));
  const lmTokens = tokens([[2, 7, 1, 8, 2]]);
  const cases: [string, () => Layer, unknown, InstanceType<typeof ShapeDtype> | InstanceType<typeof ShapeDtype>[]][] = [
    ["TransformerLM", () => models.TransformerLM(20, { dModel: 8, dFf: 16, nLayers: 1, nHeads: 2, maxLen: 16, mode: "eval" }), lmTokens, new ShapeDtype([1, 5], "int32")],
    ["Transformer", () => models.Transformer(20, { dModel: 8, dFf: 16, nEncoderLayers: 1, nDecoderLayers: 1, nHeads: 2, maxLen: 16, mode: "eval" }),
      [tokens([[3, 4, 0]]), lmTokens], [new ShapeDtype([1, 3], "int32"), new ShapeDtype([1, 5], "int32")]],
    ["ReformerLM", () => models.ReformerLM(20, { dModel: 8, dFf: 16, dAttentionKey: 4, dAttentionValue: 4, nLayers: 1, nHeads: 2, maxLen: 16, mode: "eval" }), lmTokens, new ShapeDtype([1, 5], "int32")],
    ["RNNLM", () => models.RNNLM(20, { dModel: 8, mode: "eval" }), lmTokens, new ShapeDtype([1, 5], "int32")],
    ["LSTMSeq2SeqAttn", () => models.LSTMSeq2SeqAttn({ inputVocabSize: 20, targetVocabSize: 20, dModel: 8, mode: "eval" }),
      [tokens([[3, 4, 0]]), lmTokens], [new ShapeDtype([1, 3], "int32"), new ShapeDtype([1, 5], "int32")]],
  ];
  for (const [name, make, x, sig] of cases) {
    const a = make();
    a.init(sig, { rng: random.getPrng(11) });
    const file = path.join(dir, `${name}.pkl.gz`);
    a.saveToFile(file, { format: "trax", inputSignature: sig });
    const b = make();
    b.initFromFile(file);
    const ya = a(x as tf.Tensor);
    const yb = b(x as tf.Tensor);
    assertClose(Array.isArray(yb) ? yb[0] : yb, Array.isArray(ya) ? ya[0] : ya, 0, 0, name);
  }
  rmSync(dir, { recursive: true, force: true });
});

test("LSTMSeq2SeqAttn predict mode (keys and values cached, decoder LSTMs one token a call) equals eval", () => {
  const cfg = { inputVocabSize: 20, targetVocabSize: 20, dModel: 8, nAttentionHeads: 2 };
  const ev = models.LSTMSeq2SeqAttn({ ...cfg, mode: "eval" });
  ev.init([new ShapeDtype([1, 4], "int32"), new ShapeDtype([1, 5], "int32")], { rng: random.getPrng(2) });
  const pr = models.LSTMSeq2SeqAttn({ ...cfg, mode: "predict" });
  pr.init([new ShapeDtype([1, 4], "int32"), new ShapeDtype([1, 1], "int32")], { rng: random.getPrng(9) });
  // Predict mode caches the attention's key/value Dense layers in a tl.Cache (as Trax does): move the weights flat.
  const dir = mkdtempSync(path.join(os.tmpdir(), "trax-models-"));
  ev.saveToFile(path.join(dir, "s2s.pkl.gz"), { format: "trax" });
  pr.initFromFile(path.join(dir, "s2s.pkl.gz"), { weightsOnly: true });
  rmSync(dir, { recursive: true, force: true });
  const src = tokens([[5, 6, 7, 0]]);
  const tgt = [4, 9, 2, 7, 1];
  const [expected] = ev([src, tokens([tgt])]) as tf.Tensor[];
  const got = [0, ...tgt.slice(0, -1)].map((t) => (pr([src, tokens([[t]])]) as tf.Tensor[])[0]);
  assertClose(tf.concat(got, 1), expected, 1e-5, 1e-5, "predict vs eval");
});

// --------------------------------------------------------------- options

test("model options: unknown keys refused naming the camelCase key; bad vocabulary sizes refused", () => {
  assert.throws(() => models.TransformerLM(20, { d_model: 8 } as never), /unknown option "d_model"; did you mean dModel\?/);
  assert.throws(() => models.ReformerLM(20, { nlayer: 2 } as never), /unknown option "nlayer"; did you mean nLayers\?/);
  assert.throws(() => models.MLP({ depth: [3] } as never), /MLP: unknown option "depth"; valid options: layerWidths/);
  assert.throws(() => models.TransformerLM(0), /vocabSize must be a positive integer/);
  assert.throws(() => models.Transformer(20, { outputVocabSize: 2.5 }), /outputVocabSize/);
});

test("a second forward pass of a model leaks no tensors", () => {
  const m = models.TransformerLM(20, { dModel: 8, dFf: 16, nLayers: 1, nHeads: 2, maxLen: 16 });
  const x = tokens([[1, 2, 3]]);
  tf.dispose(m(x) as tf.Tensor);
  assert.is(leakedBy(() => tf.dispose(m(x) as tf.Tensor)), 0);
  const r = models.ReformerLM(20, { dModel: 8, dFf: 16, dAttentionKey: 4, dAttentionValue: 4, nLayers: 1, nHeads: 2, maxLen: 16 });
  tf.dispose(r(x) as tf.Tensor);
  assert.is(leakedBy(() => tf.dispose(r(x) as tf.Tensor)), 0);
  x.dispose();
});

// -------------------------------------------------------------- toPython

test("toPython of each model: its trax.models call with snake_case keywords, valid Python", () => {
  const cases: [Layer, string][] = [
    [models.MLP({ layerWidths: [16, 10], outActivation: true }), "trax.models.MLP(layer_widths=[16, 10], out_activation=True)"],
    [models.TransformerLM(32, { dModel: 16, dFf: 32, nLayers: 2, nHeads: 2 }), "trax.models.TransformerLM(32, d_model=16, d_ff=32, n_layers=2, n_heads=2)"],
    [models.TransformerEncoder(100, { nClasses: 3, ffActivation: tl.Gelu }), "trax.models.TransformerEncoder(100, n_classes=3, ff_activation=tl.Gelu)"],
    [models.TransformerDecoder({ vocabSize: 50, dropoutSharedAxes: [0, 1] }), "trax.models.TransformerDecoder(vocab_size=50, dropout_shared_axes=[0, 1])"],
    [models.Transformer(40, { outputVocabSize: 50, nEncoderLayers: 1, mode: "predict" }), "trax.models.Transformer(40, output_vocab_size=50, n_encoder_layers=1, mode='predict')"],
    [models.ReformerLM(32, { attentionType: tl.LSHSelfAttention, nLayers: 2 }), "trax.models.ReformerLM(32, attention_type=tl.LSHSelfAttention, n_layers=2)"],
    [models.RNNLM(32, { dModel: 64, rnnCellDStateMultiplier: 2 }), "trax.models.RNNLM(32, d_model=64, rnn_cell_d_state_multiplier=2)"],
    [models.GRULM({ vocabSize: 32, nLayers: 2 }), "trax.models.GRULM(vocab_size=32, n_layers=2)"],
    [models.LSTMSeq2SeqAttn({ inputVocabSize: 20, targetVocabSize: 30, nAttentionHeads: 2, attentionDropout: 0.1 }),
      "trax.models.LSTMSeq2SeqAttn(input_vocab_size=20, target_vocab_size=30, n_attention_heads=2, attention_dropout=0.1)"],
    [models.MLP(), "trax.models.MLP()"],
  ];
  for (const [m, expected] of cases) {
    assert.is(m.toPython({ width: 140 }), expected);
    assertPythonParses(expected);
  }
  // A model inside a tl tree prints as its call too; a JavaScript function argument is a TODO.
  const wrapped = tl.Serial(models.MLP({ layerWidths: [4] }), tl.LogSoftmax()).toPython();
  assert.is(wrapped, "tl.Serial(trax.models.MLP(layer_widths=[4]), tl.LogSoftmax())");
  const custom = models.RNNLM(20, { rnnCell: (n: number) => tl.GRUCell(n) }).toPython();
  assert.match(custom, /rnn_cell=rnn_cell,  # TODO: rnn_cell is a JavaScript function; write it in Python/);
  assertPythonParses(custom);
  // A model's sublayers print as the tl calls that built them; its tl.Fn as a placeholder.
  const seq2seq = models.LSTMSeq2SeqAttn({ dModel: 8 });
  assert.match(seq2seq.sublayers[2].toPython(), /tl\.Fn\('PrepareAttentionInputs', prepare_attention_inputs, n_out=4\)\s+# TODO: write prepare_attention_inputs in Python/);
  assertPythonParses(seq2seq.sublayers[2].toPython());
});

test("toPython of a catalogue of layers: Trax's constructor expressions, valid Python", () => {
  const cases: [Layer, string][] = [
    [tl.Serial(tl.Embedding(32, 16), tl.CausalAttention(16, { nHeads: 2 })), "tl.Serial(tl.Embedding(32, 16), tl.CausalAttention(16, n_heads=2))"],
    [tl.Dense(10, { useBias: false }), "tl.Dense(10, use_bias=False)"],
    [tl.Dense(4, { kernelInitializer: tl.GlorotNormalInitializer(), biasInitializer: tl.RandomNormalInitializer(0.5) }),
      "tl.Dense(4, kernel_initializer=tl.GlorotNormalInitializer(), bias_initializer=tl.RandomNormalInitializer(0.5))"],
    [tl.Concatenate({ nItems: 3, axis: 0 }), "tl.Concatenate(n_items=3, axis=0)"],
    [tl.Select([0, 1, 0], { nIn: 2 }), "tl.Select([0, 1, 0], n_in=2)"],
    [tl.Attention(64, { nHeads: 4, mode: "eval" }), "tl.Attention(64, n_heads=4, mode='eval')"],
    [tl.AttentionQKV(8, { cacheKVInPredict: true }), "tl.AttentionQKV(8, cache_KV_in_predict=True)"],
    [tl.Residual(tl.LayerNorm({ center: false }), tl.Dropout({ rate: 0.1, sharedAxes: [-2] })), "tl.Residual(tl.LayerNorm(center=False), tl.Dropout(rate=0.1, shared_axes=[-2]))"],
    [tl.Branch([], tl.PaddingMask()), "tl.Branch([], tl.PaddingMask())"],
    [tl.Parallel(tl.Dense(2), null), "tl.Parallel(tl.Dense(2), None)"],
    [tl.Scan(tl.LSTMCell(8), { axis: 1, mode: "predict" }), "tl.Scan(tl.LSTMCell(8), axis=1, mode='predict')"],
    [tl.LSTM(8), "tl.LSTM(8)"],
    [tl.Conv(4, [3, 3], { padding: "SAME" }), "tl.Conv(4, [3, 3], padding='SAME')"],
    [tl.BatchNorm({ momentum: 0.9 }), "tl.BatchNorm(momentum=0.9)"],
    [tl.ShiftRight({ nPositions: 2 }), "tl.ShiftRight(n_positions=2)"],
    [tl.PositionalEncoding({ maxLen: 128, dropout: 0.1 }), "tl.PositionalEncoding(max_len=128, dropout=0.1)"],
    [tl.LSHSelfAttention({ nHeads: 2, chunkLen: 4, nBuckets: 8 }), "tl.LSHSelfAttention(n_heads=2, chunk_len=4, n_buckets=8)"],
    [tl.ReversibleSerial(tl.ReversibleHalfResidual(tl.Dense(4), { name: "R" }), tl.ReversibleSwap()),
      "tl.ReversibleSerial(tl.ReversibleHalfResidual(tl.Dense(4), name='R'), tl.ReversibleSwap())"],
    [tl.Chunk(tl.Dense(3), 0), "tl.Dense(3)"],
    [tl.Serial(tl.Dense(3), { name: "Head" }), "tl.Serial(tl.Dense(3), name='Head')"],
    [tl.PrintShape({ msg: "it's" }), "tl.PrintShape(msg='it\\'s')"],
    [tl.Elu({ a: 0.5 }), "tl.Elu(a=0.5)"],
    [tl.CrossEntropyLoss(), "tl.CrossEntropyLoss()"],
  ];
  for (const [layer, expected] of cases) {
    assert.is(layer.toPython({ width: 140 }), expected);
    assertPythonParses(expected);
  }
  // `new` records too; the record is a copy of the arguments, not a view of the caller's objects.
  assert.is(new tl.Dense(3).toPython(), "tl.Dense(3)");
  const opts: { rate: number; sharedAxes: number[] } = { rate: 0.1, sharedAxes: [-2] };
  const dropout = tl.Dropout(opts);
  opts.rate = 0.5;
  opts.sharedAxes.push(0);
  assert.is(dropout.toPython(), "tl.Dropout(rate=0.1, shared_axes=[-2])");
});

test("toPython placeholders: tl.Fn, a subclass, a shared layer, a tensor argument; long trees split over lines", () => {
  const fn = tl.Fn("SumAndMax", (a: tf.Tensor, b: tf.Tensor) => [a.add(b), tf.maximum(a, b)], { nOut: 2 });
  class MyLayer extends tl.Layer {
    forward(x: tf.Tensor): tf.Tensor {
      return x;
    }
  }
  const shared = tl.Dense(4);
  const w = tf.ones([2, 2]);
  const tree = tl.Serial(fn, new MyLayer(), shared, shared, tl.Weights(tl.RandomNormalInitializer(), { shape: [2] }));
  const py = tree.toPython({ width: 60 });
  assert.match(py, /^tl\.Serial\(\n {4}tl\.Fn\('SumAndMax', sum_and_max, n_out=2\),  # TODO: write sum_and_max in Python/);
  assert.match(py, /\n {4}MyLayer\(\),  # TODO: MyLayer is a Layer class written in TypeScript \(n_in=1, n_out=1\); write it in Python/);
  assert.match(py, /\n {4}tl\.Dense\(4\),\n {4}dense_4,  # TODO: the same Dense_4 instance appears earlier \(shared weights\)/);
  assertPythonParses(py);
  // The whole expression a placeholder: still valid Python.
  assertPythonParses(new MyLayer().toPython());
  const withTensor = tl.Serial(tl.Dense(2), { name: "T" });
  assert.is(withTensor.toPython(), "tl.Serial(tl.Dense(2), name='T')");
  w.dispose();
  // Long trees wrap at the width, nested calls indented by four.
  const long = tl.Serial(tl.Embedding(32000, 512), tl.Dropout({ rate: 0.1, mode: "train" }), tl.PositionalEncoding({ maxLen: 2048 }), tl.Dense(32000));
  assert.is(long.toPython(), [
    "tl.Serial(",
    "    tl.Embedding(32000, 512),",
    "    tl.Dropout(rate=0.1, mode='train'),",
    "    tl.PositionalEncoding(max_len=2048),",
    "    tl.Dense(32000),",
    ")",
  ].join("\n"));
});

test("every constructor of tl and trax.models records its calls (or toPython would print a placeholder)", () => {
  // Not layer constructors to print: an error class, an initializer's kernel function, base classes for subclassing.
  const skip = new Set(["LayerError", "AtariConvInit", "Layer", "EfficientAttentionBase"]);
  const missing: string[] = [];
  for (const [name, value] of Object.entries(tl)) {
    if (!/^[A-Z]/.test(name) || typeof value !== "function" || skip.has(name)) continue;
    if (!tl.isRecordingConstructor(value)) missing.push(name);
  }
  for (const [name, value] of Object.entries(models)) {
    if (typeof value === "function" && !tl.isRecordingConstructor(value)) missing.push(`models.${name}`);
  }
  assert.equal(missing, []);
});

test("display.pythonView: the script with imports, as text and an escaped <pre> block", () => {
  const view = trax.display.pythonView(tl.Serial(tl.Dense(4), tl.PrintShape({ msg: "<b>" })));
  const bundle = view[Symbol.for("Jupyter.display") as typeof trax.display.DISPLAY]();
  assert.is(bundle["text/plain"], "import trax\nfrom trax import layers as tl\n\nmodel = tl.Serial(tl.Dense(4), tl.PrintShape(msg='<b>'))\n");
  assert.match(bundle["text/html"] as string, /^<pre class="trax-python"[^>]*><code class="language-python">import trax/);
  assert.match(bundle["text/html"] as string, /msg=&#39;&lt;b&gt;&#39;/);
  assertPythonParses(view.code);
});

test.run();
