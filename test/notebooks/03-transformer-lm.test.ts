// Executes notebooks/03-transformer-lm.ipynb through the trax-ts kernel.
import { notebookSuite } from "./harness";

notebookSuite("03-transformer-lm.ipynb", {
  // Live training curves (Vega-Lite spec, SVG), layer view and attention maps (HTML with SVG heatmaps).
  mimeTypes: ["application/vnd.vegalite.v5+json", "image/svg+xml", "text/html"],
  // The HTML export, opened in headless Chromium, draws every chart.
  browserCharts: true,
  patterns: [
    { in: "text/plain", pattern: /4 heads, 54 queries x 54 keys/, what: "attention maps of the trained model, one per head" },
    { in: "text/html", pattern: /class="trax-attention"[\s\S]*?DotProductCausalAttention[\s\S]*?<img src="data:image\/svg\+xml;base64,/, what: "the attention heatmaps are drawn (as images: they survive an untrusted notebook)" },
    { in: "stream", pattern: /after 300 steps: eval loss [0-3]\.\d+/, what: "the language model trains" },
    { in: "stream", pattern: /^"And God said.{52}"$/m, what: "predict mode writes up to the 64th position" },
  ],
});
