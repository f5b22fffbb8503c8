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
import { python, rng, throwsMatching } from "./io-helpers";
import { ready, ShapeDtype, tf, tl } from "../helpers";
import { gunzipBytes, gzipBytes } from "../../src/io/gzip";
import { readCheckpoint } from "../../src/io/checkpoint";

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


test("300 mutated checkpoint files: what we decompress, Python's gzip decompresses alike; every failure names the file", () => {
  const layer = tl.Serial(tl.Dense(5), tl.Relu(), tl.Dense(2));
  layer.init(new ShapeDtype([2, 3]));
  const good = path.join(tmp, "fuzz-good.ckpt.gz");
  layer.saveToFile(good, { inputSignature: new ShapeDtype([2, 3]) });
  const base = new Uint8Array(require("fs").readFileSync(good));
  const zeros = gzipBytes(new Uint8Array(1 << 18), 9);
  const r = rng(6);
  const files: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) {
    let b = Uint8Array.from(base);
    const kind = i % 5;
    if (kind === 0) {
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
    } else if (kind === 1) {
      b = b.slice(0, Math.floor(r() * b.length));
    } else if (kind === 2) {
      const extra = Math.floor(1 + r() * 24); // up to 6 MiB of zeros after the checkpoint: past its declared size
      const out = new Uint8Array(b.length + extra * zeros.length);
      out.set(b);
      for (let k = 0; k < extra; k++) out.set(zeros, b.length + k * zeros.length);
      b = out;
    } else if (kind === 3) {
      const junk = Uint8Array.from({ length: 1 + Math.floor(r() * 16) }, () => (r() < 0.5 ? 0 : Math.floor(r() * 256)));
      b = Uint8Array.from([...b, ...junk]);
    } else {
      const at = 10 + Math.floor(r() * (b.length - 18));
      b[at] = Math.floor(r() * 256);
    }
    files.push(b);
  }
  const list = path.join(tmp, "fuzz.json");
  writeFileSync(list, JSON.stringify(files.map((f) => Buffer.from(f).toString("base64"))));
  const judged = JSON.parse(
    python(`
import base64, gzip, hashlib, json, zlib
out = []
for b64 in json.load(open(${JSON.stringify(list)})):
    try:
        raw = gzip.decompress(base64.b64decode(b64))
        out.append(hashlib.sha256(raw).hexdigest() if len(raw) < 2**24 else "big")
    except Exception as e:
        out.append(None)
print(json.dumps(out))
`)
  ) as (string | null)[];
  const sha = (b: Uint8Array) => require("crypto").createHash("sha256").update(b).digest("hex");
  let bothOk = 0;
  let bothRefused = 0;
  files.forEach((b, i) => {
    const name = path.join(tmp, `fuzz-${i}.ckpt.gz`);
    writeFileSync(name, b);
    let raw: Uint8Array | null = null;
    let error = "";
    try {
      raw = gunzipBytes(b, name, { maxBytes: 4 * 1024 * 1024 });
    } catch (e) {
      error = (e as Error).message;
      assert.ok(error.includes(name), `case ${i}: ${error}`);
    }
    if (raw !== null) {
      assert.is(sha(raw), judged[i], `case ${i}: Python's gzip reads other bytes`);
      bothOk++;
    } else if (judged[i] === null) {
      bothRefused++;
    } else {
      // Python reads it whole; we stop only at the cap (4 MiB here).
      assert.match(error, /decompresses to more than 4194304 bytes/, `case ${i}`);
    }
    // The checkpoint reader: it reads the file, or throws an Error naming it (never a bare engine error).
    try {
      readCheckpoint(name, "trax-ts layer");
    } catch (e) {
      assert.instance(e, Error);
      assert.ok((e as Error).message.includes(name), `case ${i}: ${(e as Error).message}`);
    }
  });
  assert.ok(bothOk >= 20 && bothRefused >= 150, `both read ${bothOk}, both refused ${bothRefused}`);
});

test.run();
