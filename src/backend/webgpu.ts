/**
 * The webgpu backend in Node: TensorFlow.js's `@tensorflow/tfjs-backend-webgpu`
 * on Dawn, through the `webgpu` npm package (prebuilt for linux-x64, macOS and
 * Windows; Vulkan, Metal or D3D12 underneath). Both packages are optional peers.
 *
 * This module finds an adapter (cheaply: nothing is loaded when the packages
 * are missing, and on Linux without a GPU device node the automatic choice does
 * not even start Dawn), says whether it is hardware or software, and registers
 * the tfjs backend on that adapter with Node-native synchronous reads and clear
 * errors for lost devices and GPU validation errors.
 * @module
 */
import * as fs from "node:fs";
import { tf } from "./tf";
import { classifyAdapter, mayHaveGpu, type AdapterDescription } from "./adapter-kind";
import { installEventPump, patchReadSync, pumpUntil, type WebGPUBackendLike } from "./webgpu-sync-read";

/** The packages the webgpu backend needs, with the versions trax-ts is tested with. */
export const WEBGPU_PACKAGES = ["webgpu@^0.6.2", `@tensorflow/tfjs-backend-webgpu@${tf.version_core}`] as const;

/** The adapter the webgpu backend runs on, as `trax.backend.info().adapter` reports it. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** `"hardware"` (a GPU) or `"software"` (lavapipe, SwiftShader, WARP). */
  kind: "hardware" | "software";
  /** Why it is judged hardware or software. */
  kindReason: string;
}

/** What a probe found: an adapter to use, or why not (with the adapter when one was found). */
export type ProbeResult = { ok: true; adapter: AdapterReport } | { ok: false; reason: string; adapter?: AdapterReport };

/** What the probe touches, replaceable in tests. */
export interface ProbeDeps {
  /** Resolves a package; throws when it is not installed. */
  resolve(id: string): string;
  /** Loads the `webgpu` package. */
  loadWebgpu(): { create(flags: string[]): GPULike; globals: Record<string, unknown> };
  platform: string;
  /** Entries of `/dev` (and `/dev/dri` as `dri/<name>`). */
  listDevices(): string[];
}

/** The part of the WebGPU `GPU` object the probe uses. */
export interface GPULike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GPUAdapterLike | null>;
}

interface GPUAdapterLike {
  info?: AdapterDescription;
  isFallbackAdapter?: boolean;
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor?: object): Promise<GPUDeviceLike>;
}

interface GPUDeviceLike {
  lost: Promise<{ reason?: string; message?: string }>;
  addEventListener?(type: string, listener: (e: { error?: { message?: string } }) => void): void;
  destroy(): void;
}

function listDevices(): string[] {
  const read = (dir: string) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  return [...read("/dev"), ...read("/dev/dri").map((n) => `dri/${n}`)];
}

const defaultDeps: ProbeDeps = {
  resolve: (id) => require.resolve(id),
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  loadWebgpu: () => require("webgpu"),
  platform: process.platform,
  listDevices,
};

/** One Dawn instance per process (with the adapter it gave), created on first need. */
let dawn: { gpu: GPULike; globals: Record<string, unknown>; adapter: GPUAdapterLike; report: AdapterReport } | null = null;

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/** Which of the two packages is missing, or null when both resolve. */
function missingPackage(deps: ProbeDeps): string | null {
  const missing = ["webgpu", "@tensorflow/tfjs-backend-webgpu"].filter((id) => {
    try {
      deps.resolve(id);
      return false;
    } catch {
      return true;
    }
  });
  return missing.length ? `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not installed` : null;
}

function describe(adapter: GPUAdapterLike): AdapterReport {
  const i = adapter.info ?? {};
  const desc: AdapterDescription = {
    vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
    isFallbackAdapter: i.isFallbackAdapter ?? adapter.isFallbackAdapter,
  };
  const { kind, reason } = classifyAdapter(desc);
  return {
    vendor: desc.vendor ?? "", architecture: desc.architecture ?? "", device: desc.device ?? "",
    description: desc.description ?? "", kind, kindReason: reason,
  };
}

