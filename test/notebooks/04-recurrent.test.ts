// Executes notebooks/04-recurrent.ipynb through the trax-ts kernel.
import { notebookSuite } from "./harness";

notebookSuite("04-recurrent.ipynb", {
  // Live training curves and the comparison chart (Vega-Lite spec, SVG, HTML), tensor and layer views.
  mimeTypes: ["application/vnd.vegalite.v5+json", "image/svg+xml", "text/html"],
  // The HTML export, opened in headless Chromium, draws every chart.
  browserCharts: true,
  patterns: [
    { in: "stream", pattern: /LSTM: eval accuracy \d+\.\d% after 300 steps/, what: "the LSTM trains" },
    { in: "stream", pattern: /GRU: eval accuracy \d+\.\d% after 300 steps/, what: "the GRU trains" },
    { in: "stream", pattern: /SRU: eval accuracy \d+\.\d% after 300 steps/, what: "the SRU trains" },
    { in: "stream", pattern: /LSTM: (8\d|9\d|100)\.\d% of answer ids/, what: "the LSTM learns to reverse words (over 80% of answer ids)" },
    { in: "stream", pattern: /1 2 3 {2}-> {2}\d \d \d/, what: "predict mode decodes one position at a time" },
    { in: "text/plain", pattern: /Tensor float32 \[8, 12\]/, what: "the loss-weight mask of a padded batch" },
  ],
});
