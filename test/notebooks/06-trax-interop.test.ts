// Executes notebooks/06-trax-interop.ipynb through the trax-ts kernel.
import { notebookSuite } from "./harness";

notebookSuite("06-trax-interop.ipynb", {
  // The layer view and the Python view.
  mimeTypes: ["text/html"],
  patterns: [
    { in: "stream", pattern: /logits: \[1,8,32\]/, what: "trax.models.TransformerLM runs" },
    { in: "stream", pattern: /trax\.models\.TransformerLM\(\s*32,\s*d_model=32,\s*d_ff=64,\s*n_layers=2,\s*n_heads=4,\s*max_len=64,\s*mode='eval',?\s*\)/, what: "the model's toPython()" },
    { in: "text/plain", pattern: /tl\.Fn\('Double', double\),  # TODO: write double in Python/, what: "a tl.Fn printed as a placeholder" },
    { in: "stream", pattern: /valid Python\nvalid Python/, what: "python3 parses both printed models" },
    { in: "stream", pattern: /keys: \['flat_weights', 'flat_state', 'input_signature'\]\ninput_signature: trax\.shapes\.ShapeDtype \(1, 8\) int32\n38 weight arrays/, what: "Python's pickle reads the Trax-format file" },
    { in: "stream", pattern: /largest difference from numpy's logits: (0\.0e\+0|\d(\.\d)?e-\d)\b/, what: "the Python-trained MLP reproduces numpy's logits" },
    { in: "stream", pattern: /accuracy on the 150 flowers: 0\.97/, what: "and classifies the flowers as numpy did" },
  ],
});
