#!/usr/bin/env bash
# The device check (see scripts/gpu-check.mjs): prints the WebGPU adapter and
# runs the Dense, attention and training benchmarks on webgpu and wasm, with a
# table of both. Works from the repository (after `npm ci`: prepares
# out/gpu-check/ first) and from a prepared out/gpu-check/ folder copied to a
# machine with only `node`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L || true
if [ -d "$here/dist" ] && [ -d "$here/bench" ]; then
  exec node "$here/gpu-check.mjs" "$@"            # a prepared out/gpu-check/ folder
fi
root="$(cd "$here/.." && pwd)"
if [ ! -f "$root/out/gpu-check/bench/dense.bench.js" ]; then
  node "$root/scripts/gpu-check.mjs" --prepare
fi
exec node "$root/out/gpu-check/gpu-check.mjs" "$@"
