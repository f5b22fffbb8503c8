/** Test helper: checks that a string is well-formed XML (with python3's expat). */
import { spawnSync } from "node:child_process";
import * as assert from "uvu/assert";

/** Asserts `xml` parses as XML; returns the root element's tag. */
export function assertWellFormedXml(xml: string, what = "document"): string {
  const r = spawnSync("python3", ["-c", "import sys, xml.dom.minidom as m; d = m.parseString(sys.stdin.buffer.read()); print(d.documentElement.tagName)"], {
    input: xml,
    encoding: "utf8",
  });
  if (r.error) throw r.error;
  assert.is(r.status, 0, `${what} is not well-formed XML: ${r.stderr.split("\n").slice(-2).join(" ")}`);
  return r.stdout.trim();
}

/** The `<svg>...</svg>` elements inside an HTML string. */
export function svgsIn(html: string): string[] {
  return html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
}
