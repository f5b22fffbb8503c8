/**
 * A small rasterizer for charts: a Canvas 2D context in pure TypeScript that
 * vega's canvas renderer draws into, with a bitmap font for the text.
 * @module
 */
export { RasterContext } from "./context";
export { parseColor, type Rgba } from "./color";
export { glyphsOf, textColumns, CAP_ROWS, type Glyph } from "./font";
export { surfacePng } from "./encode";
export { Surface, Coverage, type PixelBox } from "./surface";
export { vegaViewPng, type VegaViewLike } from "./vega-raster";
