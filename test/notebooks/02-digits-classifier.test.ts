// Executes notebooks/02-digits-classifier.ipynb through the trax-ts kernel.
import { notebookSuite } from "./harness";

notebookSuite("02-digits-classifier.ipynb", {
  // Live training curves (Vega-Lite spec, SVG, HTML), digit images (PNG), tensor and layer views.
  mimeTypes: ["application/vnd.vegalite.v5+json", "image/svg+xml", "text/html", "image/png"],
  // The HTML export, opened in headless Chromium, draws every chart.
  browserCharts: true,
  patterns: [
    // The notebook itself throws below 95%, which the harness reports as an error output.
    { in: "stream", pattern: /CNN: (9[5-9]|100)\.\d% > 95%/, what: "the CNN's eval accuracy is above 95%" },
    { in: "text/plain", pattern: /step 500\/500 \(100%\)/, what: "the live view reached the end of the CNN's run" },
    { in: "text/plain", pattern: /CNN: \d+ of 359 eval images misclassified/, what: "the look at the mistakes" },
    { in: "text/plain", pattern: /Tensor int32 \[10, 10\]/, what: "the confusion matrix" },
  ],
});
