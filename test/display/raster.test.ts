/**
 * The chart rasterizer (src/display/raster): a Canvas 2D subset drawing
 * anti-aliased fills, strokes and bitmap-font text into RGB pixels.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { RasterContext, parseColor, glyphsOf, textColumns, surfacePng, Surface, CAP_ROWS } from "../../src/display/raster";
import { decodeRgb } from "./png-decode";

function px(ctx: RasterContext, x: number, y: number): number[] {
  const i = 3 * (y * ctx.surface.width + x);
  return [...ctx.surface.rgb.subarray(i, i + 3)];
}
/** Darkness of a pixel drawn in black on white, 0 (white) to 1 (black). */
const ink = (ctx: RasterContext, x: number, y: number) => 1 - px(ctx, x, y)[0] / 255;
function totalInk(ctx: RasterContext): number {
  let n = 0;
  for (let y = 0; y < ctx.surface.height; y++) for (let x = 0; x < ctx.surface.width; x++) n += ink(ctx, x, y);
  return n;
}

test("colours: hex, rgb(), rgba(), names; unknown gives null", () => {
  assert.equal(parseColor("#1f77b4"), [31, 119, 180, 1]);
  assert.equal(parseColor("#ddd"), [221, 221, 221, 1]);
  assert.equal(parseColor("rgb(10, 20, 30)"), [10, 20, 30, 1]);
  assert.equal(parseColor("rgba(0,0,0,0.5)"), [0, 0, 0, 0.5]);
  assert.equal(parseColor("white"), [255, 255, 255, 1]);
  assert.equal(parseColor("transparent")?.[3], 0);
  assert.is(parseColor("url(#g)"), null);
  assert.is(parseColor(undefined), null);
});

test("a pixel-aligned rectangle fills exactly its pixels; a half-pixel edge half blends", () => {
  const ctx = new RasterContext(12, 10);
  ctx.fillStyle = "#1f77b4";
  ctx.fillRect(2, 2, 6, 4);
  assert.equal(px(ctx, 2, 2), [31, 119, 180]);
  assert.equal(px(ctx, 7, 5), [31, 119, 180]);
  assert.equal(px(ctx, 8, 5), [255, 255, 255]);
  assert.equal(px(ctx, 1, 2), [255, 255, 255]);
  assert.equal(px(ctx, 2, 6), [255, 255, 255]);
  const half = new RasterContext(4, 4);
  half.fillStyle = "#000";
  half.fillRect(0, 0, 1.5, 4);
  assert.equal(px(half, 0, 1), [0, 0, 0]);
  assert.ok(Math.abs(ink(half, 1, 1) - 0.5) < 0.02, `half covered: ${ink(half, 1, 1)}`);
  assert.equal(px(half, 2, 1), [255, 255, 255]);
});

test("a filled circle covers pi r^2 pixels; its edge is anti-aliased", () => {
  const ctx = new RasterContext(40, 40);
  ctx.fillStyle = "#000";
  ctx.beginPath();
  ctx.arc(20, 20, 10, 0, 2 * Math.PI);
  ctx.fill();
  assert.ok(Math.abs(totalInk(ctx) - Math.PI * 100) < 4, `area ${totalInk(ctx)}`);
  assert.equal(px(ctx, 20, 20), [0, 0, 0]);
  assert.equal(px(ctx, 20, 5), [255, 255, 255]);
  const edge = ink(ctx, 26, 27); // its centre ~9.9 from the circle's: about half covered
  assert.ok(edge > 0.05 && edge < 0.95, `edge ${edge}`);
});

test("strokes: a 1-px line on a pixel centre is one crisp row; width 3 is three rows; a diagonal has the area of its length", () => {
  const ctx = new RasterContext(20, 12);
  ctx.strokeStyle = "#000";
  ctx.beginPath();
  ctx.moveTo(2, 5.5);
  ctx.lineTo(12, 5.5);
  ctx.stroke();
  for (let x = 2; x < 12; x++) assert.equal(px(ctx, x, 5), [0, 0, 0], `x=${x}`);
  assert.equal(px(ctx, 5, 4), [255, 255, 255]);
  assert.equal(px(ctx, 5, 6), [255, 255, 255]);
  assert.equal(px(ctx, 12, 5), [255, 255, 255], "butt cap: no overhang");
  const wide = new RasterContext(20, 12);
  wide.lineWidth = 3;
  wide.beginPath();
  wide.moveTo(2, 5.5);
  wide.lineTo(12, 5.5);
  wide.stroke();
  assert.ok(Math.abs(totalInk(wide) - 30) < 0.5, `ink ${totalInk(wide)}`);
  const diag = new RasterContext(40, 40);
  diag.lineWidth = 2;
  diag.beginPath();
  diag.moveTo(5, 5);
  diag.lineTo(35, 35);
  diag.stroke();
  const length = Math.hypot(30, 30);
  assert.ok(Math.abs(totalInk(diag) - 2 * length) < 0.06 * 2 * length, `ink ${totalInk(diag)} for ${2 * length}`);
});

