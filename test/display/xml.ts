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

/** The SVGs an HTML string shows: inline `<svg>...</svg>` elements and `<img>`s of `data:image/svg+xml;base64` URIs. */
export function svgsIn(html: string): string[] {
  const inline = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  const images = [...html.matchAll(/<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1], "base64").toString("utf8"));
  return [...inline, ...images];
}

/** Inline `<svg>` elements only (an untrusted notebook's sanitizer removes them: views carry images instead). */
export function inlineSvgsIn(html: string): string[] {
  return html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
}
