// Executes notebooks/05-saving-and-numpy.ipynb through the trax-ts kernel.
import { notebookSuite } from "./harness";

notebookSuite("05-saving-and-numpy.ipynb", {
  // Tensor and layer views.
  mimeTypes: ["text/html"],
  patterns: [
    { in: "stream", pattern: /largest difference between the two models' outputs: 0\b/, what: "the restored model computes the same outputs" },
    { in: "stream", pattern: /format: trax-ts layer[\s\S]*array 3: shape \(10,\), dtype float32/, what: "numpy reads the checkpoint" },
    { in: "stream", pattern: /0 int32 \(2, 3\) \[1 2 3 4 5\]/, what: "numpy reads tl.npToFile's arrays" },
    { in: "stream", pattern: /int32 \[3,4\], float32 \[3,3\]/, what: "tl.npFromFile reads numpy's arrays" },
    { in: "text/plain", pattern: /\[\[20\.\s+2\.\]\s+\[ 8\.\s+6\.\]\]/, what: "a Dense kernel initialized from numpy's .npy" },
  ],
});
