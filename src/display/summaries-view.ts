/**
 * The view of what `tl.collectSummaries` returns: the scalars as a table,
 * the images as pictures, never the tensors' internals.
 * @module
 */
import type { tf } from "../backend/tf";
import { IMAGE_GROUPS, type Summaries } from "../layers/core/summary-values";
import type { MimeBundle } from "./bundle";
import { DISPLAY } from "./bundle";
import { escapeHtml } from "./escape";
import { ImageView } from "./image-view";
import { ScalarView } from "./scalar-view";

const EMPTY = "Summaries: none (a model's SummaryScalar and SummaryImage layers fill them when it runs)";

/** The scalar entries of `s` (every key that is not one of its images). */
function scalarsOf(s: Summaries): Record<string, tf.Tensor> {
  const imageKeys = new Set(s[IMAGE_GROUPS].flatMap(([name, images]) => images.map((_, i) => name + String(i))));
  return Object.fromEntries(Object.entries(s).filter(([k, t]) => !imageKeys.has(k) && !t.isDisposed));
}

/** One image view per `SummaryImage` layer, captioned `summary_<name><s>`. */
function imageViewsOf(s: Summaries): ImageView[] {
  return s[IMAGE_GROUPS]
    .filter(([, images]) => images.every((t) => !t.isDisposed))
    .map(([name, images]) => new ImageView(images.length === 1 ? images[0] : images, { name }));
}

/**
 * The text view of collected summaries: `name  value` rows, then one line per image.
 *
 * @example
 * ```ts
 * summariesText(tl.collectSummaries(model)); // "summary_act  0.5\nsummary_pic0: image 2x2 gray"
 * ```
 */
export function summariesText(s: Summaries): string {
  const scalars = scalarsOf(s);
  const parts: string[] = [];
  if (Object.keys(scalars).length > 0) parts.push(new ScalarView(scalars).toString());
  for (const v of imageViewsOf(s)) parts.push(v.toString());
  return parts.length > 0 ? parts.join("\n") : EMPTY;
}

/**
 * The MIME bundle of collected summaries: text, an HTML table of the scalars
 * with the images under it, and the first image as `image/png` (what an
 * untrusted notebook or a static renderer still shows).
 *
 * @example
 * ```ts
 * summariesBundle(tl.collectSummaries(model))["text/html"]; // "<div class=\"trax-summaries\">..."
 * ```
 */
export function summariesBundle(s: Summaries): MimeBundle {
  const scalars = scalarsOf(s);
  const images = imageViewsOf(s);
  const html: string[] = [];
  let png: string | undefined;
  if (Object.keys(scalars).length > 0) html.push(new ScalarView(scalars)[DISPLAY]()["text/html"] as string);
  for (const v of images) {
    const b = v[DISPLAY]();
    html.push(b["text/html"] as string);
    png ??= b["image/png"] as string | undefined;
  }
  const bundle: MimeBundle = {
    "text/plain": summariesText(s),
    "text/html": `<div class="trax-summaries">${html.length > 0 ? html.join("") : `<pre>${escapeHtml(EMPTY)}</pre>`}</div>`,
  };
  if (png && Object.keys(scalars).length === 0) bundle["image/png"] = png;
  return bundle;
}