test("a polyline's joins leave no gap and do not double the ink", () => {
  const ctx = new RasterContext(30, 30);
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(5, 5);
  ctx.lineTo(20, 5);
  ctx.lineTo(20, 20);
  ctx.stroke();
  assert.equal(px(ctx, 20, 5), [0, 0, 0], "the corner is inked");
  assert.ok(Math.abs(totalInk(ctx) - 2 * 30) < 3, `ink ${totalInk(ctx)}`);
});

test("a lone moveTo draws nothing; a zero-length line draws a dot only with round caps", () => {
  const ctx = new RasterContext(10, 10);
  ctx.lineWidth = 3;
  ctx.lineCap = "round";
  ctx.beginPath();
  ctx.moveTo(5, 5);
  ctx.stroke();
  assert.is(totalInk(ctx), 0, "a lone moveTo");
  ctx.lineCap = "butt";
  ctx.lineTo(5, 5);
  ctx.stroke();
  assert.is(totalInk(ctx), 0, "zero length, butt caps");
  ctx.lineCap = "round";
  ctx.stroke();
  assert.ok(Math.abs(totalInk(ctx) - Math.PI * 1.5 * 1.5) < 1, `a round dot: ${totalInk(ctx)}`);
});

test("dashes leave gaps", () => {
  const ctx = new RasterContext(40, 4);
  ctx.setLineDash([4, 4]);
  ctx.beginPath();
  ctx.moveTo(0, 1.5);
  ctx.lineTo(32, 1.5);
  ctx.stroke();
  assert.equal(px(ctx, 1, 1), [0, 0, 0]);
  assert.equal(px(ctx, 5, 1), [255, 255, 255]);
  assert.equal(px(ctx, 9, 1), [0, 0, 0]);
  assert.ok(Math.abs(totalInk(ctx) - 16) < 0.5, `ink ${totalInk(ctx)}`);
});

test("transforms, save/restore, global alpha and rectangle clips", () => {
  const ctx = new RasterContext(30, 30);
  ctx.save();
  ctx.translate(10, 10);
  ctx.scale(2, 2);
  ctx.fillRect(0, 0, 2, 2); // device 10..14
  ctx.restore();
  assert.equal(px(ctx, 13, 13), [0, 0, 0]);
  assert.equal(px(ctx, 14, 14), [255, 255, 255]);
  ctx.fillRect(0, 0, 1, 1);
  assert.equal(px(ctx, 0, 0), [0, 0, 0], "restore undid the transform");
  ctx.save();
  ctx.beginPath();
  ctx.rect(20, 20, 4, 4);
  ctx.clip();
  ctx.fillStyle = "#ff0000";
  ctx.globalAlpha = 0.5;
  ctx.fillRect(15, 15, 15, 15);
  ctx.restore();
  assert.equal(px(ctx, 21, 21), [255, 128, 128], "half-transparent red inside the clip");
  assert.equal(px(ctx, 19, 21), [255, 255, 255], "nothing outside the clip");
  const rot = new RasterContext(20, 20);
  rot.translate(10, 10);
  rot.rotate(Math.PI / 2);
  rot.fillRect(0, 0, 5, 1); // rotated a quarter turn: runs down from (10, 10), one pixel left of x = 10
  assert.equal(px(rot, 9, 12), [0, 0, 0]);
  assert.equal(px(rot, 12, 10), [255, 255, 255]);
});

test("font: every printable ASCII character has its own glyph; widths add up", () => {
  const question = glyphsOf("?")[0];
  for (let c = 33; c < 127; c++) {
    const ch = String.fromCharCode(c);
    const [g] = glyphsOf(ch);
    assert.ok(g.cells.length > 0, `glyph for ${ch}`);
    if (ch !== "?") assert.is.not(g, question, `${ch} is not drawn as ?`);
    for (const [col, row] of g.cells) assert.ok(col < g.width && row < CAP_ROWS + 2, `${ch} cell in its box`);
  }
  assert.is(textColumns("10"), 5 + 1 + 5);
  assert.is(glyphsOf("\u22121")[0], glyphsOf("-")[0], "d3-format's minus sign draws as a hyphen");
  assert.is(glyphsOf("\u00e9")[0], question, "unknown characters draw as ?");
});

