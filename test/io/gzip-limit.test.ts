/**
 * Decompression bombs (issue 13, item 6): a gzip file that expands far
 * beyond what it declares (or beyond the cap) fails at once with an error
 * naming the file, without first filling the memory.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { throwsMatching } from "./io-helpers";
import { ready, ShapeDtype, tf, tl } from "../helpers";
import { gunzipBytes, gzipBytes } from "../../src/io/gzip";

const test = suite("io/gzip-limit");
test.before(ready);

const tmp = mkdtempSync(path.join(os.tmpdir(), "trax-bomb-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** About 3.2 GB of zeros in about 3 MB: 200 gzip members of 16 MiB of zeros each. */
function bomb(): Uint8Array {
  const member = gzipBytes(new Uint8Array(16 * 1024 * 1024), 9);
  const out = new Uint8Array(member.length * 200);
  for (let i = 0; i < 200; i++) out.set(member, i * member.length);
  return out;
}

const rssMiB = () => process.memoryUsage().rss / 1048576;

test("a checkpoint followed by 3.2 GB of zeros fails past the size its header declares, naming the file", () => {
  const layer = tl.Dense(3);
  layer.init(new ShapeDtype([1, 4]));
  const good = path.join(tmp, "good.ckpt.gz");
  layer.saveToFile(good, { inputSignature: new ShapeDtype([1, 4]) });
  const raw = gunzipBytes(new Uint8Array(require("fs").readFileSync(good)));
  const b = bomb();
  assert.ok(b.length < 4e6, `bomb of ${b.length} bytes`);
  const file = path.join(tmp, "bomb.ckpt.gz");
  writeFileSync(file, Buffer.concat([gzipBytes(raw), b]));
  const before = rssMiB();
  const other = tl.Dense(3);
  other.init(new ShapeDtype([1, 4]));
  const w = (other.weights as tf.Tensor[])[0].arraySync();
  throwsMatching(() => other.initFromFile(file), /bomb\.ckpt\.gz/, /more than the \d+ bytes its header declares/);
  assert.ok(rssMiB() - before < 512, `memory grew by ${rssMiB() - before} MiB`);
  assert.equal((other.weights as tf.Tensor[])[0].arraySync(), w);
});

test("any gzip data stops at the cap (maxBytes), with an error naming it and how to raise it", () => {
  const b = bomb();
  const before = rssMiB();
  throwsMatching(() => gunzipBytes(b, "zeros.gz", { maxBytes: 50 * 1024 * 1024 }), /zeros\.gz decompresses to more than 52428800 bytes/, /TRAX_MAX_DECOMPRESSED_BYTES/);
  assert.ok(rssMiB() - before < 512, `memory grew by ${rssMiB() - before} MiB`);
  // Under the cap, multi-member data still reads whole.
  const two = Buffer.concat([gzipBytes(new Uint8Array([1, 2])), gzipBytes(new Uint8Array([3]))]);
  assert.equal(Array.from(gunzipBytes(new Uint8Array(two), "two.gz", { maxBytes: 3 })), [1, 2, 3]);
  throwsMatching(() => gunzipBytes(new Uint8Array(two), "two.gz", { maxBytes: 2 }), /two\.gz decompresses to more than 2 bytes/);
});

test.run();
