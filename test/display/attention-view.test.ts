import { test } from "uvu";
import * as assert from "uvu/assert";
import { ready, tf, tl, trax, leakedBy } from "../helpers";
import { assertWellFormedXml, svgsIn } from "./xml";

const d = trax.display;

test.before(ready);

test("from a probabilities tensor: one heatmap per head with token labels", () => {
  // (batch 1, heads 2, queries 2, keys 3)
  const p = tf.tensor([[[[0.5, 0.25, 0.25], [0, 1, 0]], [[1, 0, 0], [0.2, 0.3, 0.5]]]]);
  const v = d.attentionView(p, { queryTokens: ["a", "b"], keyTokens: ["x", "y", "z"] });
  assert.is(v.maps.length, 1);
  assert.is(v.maps[0].heads.length, 2);
  const text = String(v);
  assert.match(text, /2 heads, 2 queries x 3 keys/);
  assert.match(text, /head 1\n\s+x\s+y\s+z\na\s+1\.00\s+0\.00\s+0\.00\nb\s+0\.20\s+0\.30\s+0\.50/);
  const html = v[d.DISPLAY]()["text/html"] as string;
  const svgs = svgsIn(html);
  assert.is(svgs.length, 2);
  for (const s of svgs) {
    assertWellFormedXml(s, "attention heatmap");
    assert.is((s.match(/<rect x="\d+" y="\d+" width="\d+" height="\d+" fill="#[0-9a-f]{6}"><title>/g) ?? []).length, 6);
    assert.ok(s.includes(">x</text>") && s.includes(">b</text>"), "labels");
  }
  // Probability 1 is the top colour, 0 the bottom one (range fixed to [0, 1]).
  assert.ok(svgs[0].includes('fill="#fde725"><title>b, y: 1</title>'));
  assert.ok(svgs[0].includes('fill="#440154"><title>b, x: 0</title>'));
  p.dispose();
});

test("from a layer run in viz mode; token labels are escaped", () => {
  const att = tl.DotProductAttention({ mode: "viz" });
  const q = tf.randomNormal([1, 2, 3, 4], 0, 1, "float32", 3);
  const mask = tf.ones([1, 1, 1, 3], "bool");
  att([q, q, q, mask]).dispose();
  const evil = "<script>alert(1)</script>";
  const v = d.attentionView(att, { queryTokens: [evil, "b", "c"] });
  assert.is(v.maps[0].heads.length, 2);
  // Each row of probabilities sums to one.
  for (const h of v.maps[0].heads) for (let r = 0; r < 3; r++) assert.ok(Math.abs(h[r * 3] + h[r * 3 + 1] + h[r * 3 + 2] - 1) < 1e-5);
  const html = d.bundleOf(v)["text/html"] as string;
  assert.not.ok(html.includes(evil));
  // The labels live in the heatmaps' SVG (shown as <img> data URIs), escaped there.
  const svgs = svgsIn(html).join("");
  assert.not.ok(svgs.includes(evil));
  assert.ok(svgs.includes("&lt;script&gt;"));
  assert.is(leakedBy(() => d.attentionView(att, { queryTokens: ["a", "b", "c"] })), 0);
  tf.dispose([q, mask]);
});

test("attention inside a model: every viz-mode layer is found by its path", () => {
  const att = tl.DotProductAttention({ mode: "viz" });
  const model = tl.Serial(tl.Select([0, 0, 0, 1], { nIn: 2 }), att);
  const x = tf.randomNormal([1, 1, 2, 4]);
  const m = tf.ones([1, 1, 1, 2], "bool");
  model([x, m]).dispose();
  const v = d.attentionView(model);
  assert.is(v.maps.length, 1);
  assert.is(v.maps[0].source, "Serial[1].DotProductAttention");
  tf.dispose([x, m]);
});

test("multi-head tl.Attention and tl.CausalAttention in viz mode: heads and causal zeros", () => {
  const x = tf.randomNormal([1, 5, 8], 0, 1, "float32", 7);
  const mask = tf.ones([1, 1, 1, 5], "bool");
  const a = tl.Attention(8, { nHeads: 2, mode: "viz" });
  a([x, mask]);
  const v = d.attentionView(a);
  assert.is(v.maps.length, 1);
  assert.match(v.maps[0].source, /^Attention\[.*PureAttention$/);
  assert.equal([v.maps[0].heads.length, v.maps[0].queries, v.maps[0].keys], [2, 5, 5]);
  const c = tl.CausalAttention(8, { nHeads: 2, mode: "viz" });
  c(x);
  const cv = d.attentionView(c);
  for (const h of cv.maps[0].heads) for (let q = 0; q < 5; q++) for (let k = q + 1; k < 5; k++) assert.is(h[q * 5 + k], 0, "no attention to the future");
  tf.dispose([x, mask]);
});

test("errors: no viz state, wrong token counts, wrong ranks", () => {
  assert.throws(() => d.attentionView(tl.DotProductAttention()), /mode: "viz"/);
  const p = tf.ones([2, 3]);
  assert.throws(() => d.attentionView(p, { queryTokens: ["a"] }), /1 query tokens given for 2 queries/);
  assert.throws(() => d.attentionView(tf.ones([3])), /got \[3\]/);
  assert.throws(() => d.attentionView(p, { batch: 1 }), /batch 1 is out of range/);
  p.dispose();
});

test.run();
