#!/usr/bin/env bash
# Installs the Debian packages trax-ts's notebooks and checks use, if missing:
# Jupyter (nbconvert, nbclient, ipykernel, kernel test suite), Chromium, numpy,
# tmux (the REPL's checks in a terminal),
# and Mesa's software Vulkan driver (lavapipe) from Debian's bookworm-backports
# suite, which gives WebGPU (Dawn) an adapter on machines without a GPU so the
# webgpu numerics suite can run. Debian 12's own Mesa 22.3 is too old for Dawn
# ("shaderUniform*ArrayDynamicIndexing required"); backports' 25.x works.
# Called by .ci/run; never by `npm install`.
# --notebook also installs the classic notebook server (Debian's
# jupyter-notebook), which `npm start` needs to open the notebooks in a browser
# when JupyterLab is not installed.
set -euo pipefail
need=()
with_notebook=0
for arg in "$@"; do
  case "$arg" in
    --notebook) with_notebook=1 ;;
    *) echo "usage: $0 [--notebook]" >&2; exit 2 ;;
  esac
done
have_py() { /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }
command -v jupyter >/dev/null 2>&1 && jupyter nbconvert --version >/dev/null 2>&1 || need+=(jupyter-core jupyter-client jupyter-nbconvert)
have_py nbclient || need+=(python3-nbclient)
command -v jupyter-trust >/dev/null 2>&1 || need+=(jupyter-nbformat)
have_py ipykernel || need+=(python3-ipykernel)
have_py jupyter_kernel_test || need+=(python3-jupyter-kernel-test)
have_py numpy || need+=(python3-numpy)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
if [ "$with_notebook" = 1 ]; then
  jupyter lab --version >/dev/null 2>&1 || jupyter notebook --version >/dev/null 2>&1 || need+=(jupyter-notebook)
fi
if [ "$(id -u)" != "0" ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive

# lavapipe: mesa-vulkan-drivers >= 23 (Dawn refuses older Mesa). On Debian 12
# (bookworm) it comes from bookworm-backports; elsewhere from the distribution.
lavapipe_ok() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 23 && ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1
}
install_lavapipe() {
  local codename
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  if [ "$codename" = "bookworm" ]; then
    local list=/etc/apt/sources.list.d/bookworm-backports.sources
    if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo "system packages: adding Debian's bookworm-backports suite ($list)"
      printf '%s\n' "Types: deb" "URIs: http://deb.debian.org/debian" "Suites: bookworm-backports" \
        "Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" | $SUDO tee "$list" >/dev/null
    fi
    echo "system packages: installing mesa-vulkan-drivers (lavapipe) from bookworm-backports"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
  else
    echo "system packages: installing mesa-vulkan-drivers (lavapipe)"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers libvulkan1 >/dev/null
  fi
  lavapipe_ok || { echo "system packages: mesa-vulkan-drivers >= 23 with lavapipe is still missing (Dawn needs it)" >&2; exit 1; }
}
if lavapipe_ok; then lavapipe_present=1; else lavapipe_present=0; fi

if [ ${#need[@]} -eq 0 ] && [ "$lavapipe_present" = 1 ]; then
  echo "system packages: all present"
  exit 0
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "system packages: installing ${need[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ "$lavapipe_present" = 1 ] || install_lavapipe
echo "system packages: installed"
