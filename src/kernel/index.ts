/**
 * The trax-ts Jupyter kernel (tslab with trax-ts preloaded) and its installer.
 * @module
 */
export { startKernel, writeDisplay, PRELUDE } from "./server";
export type { KernelOptions } from "./server";
export { installKernel, kernelSpec, writeKernelSpecDir, displayNameFor } from "./install";
export type { InstallOptions, KernelSpec } from "./install";
export { valueBundle, errorReport, plainText, JUPYTER_DISPLAY } from "./render";
export type { MimeBundle, ErrorReport } from "./render";
export { packageRoot, resolveOwnPackage } from "./package-root";
