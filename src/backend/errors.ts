/**
 * Hints for errors that come from the backend rather than from the user's
 * model: an op the running backend has no kernel for, a lost GPU device.
 *
 * @example
 * ```ts
 * backendHint("Kernel 'Cumprod' not registered for backend 'webgpu'");
 * // "Hint: the webgpu backend has no kernel for the op 'Cumprod'; ..."
 * ```
 * @module
 */

/**
 * The hint to add to an error message, or null when the error is not a
 * backend limitation.
 *
 * @param message - the original error's message
 * @returns one line naming the op (or cause) and the backend, with the way out
 * @example
 * ```ts
 * backendHint("shapes do not match"); // null
 * ```
 */
export function backendHint(message: string): string | null {
  const missing = /Kernel '([^']+)' not registered for backend '([^']+)'/.exec(message);
  if (missing) {
    const [, op, backend] = missing;
    return (
      `Hint: the ${backend} backend has no kernel for the op '${op}'. ` +
      (backend === "wasm" ? "Use TRAX_BACKEND=cpu (or trax.backend.setBackend(\"cpu\"))." : "Use TRAX_BACKEND=wasm (or trax.backend.setBackend(\"wasm\")) to run it on the CPU.")
    );
  }
  if (/^trax-ts \(webgpu/.test(message) || /GPUDevice|GPUValidationError|device (was|is) lost/i.test(message)) {
    return "Hint: this is the webgpu backend failing, not the model; TRAX_BACKEND=wasm (or trax.backend.setBackend(\"wasm\")) runs it on the CPU.";
  }
  return null;
}
