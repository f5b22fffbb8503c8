#!/usr/bin/env bash
# Installs the Debian packages trax-ts's notebooks and checks use, if missing:
# Jupyter (nbconvert, nbclient, ipykernel, kernel test suite), Chromium, numpy,
# tmux (the REPL's checks in a terminal).
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
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if [ "$(id -u)" != "0" ]; then SUDO=sudo; else SUDO=; fi
echo "system packages: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "system packages: installed"
