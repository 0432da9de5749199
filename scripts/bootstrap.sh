#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for @ft, then the pnpm dependencies.
# System packages: Fashion-MNIST (Debian's dataset-fashion-mnist), and the native backend's build
# dependencies (oneDNN, OpenBLAS, a C++ toolchain), zsh (the test of `ft completion zsh`), and Optuna, its Redis client and
# redis-server (the @ft/hparams journal interop tests), and Mesa's EGL/GL drivers (the @ft/tfjs-backend-webgpu tests run
# Dawn's OpenGL backend on llvmpipe). Safe to re-run: it
# installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(dataset-fashion-mnist libdnnl-dev libopenblas-dev g++ make python3 zsh python3-optuna python3-redis redis-server libegl-mesa0 libgl1-mesa-dri)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "bootstrap: missing system packages: ${missing[*]} (install them with apt-get as root)" >&2
      exit 1
    fi
  fi
  echo "bootstrap: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export TURBO_TELEMETRY_DISABLED=1
npx -y pnpm@10 install --frozen-lockfile
