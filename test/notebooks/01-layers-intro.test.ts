// Executes notebooks/01-layers-intro.ipynb through the trax-ts kernel.
import { notebookSuite } from "./harness";

notebookSuite("01-layers-intro.ipynb", {
  // Tensor and layer views (HTML), the training history chart (Vega-Lite spec and its SVG).
  mimeTypes: ["text/html", "application/vnd.vegalite.v5+json", "image/svg+xml"],
  // The HTML export, opened in headless Chromium, draws every chart.
  browserCharts: true,
  patterns: [
    { in: "text/plain", pattern: /Tensor float32 \[2, 5\]/, what: "the tensor view of Relu's output" },
    { in: "text/plain", pattern: /Dense_16[\s\S]*Total/, what: "the layer summary tree" },
    { in: "stream", pattern: /PrintShape: after Concatenate: \[\(3, 16\)\[float32\]\]/, what: "PrintShape's trace of the data stack" },
    { in: "stream", pattern: /eval\s+accuracy \| (0\.9|1\.0)/, what: "the iris classifier trains" },
  ],
});
