#!/usr/bin/env bash
# The device check (see scripts/gpu-check.mjs): prints the WebGPU adapter and
# runs the Dense, attention and training benchmarks on webgpu and wasm, with a
# table of both. Works from the repository (after `npm ci`: prepares
# out/gpu-check/ first) and from a prepared out/gpu-check/ folder on a machine
# without npm (and, with node.xz from `--prepare --with-node`, without node).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -d "$here/dist" ]; then                       # run from the repository
  root="$(cd "$here/.." && pwd)"
  [ -f "$root/out/gpu-check/bench/dense.bench.js" ] || node "$root/scripts/gpu-check.mjs" --prepare
  exec bash "$root/out/gpu-check/gpu-check.sh" "$@"
fi
tmp="$(mktemp -d)"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$tmp}"
NODE="$(command -v node || true)"
if [ -z "$NODE" ] && [ -f "$here/node.xz" ]; then
  xz -dc "$here/node.xz" > "$tmp/node" && chmod +x "$tmp/node" && NODE="$tmp/node"
fi
[ -n "$NODE" ] || { echo "gpu-check: no node (install node >= 18, or prepare with --with-node)" >&2; exit 1; }
# The Vulkan loader: the system's, else the one prepared alongside.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  echo "gpu-check: no system libvulkan.so.1; using the prepared copy"
  export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# NVIDIA's Vulkan driver: containers often have the library without its ICD manifest.
icds="$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json 2>/dev/null || true)"
echo "gpu-check: Vulkan ICD manifests: ${icds:-none}"
if ! echo "$icds" | grep -qi nvidia; then
  glx="$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia.so.0 /{print $NF; exit}')"
  [ -n "$glx" ] || glx="$(ls /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0 /usr/lib64/libGLX_nvidia.so.0 /usr/lib/libGLX_nvidia.so.0 2>/dev/null | head -1 || true)"
  if [ -n "$glx" ]; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$glx" > "$tmp/nvidia_icd.json"
    export VK_ICD_FILENAMES="$tmp/nvidia_icd.json" VK_DRIVER_FILES="$tmp/nvidia_icd.json"
    echo "gpu-check: wrote an NVIDIA ICD manifest for $glx"
  else
    echo "gpu-check: no NVIDIA Vulkan driver library (libGLX_nvidia.so.0) found"
  fi
fi
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L || true
exec "$NODE" "$here/gpu-check.mjs" "$@"