/**
 * Looks for a WebGPU adapter. With `forced` false (the automatic choice) a
 * software adapter is refused, and on Linux without a GPU device node Dawn is
 * not started at all; with `forced` true any adapter will do.
 *
 * @param forced - whether the user asked for webgpu (`TRAX_BACKEND=webgpu`, `setBackend("webgpu")`)
 * @param deps - replaceable probe dependencies (tests)
 * @returns the adapter to use, or why there is none
 * @example
 * ```ts
 * const p = await probeWebgpu(false);
 * if (!p.ok) console.log(p.reason); // e.g. "webgpu is not installed"
 * ```
 */
export async function probeWebgpu(forced: boolean, deps: ProbeDeps = defaultDeps): Promise<ProbeResult> {
  if (dawn && deps === defaultDeps) return verdict(dawn.report, forced);
  const missing = missingPackage(deps);
  if (missing) return { ok: false, reason: missing };
  if (!forced && !mayHaveGpu(deps.platform, deps.listDevices())) {
    return {
      ok: false,
      reason: "no GPU device node (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg) on this machine; a software adapter is used only when forced (TRAX_BACKEND=webgpu)",
    };
  }
  let mod: ReturnType<ProbeDeps["loadWebgpu"]>;
  try {
    mod = deps.loadWebgpu();
  } catch (e) {
    return { ok: false, reason: `webgpu failed to load: ${firstLine(e)}` };
  }
  let adapter: GPUAdapterLike | null;
  let gpu: GPULike;
  try {
    gpu = mod.create([]);
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    return { ok: false, reason: `Dawn could not look for an adapter: ${firstLine(e)}` };
  }
  if (!adapter) return { ok: false, reason: "no WebGPU adapter was found (Dawn sees no Vulkan, Metal or D3D12 device)" };
  const report = describe(adapter);
  if (deps === defaultDeps) dawn = { gpu, globals: mod.globals, adapter, report };
  return verdict(report, forced);
}

function verdict(report: AdapterReport, forced: boolean): ProbeResult {
  if (report.kind === "software" && !forced) {
    return {
      ok: false,
      adapter: report,
      reason: `the adapter is software (${report.description || report.vendor}: ${report.kindReason}); it is used only when forced (TRAX_BACKEND=webgpu)`,
    };
  }
  return { ok: true, adapter: report };
}

/**
 * What to do about a missing webgpu backend, for error messages.
 *
 * @param reason - why it is unavailable (from {@link probeWebgpu})
 * @returns install and driver hints, ending with the wasm fallback
 * @example
 * ```ts
 * webgpuHint("no WebGPU adapter was found"); // "... install a Vulkan driver ..."
 * ```
 */
export function webgpuHint(reason: string): string {
  if (/not installed|failed to load/.test(reason)) {
    return `Install it with: npm install ${WEBGPU_PACKAGES.join(" ")}; or use TRAX_BACKEND=wasm`;
  }
  return (
    "A GPU needs its Vulkan (Linux: the loader libvulkan.so.1, Debian/Ubuntu package libvulkan1, and the GPU's Vulkan driver), " +
    "Metal (macOS) or D3D12 (Windows) driver; without a GPU, Mesa's software " +
    "Vulkan driver (lavapipe, Debian: mesa-vulkan-drivers >= 23, from bookworm-backports on Debian 12) gives a slow adapter " +
    "for tests. Or use TRAX_BACKEND=wasm"
  );
}

/** Why the device was lost, or the last GPU validation error, once either happened. */
let deviceFailure: string | null = null;
let deviceRef: GPUDeviceLike | null = null;

/**
 * Throws a clear error when the webgpu device is lost or a GPU error (a shader
 * that does not compile, an invalid pipeline) was reported. Called before reads.
 *
 * @example
 * ```ts
 * checkWebgpuDevice(); // passes while the device is healthy
 * ```
 */
export function checkWebgpuDevice(): void {
  if (deviceFailure) {
    throw new Error(`trax-ts (webgpu backend): ${deviceFailure}. Results computed since then are not valid; use TRAX_BACKEND=wasm (or trax.backend.setBackend("wasm")) to continue on the CPU.`);
  }
}