test("text: glyph cells on whole pixels at the baseline, aligned left, centre or right; bold is wider", () => {
  const ctx = new RasterContext(60, 20);
  ctx.font = "10px sans-serif";
  ctx.fillText("1", 10, 12);
  // "1": ..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.  -> top row at y = 12 - 7
  assert.equal(px(ctx, 12, 5), [0, 0, 0]);
  assert.equal(px(ctx, 11, 5), [255, 255, 255]);
  assert.equal(px(ctx, 11, 11), [0, 0, 0]);
  assert.equal(px(ctx, 12, 12), [255, 255, 255], "nothing below the baseline");
  const inkOf = (align: string, bold = false) => {
    const c = new RasterContext(60, 20);
    c.font = bold ? "bold 10px sans-serif" : "10px sans-serif";
    c.textAlign = align;
    c.fillText("42", 30, 12);
    const xs: number[] = [];
    for (let y = 0; y < 20; y++) for (let x = 0; x < 60; x++) if (ink(c, x, y) > 0.5) xs.push(x);
    return { min: Math.min(...xs), max: Math.max(...xs), total: totalInk(c) };
  };
  assert.is(inkOf("left").min, 30);
  assert.is(inkOf("right").max, 29);
  assert.ok(Math.abs((inkOf("center").min + inkOf("center").max) / 2 - 30) <= 1);
  assert.ok(inkOf("left", true).total > 1.5 * inkOf("left").total, "bold smears each cell one pixel right");
  assert.is(ctx.measureText("42").width, textColumns("42"));
});

test("rotated text (a y-axis title) draws along the rotation", () => {
  const ctx = new RasterContext(30, 60);
  ctx.translate(15, 50);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText("loss", 0, 0);
  const ys: number[] = [];
  const xs: number[] = [];
  for (let y = 0; y < 60; y++) for (let x = 0; x < 30; x++) if (ink(ctx, x, y) > 0.3) (ys.push(y), xs.push(x));
  assert.ok(Math.max(...ys) - Math.min(...ys) >= textColumns("loss") - 2, "runs upwards over the text's width");
  assert.ok(Math.max(...xs) - Math.min(...xs) <= CAP_ROWS + 1, "and is one line high");
});

test("PNG encoding: a palette of the common colours; rare anti-aliasing blends take their nearest", () => {
  const ctx = new RasterContext(120, 90);
  const colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];
  ctx.lineWidth = 2;
  for (let i = 0; i < 40; i++) {
    ctx.strokeStyle = colours[i % 5];
    ctx.beginPath();
    ctx.moveTo(3 * i, 0);
    ctx.lineTo(120 - 2 * i, 90);
    ctx.stroke();
  }
  const s = ctx.surface;
  const distinct = new Set<number>();
  for (let i = 0; i < s.width * s.height; i++) distinct.add((s.rgb[3 * i] << 16) | (s.rgb[3 * i + 1] << 8) | s.rgb[3 * i + 2]);
  assert.ok(distinct.size > 256, `more colours than a palette holds: ${distinct.size}`);
  const img = decodeRgb(surfacePng(s));
  assert.is(img.width, 120);
  assert.is(img.height, 90);
  const pure = new Set(["#ffffff", ...colours].map((c) => parseColor(c) as number[]).map(([r, g, b]) => (r << 16) | (g << 8) | b));
  let total = 0;
  for (let i = 0; i < s.width * s.height; i++) {
    const key = (s.rgb[3 * i] << 16) | (s.rgb[3 * i + 1] << 8) | s.rgb[3 * i + 2];
    let err = 0;
    for (let c = 0; c < 3; c++) err = Math.max(err, Math.abs(img.rgb[3 * i + c] - s.rgb[3 * i + c]));
    if (pure.has(key)) assert.is(err, 0, "background and line colours are exact");
    total += err;
  }
  assert.ok(total / (s.width * s.height) < 4, `mean channel error ${total / (s.width * s.height)}`);
  const few = new Surface(8, 8);
  few.rgb.fill(0, 0, 24);
  const exact = decodeRgb(surfacePng(few));
  assert.equal([...exact.rgb], [...few.rgb], "few colours: exact");
});

test.run();
