/**
 * Hardware or software: the pure rule that decides whether a WebGPU adapter is
 * a real GPU (used automatically) or a software rasterizer such as Mesa's
 * lavapipe (llvmpipe), Google's SwiftShader or Microsoft's WARP (used only
 * when forced).
 *
 * @example
 * ```ts
 * classifyAdapter({ vendor: "mesa", architecture: "software", description: "llvmpipe" }).kind; // "software"
 * classifyAdapter({ vendor: "nvidia", architecture: "hopper", description: "NVIDIA H200" }).kind; // "hardware"
 * ```
 * @module
 */

/** What Dawn says about an adapter (a subset of `GPUAdapterInfo`). */
export interface AdapterDescription {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /** `GPUAdapterInfo.isFallbackAdapter` (or the older `GPUAdapter.isFallbackAdapter`). */
  isFallbackAdapter?: boolean;
}

/** The verdict of {@link classifyAdapter}. */
export interface AdapterKind {
  kind: "hardware" | "software";
  /** Which field decided, in words (for `trax.backend.info()`). */
  reason: string;
}

/** Names of CPU renderers that Dawn can present as adapters. */
const SOFTWARE_NAMES = /\b(llvmpipe|lavapipe|softpipe|swiftshader|swift shader|microsoft basic render|warp)\b/i;

/**
 * Decides whether an adapter is a real GPU or a software renderer.
 *
 * The adapter is software when it says it is a fallback adapter, when its
 * architecture is `"software"` or `"cpu"`, or when its vendor, device or
 * description names a known CPU renderer (llvmpipe/lavapipe, softpipe,
 * SwiftShader, WARP / Microsoft Basic Render Driver). Everything else is
 * hardware.
 *
 * @param info - the adapter's vendor, architecture, device, description and fallback flag
 * @returns `{ kind, reason }`
 * @example
 * ```ts
 * classifyAdapter({ vendor: "google", description: "SwiftShader Device (Subzero)" });
 * // { kind: "software", reason: "description names a software renderer (SwiftShader Device (Subzero))" }
 * ```
 */
export function classifyAdapter(info: AdapterDescription): AdapterKind {
  if (info.isFallbackAdapter === true) return { kind: "software", reason: "Dawn marks it as a fallback (software) adapter" };
  const arch = (info.architecture ?? "").trim().toLowerCase();
  if (arch === "software" || arch === "cpu") return { kind: "software", reason: `architecture is '${info.architecture}'` };
  for (const field of ["vendor", "device", "description"] as const) {
    const value = info[field];
    if (value && SOFTWARE_NAMES.test(value)) {
      return { kind: "software", reason: `${field} names a software renderer (${value})` };
    }
  }
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(" ") || "unnamed adapter";
  return { kind: "hardware", reason: `a GPU adapter (${name})` };
}

/**
 * Whether this machine can have a hardware WebGPU adapter at all, judged from
 * device nodes only (no driver is loaded). On Linux a GPU shows up as
 * `/dev/dri/renderD*` (Mesa, AMD, Intel), `/dev/nvidia*` (NVIDIA's driver) or
 * `/dev/dxg` (WSL2); without any of them only a software adapter could exist,
 * so the automatic choice skips the (slow) adapter probe. Other platforms
 * always answer `true`.
 *
 * @param platform - `process.platform`
 * @param devNames - the entries of `/dev`, and of `/dev/dri` prefixed with `dri/`
 * @returns `true` when a GPU may be present
 * @example
 * ```ts
 * mayHaveGpu("linux", ["null", "dri/renderD128"]); // true
 * mayHaveGpu("linux", ["null", "tty"]); // false
 * mayHaveGpu("darwin", []); // true
 * ```
 */
export function mayHaveGpu(platform: string, devNames: readonly string[]): boolean {
  if (platform !== "linux") return true;
  return devNames.some((n) => /^dri\/renderD\d+$/.test(n) || /^nvidia\d+$/.test(n) || n === "dxg");
}