/**
 * Why the webgpu device stopped working, or null while it works.
 *
 * @example
 * ```ts
 * webgpuFailure(); // null
 * ```
 */
export function webgpuFailure(): string | null {
  return deviceFailure;
}

/**
 * Registers the tfjs `webgpu` backend on the probed adapter (once per process).
 * Installs the WebGPU globals tfjs expects (`navigator.gpu`, `GPUBufferUsage`,
 * ...) and the Node-native synchronous read. The registration is removed again
 * if the backend fails to initialize, so nothing stays half-initialized.
 *
 * @returns the adapter the backend runs on
 * @example
 * ```ts
 * const adapter = await registerWebgpu(); // then tf.setBackend("webgpu")
 * ```
 */
export async function registerWebgpu(): Promise<AdapterReport> {
  const probe = await probeWebgpu(true);
  if (!probe.ok || !dawn) throw new Error(probe.ok ? "Dawn is not loaded" : probe.reason);
  if (tf.findBackendFactory("webgpu")) return dawn.report;
  const { gpu, globals, adapter } = dawn;
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(globals)) if (!(k in g)) g[k] = v;
  // tfjs-backend-webgpu registers itself at load only when navigator.gpu exists; load it before
  // installing navigator.gpu so the registration below (on our adapter) is the only one.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { WebGPUBackend } = require("@tensorflow/tfjs-backend-webgpu") as { WebGPUBackend: new (device: unknown, info?: unknown) => tf.KernelBackend };
  if (!g.navigator) g.navigator = {};
  const nav = g.navigator as Record<string, unknown>;
  if (!nav.gpu) Object.defineProperty(nav, "gpu", { value: gpu, configurable: true, enumerable: true });
  installEventPump();
  tf.registerBackend(
    "webgpu",
    async () => {
      const device = await adapter.requestDevice(deviceDescriptor(adapter));
      deviceFailure = null;
      deviceRef = device;
      device.lost.then((info) => {
        if (deviceRef === device) deviceFailure = `the GPU device was lost (${info.reason ?? "unknown"}: ${info.message || "no message"})`;
      });
      device.addEventListener?.("uncapturederror", (e) => {
        deviceFailure ??= `the GPU reported an error (a shader that does not compile or an invalid operation): ${e.error?.message ?? "no message"}`;
      });
      const backend = new WebGPUBackend(device, adapter.info);
      patchReadSync(backend as unknown as WebGPUBackendLike, tf.util.convertBackendValuesAndArrayBuffer as (d: ArrayBuffer, t: string) => unknown, checkWebgpuDevice);
      wrapAsyncRead(backend as unknown as { read(id: object): Promise<unknown> });
      return backend;
    },
    0 // lowest priority: tfjs never picks it on its own
  );
  return dawn.report;
}

/** `data()` also reports a lost device or GPU error clearly. */
function wrapAsyncRead(backend: { read(id: object): Promise<unknown> }): void {
  const read = backend.read.bind(backend);
  backend.read = async (id: object) => {
    checkWebgpuDevice();
    return read(id);
  };
}

/** The device limits tfjs-backend-webgpu asks for (the adapter's own), and its optional features. */
function deviceDescriptor(adapter: GPUAdapterLike): object {
  const limits = [
    "maxComputeWorkgroupStorageSize", "maxComputeWorkgroupsPerDimension", "maxStorageBufferBindingSize",
    "maxBufferSize", "maxComputeWorkgroupSizeX", "maxComputeInvocationsPerWorkgroup",
  ];
  return {
    requiredFeatures: ["timestamp-query", "bgra8unorm-storage"].filter((f) => adapter.features.has(f)),
    requiredLimits: Object.fromEntries(limits.map((k) => [k, adapter.limits[k]])),
  };
}

/**
 * Removes a webgpu registration that failed to initialize, so a later
 * attempt starts clean.
 *
 * @example
 * ```ts
 * forgetWebgpu(); // after tf.setBackend("webgpu") returned false
 * ```
 */
export function forgetWebgpu(): void {
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
  deviceRef = null;
  deviceFailure = null;
}
